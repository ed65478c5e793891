"""Slack Audit Logs API (Enterprise Grid; shared reference incidents-logs-blast-radius §2.3).

Shape read (``slack-audit``): ``GET /audit/v1/logs`` responses ``{"entries": [...]}``, or the
entries as a JSON array or JSON lines. ``date_create`` is epoch seconds.

Row fields: ``credential_id`` is ``context.session_id`` (kind ``session``; the audit log has
no per-token id), ``principal`` the actor's email (else id, else name), ``account`` the
``context.location`` domain (else id), ``action`` the action, ``resource`` the entity as
``type:id``, ``source_ip``/``user_agent`` from ``context.ip_address``/``context.ua``.
``outcome`` is failure for actions named so (``user_login_failed``), else success.
"""

from __future__ import annotations

from typing import Any

from ._base import LogFormat, epoch, failure_named, get_obj, get_text, ident, json_batches


def _entity(rec: dict) -> str | None:
    ent = get_obj(rec, "entity")
    kind = get_text(ent, "type", where=" in 'entity'")
    if kind is None:
        return None
    obj = ent.get(kind)
    if not isinstance(obj, dict):
        return kind
    name = ident(obj.get("id"), f"entity.{kind}.id") or get_text(obj, "name", where=f" in 'entity.{kind}'")
    return f"{kind}:{name}" if name else kind


def _row(rec: Any) -> list[dict]:
    if not isinstance(rec, dict):
        raise ValueError(f"expected a JSON object, found {type(rec).__name__}")
    time = epoch(rec.get("date_create"), "s", "date_create")
    action = get_text(rec, "action")
    actor = get_obj(rec, "actor")
    kind = get_text(actor, "type", where=" in 'actor'") or "user"
    who = actor.get(kind) if isinstance(actor.get(kind), dict) else get_obj(actor, "user")
    ctx = get_obj(rec, "context")
    loc = get_obj(ctx, "location")
    session = ident(ctx.get("session_id"), "context.session_id")
    return [{
        "time": time,
        "credential_id": session,
        "credential_kind": "session" if session else None,
        "principal": get_text(who, "email", where=" in 'actor'") or ident(who.get("id"), "actor.id")
        or get_text(who, "name", where=" in 'actor'"),
        "account": get_text(loc, "domain", where=" in 'context.location'") or ident(loc.get("id"), "context.location.id"),
        "action": action,
        "resource": _entity(rec),
        "source_ip": get_text(ctx, "ip_address", where=" in 'context'"),
        "user_agent": get_text(ctx, "ua", where=" in 'context'"),
        "outcome": "failure" if failure_named(action) else "success",
        "error": None,
        "event_id": ident(rec.get("id"), "id"),
    }]


def _sniff(src) -> bool:
    head = src.head()
    return '"date_create"' in head and '"action"' in head


FIELDS = {"time": "date_create", "credential_id": "context.session_id", "action": "action", "event_id": "id"}

FORMATS = [
    LogFormat("slack-audit", "slack", "Slack audit log", _sniff, lambda src: json_batches(src, ("entries",)), _row,
              fields=FIELDS),
]
