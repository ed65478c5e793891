"""Breach timelines: dated events about a credential or an incident, in one events frame.

:func:`load_timeline` reads CSV, JSON (an array, or ``{"events": [...]}``), JSON lines and
YAML. Each event has a time, a kind from :data:`KINDS`, the credential and/or incident it
belongs to, and optionally a source and a detail. Times keep their precision:

- ``2022-09-17T10:00:00Z`` (any offset): an instant, ``precision="second"``;
- ``2022-09-17``: a UTC calendar day, ``precision="day"``;
- ``2017-12``: only the month is known, ``precision="month"``; ``2017``: ``"year"``.

``time`` is the start of the period and ``time_latest`` its last instant, so a month-only
date yields a range, never a fake exact date. A time of day with no zone is refused
unless ``tz=`` says which zone the file uses.

    >>> import io
    >>> ev = load_timeline(io.StringIO("time,kind,credential\\n2017-12,made_public,key\\n2022-09-17,revoked,key\\n"), format="csv")
    >>> ev[["time", "time_latest", "precision", "kind"]].astype(str).values.tolist()[0]
    ['2017-12-01 00:00:00+00:00', '2017-12-31 23:59:59+00:00', 'month', 'made_public']
"""

from __future__ import annotations

import io
import os
import re

from . import schema
from .errors import LeakLabError, RecordError
from .schema import isna

KINDS = (
    "introduced", "pushed", "made_public", "exposed", "exfiltrated", "first_misuse", "detected", "reported",
    "revoked", "rotated", "expired", "removed", "used", "disclosed", "note",
)
EXPOSURE_KINDS = ("introduced", "pushed", "made_public", "exposed", "exfiltrated")
MISUSE_KINDS = ("first_misuse", "used")
DETECTION_KINDS = ("detected", "reported")
CONTAINMENT_KINDS = ("revoked", "rotated", "expired")

_FORMATS = ("csv", "json", "jsonl", "ndjson", "yaml", "yml")
_COLUMN_ALIASES = {
    "time": ("time", "date", "timestamp", "when", "datetime"),
    "kind": ("kind", "event", "type", "what"),
    "credential": ("credential", "credential_id", "key_id", "secret_id"),
    "incident": ("incident", "case"),
    "source": ("source", "reference", "url"),
    "detail": ("detail", "description", "note", "details", "summary"),
}


def load_timeline(path, mapping: dict | None = None, tz: str | None = None, format: str | None = None):
    """Read a timeline file into the events frame (contract ``events``).

    Parameters
    ----------
    path
        A file path, or a text stream (then give ``format``).
    mapping
        Renames, as ``{"columns": {"Date": "time"}, "kinds": {"key rotated": "rotated"}}``;
        a flat dict is applied to both column names and kind values.
    tz
        Zone for times of day written without one (``"UTC"``, ``"Europe/Berlin"``...).
    format
        ``csv``, ``json``, ``jsonl`` or ``yaml``; by default from the file's extension.
    """
    name = getattr(path, "name", None) or (os.fspath(path) if not isinstance(path, io.IOBase) else "<stream>")
    fmt = (format or os.path.splitext(name)[1].lstrip(".")).lower()
    if fmt not in _FORMATS:
        raise LeakLabError(name, reason=f"unknown timeline format {fmt!r}; use {', '.join(_FORMATS)} (or format=)")
    if hasattr(path, "read"):
        text = path.read()
    else:
        try:
            with open(path, encoding="utf-8-sig") as f:
                text = f.read()
        except OSError as e:
            raise LeakLabError(name, reason=f"cannot read: {e.strerror}") from None
        except UnicodeDecodeError as e:
            raise LeakLabError(name, reason=f"not UTF-8 text (byte {e.start})") from None
    records = _records(text, fmt, name)
    columns, kinds = _mapping(mapping)
    rows = []
    for where, rec in records:
        if not isinstance(rec, dict):
            raise RecordError(name, where, f"expected an object with time and kind, found {type(rec).__name__}")
        renamed: dict = {}
        for k, v in rec.items():
            canon = columns.get(k, k)
            if canon in renamed:
                raise RecordError(name, where, f"two fields mean {canon!r}: rename one with mapping=")
            renamed[canon] = v
        rows.append(_event(renamed, kinds, tz, name, where))
    cols = {k: [r[k] for r in rows] for k in schema.columns("events")}
    return schema.build("events", cols, len(rows)).sort_values(["time", "kind"], kind="stable", ignore_index=True)


