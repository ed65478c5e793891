"""gitleaks v8 JSON and CSV (also Betterleaks' JSON), gitleaks v7 JSON.

Shapes: shared reference scanner-formats §1 and §9. ``Secret`` is the rule's capture
group; the location is the whole regex match. A redacted report (``--redact``) carries
no value: the row gets no fingerprint, only the mask as its preview.
"""

from __future__ import annotations

import csv
import io
import re

from .. import fingerprint
from ._common import BadRecord, Format, Source, blank, checked, iter_json_array, want

_HEX_COMMIT = re.compile(r"[0-9a-fA-F]{7,64}")


def masked(value: str | None) -> bool:
    """True for values a tool redacted: ``REDACTED``, ``*****``, or ``--redact=N``'s ``prefix...``."""
    if not value:
        return False
    return value == "REDACTED" or value.endswith("...") or (value[0] == "*" and not value.strip("*"))


def secret_fields(value: str | None) -> dict:
    """Row fields for a reported secret: the raw value, or only a preview of a mask."""
    if not value:
        return {}
    if masked(value):
        partial = value.endswith("...") and value != "..."
        return {"redacted": fingerprint.redact(value[:-3]) if partial else "(redacted by tool)"}
    return {"secret": value}


def _array_of(src: Source, *keys: str) -> bool:
    head = src.head().lstrip()
    return head.startswith("[") and any(f'"{k}"' in head[:4096] for k in keys)


# --------------------------------------------------------------------------- v8 JSON


def _v8_json_sniff(src: Source) -> bool:
    return _array_of(src, "RuleID") and '"offender"' not in src.head()[:4096]


def _v8(rec: dict) -> list[dict]:
    attrs = want(rec, "Attributes", dict, {})
    if not all(isinstance(v, str) for v in attrs.values()):
        raise ValueError("every value in 'Attributes' must be a string")
    commit = blank(want(rec, "Commit", str, "")) or attrs.get("git.sha")
    validation = blank(want(rec, "ValidationStatus", str, ""))
    row = {
        "tool": "betterleaks" if ("Attributes" in rec or validation) else None,
        "rule_id": want(rec, "RuleID"),
        "tool_secret_type": blank(want(rec, "Description", str, "")),
        "file": blank(want(rec, "SymlinkFile", str, "")) or blank(want(rec, "File", str, "")) or attrs.get("path"),
        "line": want(rec, "StartLine", int, None),
        "column": want(rec, "StartColumn", int, None),
        "commit": commit,
        "author_name": blank(want(rec, "Author", str, "")) or attrs.get("git.author_name"),
        "author_email": blank(want(rec, "Email", str, "")) or attrs.get("git.author_email"),
        "commit_time": blank(want(rec, "Date", str, "")) or attrs.get("git.date"),
        "source_kind": _betterleaks_kind(attrs) or ("git" if commit else "filesystem"),
        "repo": _repo_from_link(blank(want(rec, "Link", str, ""))) or attrs.get("git.remote_url"),
        "url": blank(want(rec, "Link", str, "")),
        "tool_fingerprint": blank(want(rec, "Fingerprint", str, "")),
        "validity": validation,
        "verified": {"valid": True, "invalid": False, "revoked": False}.get(validation or ""),
    }
    row.update(secret_fields(want(rec, "Secret", str, "")))
    return [row]


