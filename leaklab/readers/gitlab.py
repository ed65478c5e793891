"""GitLab secret detection reports, ``gl-secret-detection-report.json`` (shared reference scanner-formats §7).

Report schemas 14.x and 15.x: one JSON object, ``vulnerabilities`` listed first and the
``scan`` block (analyzer and scanner versions) last. Old reports (GitLab's own 14.1
fixture) may lack ``scan``, ``location.commit`` and ``start_line``: only ``id``,
``identifiers`` and ``location`` are required. Working-tree scans write the placeholder
commit ``0000000`` and date ``0001-01-01T00:00:00Z``; both become NA.

``raw_source_code_extract`` is the plaintext secret (gitleaks-based analyzer); other
analyzers may put a list of source lines there, which is not a secret and is ignored.
There is no column and no verification in the report.
"""

from __future__ import annotations

import re

from ._common import Format, Source, blank, load_json, want

# Historic-scan reports of the old analyzer name the commit only in the description.
_HISTORIC_RX = re.compile(r"\bhas been found in commit ([0-9a-f]{7,64})\.?$")


def _sniff(src: Source) -> bool:
    head = src.head()
    return (
        head.lstrip().startswith("{")
        and re.search(r'"vulnerabilities"\s*:\s*\[', head) is not None
        and re.search(r'"(secret_detection|gitleaks_rule_id)"', head) is not None
    )


def _records(src: Source):
    doc = load_json(src)
    if not isinstance(doc, dict):
        raise src.error("top level", f"expected a GitLab report object, found {type(doc).__name__}")
    vulns = doc.get("vulnerabilities")
    if not isinstance(vulns, list):
        raise src.error("vulnerabilities", "expected a 'vulnerabilities' list")
    scan = doc.get("scan")
    scanner = scan.get("scanner") if isinstance(scan, dict) else None
    version = scanner.get("version") if isinstance(scanner, dict) else None
    version = version if isinstance(version, str) and version else None
    for i, vuln in enumerate(vulns):
        yield f"vulnerabilities[{i}]", (version, vuln)


def _rule_id(vuln: dict) -> str:
    idents = want(vuln, "identifiers", list)
    for ident in idents:
        if isinstance(ident, dict) and ident.get("type") == "gitleaks_rule_id":
            return blank(want(ident, "value", str, "")) or want(ident, "name", where=" of the gitleaks_rule_id identifier")
    if idents and isinstance(idents[0], dict):
        rule = blank(want(idents[0], "value", str, "")) or blank(want(idents[0], "name", str, ""))
        if rule:
            return rule
    rule = blank(want(vuln, "name", str, ""))
    if rule is None:
        raise ValueError("no rule: 'identifiers' has no value or name, and the vulnerability no 'name'")
    return rule


def _convert(record) -> list[dict]:
    version, vuln = record
    loc = want(vuln, "location", dict)
    commit = want(loc, "commit", dict, {}, where=" in location")
    sha = blank(want(commit, "sha", str, "", where=" in location.commit"))
    if sha is None:
        m = _HISTORIC_RX.search(want(vuln, "description", str, ""))
        sha = m.group(1) if m else None
    if sha is not None and not sha.strip("0"):
        sha = None
    row = {
        "tool_version": version,
        "rule_id": _rule_id(vuln),
        "tool_secret_type": blank(want(vuln, "name", str, "")),
        "file": blank(want(loc, "file", str, "")),
        "line": want(loc, "start_line", int, None),
        "commit": sha,
        "author_name": blank(want(commit, "author", str, "", where=" in location.commit")),
        "commit_time": blank(want(commit, "date", str, "", where=" in location.commit")),
        "source_kind": "git" if sha else "filesystem",
        "tool_fingerprint": want(vuln, "id"),
    }
    extract = vuln.get("raw_source_code_extract")
    if isinstance(extract, str) and extract:
        row["secret"] = extract
    return [row]


FORMATS = [
    Format(
        "gitlab-secret-detection",
        "gitlab",
        "GitLab secret detection report",
        _sniff,
        _records,
        _convert,
    ),
]