def _records(text: str, fmt: str, name: str) -> list:
    if fmt == "csv":
        import csv

        reader = csv.DictReader(io.StringIO(text))
        return [(f"line {reader.line_num}", {k: (v if v != "" else None) for k, v in row.items()}) for row in reader]
    if fmt in ("json", "jsonl", "ndjson"):
        import json

        if fmt == "json":
            try:
                doc = json.loads(text)
            except json.JSONDecodeError as e:
                raise RecordError(name, f"line {e.lineno}", f"not valid JSON: {e.msg}") from None
            doc = doc.get("events", doc) if isinstance(doc, dict) else doc
            if not isinstance(doc, list):
                raise RecordError(name, None, "expected a list of events (or an object with an 'events' list)")
            return [(f"[{i}]", r) for i, r in enumerate(doc)]
        out = []
        for n, line in enumerate(text.split("\n"), 1):
            if line.strip():
                try:
                    out.append((f"line {n}", json.loads(line)))
                except json.JSONDecodeError as e:
                    raise RecordError(name, f"line {n}", f"not valid JSON: {e.msg}") from None
        return out
    if fmt in ("yaml", "yml"):
        import yaml

        try:
            doc = yaml.safe_load(text)  # safe_load: a timeline file must not construct objects
        except yaml.YAMLError as e:
            raise RecordError(name, None, f"not valid YAML: {e}") from None
        doc = doc.get("events", doc) if isinstance(doc, dict) else doc
        if not isinstance(doc, list):
            raise RecordError(name, None, "expected a list of events (or a mapping with an 'events' list)")
        return [(f"[{i}]", r) for i, r in enumerate(doc)]
    raise AssertionError(fmt)  # load_timeline checked the format


def _mapping(mapping: dict | None) -> tuple[dict, dict]:
    columns = {alias: canon for canon, aliases in _COLUMN_ALIASES.items() for alias in aliases}
    kinds: dict = {}
    if mapping:
        if "columns" in mapping or "kinds" in mapping:
            columns.update(mapping.get("columns", {}))
            kinds.update(mapping.get("kinds", {}))
        else:
            columns.update(mapping)
            kinds.update(mapping)
    return columns, kinds


def _event(rec: dict, kinds: dict, tz: str | None, name: str, where: str) -> dict:
    kind = rec.get("kind")
    kind = kinds.get(kind, kind) if isinstance(kind, str) else kind
    if kind not in KINDS:
        shown = "missing" if kind is None else "an unknown kind"
        raise RecordError(name, where, f"kind is {shown}; expected one of: {', '.join(KINDS)} (or map it with mapping=)")
    if rec.get("credential") is None and rec.get("incident") is None:
        raise RecordError(name, where, "an event needs a credential or an incident")
    try:
        start, latest, precision = parse_when(rec.get("time"), tz)
    except ValueError as e:
        raise RecordError(name, where, str(e)) from None
    text = lambda k: None if rec.get(k) is None else str(rec[k])  # noqa: E731
    return {
        "time": start, "time_latest": latest, "precision": precision, "kind": kind,
        "credential": text("credential"), "incident": text("incident"), "source": text("source"),
        "detail": text("detail"), "origin": f"{name} {where}",
    }


_MONTH = re.compile(r"(\d{4})-(\d{2})")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
_YEAR = re.compile(r"\d{4}")


