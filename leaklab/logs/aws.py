"""AWS CloudTrail, in the shapes analysts hold (shared reference incidents-logs-blast-radius §2.1).

Shapes read:

* ``aws-cloudtrail``: delivery files ``{"Records": [...]}`` (gzipped or not, alone, in
  directories or in tar/zip archives), JSON arrays of records (Stratus Red Team detonation
  logs) and JSON lines of records.
* ``aws-lookup-events``: Event history / ``lookup-events`` output, one event per line or
  ``{"Events": [...]}``; ``CloudTrailEvent`` is the full record as a JSON *string*. The
  outer ``EventTime`` (which the CLI prints with a local offset) gives the time.
* ``aws-cloudtrail-csv``: CSV downloads of Athena queries over the trail table (lower-case
  columns; ``useridentity`` and ``resources`` as Athena struct text ``{type=IAMUser, ...}``
  or JSON) and CloudTrail Lake results (the columns the ``SELECT`` named). Flat columns such
  as ``useridentity.accesskeyid`` or ``accesskeyid`` are read too.
* ``aws-cloudtrail-digest``: digest files hold no events; they are read as empty.

Rows: ``action`` is ``eventSource:eventName``; ``principal`` the caller's ARN (the calling
service for AWS services, the account for anonymous calls); ``outcome`` failure when there
is an ``errorCode`` (or a ConsoleLogin ``Failure``), else success. Events that mint a credential
(responses with ``credentials.accessKeyId`` such as AssumeRole*, GetSessionToken,
GetFederationToken, Cognito GetCredentialsForIdentity, or ``accessKey.accessKeyId`` from
CreateAccessKey) give ``issued_credential`` and ``issued_expires``. Nothing else of
``responseElements`` is read: session tokens and secret keys never reach the frame.
"""

from __future__ import annotations

import re
from typing import Any

from ._base import LogFormat, LogSource, csv_batches, get_obj, get_text, json_batches

_EMPTY: dict = {}
_KIND = {"AKIA": "access-key", "ASIA": "session"}
# requestParameters that name what a call acted on, when ``resources`` is absent
_REQUEST_TARGETS = ("accessKeyId", "roleArn", "secretId", "functionName", "userName", "roleName", "bucketName", "name")
_TARGET_SET = frozenset(_REQUEST_TARGETS)

FIELDS = {
    "time": "eventTime", "credential_id": "userIdentity.accessKeyId", "principal": "userIdentity.arn",
    "account": "recipientAccountId", "action": "eventSource/eventName", "resource": "resources[].ARN",
    "source_ip": "sourceIPAddress", "user_agent": "userAgent", "error": "errorCode", "event_id": "eventID",
    "issued_credential": "responseElements.credentials.accessKeyId",
    "issued_expires": "responseElements.credentials.expiration",
}


# --------------------------------------------------------------------------- records to rows


def _request_target(rp: Any) -> str | None:
    if rp.__class__ is dict and not _TARGET_SET.isdisjoint(rp):
        for k in _REQUEST_TARGETS:
            v = rp.get(k)
            if v.__class__ is str and v:
                return v
    return None


def records_batch(recs: list) -> dict:
    """CloudTrail records to usage columns, column by column (the fast path).

    Raises on any shape it cannot take (the caller then goes record by record); value types
    are checked when the columns become a frame.
    """
    ui = [r.get("userIdentity") or _EMPTY for r in recs]
    times = [r.get("eventTime") for r in recs]
    if None in times:
        raise ValueError("missing eventTime")
    key = [u.get("accessKeyId") or None for u in ui]
    issued: list = [None] * len(recs)
    expires: list = [None] * len(recs)
    errors = [r.get("errorCode") or None for r in recs]
    for i, r in enumerate(recs):
        resp = r.get("responseElements")
        if resp.__class__ is dict:
            if "credentials" in resp or "accessKey" in resp:
                c = resp.get("credentials") or resp.get("accessKey")
                if c.__class__ is dict:
                    issued[i] = c.get("accessKeyId") or None
                    expires[i] = c.get("expiration") or None
            elif resp.get("ConsoleLogin") == "Failure" and errors[i] is None:  # failed sign-ins carry no errorCode
                errors[i] = r.get("errorMessage") or "ConsoleLogin Failure"
    return {
        "time": times,
        "credential_id": key,
        "credential_kind": [
            None if k is None else _KIND.get(k[:4]) or ("session" if u.get("sessionContext") else "access-key")
            for k, u in zip(key, ui)
        ],
        "principal": [
            u.get("arn") or u.get("invokedBy") or u.get("userName") or u.get("principalId") or u.get("accountId") or None
            for u in ui
        ],
        "account": [r.get("recipientAccountId") or u.get("accountId") or None for r, u in zip(recs, ui)],
        "action": [r["eventSource"] + ":" + r["eventName"] for r in recs],
        "resource": [
            (", ".join([a for x in res if (a := x.get("ARN") or x.get("arn"))]) or None)
            if (res := r.get("resources")) else _request_target(r.get("requestParameters"))
            for r in recs
        ],
        "source_ip": [r.get("sourceIPAddress") or None for r in recs],
        "user_agent": [r.get("userAgent") or None for r in recs],
        "outcome": ["failure" if e else "success" for e in errors],
        "error": errors,
        "event_id": [r.get("eventID") or None for r in recs],
        "issued_credential": issued,
        "issued_expires": expires,
    }


