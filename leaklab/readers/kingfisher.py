"""Kingfisher ``scan --format json|jsonl`` reports (mongodb/kingfisher, the Nosey Parker fork).

Shapes: shared reference scanner-formats §9.

* v1.10 ``json``: a pretty-printed array of ``{"id": <rule id>, "matches": [{"rule": {"name",
  "id"}, "finding": {...}}]}`` (keys sorted: the reporter builds it with ``json!``);
  ``git_metadata`` is ``null`` and ``path`` is ``""`` when the origin has none.
* v1.70 ``json``: an envelope ``{"findings": [{"rule", "finding"}], "access_map": [...]?}``;
  ``jsonl``: one ``{"rule", "finding"}`` per line, then an optional ``{"access_map": ...}``
  line, which is not a finding and is skipped. Later releases write one compact envelope
  per line (with ``metadata.kingfisher_version``) and may add an ``{"audit": ...}`` line;
  both are read the same way.

Mapping: ``snippet`` is the raw secret (the first capture group, non-UTF-8 bytes written as
``\\xNN`` escapes, which are kept as the tool wrote them; a ``--redact`` value
``[REDACTED:<id>]`` is no secret). ``rule.id`` is the rule id, ``rule.name`` (``description``
in releases that have it) the type name. ``validation.status`` is kept verbatim in
``validity``; ``Active Credential`` is verified, ``Inactive Credential`` not, anything else
(``Not Attempted``) unknown. ``git_metadata.commit.date`` is the COMMITTER date without a
clock (``YYYY-MM-DD`` in the committer's zone), read as that UTC day. Kingfisher writes no
author, so ``author_name``/``author_email`` stay NA rather than carry the committer.
``confidence`` and ``entropy`` have no findings column and are dropped.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ._common import BadRecord, Format, Source, blank, iter_json_array, iter_json_lines, want
from .noseyparker import json_documents

_FINDING = re.compile(r'"finding"\s*:\s*\{')
_FINGERPRINT = re.compile(r'"fingerprint"\s*:\s*"')
_BARE_ENVELOPE = re.compile(r'\{\s*"(?:findings"\s*:\s*\[\s*\]|access_map"\s*:|audit"\s*:)')
_REDACTED = re.compile(r"\[REDACTED:[0-9a-f]*\]")
_VERIFIED = {"Active Credential": True, "Inactive Credential": False}
_NOT_FINDINGS = {"access_map", "audit", "metadata"}


def _sniff(src: Source) -> bool:
    head = src.head().lstrip()
    if not head.startswith(("[", "{")):
        return False
    if _FINDING.search(head) and _FINGERPRINT.search(head):
        return True
    # An envelope or JSONL trailer with no findings: only Kingfisher writes these first keys.
    return bool(_BARE_ENVELOPE.match(head)) and ("access_map" in head or "kingfisher_version" in head)


def _records(src: Source) -> Iterator[tuple[str, Any]]:
    if src.head().lstrip().startswith("["):
        return iter_json_array(src)  # v1.10 array
    return _expand(iter_json_lines(src))


def _whole_file(src: Source) -> Iterator[tuple[str, Any]]:
    """A pretty-printed file: the v1.70 envelope, a v1.10 array, or ``jq .`` of a jsonl."""
    docs = json_documents(src, src.text())
    if len(docs) == 1 and isinstance(docs[0][1], list):
        return iter_json_array(src, docs[0][1])
    if len(docs) == 1 and isinstance(docs[0][1], dict) and "findings" in docs[0][1]:
        return _expand([("", docs[0][1])])
    return _expand((f"line {n}", doc) for n, doc in docs)


def _expand(records) -> Iterator[tuple[str, Any]]:
    """Envelopes into their findings; access_map / audit lines dropped."""
    for loc, rec in records:
        if isinstance(rec, dict) and "rule" not in rec and "findings" in rec:
            findings = rec["findings"]
            if not isinstance(findings, list):
                yield loc or "findings", BadRecord("'findings' must be a JSON array")
                continue
            meta = rec.get("metadata")
            version = meta.get("kingfisher_version") if isinstance(meta, dict) else None
            prefix = f"{loc} " if loc else ""
            for i, f in enumerate(findings):
                if version and isinstance(f, dict):
                    f = dict(f, _tool_version=version)
                yield f"{prefix}findings[{i}]", f
        elif isinstance(rec, dict) and rec and set(rec) <= _NOT_FINDINGS:
            continue
        else:
            yield loc, rec


def _convert(rec: Any) -> list[dict]:
    if isinstance(rec, dict) and "matches" in rec and "finding" not in rec:  # v1.10 element
        return [_row(m, f" in matches[{i}]") for i, m in enumerate(want(rec, "matches", list))]
    return [_row(rec, "")]


def _source_kind(path: str | None) -> str:
    if not path:
        return "filesystem"
    if path.startswith(("s3://", "gs://", "gcs://")):
        return "object-store"
    if path.startswith(("http://", "https://")):
        return "other"  # Jira, Confluence and Slack findings are reported as links
    return "filesystem"


def _row(m: Any, where: str) -> dict:
    rule = want(m, "rule", dict, where=where)
    f = want(m, "finding", dict, where=where)
    validation = want(f, "validation", dict, {}, where)
    status = blank(want(validation, "status", str, "", where))
    git = want(f, "git_metadata", dict, {}, where)
    commit = want(git, "commit", dict, {}, where)
    gfile = want(git, "file", dict, {}, where)
    path = blank(want(f, "path", str, "", where))
    fingerprint = want(f, "fingerprint", (str, int), "", where)
    row = {
        "tool_version": m.get("_tool_version"),
        "rule_id": want(rule, "id", where=where),
        "tool_secret_type": blank(want(rule, "description", str, "", where)) or blank(want(rule, "name", str, "", where)),
        # git_metadata.file.path is repo-relative; "path" may be the absolute path of a clone.
        "file": blank(want(gfile, "path", str, "", where)) or path,
        "line": want(f, "line", int, None, where),
        "column": want(f, "column_start", int, None, where),
        "commit": blank(want(commit, "id", str, "", where)),
        "commit_time": blank(want(commit, "date", str, "", where)),
        "repo": blank(want(git, "repository_url", str, "", where)),
        "source_kind": "git" if git else _source_kind(path),
        "verified": _VERIFIED.get(status or ""),
        "validity": status,
        "tool_fingerprint": blank(str(fingerprint)),
        "url": blank(want(gfile, "url", str, "", where)) or blank(want(commit, "url", str, "", where)),
    }
    if row["url"] is None and path and path.startswith(("http://", "https://")):
        row["url"] = path
    snippet = want(f, "snippet", str, "", where)
    if _REDACTED.fullmatch(snippet):
        row["redacted"] = "(redacted by tool)"
    elif snippet:
        row["secret"] = snippet
    return row


FORMATS = [
    Format(
        "kingfisher-json",
        "kingfisher",
        "Kingfisher JSON/JSONL report",
        _sniff,
        _records,
        _convert,
        windows_paths=True,
        fallback=_whole_file,
    ),
]
