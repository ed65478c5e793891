"""Shared machinery for the access-log readers: sources inside archives, record batches, frames.

A log format is a :class:`LogFormat`: ``sniff`` looks at the head of a file, ``batches``
yields ``(locators, records)`` lists and ``convert`` turns one record into usage rows
(plain dicts keyed by :data:`ROW_KEYS`). A format may add ``convert_batch``, a column-wise
version of ``convert`` for a whole list of records (CloudTrail's fast path): any shape
error there sends the batch through ``convert`` record by record, which names the record.

The scanner readers' helpers (:mod:`leaklab.readers._common`) are reused for decoding,
JSON lines, field checks and time parsing. What is new here: rows are buffered per format
across files (a CloudTrail trail is thousands of small delivery files) and turned into a
frame every :data:`CHUNK_ROWS` rows, with the types checked column-wise by pyarrow.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from ..errors import LeakLabError, RecordError
from ..readers._common import BadRecord, Source, _bom_encoding, _Restart, iter_json_lines, load_json, parse_times

CHUNK_ROWS = 131_072
SHAPE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, UnicodeError)

# What ``convert`` returns per row; ``time`` is text or a tz-aware Timestamp.
ROW_KEYS = (
    "time", "credential_id", "credential_kind", "principal", "account", "action", "resource", "source_ip",
    "user_agent", "outcome", "error", "event_id", "issued_credential", "issued_expires",
)
TEXT_KEYS = tuple(k for k in ROW_KEYS if k not in ("time", "issued_expires"))


class NotUsage(Exception):
    """A valid record that is no usage event (a GCP text log line, say): left out, counted."""


# --------------------------------------------------------------------------- sources


class LogSource(Source):
    """A file, or one member of an archive (``member`` names it in every locator)."""

    def __init__(self, path: str, data: bytes | None = None, member: str | None = None):
        super().__init__(path, data)
        self.member = member

    def where(self, record: object) -> str:
        return f"{self.member} {record}" if self.member else str(record)

    def error(self, record: object, reason: str) -> RecordError:
        return RecordError(self.path, self.where(record), reason)


# --------------------------------------------------------------------------- formats


@dataclass
class LogFormat:
    """One supported access-log format."""

    name: str
    provider: str
    description: str
    sniff: Callable[[Source], bool]
    batches: Callable[[LogSource], Iterator[tuple[list, list]]]
    convert: Callable[[Any], list[dict]]
    convert_batch: Callable[[list], dict] | None = None
    # column -> the log field it comes from, for messages about a bad value
    fields: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- records

_LOCS: dict[str, list[str]] = {}


def locators(prefix: str, start: int, stop: int) -> list[str]:
    """``["Records[0]", "Records[1]", ...]``; the strings are shared between files."""
    cache = _LOCS.setdefault(prefix, [])
    if len(cache) < stop and stop <= 1 << 20:
        cache.extend(f"{prefix}[{i}]" for i in range(len(cache), stop))
    if stop <= len(cache):
        return cache[start:stop]
    return [f"{prefix}[{i}]" for i in range(start, stop)]


def _is_json_lines(src: Source) -> bool:
    """Several lines, each a JSON document of its own (judged from the first lines)."""
    import orjson

    head = src.head().encode("utf-8", "surrogateescape") if _bom_encoding(src.head_bytes()) else src.head_bytes()
    lines = [ln for ln in head.split(b"\n")[:-1] if ln.strip()]  # complete lines only
    rest = head[head.find(b"\n") + 1:] if b"\n" in head else b""
    if not lines or not rest.strip():
        return False  # one line (or a first line longer than the head): one document
    for line in lines[:2]:
        try:
            if isinstance(orjson.loads(line), (dict, list)):
                return True
        except orjson.JSONDecodeError:
            continue
    return False


def _first_line_parses(src: Source) -> bool:
    import orjson

    with src.open() as f:
        first = f.readline()
        if not f.readline().strip():
            return False
    try:
        return isinstance(orjson.loads(first), (dict, list))
    except orjson.JSONDecodeError:
        return False


def _wrapped(obj: Any, wrappers: tuple) -> str | None:
    if isinstance(obj, dict):
        for w in wrappers:
            if w in obj:
                return w
    return None


def json_batches(src: LogSource, wrappers: tuple = (), size: int = CHUNK_ROWS) -> Iterator[tuple[list, list]]:
    """``(locators, records)`` from one JSON document or from JSON lines.

    A document is an array of records (``[i]``), an object holding them under one of
    ``wrappers`` (``Records[i]``), or a single record (``line 1``). In JSON lines each line
    is a record (``line N``) or a wrapper object (``line N Records[i]``).
    """
    if _is_json_lines(src):
        try:
            yield from _line_batches(src, wrappers, size)
            return
        except _Restart:
            pass
    try:
        doc = load_json(src)
    except RecordError:
        if not _first_line_parses(src):
            raise
        yield from _line_batches(src, wrappers, size)  # JSON lines whose first line outgrew the sniffed head
        return
    if isinstance(doc, dict):
        w = _wrapped(doc, wrappers)
        if w is None:
            yield ["line 1"], [doc]
            return
        doc = doc[w]
        if not isinstance(doc, list):
            raise src.error(w, f"expected a JSON array, found {type(doc).__name__}")
        prefix = w
    elif isinstance(doc, list):
        prefix = ""
    else:
        raise src.error("top level", f"expected a JSON object or array, found {type(doc).__name__}")
    for start in range(0, len(doc), size):
        stop = min(start + size, len(doc))
        yield locators(prefix, start, stop), doc[start:stop] if (start or stop < len(doc)) else doc


def _line_batches(src: LogSource, wrappers: tuple, size: int) -> Iterator[tuple[list, list]]:
    locs: list = []
    recs: list = []
    for loc, obj in iter_json_lines(src):
        w = _wrapped(obj, wrappers)
        if w is None:
            locs.append(loc)
            recs.append(obj)
        elif isinstance(obj[w], list):
            locs.extend(f"{loc} {w}[{i}]" for i in range(len(obj[w])))
            recs.extend(obj[w])
        else:
            locs.append(loc)
            recs.append(BadRecord(f"field {w!r} must be a JSON array, got {type(obj[w]).__name__}"))
        if len(recs) >= size:
            yield locs, recs
            locs, recs = [], []
    if recs:
        yield locs, recs


def csv_batches(src: LogSource, required: Iterable[str], size: int = CHUNK_ROWS) -> Iterator[tuple[list, list]]:
    """``("line N", row dict)`` batches of a CSV file with a header; ``line N`` is where the row starts."""
    reader = csv.DictReader(io.StringIO(src.text().lstrip("\ufeff"), newline=""))
    try:
        header = [h.strip().lower() for h in reader.fieldnames or []]
    except csv.Error as e:
        raise src.error("line 1", f"not valid CSV: {e}") from None
    missing = [r for r in required if r.lower() not in header]
    if missing:
        raise src.error("line 1", f"CSV header lacks {', '.join(repr(m) for m in missing)}")
    locs: list = []
    recs: list = []
    end = reader.line_num
    try:
        for rec in reader:
            loc, end = f"line {end + 1}", reader.line_num
            locs.append(loc)
            recs.append(BadRecord(f"row has {len(rec[None])} more field(s) than the header") if None in rec else rec)
            if len(recs) >= size:
                yield locs, recs
                locs, recs = [], []
    except csv.Error as e:
        raise src.error(f"line {reader.line_num}", f"not valid CSV: {e}") from None
    if recs:
        yield locs, recs


# --------------------------------------------------------------------------- small helpers


def get_text(rec: dict, *path: str, where: str = "") -> str | None:
    """``rec[path[0]][path[1]]...`` as text; missing objects on the way mean missing.

    Raises ``ValueError`` naming the dotted path when something on the way has the wrong type.
    """
    cur: Any = rec
    for i, key in enumerate(path):
        if cur is None:
            return None
        if not isinstance(cur, dict):
            raise ValueError(f"field {'.'.join(path[:i]) or 'record'!r}{where} must be an object, got {type(cur).__name__}")
        cur = cur.get(key)
    if cur is None or cur == "":
        return None
    if not isinstance(cur, str):
        raise ValueError(f"field {'.'.join(path)!r}{where} must be text, got {type(cur).__name__}")
    return cur


def get_obj(rec: dict, *path: str) -> dict:
    """The object at ``path`` (``{}`` when missing); ``ValueError`` when it is no object."""
    cur: Any = rec
    for i, key in enumerate(path):
        if not isinstance(cur, dict):
            raise ValueError(f"field {'.'.join(path[:i]) or 'record'!r} must be an object, got {type(cur).__name__}")
        cur = cur.get(key)
        if cur is None:
            return {}
    if not isinstance(cur, dict):
        raise ValueError(f"field {'.'.join(path)!r} must be an object, got {type(cur).__name__}")
    return cur


def ident(v: Any, name: str) -> str | None:
    """An id that logs write as a number or as text (Slack session ids, GitHub token ids)."""
    if v is None or v == "":
        return None
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        raise ValueError(f"field {name!r} must be text or an integer, got {type(v).__name__}")
    return str(v)


def epoch(v: Any, unit: str, name: str):
    """An epoch number (or its digits as text) to a UTC Timestamp; ISO text passes through."""
    import pandas as pd

    if isinstance(v, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", v):
        v = float(v) if "." in v else int(v)
    if isinstance(v, bool):
        raise ValueError(f"field {name!r} must be a time, got bool")
    if isinstance(v, (int, float)):
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError(f"field {name!r} is not a finite number")
        try:
            return pd.Timestamp(v, unit=unit, tz="UTC")
        except (ValueError, OverflowError):
            raise ValueError(f"field {name!r} is outside the years 1678-2261") from None
    if isinstance(v, str):
        return v
    if v is None:
        raise ValueError(f"missing required field {name!r}")
    raise ValueError(f"field {name!r} must be a time, got {type(v).__name__}")


_FAILURE_WORDS = re.compile(r"fail|denied|reject|invalid|error", re.I)


def failure_named(action: str | None) -> bool:
    """``user.failed_login``, ``two_factor_challenge_failure``: the action says it failed."""
    return bool(action) and bool(_FAILURE_WORDS.search(action))


# --------------------------------------------------------------------------- collecting rows


@dataclass
class _Buffer:
    """Rows of one format waiting to become a frame: text columns already in Arrow, per batch."""

    fmt: LogFormat
    parts: dict = field(default_factory=lambda: {k: [] for k in TEXT_KEYS + ("source_record", "time", "issued_expires")})
    files: list = field(default_factory=list)  # (path, rows) per batch
    n: int = 0


@dataclass
class Collector:
    """Reads log files into usage frames, buffering rows per format across files."""

    lenient: bool = False
    frames: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    ignored: list = field(default_factory=list)
    _buffers: dict = field(default_factory=dict)

    def read(self, fmt: LogFormat, src: LogSource) -> None:
        buf = self._buffers.get(fmt.name)
        if buf is None:
            buf = self._buffers[fmt.name] = _Buffer(fmt)
        for locs, recs in fmt.batches(src):
            if src.member:
                locs = [f"{src.member} {loc}" for loc in locs]
            cols, locs = self._convert(fmt, src, locs, recs)
            del recs
            self._add(buf, cols, locs, src.path)
            if buf.n >= CHUNK_ROWS:
                self.flush(buf)

    def finish(self) -> list:
        for buf in self._buffers.values():
            if buf.n:
                self.flush(buf)
        return self.frames

    # ---------------------------------------------------------------- records to columns

    def _convert(self, fmt: LogFormat, src: LogSource, locs: list, recs: list) -> tuple[dict, list]:
        if fmt.convert_batch is not None:
            try:
                return fmt.convert_batch(recs), locs
            except SHAPE_ERRORS:
                pass  # the record-by-record path below names the bad record
        rows, keep = [], []
        for loc, rec in zip(locs, recs):
            try:
                if isinstance(rec, BadRecord):
                    raise ValueError(rec.reason)
                out = fmt.convert(rec)
            except NotUsage as e:
                self.ignored.append({"file": src.path, "record": loc, "reason": str(e)})
                continue
            except LeakLabError:
                raise
            except SHAPE_ERRORS as e:
                reason = str(e) if isinstance(e, ValueError) else f"unexpected shape ({type(e).__name__})"
                self._bad(fmt, src.path, loc, reason)
                continue
            rows.extend(out)
            keep.extend([loc] * len(out))
        return {k: [r.get(k) for r in rows] for k in ROW_KEYS}, keep

    def _bad(self, fmt: LogFormat, path: str, loc: str, reason: str) -> None:
        if not self.lenient:
            raise RecordError(path, loc, f"{fmt.description}: {reason}")
        self.skipped.append({"file": path, "record": loc, "reason": reason})

    def _add(self, buf: _Buffer, cols: dict, locs: list, path: str) -> None:
        """One batch's columns into Arrow now, while its strings are hot in the cache; types checked."""
        import pyarrow as pa

        fmt = buf.fmt
        while True:
            n = len(locs)
            bad: dict[int, str] = {}
            arrays = {k: _text_array(cols.get(k) or [None] * n, k, fmt, bad) for k in TEXT_KEYS}
            if not bad:
                break
            for i in sorted(bad):
                self._bad(fmt, path, locs[i], bad[i])
            keep = [i for i in range(n) if i not in bad]
            cols = {k: [v[i] for i in keep] for k, v in cols.items() if v is not None}
            locs = [locs[i] for i in keep]
        for k, a in arrays.items():
            buf.parts[k].append(a)
        buf.parts["source_record"].append(pa.array(locs, type=pa.string()))
        for k in ("time", "issued_expires"):
            v = cols.get(k) or [None] * n
            try:
                buf.parts[k].append(pa.array(v, type=pa.string()))
            except (pa.ArrowException, TypeError, ValueError, OverflowError):
                buf.parts[k].append(v)  # Timestamps or odd values: parsed the slow way at the flush
        buf.files.append((path, n))
        buf.n += n

    # ---------------------------------------------------------------- columns to a frame

    def flush(self, buf: _Buffer) -> None:
        import numpy as np
        import pyarrow as pa

        fmt, parts, files, n = buf.fmt, buf.parts, buf.files, buf.n
        buf.parts, buf.files, buf.n = {k: [] for k in parts}, [], 0
        arrays = {k: _concat([a for a in parts[k] if len(a)]) for k in TEXT_KEYS + ("source_record",)}
        names = pa.array([p for p, _ in files], type=pa.string())
        counts = np.array([c for _, c in files], dtype=np.int64)
        index = pa.array(np.repeat(np.arange(len(files), dtype=np.int32), counts))
        arrays["source_file"] = pa.DictionaryArray.from_arrays(index, names).cast(pa.string())

        def where(i: int) -> tuple[str, str]:
            return arrays["source_file"][i].as_py(), arrays["source_record"][i].as_py()

        bad: dict[int, str] = {}
        times = _times(_joined(parts["time"]), "time", fmt, bad, required=True)
        notes: dict[int, str] = {}
        expires = _times(_joined(parts["issued_expires"]), "issued_expires", fmt, notes, required=False)
        if notes and not self.lenient:  # an unreadable expiry names its record
            i = min(notes)
            raise RecordError(*where(i), f"{fmt.description}: {notes[i]}")
        for i in sorted(notes):
            self.skipped.append(dict(zip(("file", "record"), where(i)), reason=f"{notes[i]}; issued_expires left empty"))
        if bad:
            for i in sorted(bad):
                self._bad(fmt, *where(i), bad[i])
            mask = np.ones(n, dtype=bool)
            mask[sorted(bad)] = False
            arrays = {k: a.filter(pa.array(mask)) for k, a in arrays.items()}
            times, expires, n = times[mask], expires[mask], int(mask.sum())
        self.frames.append(_frame(arrays, times, expires, fmt.provider, n))


