"""Shared machinery for the readers: decoding, record iteration, times, paths, frames.

A reader is a :class:`Format`: ``sniff`` looks at the head of a file, ``records`` yields
``(locator, record)`` pairs and ``convert`` turns one record into finding rows (plain
dicts keyed by findings columns, plus ``secret`` for the raw value). Everything the
readers share (hashing, redaction, type taxonomy, time parsing, path cleaning, dtypes,
error wrapping) happens once, here, in :class:`Collector`.
"""

from __future__ import annotations

import codecs
import gc
import json
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator

from .. import fingerprint, schema, taxonomy
from ..errors import LeakLabError, LeakLabWarning, RecordError

CHUNK_ROWS = 65_536
READ_BYTES = 32 << 20
HEAD_BYTES = 64 << 10


# --------------------------------------------------------------------------- sources


class Source:
    """One input file: its name for messages, its bytes and its decoded head."""

    def __init__(self, path: str, data: bytes | None = None):
        self.path = str(path)
        self._data = data
        self._head: str | None = None

    def open(self):
        import io

        return io.BytesIO(self._data) if self._data is not None else open(self.path, "rb")

    def head_bytes(self) -> bytes:
        if self._data is not None:
            return self._data[:HEAD_BYTES]
        with open(self.path, "rb") as f:
            return f.read(HEAD_BYTES)

    def head(self) -> str:
        """The first 64 KiB as text, for sniffing."""
        if self._head is None:
            raw = self.head_bytes()
            enc = _bom_encoding(raw)
            if enc == "utf-16":
                raw = raw[: len(raw) // 2 * 2]
            self._head = raw.decode(enc or "utf-8", "replace").lstrip("\ufeff")
        return self._head

    def read_bytes(self) -> bytes:
        if self._data is not None:
            return self._data
        with open(self.path, "rb") as f:
            return f.read()

    def text(self) -> str:
        """The whole file as text: BOMs honoured, UTF-16 transcoded, bad UTF-8 kept as surrogates."""
        raw = self.read_bytes()
        enc = _bom_encoding(raw)
        if enc == "utf-16":
            return raw.decode("utf-16")
        if enc == "utf-8-sig":
            raw = raw[3:]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("utf-8", "surrogateescape")

    def error(self, record: object, reason: str) -> RecordError:
        return RecordError(self.path, record, reason)


def _bom_encoding(raw: bytes) -> str | None:
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


# --------------------------------------------------------------------------- JSON


def _loads(data: bytes | str):
    import orjson

    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        if isinstance(data, str):
            # orjson refuses lone surrogates (undecodable bytes); the stdlib accepts them.
            return json.loads(data)
        raise


def load_json(src: Source) -> Any:
    """Parse a whole file as one JSON document, with the error naming line and column."""
    raw = src.read_bytes()
    data: bytes | str = src.text() if _bom_encoding(raw) else raw
    try:
        try:
            return _loads(data)
        except json.JSONDecodeError as e:
            if isinstance(data, str) or "utf-8" not in str(e).lower():
                raise
            return _loads(src.text())  # undecodable bytes: keep them as surrogates
    except json.JSONDecodeError as e:  # orjson's error is a subclass
        raise src.error(f"line {e.lineno} column {e.colno}", f"not valid JSON: {e.msg}") from None


class _Restart(Exception):
    """The streaming fast path met a layout it cannot split; read the file whole."""


def iter_json_array(src: Source, doc: Any = None) -> Iterator[tuple[str, Any]]:
    """Yield ``("[i]", element)`` for a top-level JSON array, streaming when possible.

    Pretty-printed arrays (Go's MarshalIndent, Python's ``indent=``) are split on the
    closing brace at the elements' own indent; a raw newline cannot occur inside a JSON
    string, so that split is exact. Anything else is parsed whole.
    """
    if doc is None:
        head = src.head_bytes()
        m = re.match(rb"\s*\[\s*?\n([ \t]*)\{", head)
        if m and not _bom_encoding(head):
            yield from _stream_array(src, b"\n" + m.group(1) + b"}")
            return
        doc = load_json(src)
    if not isinstance(doc, list):
        raise src.error("top level", f"expected a JSON array, found {type(doc).__name__}")
    for i, obj in enumerate(doc):
        yield f"[{i}]", obj


def _stream_array(src: Source, boundary: bytes) -> Iterator[tuple[str, Any]]:
    import orjson

    index = 0
    buf = b""
    first = True
    with src.open() as f:
        while True:
            block = f.read(READ_BYTES)
            buf += block
            if block:
                cut = buf.rfind(boundary)
                if cut < 0:
                    if first and len(buf) > READ_BYTES:
                        raise _Restart  # the layout guess found no element end: parse whole
                    continue
                cut += len(boundary)
                batch, buf = buf[:cut], buf[cut:]
            else:
                batch, buf = buf, b""
            batch = batch.strip()
            if first:
                batch = batch[1:] if batch.startswith(b"[") else batch
                first = False
            batch = batch.lstrip(b", \t\r\n")
            if not block:
                batch = batch.rstrip()
                if not batch.endswith(b"]"):
                    raise _Restart
                batch = batch[:-1]
            if batch.strip():
                try:
                    items = orjson.loads(b"[" + batch + b"]")
                except orjson.JSONDecodeError:
                    raise _Restart from None
                for obj in items:
                    yield f"[{index}]", obj
                    index += 1
            if not block:
                return


def iter_json_lines(src: Source, keep: Callable[[Any], bool] | None = None) -> Iterator[tuple[str, Any]]:
    """Yield ``("line N", obj)`` for JSON lines; blank lines are skipped.

    ``keep`` filters out lines that are valid JSON but not records (TruffleHog's JSON
    logs captured with ``2>&1``). A file that is one pretty-printed document (some
    Nosey Parker "jsonl") falls back to a whole-file parse.
    """
    import orjson

    with src.open() as f:
        first = f.read(4)
        f.seek(0)
        if _bom_encoding(first):
            # split on "\n" only: str.splitlines would also break at U+2028 inside a string
            lines: Iterable = src.text().split("\n")
        else:
            lines = f
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                if n == 1 and line.strip() in ("{", "[", b"{", b"["):
                    raise _Restart from None
                try:
                    obj = json.loads(line.decode("utf-8", "surrogateescape") if isinstance(line, bytes) else line)
                except json.JSONDecodeError:
                    yield f"line {n}", BadRecord(f"not valid JSON: {e.msg}")
                    continue
            if keep is not None and not keep(obj):
                continue
            yield f"line {n}", obj


def iter_whole(src: Source, doc: Any) -> Iterator[tuple[str, Any]]:
    """Records of a file that was one JSON document: an array, or a single object."""
    if isinstance(doc, list):
        for i, obj in enumerate(doc):
            yield f"[{i}]", obj
    else:
        yield "[0]", doc


@dataclass
class BadRecord:
    reason: str


# --------------------------------------------------------------------------- field access


def want(rec: Any, key: str, kind: type | tuple = str, default: Any = ..., where: str = "") -> Any:
    """``rec[key]``, checked: raises ``ValueError`` with what was expected.

    Missing keys return ``default`` when one is given; JSON ``null`` counts as missing.
    """
    if not isinstance(rec, dict):
        raise ValueError(f"expected a JSON object{where}, found {type(rec).__name__}")
    v = rec.get(key)
    if v is None:
        if default is ...:
            raise ValueError(f"missing required field {key!r}{where}")
        return default
    if kind is int and isinstance(v, str) and v.strip().lstrip("-").isdigit():
        return int(v)
    if not isinstance(v, kind) or (kind is int and isinstance(v, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        # The value itself stays out of the message: the field may hold a secret.
        raise ValueError(f"field {key!r}{where} must be {names}, got {type(v).__name__}")
    return v


def checked(values: list, kind: type) -> list:
    """``values`` if each is ``None`` or exactly ``kind``; else ``ValueError`` (batch fast paths)."""
    for v in values:
        if v is not None and type(v) is not kind:
            raise ValueError(f"expected {kind.__name__}, got {type(v).__name__}")
    return values


def blank(v: Any) -> Any:
    """Empty strings mean "not given" in every tool's output."""
    return None if v == "" else v


# --------------------------------------------------------------------------- times

_PLACEHOLDER_TIMES = {"", "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "0001-01-01 00:00:00 +0000 UTC"}

_FORMATS = (
    "%Y-%m-%d %H:%M:%S %z",  # TruffleHog >= 3.30, Go time.String() prefix
    "%a %b %d %H:%M:%S %Y %z",  # git default (ggshield)
    "%Y-%m-%dT%H:%M:%S%z",
)


_EARLIEST, _LATEST = 1678, 2261  # what datetime64[ns] can hold


def _in_range(ts, value: str):
    if ts is not None and not _EARLIEST <= ts.year <= _LATEST:
        raise ValueError(f"time is outside the years {_EARLIEST}-{_LATEST}")
    return ts


def parse_time(value: str, naive_utc: bool = False):
    """One tool timestamp to a UTC ``Timestamp``; ``None`` for placeholders.

    Raises ``ValueError`` for text that is no time, for a naive time with a clock
    unless ``naive_utc`` says the format is known to be UTC, and for years that a
    ``datetime64[ns]`` column cannot hold.

        >>> str(parse_time("2022-06-16 10:17:40 -0700 PDT"))
        '2022-06-16 17:17:40+00:00'
        >>> str(parse_time("1678401216 +0100"))
        '2023-03-09 22:33:36+00:00'
    """
    return _in_range(_parse_time(value, naive_utc), value)


@lru_cache(maxsize=65_536)
def _parse_time(value: str, naive_utc: bool = False):
    import pandas as pd

    s = value.strip()
    if s in _PLACEHOLDER_TIMES:
        return None
    m = re.fullmatch(r"(\d{9,11}) ([+-]\d{4})", s)  # Nosey Parker "<epoch> <offset>"
    if m:
        return pd.Timestamp(int(m.group(1)), unit="s", tz="UTC")
    from datetime import datetime

    for fmt in _FORMATS:
        try:
            return pd.Timestamp(datetime.strptime(s[:25] if fmt.startswith("%Y-%m-%d %H") else s, fmt)).tz_convert("UTC")
        except ValueError:
            pass
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):  # date only: a UTC day (Kingfisher)
        return pd.Timestamp(s, tz="UTC")
    try:
        ts = pd.Timestamp(s)
    except (ValueError, OverflowError):
        raise ValueError(f"unrecognised time format ({len(value)} characters)") from None
    if ts.tzinfo is None:
        if not naive_utc and (ts.hour or ts.minute or ts.second):
            raise ValueError("time has a clock but no time zone")
        return ts.tz_localize("UTC")
    if ts.year <= 1970 and s.startswith(("0001", "1970")):
        return None
    return ts.tz_convert("UTC")


_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def parse_times(values: list, naive_utc: bool = False) -> list:
    """Parse a column of timestamps, each distinct value once.

    RFC 3339 values (most tools) are parsed together in one vectorized call; the rest
    go through :func:`parse_time`.
    """
    import pandas as pd

    uniq = [v for v in dict.fromkeys(values) if v is not None]
    iso = [v for v in uniq if isinstance(v, str) and _RFC3339.fullmatch(v) and not v.startswith(("0001-", "1970-01-01T00:00:00"))]
    parsed: dict = {}
    if iso:
        parsed = dict(zip(iso, pd.to_datetime(iso, format="ISO8601", utc=True)))
        for v, t in parsed.items():
            _in_range(t, v)
    for v in uniq:
        if v in parsed:
            continue
        if isinstance(v, str):
            parsed[v] = parse_time(v, naive_utc)
        elif isinstance(v, pd.Timestamp) and v.tzinfo is not None:
            parsed[v] = v
        else:  # a number would silently read as nanoseconds since 1970
            raise ValueError(f"a time must be text, got {type(v).__name__}")
    return [None if v is None else parsed[v] for v in values]


# --------------------------------------------------------------------------- paths and repos


@lru_cache(maxsize=65_536)
def clean_path(path: str, windows: bool = False, strip_root: bool = False) -> str:
    """Repo-relative POSIX path: ``\\`` to ``/`` (for tools run on Windows), no ``./``."""
    if windows:
        path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    if strip_root:
        path = path.lstrip("/")
    return path


_URL_REPO = re.compile(r"^(?:https?|ssh|git)://(?:[^@/]*@)?([^/:@]+)(?::\d+)?/+([^?#]+?)(?:\.git)?/*$")
_SCP_REPO = re.compile(r"^[^@/\s:]+@([^/:]+):/?([^?#]+?)(?:\.git)?/*$")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^@/]*@")


@lru_cache(maxsize=4096)
def clean_repo(repo: str) -> str:
    """``host/owner/name`` for remote URLs; credentials in a URL are always dropped.

        >>> clean_repo("https://github.com/trufflesecurity/test_keys.git")
        'github.com/trufflesecurity/test_keys'
        >>> clean_repo("git@gitlab.com:group/proj.git")
        'gitlab.com/group/proj'
        >>> clean_repo("https://x-token:FAKE@github.com:443/o/r"), clean_repo("https://FAKE@github.com")
        ('github.com/o/r', 'https://github.com')
        >>> clean_repo("file:///home/u/repo"), clean_repo("./.git")
        ('/home/u/repo', './.git')
    """
    m = _URL_REPO.match(repo) or _SCP_REPO.match(repo)
    if m:
        return f"{m.group(1)}/{m.group(2)}"
    if repo.startswith("file://"):
        return repo[len("file://"):]
    return _USERINFO.sub(r"\1", repo)


# --------------------------------------------------------------------------- formats


@dataclass
class Format:
    """One supported input format."""

    name: str
    tool: str
    description: str
    sniff: Callable[[Source], bool]
    records: Callable[[Source], Iterator[tuple[str, Any]]]
    convert: Callable[[Any], Iterable[dict]]
    windows_paths: bool = False  # paths may use "\\" (tools run on Windows)
    strip_root: bool = False  # paths are repo-relative by design; a leading "/" is noise
    naive_utc: bool = False  # naive times in this format are documented as UTC
    fallback: Callable[[Source], Iterator[tuple[str, Any]]] | None = None
    # Optional fast path: a list of records to column lists (one row per record). Any
    # shape error sends the batch through ``convert`` record by record instead.
    convert_batch: Callable[[list], dict] | None = None


class Registry:
    """A package's formats, gathered from its modules' ``FORMATS`` on first use, in the order
    they are tried (specific shapes before general ones). Call it for the list."""

    def __init__(self, package: str, modules: tuple[str, ...], what: str = "format", kind: str = "scanner report"):
        self.package, self.modules, self.what, self.kind = package, modules, what, kind
        self.formats: list | None = None

    def __call__(self) -> list:
        if self.formats is None:
            from importlib import import_module

            self.formats = [f for m in self.modules for f in import_module(f"{self.package}.{m}").FORMATS]
        return self.formats

    def by_name(self, name: str):
        from ..errors import UnknownFormatError

        for f in self():
            if f.name == name:
                return f
        raise UnknownFormatError(reason=f"unknown {self.what} {name!r}; supported: {', '.join(f.name for f in self())}")

    def sniff(self, src):
        """The first format whose sniffer claims ``src``; ``None`` for empty output."""
        from ..errors import UnknownFormatError

        if re.fullmatch(r"\s*(\[\s*\])?\s*", src.head()):  # empty output: nothing, or an empty array
            return None
        for f in self():
            try:
                if f.sniff(src):
                    return f
            except Exception:  # a sniffer must never decide by crashing
                continue
        raise UnknownFormatError(src.path, getattr(src, "member", None),
                                 f"not a supported {self.kind}; supported formats: " + ", ".join(f.name for f in self()))


# --------------------------------------------------------------------------- collecting rows

_ROW_KEYS = tuple(schema.columns("findings")) + ("secret",)
_SHAPE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, UnicodeError)


@dataclass
class Collector:
    """Turns reader rows into findings frames, chunk by chunk, so memory stays flat."""

    fmt: Format
    src: Source
    lenient: bool = False
    reveal: bool = False
    chunks: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    def run(self) -> None:
        try:
            self._consume(self.fmt.records(self.src))
        except _Restart:
            self.chunks.clear()
            self.skipped.clear()
            self._consume((self.fmt.fallback or _whole)(self.src))
        if not self.chunks:
            self.chunks.append(self.frame({}, 0))

    def _consume(self, records: Iterable[tuple[str, Any]]) -> None:
        locs: list = []
        batch: list = []
        for loc, rec in records:
            locs.append(loc)
            batch.append(rec)
            if len(batch) >= CHUNK_ROWS:
                self._convert(locs, batch)
                locs, batch = [], []
        if batch:
            self._convert(locs, batch)

    def _convert(self, locs: list, batch: list) -> None:
        if self.fmt.convert_batch is not None:
            try:
                cols = self.fmt.convert_batch(batch)
            except _SHAPE_ERRORS:
                pass  # the record-by-record path below names the bad record
            else:
                cols["source_record"] = locs
                self.chunks.append(self.frame(cols, len(batch)))
                return
        rows = []
        for loc, rec in zip(locs, batch):
            try:
                if isinstance(rec, BadRecord):
                    raise ValueError(rec.reason)
                for row in self.fmt.convert(rec):
                    row["source_record"] = loc
                    rows.append(row)
            except LeakLabError:
                raise
            except _SHAPE_ERRORS as e:
                reason = str(e) if isinstance(e, ValueError) else f"unexpected shape ({type(e).__name__}: {e})"
                if not self.lenient:
                    raise self.src.error(loc, f"{self.fmt.description}: {reason}") from None
                self.skipped.append({"file": self.src.path, "record": loc, "reason": reason})
        self.chunks.append(self.frame({k: [r.get(k) for r in rows] for k in _ROW_KEYS}, len(rows)))

    def frame(self, cols: dict, n: int):
        """One chunk of column lists (reader keys plus ``secret``) to a findings frame."""
        fmt = self.fmt
        none = [None] * n
        col = lambda k: cols.get(k) or none  # noqa: E731
        cols = dict(cols)
        cols["tool"] = [t or fmt.tool for t in col("tool")]
        cols["source_file"] = [self.src.path] * n
        secrets = cols.pop("secret", None) or none
        s256, s1, prev = fingerprint.fingerprint_all(secrets)
        cols["secret_sha256"] = s256
        cols["secret_sha1"] = [a or b for a, b in zip(s1, col("secret_sha1"))]
        cols["redacted"] = [a or b for a, b in zip(prev, col("redacted"))]
        cols["secret_type"] = [
            st or taxonomy.normalize_type(rid, tst) for st, rid, tst in zip(col("secret_type"), col("rule_id"), col("tool_secret_type"))
        ]
        cols["file"] = [None if p is None else clean_path(p, fmt.windows_paths, fmt.strip_root) for p in col("file")]
        cols["repo"] = [None if r is None else clean_repo(r) for r in col("repo")]
        cols["commit"] = [None if (c is None or not c.strip("0")) else c for c in col("commit")]
        cols["commit_time"] = self._times(col("commit_time"), col("source_record"))
        cols["first_seen"] = self._times(col("first_seen"), col("source_record"))
        df = schema.build("findings", cols, n)
        if self.reveal:
            df["secret"] = [None if s is None else fingerprint.Secret(fingerprint.normalize(s)) for s in secrets]
        return df

    def _times(self, values: list, locs: list) -> list:
        try:
            return parse_times(values, self.fmt.naive_utc)
        except ValueError:
            pass
        out = []
        for v, loc in zip(values, locs):  # slow path only to name the bad record
            try:
                out.append(parse_times([v], self.fmt.naive_utc)[0])
            except ValueError as e:
                if not self.lenient:
                    raise self.src.error(loc, f"{self.fmt.description}: {e}") from None
                self.skipped.append({"file": self.src.path, "record": loc, "reason": f"{e}; commit_time left empty"})
                out.append(None)
        return out


def _whole(src: Source) -> Iterator[tuple[str, Any]]:
    return iter_whole(src, load_json(src))


# --------------------------------------------------------------------------- shared by every loader


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while reading or walking a graph.

    A report parses into millions of small acyclic dicts and strings (and blast_radius's walk
    into as many tuples); every few thousand allocations the collector would rescan them all
    (about 30% of a 1M-line load, half a 100,000-edge blast radius). Plain reference counting
    still frees everything; the previous state is restored on exit.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def warn_skipped(verb: str, skipped: list[dict], stacklevel: int = 2) -> None:
    """One LeakLabWarning for what a lenient load skipped: the count and the first three.

    ``stacklevel`` counts as if ``warnings.warn`` were called where this is (the loader).
    """
    if skipped:
        warnings.warn(
            f"{verb} skipped {len(skipped)} record(s) or file(s); see df.attrs['skipped']: "
            + "; ".join(f"{s['file']} {s['record'] or ''}: {s['reason']}" for s in skipped[:3]),
            LeakLabWarning,
            stacklevel=stacklevel + 1,
        )
