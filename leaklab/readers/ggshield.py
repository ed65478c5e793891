"""ggshield ``secret scan ... --json`` reports (shared reference scanner-formats §5).

One JSON object per run. Multi-commit scans (commit-range and the like) nest one
sub-scan per commit under ``scans`` (read recursively); scans without sub-scans (path
scans) put ``entities_with_incidents`` at the top level. Both shapes are read, from the 2021
outputs (no ``incident_url``, ``line_start`` may be null) to 1.5x (``secrets_engine_version``,
vault fields, ``ignore_reason``). One row per occurrence (typed match).

``match`` is censored unless ``--show-secrets`` was given (first and last ``ceil(len/6)``
characters kept, the rest but ``+``, ``-`` and blanks turned to ``*``). A censored match
gives no fingerprint, only a preview; an uncensored one is the secret, except for the
match types that name an account or a place (``username``, ``host``, ``port``, ``database``).
``client_id`` is hashed: for AWS it is the access key id, the value every other tool
reports, so it is the cross-tool join key.
``tool_fingerprint`` is ``ignore_sha``, which hashes all matches of the incident.
"""

from __future__ import annotations

import math
import re

from .. import fingerprint
from ._common import BadRecord, Format, Source, blank, load_json, want

# Match types that identify where or as whom, not the secret itself.
_NOT_SECRET = frozenset({"username", "host", "port", "database"})

_KIND_BY_SCAN_TYPE = {
    "path_scan": "filesystem",
    "archive_scan": "filesystem",
    "scan_docker_archive": "container",
    "docset": "other",
}

_VERIFIED = {"valid": True, "invalid": False}


def censored(match: str) -> bool:
    """True when ``match`` is ggshield's censored form (``core/filter.py censor_string``)."""
    n = len(match)
    if n <= 2:
        return n > 0 and set(match) == {"*"}
    if n == 3:
        return match[:2] == "**"
    keep = min(math.ceil(n / 6), 60)
    middle = match[keep : n - keep]
    # An uncensored middle made only of "+", "-" and blanks reads the same either way.
    return "*" in middle and all(c in "*+-" or c.isspace() for c in middle)


# --------------------------------------------------------------------------- sniffing

_HEAD_RX = re.compile(r'^\s*\{\s*"(id|type|scans|entities_with_incidents|total_incidents|secrets_engine_version)"\s*:')
# The published JSON Schema (doc/schemas/secret.json) has these keys too, but never with a number or list value.
_MARKER_RX = re.compile(r'"(total_incidents|total_occurrences)"\s*:\s*\d|"entities_with_incidents"\s*:\s*\[|"ignore_sha"\s*:\s*"')


def _sniff(src: Source) -> bool:
    head = src.head()
    if not _HEAD_RX.match(head) or '"$schema"' in head[:2048]:
        return False
    # ggshield iac/sca scans share the envelope; their incidents carry no occurrences.
    if re.search(r'"(iac|sca)_engine_version"', head):
        return False
    return bool(_MARKER_RX.search(head))


# --------------------------------------------------------------------------- records


def _records(src: Source):
    doc = load_json(src)
    if not isinstance(doc, dict):
        raise src.error("top level", f"expected a ggshield JSON object, found {type(doc).__name__}")
    version = doc.get("secrets_engine_version")
    kind = _scan_kind(doc.get("type"))
    yield from _walk(doc, "", {"tool_version": version if isinstance(version, str) else None, "kind": kind})


def _scan_kind(scan_type) -> str | None:
    if not isinstance(scan_type, str):
        return None
    if scan_type in _KIND_BY_SCAN_TYPE:
        return _KIND_BY_SCAN_TYPE[scan_type]
    # commit-range, commit-ranges (repo scans), pre-commit, pre-push, pre-receive
    return "git" if ("commit" in scan_type or scan_type.startswith("pre-")) else None


def _walk(scan: dict, path: str, ctx: dict):
    """Yield ``(locator, (ctx, entity))`` for every entity of a scan and its sub-scans."""
    ents = scan.get("entities_with_incidents")
    if ents is not None:
        if not isinstance(ents, list):
            yield f"{path}entities_with_incidents", BadRecord("'entities_with_incidents' must be a list")
        else:
            for j, ent in enumerate(ents):
                yield f"{path}entities_with_incidents[{j}]", (ctx, ent)
    subs = scan.get("scans")
    if subs is None:
        return
    if not isinstance(subs, list):
        yield f"{path}scans", BadRecord("'scans' must be a list")
        return
    for i, sub in enumerate(subs):
        loc = f"{path}scans[{i}]"
        if not isinstance(sub, dict):
            yield loc, BadRecord(f"expected a sub-scan object, found {type(sub).__name__}")
            continue
        sub_ctx = dict(ctx, commit_scan=sub) if sub.get("type") == "commit" else ctx
        yield from _walk(sub, loc + ".", sub_ctx)


# --------------------------------------------------------------------------- rows


def _convert(record) -> list[dict]:
    ctx, ent = record
    base = {"tool_version": ctx["tool_version"], "source_kind": ctx["kind"]}
    sub = ctx.get("commit_scan")
    if sub is not None:
        info = want(sub, "extra_info", dict, {}, where=" of the commit sub-scan")
        base.update(
            commit=want(sub, "id", str, where=" of the commit sub-scan"),
            author_name=blank(want(info, "author", str, "", where=" in extra_info")),
            author_email=blank(want(info, "email", str, "", where=" in extra_info")),
            commit_time=blank(want(info, "date", str, "", where=" in extra_info")),
            source_kind="git",
        )
    base["file"] = want(ent, "filename")
    rows = []
    for inc in want(ent, "incidents", list):
        validity = blank(want(inc, "validity", str, ""))
        rule = want(inc, "type", where=" of the incident")
        inc_row = dict(
            base,
            rule_id=rule,
            tool_secret_type=rule,
            validity=validity,
            verified=_VERIFIED.get(validity or ""),
            tool_fingerprint=blank(want(inc, "ignore_sha", str, "")),
            url=blank(want(inc, "incident_url", str, "")),
        )
        for occ in want(inc, "occurrences", list):
            rows.append(_occurrence(inc_row, occ))
    return rows


def _occurrence(inc_row: dict, occ: dict) -> dict:
    row = dict(inc_row)
    start = want(occ, "line_start", int, None)
    pre = want(occ, "pre_line_start", int, None)
    post = want(occ, "post_line_start", int, None)
    # post_/pre_ are the line in the scanned commit's (or parent's) file. They also hold the
    # right line for the 1.29-1.30 file scans whose line_start was 0-based.
    row["line"] = post if post is not None else pre if pre is not None else start
    # index_start is a 0-based column only when line_start is a real line of the same
    # coordinates; null lines (2021 outputs) and the 1.29-1.30 offsets came with document indexes.
    index = want(occ, "index_start", int, None)
    if index is not None and start is not None and ((pre is None and post is None) or start in (pre, post)):
        row["column"] = index + 1
    match = want(occ, "match")
    if censored(match):
        row["redacted"] = fingerprint.redact(match)
    elif want(occ, "type", str, "") in _NOT_SECRET:
        row["redacted"] = fingerprint.redact(match)
    else:
        row["secret"] = match
    return row


FORMATS = [
    Format(
        "ggshield-json",
        "ggshield",
        "ggshield secret scan JSON report",
        _sniff,
        _records,
        _convert,
        windows_paths=True,
    ),
]