def _concat(arrays: list):
    import pyarrow as pa

    if not arrays:
        return pa.array([], type=pa.string())
    return arrays[0] if len(arrays) == 1 else pa.concat_arrays(arrays)


def _joined(parts: list):
    """Arrow text as one array when every batch was text; else one Python list."""
    import pyarrow as pa

    if all(isinstance(p, pa.Array) for p in parts):
        return _concat([p for p in parts if len(p)]) if any(len(p) for p in parts) else pa.array([], type=pa.string())
    out: list = []
    for p in parts:
        out.extend(p.to_pylist() if isinstance(p, pa.Array) else p)
    return out


def _text_array(values: list, key: str, fmt: LogFormat, bad: dict):
    import pyarrow as pa

    try:
        return pa.array(values, type=pa.string())
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        pass  # a surrogate from undecodable input, or a value that is no text
    from ..schema import _printable

    out = []
    for i, v in enumerate(values):
        if v is None or type(v) is str:
            out.append(_printable(v) if v is not None and not v.isascii() else v)
        else:
            bad.setdefault(i, f"field {fmt.fields.get(key, key)!r} must be text, got {type(v).__name__}")
            out.append(None)
    return pa.array(out, type=pa.string())


_EXPIRY_FORMATS = ("%b %d, %Y %I:%M:%S %p", "%b %d, %Y, %I:%M:%S %p")