def _check(rec: Any) -> None:
    """Name the field that makes a record unreadable (the batch path only says "something")."""
    if not isinstance(rec, dict):
        raise ValueError(f"expected a JSON object, found {type(rec).__name__}")
    if rec.get("eventTime") is None:  # its type is checked with the column (text, or epoch from LookupEvents)
        raise ValueError("missing required field 'eventTime'")
    for k in ("eventSource", "eventName"):
        if rec.get(k) is None:
            raise ValueError(f"missing required field {k!r}")
        if not isinstance(rec[k], str):
            raise ValueError(f"field {k!r} must be text, got {type(rec[k]).__name__}")
    for k in ("sourceIPAddress", "userAgent", "errorCode", "errorMessage", "eventID", "recipientAccountId"):
        get_text(rec, k)
    ui = get_obj(rec, "userIdentity")
    for k in ("accessKeyId", "arn", "invokedBy", "userName", "principalId", "accountId"):
        get_text(ui, k, where=" in 'userIdentity'")
    res = rec.get("resources")
    if res is not None:
        if not isinstance(res, list):
            raise ValueError(f"field 'resources' must be an array, got {type(res).__name__}")
        for i, x in enumerate(res):
            if not isinstance(x, dict):
                raise ValueError(f"field 'resources[{i}]' must be an object, got {type(x).__name__}")
            get_text(x, "ARN", where=f" in 'resources[{i}]'")
            get_text(x, "arn", where=f" in 'resources[{i}]'")
    resp = rec.get("responseElements")
    if isinstance(resp, dict):
        for k in ("credentials", "accessKey"):
            c = resp.get(k)
            if isinstance(c, dict):
                get_text(c, "accessKeyId", where=f" in 'responseElements.{k}'")
                get_text(c, "expiration", where=f" in 'responseElements.{k}'")


def record(rec: Any) -> list[dict]:
    """One CloudTrail record to one row: checked field by field, then the batch code."""
    _check(rec)
    return [{k: v[0] for k, v in records_batch([rec]).items()}]


# --------------------------------------------------------------------------- LookupEvents


def _from_lookup(ev: Any) -> dict:
    """An Event history entry as a CloudTrail record: the inner record, gaps filled from outside."""
    import orjson

    if not isinstance(ev, dict):
        raise ValueError(f"expected a JSON object, found {type(ev).__name__}")
    inner = ev.get("CloudTrailEvent")
    if isinstance(inner, str):
        try:
            inner = orjson.loads(inner)
        except orjson.JSONDecodeError:
            raise ValueError("field 'CloudTrailEvent' is not valid JSON") from None
    if inner is None:
        inner = {}
    if not isinstance(inner, dict):
        raise ValueError(f"field 'CloudTrailEvent' must hold a JSON object, got {type(inner).__name__}")
    rec = dict(inner)
    t = ev.get("EventTime")
    if isinstance(t, (int, float)) and not isinstance(t, bool):  # the raw API's epoch seconds
        from ._base import epoch

        t = epoch(t, "s", "EventTime")
    if t is not None:
        rec["eventTime"] = t
    for outer, key in (("EventName", "eventName"), ("EventSource", "eventSource"), ("EventId", "eventID")):
        if rec.get(key) is None and ev.get(outer) is not None:
            rec[key] = ev[outer]
    ui = rec.get("userIdentity")
    if ev.get("AccessKeyId") or ev.get("Username"):
        ui = dict(ui) if isinstance(ui, dict) else ({} if ui is None else ui)
        if isinstance(ui, dict):
            if not ui.get("accessKeyId") and ev.get("AccessKeyId"):
                ui["accessKeyId"] = ev["AccessKeyId"]
            if not ui.get("userName") and ev.get("Username"):
                ui["userName"] = ev["Username"]
        rec["userIdentity"] = ui
    if not rec.get("resources") and isinstance(ev.get("Resources"), list) and ev["Resources"]:
        rec["resources"] = [{"ARN": x.get("ResourceName")} if isinstance(x, dict) else x for x in ev["Resources"]]
    return rec


