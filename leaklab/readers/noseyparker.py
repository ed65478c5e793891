"""Nosey Parker ``report --format json|jsonl`` (v0.17+ and the <= v0.16 shape), and insta snapshots.

Shapes: shared reference scanner-formats §4.

* v0.17+ (``noseyparker-json``): ``json`` is one array written as ``"[\\n"`` + findings
  joined by ``",\\n"`` + ``"\\n]"`` (older releases pretty-printed it); ``jsonl`` is one
  Finding per line. A "jsonl" file that is really pretty-printed (``jq . x.jsonl``) is
  parsed whole instead. Git provenance is ``first_commit``; extended provenance is
  ``{"kind":"extended","payload":{...}}`` since v0.22 and had no ``payload`` wrapper in
  v0.20-0.21.
* <= v0.16 (``noseyparker-legacy``): ``{"type":"finding", "match_content", ...}`` with
  ``commit_provenance`` and no ``finding_id``/``rule_text_id``/``groups``.
* insta ``.snap`` files from Nosey Parker's own tests (``noseyparker-snap``): a ``---``
  YAML header, then the JSON (either shape), possibly with text around it.

One row per (finding, match, provenance). The secret is the FIRST non-empty capture group,
base64-decoded (v0.17+ reports every group in base64). For two-group rules that is the
first part only: AWS ``np.aws.6`` reports [key id, secret key], so the row's secret is the
key id, the value gitleaks and TruffleHog report, which keeps the cross-tool join. Legacy
reports carry the plaintext ``match_content``. ``line``/``column`` are the start of the whole
match (byte columns, 1-based in effect); time, author and commit come from the first commit
that introduced the blob (author timestamp). Nosey Parker never verifies (``verified`` NA);
human ``accept``/``reject`` statuses become ``label``. ``repo`` is ``repo_path`` as written:
a local path, never a URL.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Iterator

from ._common import Format, Source, blank, iter_json_array, iter_json_lines, iter_whole, want

_FINDING_ID = re.compile(r'"finding_id"\s*:\s*"')
_LEGACY = re.compile(r'"type"\s*:\s*"finding"')
_SNAP_HEADER = re.compile(r"---\r?\n(?:[^\n]*\n)*?---\r?\n")
_JSON_START = re.compile(r"^[\[{]", re.M)
_EMPTY_ARRAY = re.compile(r"\[\s*\]")


# --------------------------------------------------------------------------- sniffing


def _json_head(src: Source) -> str:
    head = src.head().lstrip()
    return head if head.startswith(("[", "{")) else ""


def _sniff_report(src: Source) -> bool:
    head = _json_head(src)
    # Nosey Parker's own empty json report is "[\n\n]", which the registry's "[]" check misses.
    return bool(_FINDING_ID.search(head)) or bool(_EMPTY_ARRAY.fullmatch(head.rstrip()))


def _sniff_legacy(src: Source) -> bool:
    head = _json_head(src)
    return bool(_LEGACY.search(head)) and '"match_content"' in head


def _sniff_snap(src: Source) -> bool:
    head = src.head()
    m = _SNAP_HEADER.match(head)
    # finding_id must hold a string: the JSON Schema snapshot has "finding_id": {...}.
    return bool(m) and bool(_FINDING_ID.search(head, m.end()) or _LEGACY.search(head, m.end()))


# --------------------------------------------------------------------------- records


def _records(src: Source) -> Iterator[tuple[str, Any]]:
    if src.head().lstrip().startswith("["):
        return iter_json_array(src)
    return iter_json_lines(src)


def _whole_file(src: Source) -> Iterator[tuple[str, Any]]:
    """A file parsed whole: one array, one object, or pretty objects one after another."""
    return _documents(src, src.text(), 0, trailer_ok=False)


def _snap_records(src: Source) -> Iterator[tuple[str, Any]]:
    text = src.text()
    m = _SNAP_HEADER.match(text)
    if not m:
        raise src.error("line 1", "insta snapshot header ('---' ... '---') not found")
    body = _JSON_START.search(text, m.end())
    if not body:
        raise src.error("snapshot body", "no JSON array or object after the snapshot header")
    return _documents(src, text, body.start(), trailer_ok=True)


def json_documents(src: Source, text: str, pos: int = 0, trailer_ok: bool = False) -> list[tuple[int, Any]]:
    """``(start line, value)`` for each JSON value in ``text`` from ``pos``, one after another.

    Covers one document as well as pretty-printed objects back to back (``jq . x.jsonl``).
    With ``trailer_ok``, text after the last value ends the list instead of failing.
    """
    decoder = json.JSONDecoder()
    docs: list[tuple[int, Any]] = []
    line, seen = 1, 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n\ufeff":
            pos += 1
        if pos >= len(text):
            return docs
        try:
            doc, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            if trailer_ok and docs:  # a snapshot may carry text after the JSON
                return docs
            raise src.error(f"line {e.lineno} column {e.colno}", f"not valid JSON: {e.msg}") from None
        if trailer_ok and docs and not isinstance(doc, (list, dict)):
            return docs
        line += text.count("\n", seen, pos)
        seen = pos
        docs.append((line, doc))
        pos = end


def _documents(src: Source, text: str, pos: int, trailer_ok: bool) -> Iterator[tuple[str, Any]]:
    docs = json_documents(src, text, pos, trailer_ok)
    if len(docs) == 1 and isinstance(docs[0][1], list):
        yield from iter_whole(src, docs[0][1])
        return
    for start, doc in docs:
        if isinstance(doc, list):
            for i, obj in enumerate(doc):
                yield f"line {start} [{i}]", obj
        else:
            yield f"line {start}", doc


# --------------------------------------------------------------------------- conversion


def _b64(value: str) -> str:  # not cached: a cache would keep raw secrets alive after load
    # surrogateescape keeps non-UTF-8 secrets hashable byte for byte.
    return base64.b64decode(value, validate=True).decode("utf-8", "surrogateescape")


def _first_group(groups: list, where: str) -> str | None:
    for i, g in enumerate(groups):
        if not isinstance(g, str):
            raise ValueError(f"groups[{i}]{where} must be a base64 string, got {type(g).__name__}")
        if g:
            try:
                value = _b64(g)
            except (binascii.Error, ValueError):
                raise ValueError(f"groups[{i}]{where} is not valid base64") from None
            if value:
                return value
    return None


def _label(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, list):
        return ",".join(sorted({s for s in value if isinstance(s, str) and s})) or None
    return None


def _start(match: dict, where: str) -> dict:
    try:  # fast path for the well-formed common case; the checked path below explains the rest
        start = match["location"]["source_span"]["start"]
        line, column = start["line"], start["column"]
        if type(line) is int and type(column) is int:
            return {"line": line, "column": column}
    except (KeyError, TypeError):
        pass
    loc = want(match, "location", dict, {}, where)
    start = want(want(loc, "source_span", dict, {}, where), "start", dict, {}, where)
    return {"line": want(start, "line", int, None, where), "column": want(start, "column", int, None, where)}


def _provenance(p: Any, where: str) -> dict:
    kind = want(p, "kind", str, where=where)
    if kind == "git_repo":
        row = {"source_kind": "git", "repo": blank(want(p, "repo_path", str, "", where))}
        # v0.17+ says first_commit, <= v0.16 commit_provenance; both hold the same fields.
        commit = want(p, "first_commit", dict, None, where) or want(p, "commit_provenance", dict, None, where)
        if commit:
            meta = want(commit, "commit_metadata", dict, {}, where)
            row.update(
                file=blank(want(commit, "blob_path", str, "", where)),
                commit=blank(want(meta, "commit_id", str, "", where)),
                author_name=blank(want(meta, "author_name", str, "", where)),
                author_email=blank(want(meta, "author_email", str, "", where)),
                commit_time=blank(want(meta, "author_timestamp", str, "", where)),
            )
        return row
    if kind == "file":
        return {"source_kind": "filesystem", "file": want(p, "path", str, where=where)}
    if kind == "extended":
        payload = p.get("payload", p)  # v0.20-0.21 had no payload wrapper
        path = None
        if isinstance(payload, dict):
            path = next((v for v in (payload.get("path"), payload.get("filename")) if isinstance(v, str) and v), None)
        return {"source_kind": "other", "file": path}
    return {"source_kind": "other"}  # a provenance kind newer than this reader


def _rows(base: dict, matches: list, secret_of, label_of) -> list[dict]:
    rows = []
    for i, m in enumerate(matches):
        where = f" in matches[{i}]"
        common = dict(base, **_start(m, where))
        secret = secret_of(m, where)
        if secret is not None:
            common["secret"] = secret
        common["label"] = label_of(m, where)
        provenance = want(m, "provenance", list, [], where)
        for j, p in enumerate(provenance):
            rows.append(dict(common, **_provenance(p, f" in matches[{i}].provenance[{j}]")))
        if not provenance:
            rows.append(common)
    return rows


def _current(rec: dict) -> list[dict]:
    """One v0.17+ Finding (``finding_id``, base64 ``groups``)."""
    name = want(rec, "rule_name", str, None)
    base = {"rule_id": want(rec, "rule_text_id"), "tool_secret_type": name, "tool_fingerprint": want(rec, "finding_id")}
    groups = want(rec, "groups", list, [])
    statuses = _label(want(rec, "statuses", list, []))
    matches = want(rec, "matches", list)

    def secret_of(m: dict, where: str) -> str | None:
        return _first_group(want(m, "groups", list, groups, where), where)

    def label_of(m: dict, where: str) -> str | None:
        return _label(want(m, "status", str, None, where)) or statuses

    rows = _rows(base, matches, secret_of, label_of)
    if not matches:  # a finding whose matches were all cut by --max-matches still names the secret
        secret = _first_group(groups, "")
        rows.append(dict(base, label=statuses, **({"secret": secret} if secret is not None else {})))
    return rows


def _legacy(rec: dict) -> list[dict]:
    """One <= v0.16 finding (``"type": "finding"``, plaintext ``match_content``)."""
    name = want(rec, "rule_name")
    base = {"rule_id": name, "tool_secret_type": name}
    content = blank(want(rec, "match_content", str, ""))
    status = _label(rec.get("status"))

    def secret_of(m: dict, where: str) -> str | None:
        return blank(want(m, "match_content", str, "", where)) or content

    def label_of(m: dict, where: str) -> str | None:
        return _label(m.get("status")) or status

    return _rows(base, want(rec, "matches", list), secret_of, label_of)


def _any(rec: Any) -> list[dict]:
    if isinstance(rec, dict) and "finding_id" not in rec and (rec.get("type") == "finding" or "match_content" in rec):
        return _legacy(rec)
    return _current(rec)


FORMATS = [
    Format(
        "noseyparker-json",
        "noseyparker",
        "Nosey Parker v0.17+ JSON/JSONL report",
        _sniff_report,
        _records,
        _current,
        fallback=_whole_file,
    ),
    Format(
        "noseyparker-legacy",
        "noseyparker",
        "Nosey Parker <= v0.16 JSON/JSONL report",
        _sniff_legacy,
        _records,
        _legacy,
        fallback=_whole_file,
    ),
    Format("noseyparker-snap", "noseyparker", "Nosey Parker insta snapshot", _sniff_snap, _snap_records, _any),
]