def _one_time(v: Any):
    """One time value the slow way: CloudTrail's ``Nov 29, 2018 4:31:59 AM`` (UTC) included."""
    import pandas as pd

    if isinstance(v, str) and v[:1].isalpha():
        from datetime import datetime, timezone

        for f in _EXPIRY_FORMATS:
            try:
                return pd.Timestamp(datetime.strptime(v.strip(), f).replace(tzinfo=timezone.utc))
            except ValueError:
                pass
    return parse_times([v], naive_utc=True)[0]


def _times(values: list, key: str, fmt: LogFormat, bad: dict, required: bool):
    """Column of times to ``datetime64[ns, UTC]``; bad values are noted in ``bad`` by row.

    ISO 8601 text (any offset) is parsed in one vectorized call; CloudTrail's
    ``Nov 29, 2018, 4:31:59 AM`` (UTC) in a second; epoch times that the readers turned into
    Timestamps pass through; only what is left goes value by value.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    dtype = "datetime64[ns, UTC]"
    n = len(values)
    try:
        arr = values if isinstance(values, pa.Array) else pa.array(values, type=pa.string())
        if arr.null_count == n:
            if not required:
                return pd.array([None] * n, dtype=dtype)
        elif not (required and arr.null_count):
            return pd.to_datetime(pd.Series(pd.arrays.ArrowStringArray(arr)), format="ISO8601", utc=True).astype(dtype).array
    except (pa.ArrowException, ValueError, TypeError, OverflowError):
        pass
    if isinstance(values, pa.Array):
        values = values.to_pylist()
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    strs = [v if v.__class__ is str else None for v in values]
    todo = [i for i, v in enumerate(values) if v is not None]
    for form in ("ISO8601",) + _EXPIRY_FORMATS:
        if not todo:
            break
        part = [strs[i] for i in todo]
        if not any(part):
            break
        got = _in_range(pd.to_datetime(pd.Series(part, dtype="object"), format=form, utc=True, errors="coerce"))
        ok = got.notna().to_numpy()
        idx = np.asarray(todo)[ok]
        out[idx] = got[ok].dt.tz_localize(None).to_numpy("datetime64[ns]")
        todo = [i for i, good in zip(todo, ok) if not good]
    name = fmt.fields.get(key, key)
    cache: dict = {}
    for i in todo:
        v = values[i]
        try:
            if isinstance(v, pd.Timestamp):
                if v.tzinfo is None:
                    raise ValueError("time has no time zone")
                t = v
            else:
                t = cache[v] if isinstance(v, str) and v in cache else _one_time(v)
                if isinstance(v, str):
                    cache[v] = t
            if t is None:
                raise ValueError("time is a placeholder")
            out[i] = t.tz_convert("UTC").tz_localize(None).as_unit("ns").to_datetime64()
        except (ValueError, TypeError, OverflowError) as e:
            bad.setdefault(i, f"field {name!r}: {_safe_reason(e)}")
    if required:
        for i, v in enumerate(values):
            if v is None:
                bad.setdefault(i, f"missing {name!r}")
    return pd.array(pd.Series(out).dt.tz_localize("UTC"))


def _in_range(s):
    """NaT for times a ``datetime64[ns]`` column cannot hold (they then go the slow way, and fail there)."""
    import pandas as pd

    lo, hi = pd.Timestamp("1678-01-01", tz="UTC"), pd.Timestamp("2261-12-31", tz="UTC")
    return s.where((s >= lo) & (s <= hi))


def _safe_reason(e: Exception) -> str:
    """leaklab's own time messages name no value; a library's may quote it, so it is replaced."""
    msg = str(e)
    if isinstance(e, ValueError) and msg.startswith(("time ", "a time must", "unrecognised time format")):
        return msg
    return "unrecognised time format"


def _frame(arrays: dict, times, expires, provider: str, n: int):
    import pandas as pd
    import pyarrow as pa

    from .. import schema

    data = {k: pd.arrays.ArrowStringArray(a) for k, a in arrays.items()}
    data["provider"] = pd.arrays.ArrowStringArray(pa.repeat(pa.scalar(provider, pa.string()), n))
    df = schema.build("usage", data, n)
    df["time"] = times
    df["issued_expires"] = expires
    return df