def _lookup_record(ev: Any) -> list[dict]:
    return record(_from_lookup(ev))


def _lookup_batch(evs: list) -> dict:
    return records_batch([_from_lookup(e) for e in evs])


# --------------------------------------------------------------------------- Athena / Lake CSV

_STRUCT_KEY = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_.]*)=")
_MAP_END = re.compile(r", (?=[A-Za-z_][A-Za-z0-9_.]*=)|\}")
_ARR_END = re.compile(r", |\]")


def parse_struct(s: str) -> Any:
    """Athena's text for a struct or array, ``{type=IAMUser, arn=arn:aws:...}``, as dicts and lists.

    ``null`` becomes ``None``. Text in JSON is parsed as JSON.

        >>> parse_struct("{type=IAMUser, sessioncontext={attributes={mfaauthenticated=false}}, invokedby=null}")
        {'type': 'IAMUser', 'sessioncontext': {'attributes': {'mfaauthenticated': 'false'}}, 'invokedby': None}
        >>> parse_struct("[{arn=arn:aws:s3:::b, type=AWS::S3::Bucket}]")
        [{'arn': 'arn:aws:s3:::b', 'type': 'AWS::S3::Bucket'}]
    """
    import orjson

    t = s.strip()
    if t.startswith(('{"', "[{\"", "[]", "{}")) or t.startswith('["'):
        try:
            return orjson.loads(t)
        except orjson.JSONDecodeError:
            raise ValueError("not valid JSON") from None
    value, end = _struct_value(t, 0, "")
    if t[end:].strip():
        raise ValueError("not an Athena struct")
    return value


def _struct_value(s: str, i: int, closer: str) -> tuple[Any, int]:
    if s.startswith("{", i):
        out: dict = {}
        i += 1
        if s.startswith("}", i):
            return out, i + 1
        while True:
            m = _STRUCT_KEY.match(s, i)
            if not m:
                raise ValueError("not an Athena struct")
            out[m.group(1)], i = _struct_value(s, m.end(), "}")
            if s.startswith(", ", i):
                i += 2
            elif s.startswith("}", i):
                return out, i + 1
            else:
                raise ValueError("not an Athena struct")
    if s.startswith("[", i):
        items: list = []
        i += 1
        if s.startswith("]", i):
            return items, i + 1
        while True:
            v, i = _struct_value(s, i, "]")
            items.append(v)
            if s.startswith(", ", i):
                i += 2
            elif s.startswith("]", i):
                return items, i + 1
            else:
                raise ValueError("not an Athena struct")
    if not closer:
        return (None if s[i:].strip() == "null" else s[i:]), len(s)
    m = (_MAP_END if closer == "}" else _ARR_END).search(s, i)
    if not m:
        raise ValueError("not an Athena struct")
    v = s[i:m.start()]
    return (None if v == "null" else v), m.start()


_UI_KEYS = {"accesskeyid": "accessKeyId", "arn": "arn", "principalid": "principalId", "accountid": "accountId",
            "invokedby": "invokedBy", "username": "userName", "type": "type", "sessioncontext": "sessionContext"}
_CSV_COLUMNS = {"eventtime": "eventTime", "eventsource": "eventSource", "eventname": "eventName",
                "sourceipaddress": "sourceIPAddress", "useragent": "userAgent", "errorcode": "errorCode",
                "eventid": "eventID", "recipientaccountid": "recipientAccountId"}


