"""Shared machinery for the inventory readers: formats, edges, record guards, times, documents.

An inventory format is an :class:`InventoryFormat`: ``sniff`` looks at the head of a file and
``read(src, ctx)`` returns edge rows (plain dicts keyed by grants columns). A reader raises
:class:`Bad` with the JSON path of what is wrong; :func:`guarded` turns that into a
:class:`~leaklab.RecordError` naming the file and the path, or, in lenient mode, into an
entry of ``df.attrs["skipped"]`` while the next record is read.

The scanner readers' helpers (:mod:`leaklab.readers._common`) are reused for decoding, JSON
and time parsing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import RecordError
from ..readers._common import Source, iter_json_lines, load_json, parse_time

# Keep in step with leaklab.blast.RELATIONS (the reach computation over these edges).
RELATIONS = (
    "authenticates_as", "member_of", "has_policy", "has_boundary", "allow", "deny", "can_assume", "contains",
    "holds_secret", "has_resource",
)
DATA_CLASSES = ("public", "internal", "confidential", "restricted", "secret")


class Bad(Exception):
    """A malformed part of a record: ``loc`` is its JSON path (or ``line N``), ``reason`` what was expected."""

    def __init__(self, loc: str, reason: str):
        super().__init__(f"{loc}: {reason}")
        self.loc, self.reason = loc, reason


@dataclass
class InventoryFormat:
    """One supported inventory format."""

    name: str
    provider: str
    description: str
    sniff: Callable[[Source], bool]
    read: Callable[[Source, "Context"], list]


@dataclass
class Context:
    """State of one :func:`leaklab.load_inventory` call, shared by every file it reads."""

    credential: str | None = None
    lenient: bool = False
    skipped: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # (file, record, what) for warnings
    # bare IAM user name -> ARNs, from every GAAD and credential report in the load
    user_arns: dict = field(default_factory=dict)

    def bad(self, src: Source, loc: str | None, reason: str) -> None:
        if not self.lenient:
            raise RecordError(src.path, loc, reason)
        self.skipped.append({"file": src.path, "record": loc, "reason": reason})

    def note(self, src: Source, loc: str | None, what: str) -> None:
        self.notes.append((src.path, loc, what))

    def user(self, name: str, arn: str) -> None:
        self.user_arns.setdefault(name, set()).add(arn)


def guarded(ctx: Context, src: Source, fn: Callable, *args) -> list:
    """``fn(*args)``'s rows; a :class:`Bad` becomes an error, or a skip in lenient mode."""
    try:
        return fn(*args)
    except Bad as e:
        bad = e
    ctx.bad(src, bad.loc, bad.reason)  # outside the handler: no chained traceback
    return []


# --------------------------------------------------------------------------- rows


def edge(source, source_type, relation, target, target_type, loc, **kw) -> dict:
    """One edge row; ``kw`` may set action, not_action, not_resource, condition, data_class,
    provider, since, detail and private ``_`` keys used to resolve nodes across files."""
    row = {"source": source, "source_type": source_type, "relation": relation, "target": target,
           "target_type": target_type, "source_record": loc}
    row.update(kw)
    return row


def text(rec: Any, key: str, loc: str, required: bool = False) -> str | None:
    """``rec[key]`` as text: ``None`` when missing, JSON null or empty (unless required)."""
    if not isinstance(rec, dict):
        raise Bad(loc, f"expected an object, found {_kind(rec)}")
    v = rec.get(key)
    if v is None or v == "":
        if required:
            raise Bad(loc, f"missing required field {key!r}")
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return str(v)  # numeric ids (GitHub token_id, account ids written unquoted in YAML)
    if not isinstance(v, str):
        # The value itself stays out of the message: a field may hold a secret.
        raise Bad(loc, f"field {key!r} must be text, got {_kind(v)}")
    return v


def items(rec: dict, key: str, loc: str) -> list:
    """``rec[key]`` as a list: missing or null is empty; a lone object counts as a list of one
    (the AWS CLI's own example shows AttachedManagedPolicies as a bare object)."""
    v = rec.get(key)
    if v is None:
        return []
    if isinstance(v, dict):
        return [v]
    if not isinstance(v, list):
        raise Bad(f"{loc}.{key}", f"expected a list, found {_kind(v)}")
    return v


def strings(v: Any, loc: str, what: str, sep: str | None = None) -> list[str]:
    """A string or a list of strings as a list (``sep`` splits a single string: OAuth scope headers)."""
    if v is None:
        return []
    if isinstance(v, str):
        parts = v.split(sep) if sep else [v]
        return [p.strip() for p in parts if p.strip()] if sep else parts
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return [x.strip() for x in v if x.strip()] if sep else list(v)
    raise Bad(loc, f"{what} must be a string or a list of strings, got {_kind(v)}")


def compact(v: Any) -> str:
    """A Condition block as compact JSON with sorted keys (reported, never evaluated)."""
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _kind(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "a boolean", type(None): "null"}.get(
        type(v), type(v).__name__)


# --------------------------------------------------------------------------- times


