"""Azure Activity Log (control plane; shared reference incidents-logs-blast-radius §2.5).

Shapes read (``azure-activity``), each as JSON lines, a JSON array or wrapped:

* the REST API / portal JSON export, camelCase: ``eventTimestamp, caller, claims,
  httpRequest.clientIpAddress, operationName.value, status.value, subStatus.value,
  subscriptionId, resourceId, eventDataId`` (``{"value": [...]}`` from the API);
* the Python SDK's snake_case rendering of the same (``event_timestamp``,
  ``http_request.client_ip_address``, ``operation_name``...);
* the diagnostic-settings export to storage or Event Hubs, ``{"records": [{"time",
  "resourceId", "operationName", "resultType", "resultSignature", "callerIpAddress",
  "identity": {"claims": ...}}]}``.

Row fields: ``credential_id`` is the access token's id (the ``uti`` claim; decode a leaked
bearer token to find it), ``credential_kind`` ``oauth-token``; ``principal`` the caller (for
apps the service principal's object id; the ``appid`` claim names the application), and in
the diagnostic export, which has no caller, the ``upn``/``name`` claim, else the object id; ``source_ip``
the HTTP client address, else the ``ipaddr`` claim. ``outcome`` is success for
``Succeeded``, failure for ``Failed``, NA for ``Started``/``Accepted``. The activity log has
no user agent.
"""

from __future__ import annotations

from typing import Any

from ._base import LogFormat, get_obj, get_text, json_batches

_UPN = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
_OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
_OUTCOME = {"succeeded": "success", "success": "success", "failed": "failure", "failure": "failure"}


def _value(rec: dict, *keys: str) -> str | None:
    """``operationName`` and ``status`` are ``{"value", "localizedValue"}`` objects, or plain text."""
    for k in keys:
        v = rec.get(k)
        if isinstance(v, dict):
            v = get_text(v, "value", where=f" in {k!r}")
        elif v is not None and not isinstance(v, str):
            raise ValueError(f"field {k!r} must be text or an object, got {type(v).__name__}")
        if v:
            return v
    return None


def _row(rec: Any) -> list[dict]:
    if not isinstance(rec, dict):
        raise ValueError(f"expected a JSON object, found {type(rec).__name__}")
    diagnostic = "eventTimestamp" not in rec and "event_timestamp" not in rec
    time = get_text(rec, "eventTimestamp") or get_text(rec, "event_timestamp") or get_text(rec, "time")
    if time is None:
        raise ValueError("missing required field 'eventTimestamp'")
    claims = get_obj(rec, "claims") or get_obj(rec, "identity", "claims")
    http = get_obj(rec, "httpRequest") or get_obj(rec, "http_request")
    c = lambda k: get_text(claims, k, where=" in 'claims'")  # noqa: E731
    status = _value(rec, "status", "resultType")
    outcome = _OUTCOME.get((status or "").lower())
    error = None
    if outcome == "failure":
        error = _value(rec, "subStatus", "sub_status", "resultSignature") or status
    token = c("uti")
    return [{
        "time": time,
        "credential_id": token,
        "credential_kind": "oauth-token" if token else None,
        "principal": get_text(rec, "caller") or c(_UPN) or c("upn") or c(_NAME) or c(_OID) or c("oid") or c("appid"),
        "account": get_text(rec, "subscriptionId") or get_text(rec, "subscription_id") or _subscription(rec),
        "action": _value(rec, "operationName", "operation_name"),
        "resource": get_text(rec, "resourceId") or get_text(rec, "resource_id"),
        "source_ip": get_text(http, "clientIpAddress", where=" in 'httpRequest'")
        or get_text(http, "client_ip_address", where=" in 'http_request'")
        or get_text(rec, "callerIpAddress") or c("ipaddr"),
        "user_agent": None,
        "outcome": outcome,
        "error": error,
        "event_id": None if diagnostic else (get_text(rec, "eventDataId") or get_text(rec, "event_data_id")),
    }]


def _subscription(rec: dict) -> str | None:
    rid = get_text(rec, "resourceId") or ""
    parts = rid.split("/")
    return parts[2] if len(parts) > 2 and parts[1].lower() == "subscriptions" else None


def _sniff(src) -> bool:
    head = src.head()
    named = '"operationName"' in head or '"operation_name"' in head
    timed = '"eventTimestamp"' in head or '"event_timestamp"' in head or ('"time"' in head and '"resourceId"' in head)
    return named and timed and '"protoPayload"' not in head


FIELDS = {"time": "eventTimestamp", "principal": "caller", "action": "operationName.value", "event_id": "eventDataId"}

FORMATS = [
    LogFormat("azure-activity", "azure", "Azure Activity Log", _sniff, lambda src: json_batches(src, ("value", "records")),
              _row, fields=FIELDS),
]
