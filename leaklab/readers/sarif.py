"""SARIF 2.1.0 reports from any tool, with the secret scanners' own conventions.

Shapes: shared reference scanner-formats §8 (SARIF in general) and the per-tool notes in
§1.3 (gitleaks v8), §1.6 (gitleaks v7), §2.2 (TruffleHog >= 3.97), §4.3 (Nosey Parker),
§5 (ggshield) and §9 (Betterleaks). Every run of a file is read; the tool of each run
comes from ``tool.driver.name``. One row per result, except Nosey Parker, whose result
is a whole finding with one location per (match x provenance): one row per location.

Per tool:

- gitleaks v8 / Betterleaks: ``region.snippet.text`` is the secret; commit, author, email,
  date and message sit in ``partialFingerprints``; the gitleaks ``Fingerprint`` is rebuilt.
  ``semanticVersion`` is a hard-coded ``v8.0.0``, so no tool version is reported.
- gitleaks v7 (driver ``Gitleaks``): no ``ruleId`` (the rule is in the message), the secret
  is ``properties.offender`` and the commit data is in ``properties``; the uri is the
  file, or the leak URL when the scan had one.
- Nosey Parker: ``ruleId`` is the rule name, ``snippet.text`` the plaintext regex match;
  commit data in ``logicalLocations[].properties.commit_provenance`` (<= v0.16) or
  ``first_commit`` (v0.17+), where the uri is the repository path; later releases put the
  blob path in the uri and no commit data at all. The snippet is the whole match, so its
  hash need not equal the capture-group hash of Nosey Parker's JSON output.
- ggshield: uri ``commit://<sha|staged|patch>/<path>`` (not encoded) or a percent-encoded
  path / ``file://`` URL; ``partialFingerprints["secret/v1"]`` is the ignore SHA; no secret.
- TruffleHog: uri is the file or ``<source_type_x>://<source name>``; level ``error`` means
  verified; no commit, author, time or secret.
- Any other tool (Kingfisher included, for now): rule, uri (``file://`` dropped), line and
  column, plus repo and commit from ``versionControlProvenance`` when a run has it. Its
  snippet is not taken as the secret and not kept anywhere, since it may hold plaintext.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import unquote

from ._common import BadRecord, Format, Source, blank, load_json, want
from .gitleaks import secret_fields

_TOOLS = {
    "gitleaks": "gitleaks",
    "betterleaks": "betterleaks",
    "trufflehog": "trufflehog",
    "noseyparker": "noseyparker",
    "noseyparker-cli": "noseyparker",
    "nosey parker": "noseyparker",
    "ggshield": "ggshield",
    "kingfisher": "kingfisher",
}
_NO_VERSION = {"gitleaks", "betterleaks"}  # semanticVersion is a constant "v8.0.0"

_VERSION_RX = re.compile(r'"version"\s*:\s*"2\.1\.0"|"\$schema"\s*:\s*"[^"]*sarif[^"]*2\.1\.0')


def _sniff(src: Source) -> bool:
    head = src.head().lstrip()
    return head.startswith("{") and '"runs"' in head and bool(_VERSION_RX.search(head))


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class _Run:
    tool: str
    version: str | None
    rules: list
    by_id: dict
    results: list
    repo: str | None  # versionControlProvenance, which no secret scanner fills today
    commit: str | None


def _run(run: Any) -> _Run:
    driver = want(want(run, "tool", dict), "driver", dict, where=" in tool")
    name = want(driver, "name", where=" in tool.driver").strip()
    if not name:
        raise ValueError("tool.driver.name is empty")
    rules = want(driver, "rules", list, [], where=" in tool.driver")
    semver = want(driver, "semanticVersion", str, None, where=" in tool.driver")
    tool = _TOOLS.get(name.lower(), name.lower())
    results = want(run, "results", list, [])
    v7 = (semver or "").lstrip("v").startswith("7.") or any(isinstance(r, dict) and "ruleId" not in r for r in results)
    if tool == "gitleaks" and v7:
        tool = "gitleaks7"
    version = blank(want(driver, "version", str, "", where=" in tool.driver")) or blank(semver)
    if tool in _NO_VERSION:
        version = None
    by_id = {r["id"]: r for r in rules if isinstance(r, dict) and isinstance(r.get("id"), str)}
    vcp = want(run, "versionControlProvenance", list, [])
    vcp = vcp[0] if vcp and isinstance(vcp[0], dict) else {}
    where = " in versionControlProvenance[0]"
    repo, commit = (blank(want(vcp, k, str, "", where=where)) for k in ("repositoryUri", "revisionId"))
    return _Run(tool, version, rules, by_id, results, repo, commit)


def _records(src: Source) -> Iterator[tuple[str, Any]]:
    doc = load_json(src)
    runs = doc.get("runs") if isinstance(doc, dict) else None
    if not isinstance(runs, list):
        raise src.error("top level", "expected a SARIF object with a 'runs' array")
    for r, raw in enumerate(runs):
        try:
            run = _run(raw)
        except (ValueError, TypeError) as e:
            yield f"runs[{r}]", BadRecord(str(e))
            continue
        for i, res in enumerate(run.results):
            loc = f"runs[{r}].results[{i}]"
            locs = res.get("locations") if isinstance(res, dict) else None
            if run.tool == "noseyparker" and isinstance(locs, list) and locs:
                for j in range(len(locs)):
                    yield f"{loc}.locations[{j}]", (run, res, j)
            else:
                yield loc, (run, res, 0)


def _convert(rec: tuple) -> list[dict]:
    run, res, j = rec
    row = _HANDLERS.get(run.tool, _generic)(run, res, j)
    row["tool"] = run.tool
    row["tool_version"] = run.version
    row["repo"] = row.get("repo") or run.repo
    row["commit"] = row.get("commit") or run.commit
    return [row]


# --------------------------------------------------------------------------- shared pieces


def _location(res: dict, j: int) -> tuple[dict, str | None, dict]:
    """(location, uri, region) of ``locations[j]``; empty when the result has none."""
    locs = want(res, "locations", list, [])
    if not locs:
        return {}, None, {}
    loc = locs[j]
    phys = want(loc, "physicalLocation", dict, {}, where=f" in locations[{j}]")
    uri = want(want(phys, "artifactLocation", dict, {}), "uri", str, None, where=" in artifactLocation")
    return loc, blank(uri), want(phys, "region", dict, {}, where=" in physicalLocation")


def _snippet(region: dict) -> str | None:
    return want(want(region, "snippet", dict, {}, where=" in region"), "text", str, None, where=" in region.snippet")


def _rule_id(run: _Run, res: dict) -> str | None:
    rid = want(res, "ruleId", str, None) or want(want(res, "rule", dict, {}), "id", str, None, where=" in rule")
    if rid:
        return rid
    idx = want(res, "ruleIndex", int, None)
    if idx is None:
        idx = want(want(res, "rule", dict, {}), "index", int, None, where=" in rule")
    if idx is None:
        return None
    if not 0 <= idx < len(run.rules):
        raise ValueError(f"ruleIndex {idx} is outside tool.driver.rules ({len(run.rules)} rules)")
    return want(run.rules[idx], "id", str, None, where=f" in tool.driver.rules[{idx}]")


def _rule_name(run: _Run, rid: str | None) -> str | None:
    rule = run.by_id.get(rid) or {}
    short = rule.get("shortDescription")
    text = short.get("text") if isinstance(short, dict) else None
    name = rule.get("name")
    return blank(name if isinstance(name, str) else None) or blank(text if isinstance(text, str) else None)


def _base(run: _Run, res: dict, j: int) -> tuple[dict, str | None, dict, dict]:
    """The row fields every tool shares, plus the location pieces for the tool's own."""
    loc, uri, region = _location(res, j)
    rid = _rule_id(run, res)
    line = want(region, "startLine", int, None, where=" in region")
    column = want(region, "startColumn", int, None, where=" in region")
    row = {
        "rule_id": rid,
        "tool_secret_type": _rule_name(run, rid),
        # gitleaks v7 writes -1 for filename rules; SARIF lines and columns start at 1
        "line": line if line and line > 0 else None,
        "column": column if column and column > 0 else None,
    }
    return row, uri, region, loc