def _lower_keys(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k).lower(): _lower_keys(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_lower_keys(x) for x in v]
    return v


def _from_csv(row: Any) -> dict:
    """An Athena / CloudTrail Lake CSV row as a CloudTrail record."""
    import orjson

    if not isinstance(row, dict):
        raise ValueError(f"expected a CSV row, found {type(row).__name__}")
    low = {str(k).strip().lower(): (v if v not in ("", "null") else None) for k, v in row.items()}
    rec: dict = {camel: low.get(col) for col, camel in _CSV_COLUMNS.items()}
    ui: dict = {}
    raw = low.get("useridentity")
    if raw is not None:
        try:
            parsed = parse_struct(raw)
        except ValueError as e:
            raise ValueError(f"field 'useridentity': {e}") from None
        if not isinstance(parsed, dict):
            raise ValueError(f"field 'useridentity' must be an object, got {type(parsed).__name__}")
        ui = {_UI_KEYS[k]: v for k, v in _lower_keys(parsed).items() if k in _UI_KEYS}
    for k, camel in _UI_KEYS.items():  # flat columns: "useridentity.accesskeyid", or an alias "accesskeyid"
        v = low.get(f"useridentity.{k}") or (low.get(k) if k not in ("type", "arn") else None)
        if v is not None:
            ui[camel] = v
    rec["userIdentity"] = ui
    raw = low.get("resources")
    if raw is not None:
        try:
            res = _lower_keys(parse_struct(raw))
        except ValueError as e:
            raise ValueError(f"field 'resources': {e}") from None
        rec["resources"] = res
    for col, camel in (("requestparameters", "requestParameters"), ("responseelements", "responseElements")):
        raw = low.get(col)
        # responseelements is parsed only to find a minted key id; nothing else of it is kept
        if raw is not None and (col == "requestparameters" or "ccessKeyId" in raw):
            try:
                rec[camel] = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise ValueError(f"field {col!r} is not valid JSON") from None
    return rec


def _csv_record(row: Any) -> list[dict]:
    return record(_from_csv(row))


def _csv_batch(rows: list) -> dict:
    return records_batch([_from_csv(r) for r in rows])


# --------------------------------------------------------------------------- sniffing

_CSV_NEED = ("eventtime", "eventsource", "eventname")


def _sniff_records(src) -> bool:
    head = src.head()
    if re.match(r'\s*\{\s*"Records"\s*:', head):
        return True
    return all(f'"{k}"' in head for k in ("eventSource", "eventName", "eventTime"))


def _sniff_lookup(src) -> bool:
    head = src.head()
    return bool(re.match(r'\s*\{\s*"Events"\s*:', head)) or ('"CloudTrailEvent"' in head and '"EventId"' in head)


def _sniff_csv(src) -> bool:
    first = src.head().lstrip("\ufeff").split("\n", 1)[0].lower()
    cols = {c.strip().strip('"').strip() for c in first.split(",")}
    return all(k in cols for k in _CSV_NEED)


def _sniff_digest(src) -> bool:
    head = src.head()
    return '"digestStartTime"' in head and '"logFiles"' in head


def _records(src: LogSource):
    return json_batches(src, ("Records",))


def _lookup(src: LogSource):
    return json_batches(src, ("Events",))


def _csv(src: LogSource):
    return csv_batches(src, _CSV_NEED)


def _nothing(src: LogSource):
    return iter(())


FORMATS = [
    LogFormat("aws-cloudtrail-digest", "aws", "CloudTrail digest file (integrity data, no events)", _sniff_digest,
              _nothing, lambda rec: []),
    LogFormat("aws-lookup-events", "aws", "CloudTrail Event history (LookupEvents)", _sniff_lookup, _lookup,
              _lookup_record, _lookup_batch, fields=dict(FIELDS, time="EventTime")),
    LogFormat("aws-cloudtrail", "aws", "CloudTrail records", _sniff_records, _records, record, records_batch,
              fields=FIELDS),
    LogFormat("aws-cloudtrail-csv", "aws", "CloudTrail CSV (Athena or CloudTrail Lake)", _sniff_csv, _csv,
              _csv_record, _csv_batch, fields={k: v.lower() for k, v in FIELDS.items()}),
]
