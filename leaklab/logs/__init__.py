"""Access logs in, one usage frame out: was a leaked credential used, from where, for what?

:func:`load_access_logs` takes a file, a directory, a glob or a list of them (gzip files,
tar and zip archives included), sniffs each file's format from its content and returns one
frame under the ``usage`` contract (:mod:`leaklab.schema`), one row per event:

    >>> import leaklab, tempfile, pathlib, json
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "trail.json"
    >>> _ = p.write_text(json.dumps({"Records": [{"eventTime": "2024-05-01T10:02:11Z",
    ...     "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "sourceIPAddress": "203.0.113.50",
    ...     "userIdentity": {"type": "IAMUser", "accessKeyId": "AKIALEAKLABFAKE00001",
    ...                      "arn": "arn:aws:iam::111122223333:user/ci"}}]}))
    >>> df = leaklab.load_access_logs(p)
    >>> row = df.iloc[0]
    >>> row["credential_id"], row["action"], row["source_ip"], row["source_record"]
    ('AKIALEAKLABFAKE00001', 's3.amazonaws.com:ListBuckets', '203.0.113.50', 'Records[0]')
    >>> row["time"]
    Timestamp('2024-05-01 10:02:11+0000', tz='UTC')

Supported: AWS CloudTrail (delivery files, Event history, Stratus Red Team logs, Athena and
CloudTrail Lake CSV), GitHub audit-log exports (JSON, NDJSON, CSV), GCP Cloud Audit Logs,
Azure Activity Log, Slack audit logs and the Okta System Log; see :func:`formats`.
"""

from __future__ import annotations

import itertools
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

from ..errors import LeakLabError, UnknownFormatError
from ..readers._common import Registry
from ._base import Collector, LogFormat, LogSource

# Modules whose FORMATS are tried in this order: specific shapes before general ones.
_MODULES = ("aws", "gcp", "azure", "okta", "slack", "github")

registry = Registry(__name__, _MODULES, what="access-log format", kind="access log")
_by_name = registry.by_name


def formats():
    """The supported access-log formats as a frame: name, provider, description."""
    import pandas as pd

    return pd.DataFrame([(f.name, f.provider, f.description) for f in registry()],
                        columns=["format", "provider", "description"])


def sniff(src: LogSource) -> LogFormat | None:
    """The format of one (decompressed) file judged from its content; ``None`` if it is empty."""
    return registry.sniff(src)


# --------------------------------------------------------------------------- files and archives

_GZIP = b"\x1f\x8b"
_ZIP = b"PK\x03\x04"


def _is_tar(head: bytes) -> bool:
    return len(head) >= 262 and head[257:262] == b"ustar"


def _gunzip(data: bytes, path: str, member: str | None) -> bytes:
    """Gzip content in one C call per member (``gzip.decompress`` parses headers in Python)."""
    import zlib

    out = []
    try:
        while data:
            d = zlib.decompressobj(31)
            out.append(d.decompress(data))
            if not d.eof:
                raise EOFError("truncated")
            data = d.unused_data
            if not data.strip(b"\x00"):  # trailing padding, as some writers leave
                break
    except (EOFError, zlib.error) as e:
        raise LeakLabError(path, member, f"not a readable gzip file ({type(e).__name__})") from None
    return out[0] if len(out) == 1 else b"".join(out)


def _prepare(path: str) -> list[LogSource] | None:
    """A plain or gzipped file as its source (gunzipped here, on a helper thread); ``None`` for archives."""
    with open(path, "rb") as f:
        head = f.read(512)
        if head.startswith(_ZIP) or _is_tar(head):
            return None
        if not head.startswith(_GZIP):
            return [LogSource(path)]
        data = head + f.read()
    import zlib

    try:
        inner = zlib.decompressobj(31).decompress(data[:4096], 512)
    except zlib.error:
        inner = b""
    if _is_tar(inner):
        return None
    return [LogSource(path, _gunzip(data, path, None))]


def sources(path: str) -> Iterator[LogSource]:
    """The log files in one input file: itself (gunzipped), or each member of a tar or zip archive."""
    prepared = _prepare(path)
    yield from prepared if prepared is not None else _archive_members(path)


def _archive_members(path: str) -> Iterator[LogSource]:
    with open(path, "rb") as f:
        zipped = f.read(4).startswith(_ZIP)
    yield from _zip_members(path) if zipped else _tar_members(path)


class _BadMember:
    """An archive member that could not be unpacked: reported, and the next one read."""

    def __init__(self, error: LeakLabError, name: str):
        self.error, self.member = error, name


def _member(path: str, name: str, data: bytes):
    if data.startswith(_GZIP):
        try:
            data = _gunzip(data, path, name)
        except LeakLabError as e:
            return _BadMember(e, name)
    return LogSource(path, data, member=name)


def _hidden(name: str) -> bool:
    return any(part.startswith(".") for part in name.split("/") if part not in ("", "."))


def _tar_members(path: str) -> Iterator[LogSource]:
    import tarfile
    import zlib

    try:
        with tarfile.open(path, "r:*") as tar:
            for m in tar:
                if m.isfile() and not _hidden(m.name):
                    f = tar.extractfile(m)
                    if f is not None:
                        yield _member(path, m.name, f.read())
    except LeakLabError:
        raise
    except (tarfile.TarError, EOFError, OSError, zlib.error, ValueError) as e:
        raise LeakLabError(path, None, f"not a readable tar archive ({type(e).__name__})") from None