# --------------------------------------------------------------------------- per tool


def _generic(run: _Run, res: dict, j: int) -> dict:
    row, uri, _, _ = _base(run, res, j)
    row["file"] = uri[len("file://") :] if uri and uri.startswith("file://") else uri
    return row


def _gitleaks(run: _Run, res: dict, j: int) -> dict:
    row, uri, region, _ = _base(run, res, j)
    if not row["rule_id"]:
        raise ValueError("missing required field 'ruleId'")
    meta = want(res, "partialFingerprints", dict, {})
    commit = blank(want(meta, "commitSha", str, "", where=" in partialFingerprints"))
    where = f"{uri or ''}:{row['rule_id']}:{row['line'] if row['line'] is not None else 0}"
    row.update(
        file=uri.lstrip("/") if uri else None,
        commit=commit,
        author_name=blank(want(meta, "author", str, "", where=" in partialFingerprints")),
        author_email=blank(want(meta, "email", str, "", where=" in partialFingerprints")),
        commit_time=blank(want(meta, "date", str, "", where=" in partialFingerprints")),
        source_kind="git" if commit else "filesystem",
        tool_fingerprint=f"{commit}:{where}" if commit else where,
    )
    row.update(secret_fields(_snippet(region)))
    return row


_V7_SUFFIX = " secret detected"
_LEAK_URL = re.compile(r"^(https?://.+?)/blob/[^/]+/([^#]+)(?:#L\d+)?$")


