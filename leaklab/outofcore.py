"""CloudTrail logs too large for memory: DuckDB reads the raw files and keeps only the rows
that matter. It reads CloudTrail *delivery files* (``{"Records": [...]}``, plain or
gzipped); for other shapes (Stratus arrays, Event history lines, CSV exports) use
:func:`leaklab.load_access_logs`.

:func:`cloudtrail_usage` runs one embedded DuckDB query (no server) over the delivery
files (``.json`` / ``.json.gz``, any directory depth) and returns, in the usage contract,
only the events of the credentials asked about, plus, recursively, of the credentials
those minted (AssumeRole, GetSessionToken...). The result is small, so the usual
:func:`leaklab.usage_in_windows` answers the question on it; passing a directory as
``usage`` to that function does exactly this.

    >>> import tempfile, leaklab
    >>> d = tempfile.mkdtemp()
    >>> _ = leaklab.demo.build(d)
    >>> ev = leaklab.load_timeline(f"{d}/timeline.csv")
    >>> w = leaklab.exposure_windows(ev, as_of="2023-07-01T00:00:00Z")
    >>> uses = leaklab.usage_in_windows(w, f"{d}/logs")  # through DuckDB
    >>> int(uses["suspicious"].sum())
    5
"""

from __future__ import annotations

import os
from pathlib import Path

from . import schema
from .errors import LeakLabError

_QUERY = """
WITH files AS (
    SELECT filename, from_json(json->'Records', '["JSON"]') AS recs
    FROM read_json_objects($glob, format='auto', filename=true, ignore_errors=false)
),
events AS (
    SELECT filename, unnest(range(len(recs))) AS i, unnest(recs) AS r FROM files
)
SELECT
    r->>'eventTime' AS time,
    r->'userIdentity'->>'accessKeyId' AS credential_id,
    r->'userIdentity'->>'arn' AS principal,
    r->>'recipientAccountId' AS account,
    (r->>'eventSource') || ':' || (r->>'eventName') AS action,
    r->'requestParameters'->>'bucketName' AS resource,
    r->>'sourceIPAddress' AS source_ip,
    r->>'userAgent' AS user_agent,
    r->>'errorCode' AS error,
    r->>'eventID' AS event_id,
    r->'responseElements'->>'ConsoleLogin' AS console_login,
    coalesce(r->'responseElements'->'credentials'->>'accessKeyId',
             r->'responseElements'->'accessKey'->>'accessKeyId') AS issued_credential,
    r->'responseElements'->'credentials'->>'expiration' AS issued_expires,
    filename AS source_file,
    'Records[' || CAST(i AS VARCHAR) || ']' AS source_record
FROM events
WHERE r->'userIdentity'->>'accessKeyId' IN (SELECT key FROM wanted)
"""


def cloudtrail_usage(paths, credentials) -> object:
    """Events of ``credentials`` (and of what they minted) from CloudTrail files, via DuckDB."""
    import duckdb
    import pandas as pd

    glob = _glob(paths)
    con = duckdb.connect()
    keys: set = {c for c in credentials if isinstance(c, str)}
    todo, frames = set(keys), []
    while todo:
        con.register("wanted", pd.DataFrame({"key": sorted(todo)}))
        try:
            df = con.execute(_QUERY, {"glob": glob}).df()
        except duckdb.Error as e:
            raise LeakLabError(os.fspath(paths), reason=f"DuckDB could not read the CloudTrail files: {str(e).splitlines()[0]}") from None
        con.unregister("wanted")
        frames.append(df)
        minted = set(df["issued_credential"].dropna()) - keys
        keys |= minted
        todo = minted
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return _to_usage(df)


def _glob(paths) -> str:
    p = Path(os.fspath(paths))
    if p.is_dir():
        return str(p / "**" / "*.json*")
    if p.exists() or any(ch in str(p) for ch in "*?["):
        return str(p)
    raise LeakLabError(str(p), reason="no such file, directory or glob match")


def _to_usage(df):
    import pandas as pd

    from .logs._base import _one_time

    n = len(df)
    # DuckDB hands NULL text to pandas as None or NaN; make every missing value None.
    col = lambda k: [v if isinstance(v, str) else None for v in df[k].tolist()] if n else []  # noqa: E731
    cred = col("credential_id")
    times = pd.to_datetime(pd.Series(col("time"), dtype="object"), format="ISO8601", utc=True, errors="coerce")
    if times.isna().any():  # name the record; never quote the value
        i = int(times.isna().to_numpy().nonzero()[0][0])
        raise LeakLabError(col("source_file")[i], col("source_record")[i], "eventTime missing or not an ISO 8601 time")
    ids = pd.Series(col("event_id"), dtype="object")
    data = {
        "time": times,
        "provider": ["aws"] * n,
        "credential_id": cred,
        "credential_kind": [None if c is None else ("session" if c.startswith("ASIA") else "access-key") for c in cred],
        "principal": col("principal"), "account": col("account"), "action": col("action"),
        "resource": col("resource"), "source_ip": col("source_ip"), "user_agent": col("user_agent"),
        "outcome": ["failure" if (e or c == "Failure") else "success" for e, c in zip(col("error"), col("console_login"))],
        "error": col("error"), "event_id": col("event_id"),
        "duplicate": (ids.duplicated() & ids.notna()).tolist(),  # events without an id are never duplicates
        "issued_credential": col("issued_credential"),
        "issued_expires": [None if v is None else _one_time(v) for v in col("issued_expires")],
        "source_file": col("source_file"), "source_record": col("source_record"),
    }
    out = schema.build("usage", data, n)
    return out.sort_values(["time", "source_file", "source_record"], kind="stable", ignore_index=True)