def _zip_members(path: str) -> Iterator[LogSource]:
    import zipfile
    import zlib

    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if not info.is_dir() and not _hidden(info.filename):
                    yield _member(path, info.filename, z.read(info))
    except LeakLabError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError, zlib.error, ValueError) as e:
        raise LeakLabError(path, None, f"not a readable zip archive ({type(e).__name__})") from None


# --------------------------------------------------------------------------- the verb


def load_access_logs(path, format: str | None = None, lenient: bool = False):
    """Load access logs into one ``usage`` frame (see ``leaklab.describe("usage")``).

    Parameters
    ----------
    path
        A file, directory (read recursively; hidden files skipped), glob, or a list of them.
        Gzip files are read as their content; tar (also .tar.gz) and zip archives member by
        member, each member named in ``source_record`` (``member.json.gz Records[3]``).
    format
        Force a format name (see :func:`leaklab.logs.formats`) instead of sniffing each file.
    lenient
        Skip malformed records (and unreadable files) instead of raising; each skip is
        listed in ``df.attrs["skipped"]`` (file, record, reason) and counted in a warning.
        Files in a directory, glob or archive that are no supported log are always skipped
        and listed so.

    Returns
    -------
    DataFrame
        One row per event, grouped by format (in the order the formats are first met), then
        in the order read: files by path (CloudTrail names delivery files by delivery time),
        records as in the file. Events inside a delivery file are not in time order and late
        events land in later files: sort by ``time`` for a timeline.
        ``duplicate`` marks the 2nd and later copy of an ``event_id`` within a provider (the
        same delivery read twice); ``derived_from`` links a credential minted by an event
        in the same load (an ``issued_credential``) to the credential that minted it.
        ``df.attrs["ignored"]`` lists valid records that are no usage (GCP text logs).

    Raises
    ------
    LeakLabError
        A :class:`~leaklab.RecordError` naming the file and the record (``Records[12]``,
        ``line 7``), or :class:`~leaklab.UnknownFormatError`. Messages never quote values.
    """
    from ..readers import expand
    from ..readers._common import gc_paused, warn_skipped

    forced = _by_name(format) if format else None
    coll = Collector(lenient=lenient)
    with gc_paused(), ThreadPoolExecutor(1) as pool:
        # The next file is read and gunzipped (zlib lets go of the GIL) while this one is parsed.
        files = iter(expand(path))
        ahead: deque = deque()

        def submit() -> None:
            for file, listed in itertools.islice(files, 1):
                ahead.append((file, listed, pool.submit(_prepare, file)))

        submit()
        while ahead:
            file, listed, job = ahead.popleft()
            submit()
            try:
                prepared = job.result()
                for src in prepared if prepared is not None else _archive_members(file):
                    try:
                        if isinstance(src, _BadMember):
                            raise src.error
                        _read_one(coll, src, forced, listed or src.member is not None)
                    except LeakLabError as e:
                        # One bad member of an archive must not cost the members after it.
                        if not lenient or isinstance(e, UnknownFormatError) or src.member is None:
                            raise
                        coll.skipped.append({"file": e.file or file, "record": e.record, "reason": e.reason})
            except LeakLabError as e:
                if not lenient or isinstance(e, UnknownFormatError):
                    raise
                coll.skipped.append({"file": e.file or file, "record": e.record, "reason": e.reason})
        frames = coll.finish()
        df = _finish(frames)
    df.attrs["skipped"] = coll.skipped
    df.attrs["ignored"] = coll.ignored
    warn_skipped("leaklab.load_access_logs", coll.skipped, stacklevel=2)
    return df


def _read_one(coll: Collector, src: LogSource, forced: LogFormat | None, listed: bool) -> None:
    try:
        fmt = forced or sniff(src)
    except UnknownFormatError as e:
        if not listed:
            raise
        coll.skipped.append({"file": src.path, "record": src.member, "reason": e.reason})
        return
    if fmt is None:
        return
    try:
        coll.read(fmt, src)
    except LeakLabError as e:
        if not coll.lenient:
            raise
        # A file that cannot be read at all (truncated JSON): skip it whole, say so.
        coll.skipped.append({"file": e.file or src.path, "record": e.record or src.member, "reason": e.reason})


def _finish(frames: list):
    """One frame: concatenated, duplicates marked, derived credentials linked."""
    import pandas as pd

    from .. import schema

    frames = [f for f in frames if len(f)]
    if not frames:
        return schema.empty("usage")
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    has_id = df["event_id"].notna().to_numpy()
    dup = df[["provider", "event_id"]].duplicated().to_numpy() & has_id
    df["duplicate"] = pd.array(dup, dtype="boolean")
    minted = df[df["issued_credential"].notna()]
    if len(minted):
        parent = minted["credential_id"].fillna(minted["principal"])
        link = dict(zip(minted["issued_credential"][::-1], parent[::-1]))  # the earliest minting event wins
        derived = df["credential_id"].map(link).astype("string")
        derived[derived.eq(df["credential_id"]).fillna(False).to_numpy(bool)] = None  # no self-links
        df["derived_from"] = derived
    return df