def _gitleaks7(run: _Run, res: dict, j: int) -> dict:
    row, uri, _, _ = _base(run, res, j)
    text = want(want(res, "message", dict), "text", where=" in message")
    if not row["rule_id"]:
        if not text.endswith(_V7_SUFFIX):
            raise ValueError(f"gitleaks v7 message does not end with {_V7_SUFFIX!r}")
        row["rule_id"] = text[: -len(_V7_SUFFIX)]
    row["tool_secret_type"] = row["rule_id"]
    props = want(res, "properties", dict, {})
    commit = blank(want(props, "commit", str, "", where=" in properties"))
    repo = blank(want(props, "repo", str, "", where=" in properties"))
    link = _LEAK_URL.match(uri or "")
    if link:  # the uri is the leak URL when gitleaks knew the remote
        row.update(url=uri, repo=link.group(1), file=link.group(2))
    else:
        row.update(file=uri.lstrip("/") if uri else None, repo=None if repo == "." else repo)
    row.update(
        commit=commit,
        author_name=blank(want(props, "author", str, "", where=" in properties")),
        author_email=blank(want(props, "email", str, "", where=" in properties")),
        commit_time=blank(want(props, "date", str, "", where=" in properties")),
        source_kind="git" if commit else "filesystem",
    )
    offender = want(props, "offender", str, "", where=" in properties")
    if not offender.startswith("Filename/path offender: "):  # a file-name rule hit, not a value
        row.update(secret_fields(offender))
    return row


def _noseyparker(run: _Run, res: dict, j: int) -> dict:
    row, uri, region, loc = _base(run, res, j)
    row["tool_secret_type"] = row["rule_id"]  # driver.rules carry the regex as description
    prov: dict = {}
    for logical in want(loc, "logicalLocations", list, [], where=" in location"):
        props = want(logical, "properties", dict, {}, where=" in logicalLocations[]")
        prov = props.get("commit_provenance") or props.get("first_commit") or prov
    if prov:
        meta = want(prov, "commit_metadata", dict, {}, where=" in commit provenance")
        row.update(
            file=blank(want(prov, "blob_path", str, "", where=" in commit provenance")) or uri,
            repo=uri,  # these versions put the repository path in the uri
            commit=blank(want(meta, "commit_id", str, "", where=" in commit_metadata")),
            author_name=blank(want(meta, "author_name", str, "", where=" in commit_metadata")),
            author_email=blank(want(meta, "author_email", str, "", where=" in commit_metadata")),
            commit_time=blank(want(meta, "author_timestamp", str, "", where=" in commit_metadata")),
            source_kind="git",
        )
    else:
        row["file"] = uri
    fp = want(res, "partialFingerprints", dict, {})
    row["tool_fingerprint"] = blank(want(fp, "match_group_content/sha256/v1", str, "", where=" in partialFingerprints"))
    snippet = _snippet(region)
    if snippet:
        row["secret"] = snippet
    return row


_COMMIT_URI = re.compile(r"^commit://([^/]*)/(.*)$", re.S)
_GG_VERIFIED = {"valid": True, "invalid": False}


def _ggshield(run: _Run, res: dict, j: int) -> dict:
    row, uri, _, _ = _base(run, res, j)
    m = _COMMIT_URI.match(uri or "")
    if m:  # commit URLs are built from the raw path: not encoded
        sha, path = m.groups()
        row.update(file=path, commit=None if sha in ("staged", "patch") else blank(sha), source_kind="git")
    elif uri:
        path = uri[len("file://") :] if uri.startswith("file://") else uri
        if re.match(r"^/[A-Za-z]:/", path):  # file:///c:/... on Windows
            path = path[1:]
        row.update(file=unquote(path), source_kind="filesystem")
    fp = want(res, "partialFingerprints", dict, {})
    details = want(want(res, "properties", dict, {}), "incidentDetails", dict, {}, where=" in properties")
    validity = blank(want(details, "validity", str, "", where=" in incidentDetails"))
    row.update(
        tool_secret_type=row["rule_id"],
        tool_fingerprint=blank(want(fp, "secret/v1", str, "", where=" in partialFingerprints")),
        url=blank(want(res, "hostedViewerUri", str, "")),
        validity=validity,
        verified=_GG_VERIFIED.get(validity or ""),
    )
    return row


_TH_VERIFIED = {"error": True, "warning": False}
_SOURCE_URI = re.compile(r"^source_type_[a-z0-9_]+://(.*)$", re.S)


def _trufflehog(run: _Run, res: dict, j: int) -> dict:
    row, uri, _, _ = _base(run, res, j)
    m = _SOURCE_URI.match(uri or "")
    if m:  # a source without files (Postman, Elasticsearch, ...): keep its name as the place
        row.update(file=None, repo=blank(m.group(1)), source_kind="other")
    else:
        row["file"] = uri
    level = want(res, "level", str, "")
    fp = want(res, "partialFingerprints", dict, {})
    row.update(
        verified=_TH_VERIFIED.get(level),
        validity={True: "verified", False: "unverified"}.get(_TH_VERIFIED.get(level)),
        tool_fingerprint=blank(want(fp, "trufflehogFingerprint/v1", str, "", where=" in partialFingerprints")),
    )
    return row


_HANDLERS = {
    "gitleaks": _gitleaks,
    "betterleaks": _gitleaks,
    "gitleaks7": _gitleaks7,
    "noseyparker": _noseyparker,
    "ggshield": _ggshield,
    "trufflehog": _trufflehog,
}


FORMATS = [Format("sarif", "sarif", "SARIF 2.1.0 report", _sniff, _records, _convert)]