def when(v: Any, loc: str, name: str):
    """A time field to a UTC ``Timestamp``; ``None`` for missing, placeholders and AWS's
    ``N/A``-style nulls. YAML hands over dates and datetimes already parsed."""
    import datetime as dt

    import pandas as pd

    if v is None or (isinstance(v, str) and (not v.strip() or v in _NULLS)):
        return None
    try:
        if isinstance(v, dt.datetime):
            ts = pd.Timestamp(v)
            if ts.tzinfo is None:
                if ts.hour or ts.minute or ts.second:
                    raise ValueError("time has a clock but no time zone")
                ts = ts.tz_localize("UTC")
            return ts.tz_convert("UTC")
        if isinstance(v, dt.date):
            return pd.Timestamp(v.isoformat(), tz="UTC")
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            # DataFrame.to_json writes times as epoch milliseconds
            return pd.Timestamp(int(v), unit="ms", tz="UTC")
        if not isinstance(v, str):
            raise ValueError(f"a time must be text, got {_kind(v)}")
        return parse_time(v)
    except (ValueError, OverflowError) as e:
        msg = str(e)
        if not msg.startswith(("time ", "a time must", "unrecognised time format")):
            msg = "unrecognised time format"
        raise Bad(loc, f"field {name!r}: {msg}") from None


_NULLS = {"N/A", "not_supported", "no_information"}


# --------------------------------------------------------------------------- documents


def is_json(src: Source) -> bool:
    return src.head().lstrip()[:1] in ("{", "[")


def load_doc(src: Source) -> Any:
    """A whole file as one document: JSON when it looks like JSON (errors name line and
    column), else YAML through ``yaml.safe_load`` only (the file is attacker controlled)."""
    if is_json(src):
        return load_json(src)
    import yaml

    try:
        return yaml.safe_load(src.text())
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        raise RecordError(src.path, where, f"not valid YAML: {getattr(e, 'problem', None) or type(e).__name__}") from None


def load_json_pages(src: Source) -> Any:
    """JSON, or several JSON arrays back to back (``gh api --paginate`` prints one per page)."""
    from ..errors import LeakLabError

    try:
        return load_json(src)
    except LeakLabError as first_error:
        error = first_error
        s = src.text()
        dec = json.JSONDecoder()
        out: list = []
        i = 0
        try:
            while True:
                while i < len(s) and s[i].isspace():
                    i += 1
                if i >= len(s):
                    break
                page, i = dec.raw_decode(s, i)
                if not isinstance(page, list):
                    raise ValueError
                out.extend(page)
        except ValueError:
            raise error from None  # the first error names line and column
        return out


def json_records(src: Source) -> list[tuple[str, Any]]:
    """``(locator, record)`` for a JSON array (``[i]``), one object (``[0]``) or JSON lines (``line N``)."""
    head = src.head().lstrip()
    if head.startswith("["):
        doc = load_json(src)
        return [(f"[{i}]", r) for i, r in enumerate(doc)]
    first = head.split("\n", 1)[0].strip()
    if first.startswith("{") and first.endswith("}"):
        out = []
        for loc, rec in iter_json_lines(src):
            if hasattr(rec, "reason") and not isinstance(rec, dict):
                raise RecordError(src.path, loc, rec.reason)
            out.append((loc, rec))
        return out
    return [("[0]", load_json(src))]


def csv_rows(src: Source) -> tuple[list[str], list[tuple[str, dict]]]:
    """Header and ``("line N", row)`` pairs of a CSV file; blank cells are ``None``."""
    import csv
    import io

    reader = csv.reader(io.StringIO(src.text(), newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return [], []
    except csv.Error as e:
        raise RecordError(src.path, "line 1", f"not valid CSV: {e}") from None
    rows = []
    try:
        for cells in reader:
            loc = f"line {reader.line_num}"
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                rows.append((loc, Bad(loc, f"expected {len(header)} fields, found {len(cells)}")))
                continue
            rows.append((loc, {h: (c if c != "" else None) for h, c in zip(header, cells, strict=True)}))
    except csv.Error as e:
        raise RecordError(src.path, f"line {reader.line_num}", f"not valid CSV: {e}") from None
    return header, rows


def csv_header(src: Source) -> list[str]:
    line = src.head().split("\n", 1)[0].strip().lstrip("\ufeff")
    return [h.strip().strip('"').strip() for h in line.split(",")]


# --------------------------------------------------------------------------- credential ids

# Shapes of raw tokens that must never be a node id (an analyst pasting the token by mistake).
_RAW_TOKEN = re.compile(
    r"(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abposer]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}"
    r"|glpat-[A-Za-z0-9_-]{20,}|[sr]k_live_[A-Za-z0-9]{10,}|sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35})"
)


def credential_id(value: Any, src: Source, loc: str, ctx: Context) -> str:
    """An analyst-given credential id; a raw token given by mistake becomes its SHA-256."""
    if not isinstance(value, str) or not value.strip():
        raise Bad(loc, f"credential id must be non-empty text, got {_kind(value)}")
    if _RAW_TOKEN.fullmatch(value.strip()):
        from ..fingerprint import sha256

        ctx.note(src, loc, "a credential id looks like a raw token; it was replaced by its SHA-256 fingerprint")
        return sha256(value.strip())
    return value