def parse_when(value, tz: str | None = None):
    """``(earliest, latest, precision)`` in UTC for a timeline date.

        >>> [str(t) for t in parse_when("2022-09-17")[:2]]
        ['2022-09-17 00:00:00+00:00', '2022-09-17 23:59:59+00:00']
    """
    import datetime as dt

    import pandas as pd

    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("time is missing")
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    if isinstance(value, dt.date):  # YAML reads a bare 2022-09-17 as a date
        value = value.isoformat()
    s = str(value).strip()
    second = pd.Timedelta(seconds=1)
    if (_YEAR.fullmatch(s) or _MONTH.fullmatch(s) or re.fullmatch(r"\d{4}-\d{2}-\d{2}", s)) and not 1678 <= int(s[:4]) <= 2261:
        raise ValueError("time is outside the years 1678-2261")
    if _YEAR.fullmatch(s):
        start = pd.Timestamp(f"{s}-01-01", tz="UTC")
        return start, start + pd.DateOffset(years=1) - second, "year"
    m = _MONTH.fullmatch(s)
    if m:
        if not 1 <= int(m.group(2)) <= 12:
            raise ValueError("month must be 01-12")
        start = pd.Timestamp(f"{s}-01", tz="UTC")
        return start, start + pd.DateOffset(months=1) - second, "month"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        start = pd.Timestamp(s, tz="UTC")
        return start, start + pd.Timedelta(days=1) - second, "day"
    if not _ISO_TIME.fullmatch(s):  # "now", "NaT", "nan" and friends are not dates
        raise ValueError("time is not a date (YYYY, YYYY-MM, YYYY-MM-DD) or an ISO 8601 time")
    try:
        ts = pd.Timestamp(s)
        if ts.tzinfo is None:
            if tz is None:
                raise ValueError("time of day has no time zone; add one (Z, +02:00) or pass tz=")
            ts = ts.tz_localize(tz)
        ts = ts.tz_convert("UTC")
    except (OverflowError, KeyError, LookupError) as e:  # zoneinfo raises KeyError subclasses
        raise ValueError(f"cannot place the time in zone {tz!r}" if isinstance(e, LookupError) else "time out of range") from None
    except ValueError as e:
        raise ValueError(str(e) if "time zone" in str(e) else "not a valid ISO 8601 time") from None
    if not 1678 <= ts.year <= 2261:
        raise ValueError("time is outside the years 1678-2261")
    return ts, ts, "second"


def from_history(history):
    """Events from :func:`leaklab.history`'s per-secret frame: ``introduced`` at the
    introducing commit's author time, ``removed`` where HEAD's line dropped the secret.

    The credential id is the ``secret_id``, so these events join the same windows as a
    timeline that names credentials by fingerprint.
    """
    schema.validate(history, "history")
    rows = []
    for r in history.itertuples(index=False):
        if not isna(r.introduced_author_time):
            rows.append(_derived(r.introduced_author_time, "introduced", r.secret_id, f"commit {r.introduced_commit}", r.introduced_file))
        if isinstance(r.removed_commit, str):
            rows.append(_derived(r.removed_time, "removed", r.secret_id, f"commit {r.removed_commit}", None))
    cols = {k: [row[k] for row in rows] for k in schema.columns("events")}
    return schema.build("events", cols, len(rows)).sort_values(["time", "kind"], kind="stable", ignore_index=True)


def _derived(t, kind, credential, source, detail):
    return {"time": t, "time_latest": t, "precision": "second", "kind": kind, "credential": credential,
            "incident": None, "source": source, "detail": detail, "origin": "leaklab.history"}


def from_findings(findings):
    """``detected`` events: for each secret, the earliest time a tool says it first
    reported it (``first_seen``; GitHub alerts carry it). Keyed by ``secret_id``."""
    schema.validate(findings, "findings")
    f = findings[findings["first_seen"].notna()]
    rows = []
    if len(f):
        keys = _secret_ids(f)
        first = f.assign(_k=keys).sort_values("first_seen").drop_duplicates("_k")
        for k, t, tool in zip(first["_k"], first["first_seen"], first["tool"]):
            rows.append(_derived(t, "detected", k, f"{tool} alert", None))
    cols = {k: [row[k] for row in rows] for k in schema.columns("events")}
    return schema.build("events", cols, len(rows)).sort_values(["time", "kind"], kind="stable", ignore_index=True)


def from_usage(usage):
    """``used`` events, one per access-log event (a duplicate delivery counts once), or per
    use from ``usage_in_windows``."""
    schema.validate(usage, "usage")
    u = usage[~usage["duplicate"].fillna(False)] if "duplicate" in usage.columns else usage  # one use per event
    rows = [_derived(t, "used", c, "access log", f"{a} from {ip}")
            for t, c, a, ip in zip(u["time"], u["credential_id"], u["action"], u["source_ip"])
            if isinstance(c, str)]
    cols = {k: [row[k] for row in rows] for k in schema.columns("events")}
    return schema.build("events", cols, len(rows)).sort_values(["time", "kind"], kind="stable", ignore_index=True)


def _secret_ids(f):
    """The dedupe join key of each finding row (the secrets frame's ``secret_id``)."""
    from .dedupe import secret_keys

    return secret_keys(f)