def _v8_batch(recs: list) -> dict:
    """Column-wise :func:`_v8` for plain gitleaks records (the 1M-finding fast path)."""
    if any("Attributes" in r or "ValidationStatus" in r for r in recs):
        raise ValueError("Betterleaks records take the record-by-record path")
    text = lambda k: checked([r.get(k) or None for r in recs], str)  # noqa: E731
    rule = checked([r["RuleID"] for r in recs], str)
    commit, link = text("Commit"), text("Link")
    fields = [secret_fields(v) for v in text("Secret")]
    return {
        "rule_id": rule,
        "tool_secret_type": text("Description"),
        "file": [a or b for a, b in zip(text("SymlinkFile"), text("File"))],
        "line": checked([r.get("StartLine") for r in recs], int),
        "column": checked([r.get("StartColumn") for r in recs], int),
        "commit": commit,
        "author_name": text("Author"),
        "author_email": text("Email"),
        "commit_time": text("Date"),
        "source_kind": ["git" if c else "filesystem" for c in commit],
        "repo": [_repo_from_link(x) for x in link],
        "url": link,
        "tool_fingerprint": text("Fingerprint"),
        "secret": [f.get("secret") for f in fields],
        "redacted": [f.get("redacted") for f in fields],
    }


def _betterleaks_kind(attrs: dict) -> str | None:
    keys = " ".join(attrs)
    for prefix, kind in (("github.actions", "ci-log"), ("github.issue", "github-issue"), ("github.pr", "github-pr")):
        if prefix in keys:
            return kind
    return None


def _repo_from_link(link: str | None) -> str | None:
    return link.split("/blob/")[0] if link and "/blob/" in link else None


# --------------------------------------------------------------------------- v8 CSV


def _csv_sniff(src: Source) -> bool:
    return src.head().lstrip("\ufeff").startswith("RuleID,")


def _csv_records(src: Source):
    reader = csv.DictReader(io.StringIO(src.text(), newline=""))
    header = reader.fieldnames or []
    for need in ("RuleID", "File", "Secret"):
        if need not in header:
            raise src.error("line 1", f"gitleaks CSV header lacks {need!r}; header is {','.join(header)}")
    end = reader.line_num
    for rec in reader:
        # A quoted field may span lines: name the line the record starts on.
        loc, end = f"line {end + 1}", reader.line_num
        if None in rec:
            yield loc, BadRecord(f"row has {len(rec[None])} more field(s) than the header")
        else:
            yield loc, rec


def _csv(rec: dict) -> list[dict]:
    conv = dict(rec)
    for k in ("StartLine", "StartColumn"):
        v = (conv.get(k) or "").strip()
        if v and not v.lstrip("-").isdigit():
            raise ValueError(f"field {k!r} must be an integer")
        conv[k] = int(v) if v else None
    conv["Tags"] = (conv.get("Tags") or "").split()
    return _v8({k: v for k, v in conv.items() if v is not None})


# --------------------------------------------------------------------------- v7 JSON


def _v7_sniff(src: Source) -> bool:
    return _array_of(src, "offender")


def _v7(rec: dict) -> list[dict]:
    commit = blank(want(rec, "commit", str, ""))
    row = {
        "rule_id": want(rec, "rule"),
        "tool_secret_type": want(rec, "rule"),
        "file": blank(want(rec, "file", str, "")),
        "line": want(rec, "lineNumber", int, None),
        "commit": commit,
        "author_name": blank(want(rec, "author", str, "")),
        "author_email": blank(want(rec, "email", str, "")),
        "commit_time": blank(want(rec, "date", str, "")),
        "source_kind": "git" if commit else "filesystem",
        "repo": blank(want(rec, "repoURL", str, "")) or blank(want(rec, "repo", str, "")),
        "url": blank(want(rec, "leakURL", str, "")),
    }
    if row["repo"] == ".":
        row["repo"] = None
    row.update(secret_fields(want(rec, "offender", str, "")))
    return [row]


FORMATS = [
    Format(
        "gitleaks-json",
        "gitleaks",
        "gitleaks v8 / Betterleaks JSON report",
        _v8_json_sniff,
        iter_json_array,
        _v8,
        strip_root=True,
        convert_batch=_v8_batch,
    ),
    Format("gitleaks-csv", "gitleaks", "gitleaks v8 CSV report", _csv_sniff, _csv_records, _csv, strip_root=True),
    Format("gitleaks7-json", "gitleaks7", "gitleaks v7 JSON report", _v7_sniff, iter_json_array, _v7, strip_root=True),
]
