"""Google Cloud Audit Logs (shared reference incidents-logs-blast-radius §2.4).

Shape read (``gcp-audit``): LogEntry objects as ``gcloud logging read --format=json`` (a
JSON array), the Logging API (``{"entries": [...]}``) or a sink export (JSON lines) give
them. An audit entry carries ``protoPayload`` of type ``...google.cloud.audit.AuditLog``.

Row fields: ``credential_id`` is ``authenticationInfo.serviceAccountKeyName`` (the full
``//iam.googleapis.com/.../keys/KEYID`` name; its last part is the ``private_key_id`` of
the leaked JSON key), ``principal`` the ``principalEmail`` (else ``principalSubject``),
``account`` the project, ``action`` the ``methodName``, ``resource`` the ``resourceName``,
``source_ip``/``user_agent`` from ``requestMetadata``, ``outcome`` from ``status.code``
(0 or absent: success) and ``error`` from ``status.message``.

Entries without an audit payload (``jsonPayload``, ``textPayload``) are no usage events:
they are left out and listed in ``df.attrs["ignored"]``.
"""

from __future__ import annotations

import re
from typing import Any

from ._base import LogFormat, NotUsage, get_obj, get_text, json_batches

_PROJECT = re.compile(r"^(?:projects|organizations|folders|billingAccounts)/([^/]+)/")


def _row(rec: Any) -> list[dict]:
    if not isinstance(rec, dict):
        raise ValueError(f"expected a JSON object, found {type(rec).__name__}")
    proto = rec.get("protoPayload")
    if proto is None:
        kind = next((k for k in ("jsonPayload", "textPayload") if k in rec), "no protoPayload")
        raise NotUsage(f"GCP log entry without an audit payload ({kind})")
    if not isinstance(proto, dict):
        raise ValueError(f"field 'protoPayload' must be an object, got {type(proto).__name__}")
    ptype = get_text(rec, "protoPayload", "@type")
    if ptype is not None and not ptype.endswith("AuditLog"):
        raise NotUsage("GCP log entry whose payload is no AuditLog")
    time = get_text(rec, "timestamp") or get_text(rec, "receiveTimestamp")
    if time is None:
        raise ValueError("missing required field 'timestamp'")
    auth = get_obj(rec, "protoPayload", "authenticationInfo")
    meta = get_obj(rec, "protoPayload", "requestMetadata")
    status = get_obj(rec, "protoPayload", "status")
    code = status.get("code")
    if code is not None and (isinstance(code, bool) or not isinstance(code, int)):
        raise ValueError(f"field 'protoPayload.status.code' must be an integer, got {type(code).__name__}")
    failed = bool(code)
    key = get_text(auth, "serviceAccountKeyName", where=" in 'authenticationInfo'")
    project = get_text(rec, "resource", "labels", "project_id")
    if project is None:
        m = _PROJECT.match(get_text(rec, "logName") or "")
        project = m.group(1) if m else None
    return [{
        "time": time,
        "credential_id": key,
        "credential_kind": "service-account-key" if key else None,
        "principal": get_text(auth, "principalEmail", where=" in 'authenticationInfo'")
        or get_text(auth, "principalSubject", where=" in 'authenticationInfo'"),
        "account": project,
        "action": get_text(proto, "methodName", where=" in 'protoPayload'"),
        "resource": get_text(proto, "resourceName", where=" in 'protoPayload'"),
        "source_ip": get_text(meta, "callerIp", where=" in 'requestMetadata'"),
        "user_agent": get_text(meta, "callerSuppliedUserAgent", where=" in 'requestMetadata'"),
        "outcome": "failure" if failed else "success",
        "error": (get_text(status, "message", where=" in 'status'") or f"code {code}") if failed else None,
        "event_id": get_text(rec, "insertId"),
    }]


def _sniff(src) -> bool:
    head = src.head()
    return '"logName"' in head and ('"protoPayload"' in head or '"insertId"' in head)


FIELDS = {"time": "timestamp", "credential_id": "protoPayload.authenticationInfo.serviceAccountKeyName",
          "action": "protoPayload.methodName", "event_id": "insertId"}

FORMATS = [
    LogFormat("gcp-audit", "gcp", "GCP Cloud Audit Log", _sniff, lambda src: json_batches(src, ("entries",)), _row,
              fields=FIELDS),
]
