"""Okta System Log (``GET /api/v1/logs``; shared reference incidents-logs-blast-radius §2.6).

Shape read (``okta-system-log``): LogEvent objects as a JSON array (the API) or JSON lines
(exports, SIEM archives).

Row fields: an API token shows as ``transaction.detail.requestApiTokenId`` (the token id of
the Admin Console's Security > API page): that is ``credential_id`` with kind ``api-token``;
otherwise the browser session ``authenticationContext.externalSessionId`` (kind
``session``). ``principal`` is ``actor.alternateId`` (else ``actor.id``), ``action`` the
``eventType``, ``resource`` the targets' ``alternateId`` (else ``id``), ``source_ip`` and
``user_agent`` from ``client``. ``outcome.result`` SUCCESS/ALLOW is success, FAILURE/DENY
failure (with ``outcome.reason`` as ``error``), anything else NA. The System Log names no
org, so ``account`` stays empty.
"""

from __future__ import annotations

from typing import Any

from ._base import LogFormat, get_obj, get_text, json_batches

_OUTCOME = {"SUCCESS": "success", "ALLOW": "success", "FAILURE": "failure", "DENY": "failure"}


def _targets(rec: dict) -> str | None:
    targets = rec.get("target")
    if targets is None:
        return None
    if not isinstance(targets, list):
        raise ValueError(f"field 'target' must be an array, got {type(targets).__name__}")
    names = []
    for i, t in enumerate(targets):
        if not isinstance(t, dict):
            raise ValueError(f"field 'target[{i}]' must be an object, got {type(t).__name__}")
        name = get_text(t, "alternateId", where=f" in 'target[{i}]'")
        if name in (None, "unknown"):
            name = get_text(t, "id", where=f" in 'target[{i}]'")
        if name:
            names.append(name)
    return ", ".join(names) or None


def _row(rec: Any) -> list[dict]:
    if not isinstance(rec, dict):
        raise ValueError(f"expected a JSON object, found {type(rec).__name__}")
    time = get_text(rec, "published")
    if time is None:
        raise ValueError("missing required field 'published'")
    token = get_text(rec, "transaction", "detail", "requestApiTokenId")
    session = get_text(rec, "authenticationContext", "externalSessionId")
    if session == "unknown":
        session = None
    result = get_text(rec, "outcome", "result")
    outcome = _OUTCOME.get(result or "")
    actor = get_obj(rec, "actor")
    return [{
        "time": time,
        "credential_id": token or session,
        "credential_kind": "api-token" if token else ("session" if session else None),
        "principal": get_text(actor, "alternateId", where=" in 'actor'") or get_text(actor, "id", where=" in 'actor'"),
        "account": None,
        "action": get_text(rec, "eventType"),
        "resource": _targets(rec),
        "source_ip": get_text(rec, "client", "ipAddress"),
        "user_agent": get_text(rec, "client", "userAgent", "rawUserAgent"),
        "outcome": outcome,
        "error": (get_text(rec, "outcome", "reason") or result) if outcome == "failure" else None,
        "event_id": get_text(rec, "uuid"),
    }]


def _sniff(src) -> bool:
    head = src.head()
    return '"eventType"' in head and '"published"' in head and ('"uuid"' in head or '"actor"' in head)


FIELDS = {"time": "published", "credential_id": "transaction.detail.requestApiTokenId", "action": "eventType",
          "event_id": "uuid"}

FORMATS = [
    LogFormat("okta-system-log", "okta", "Okta System Log", _sniff, lambda src: json_batches(src), _row, fields=FIELDS),
]
