"""detect-secrets baselines (1.x and legacy 0.x) and ``detect-secrets audit --report`` JSON.

Shapes: shared reference scanner-formats §3.

``detect-secrets`` reads ``.secrets.baseline`` files: one row per entry of
``results[<filename>]``. The file comes from the ``results`` key (0.x entries have no
``filename``; Windows baselines use backslashes). A baseline holds no secret value, only
its SHA-1 (``hashed_secret``), which becomes ``secret_sha1``: the only join key to other
tools' rows. ``is_verified`` true means the plugin confirmed the secret live; false is
not "dead" (verified-false secrets are filtered out by default), so it reads as NA. The
audit label ``is_secret`` becomes ``label`` (true_positive / false_positive). The tool's
own identity ``filename|hashed_secret|type`` is ``tool_fingerprint``. There is no commit,
author or time: a baseline is a working-tree snapshot.

``detect-secrets-audit-report`` reads ``audit --report`` output, ``{"results": [...]}``
(older releases print the bare list). Each entry carries the secret in PLAINTEXT
(``secrets``), hashed like every raw value, for one file and one or more lines and
types; it becomes one row per (line, type), the granularity of the baseline it was made
from. ``category`` reflects the human audit label, not a live check: VERIFIED_TRUE and
VERIFIED_FALSE become ``label`` true_positive / false_positive, UNVERIFIED none.
"""

from __future__ import annotations

import re

from .. import fingerprint
from ._common import BadRecord, Format, Source, blank, load_json, want

_SHA1 = re.compile(r"[0-9a-fA-F]{40}")
_LABELS = {True: "true_positive", False: "false_positive"}
_CATEGORIES = {"VERIFIED_TRUE": "true_positive", "VERIFIED_FALSE": "false_positive", "UNVERIFIED": None}

# --------------------------------------------------------------------------- baselines


def _baseline_sniff(src: Source) -> bool:
    head = src.head()
    return head.lstrip().startswith("{") and '"results"' in head and ('"plugins_used"' in head or '"hashed_secret"' in head)


def _baseline_records(src: Source):
    doc = load_json(src)
    results = doc.get("results") if isinstance(doc, dict) else None
    if not isinstance(results, dict):
        raise src.error("top level", "expected a detect-secrets baseline: an object whose 'results' maps filenames to lists")
    version = doc.get("version") if isinstance(doc.get("version"), str) else None
    for filename, entries in results.items():
        if not isinstance(entries, list):
            yield f"results[{filename!r}]", BadRecord(f"expected a list of secrets, found {type(entries).__name__}")
            continue
        for i, entry in enumerate(entries):
            yield f"results[{filename!r}][{i}]", (filename, entry, version)


def _baseline(rec: tuple) -> list[dict]:
    filename, entry, version = rec
    kind = want(entry, "type")
    hashed = want(entry, "hashed_secret")
    if not _SHA1.fullmatch(hashed):
        raise ValueError(f"field 'hashed_secret' must be 40 hex digits (SHA-1), got {len(hashed)} characters")
    is_secret = want(entry, "is_secret", bool, None)
    return [
        {
            "tool_version": version,
            "rule_id": kind,
            "tool_secret_type": kind,
            "file": filename,
            "line": want(entry, "line_number", int, None) or None,  # 0 or absent (--slim): unknown
            "source_kind": "filesystem",
            "verified": True if want(entry, "is_verified", bool, False) else None,
            "label": _LABELS.get(is_secret),
            "tool_fingerprint": f"{filename}|{hashed}|{kind}",
            "secret_sha1": hashed.lower(),
            "redacted": "(sha1 only)",
        }
    ]


# --------------------------------------------------------------------------- audit --report


def _report_sniff(src: Source) -> bool:
    head = src.head().strip()
    if re.fullmatch(r'\{\s*"results"\s*:\s*\[\s*\]\s*\}', head):  # a report with nothing in it
        return True
    return (
        re.match(r'(?:\{\s*"results"\s*:\s*)?\[\s*\{', head) is not None
        and re.search(r'"category"\s*:\s*"(?:VERIFIED_TRUE|VERIFIED_FALSE|UNVERIFIED)"', head) is not None
        and '"secrets"' in head
    )


def _report_records(src: Source):
    doc = load_json(src)
    entries = doc.get("results") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise src.error("top level", "expected a detect-secrets audit report: {\"results\": [...]} or a list")
    prefix = "results" if isinstance(doc, dict) else ""
    for i, entry in enumerate(entries):
        yield f"{prefix}[{i}]", entry


def _report(entry: dict) -> list[dict]:
    secret = entry.get("secrets") if isinstance(entry, dict) else None
    if not isinstance(secret, str):  # not want(): its message would quote the plaintext
        raise ValueError(f"field 'secrets' must be str, got {type(secret).__name__}")
    filename = want(entry, "filename")
    category = want(entry, "category")
    if category not in _CATEGORIES:
        raise ValueError(f"field 'category' must be one of {', '.join(_CATEGORIES)}, got another value")
    types = want(entry, "types", list)
    lines = entry.get("lines") or {}
    if not isinstance(lines, dict):  # its values are source lines holding the plaintext: never quote them
        raise ValueError(f"field 'lines' must be an object of line number to text, got {type(lines).__name__}")
    if not types or not all(isinstance(t, str) for t in types):
        raise ValueError("field 'types' must be a non-empty list of strings")
    numbers = []
    for n in lines:
        if not n.strip().isdigit():
            raise ValueError(f"keys of 'lines' must be line numbers, got a {len(n)}-character key")
        numbers.append(int(n))
    sha1 = fingerprint.sha1(secret)
    return [
        {
            "rule_id": t,
            "tool_secret_type": t,
            "file": filename,
            "line": n,
            "source_kind": "filesystem",
            "label": _CATEGORIES[category],
            "tool_fingerprint": f"{filename}|{sha1}|{t}",
            "secret": blank(secret),
        }
        for n in (sorted(numbers) or [None])
        for t in types
    ]


FORMATS = [
    Format(
        "detect-secrets",
        "detect-secrets",
        "detect-secrets baseline",
        _baseline_sniff,
        _baseline_records,
        _baseline,
        windows_paths=True,
    ),
    Format(
        "detect-secrets-audit-report",
        "detect-secrets",
        "detect-secrets audit --report JSON",
        _report_sniff,
        _report_records,
        _report,
        windows_paths=True,
    ),
]
