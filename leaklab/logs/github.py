"""GitHub organization and enterprise audit-log exports (shared reference incidents-logs-blast-radius §2.2).

Shapes read:

* ``github-audit-json``: the UI export or the REST API (``/orgs/{org}/audit-log``), a JSON
  array, or NDJSON (streaming, the Git-events export);
* ``github-audit-csv``: the UI's CSV export, the same keys as columns (nested ones
  flattened: ``actor_location.country_code``).

``@timestamp`` (else ``created_at``) is epoch MILLISECONDS.

Row fields: ``credential_id`` is ``hashed_token`` (base64 of the token's SHA-256; compute it
from a leaked token with :func:`hashed_token`), else ``token_id``; ``credential_kind``
follows ``programmatic_access_type`` (``pat``, ``fine-grained-pat``, ``oauth-token``,
``app-token``, ``ssh-key``, ``deploy-key``), else the action's category. On lifecycle events
(``personal_access_token.create``, ``oauth_access.regenerate``) the hash is that of the
token created or changed. ``principal`` is ``actor``, ``account`` the ``org`` (else
``business``), ``resource`` the ``repo`` (else ``repository``, else the ``user`` acted on),
``source_ip`` ``actor_ip`` (only logged when IP disclosure is on). ``outcome`` is failure for
``status_code`` >= 400 or actions named so (``user.failed_login``), else success.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from ._base import LogFormat, csv_batches, epoch, failure_named, get_text, ident, json_batches


def hashed_token(token: str) -> str:
    """GitHub's ``hashed_token`` for a raw token: base64 of its SHA-256.

        >>> hashed_token("ghp_" + "LEAKLABFAKE" + "0" * 25)
        'hwsEeYt1W8v3XKQT+8Cy6VdU62cH7X+QhnVwo+dkwhg='
    """
    return base64.b64encode(hashlib.sha256(token.encode()).digest()).decode()


_KINDS = (
    ("fine-grained", "fine-grained-pat"),
    ("personal access token", "pat"),
    ("oauth", "oauth-token"),
    ("github app", "app-token"),
    ("ssh", "ssh-key"),
    ("deploy key", "deploy-key"),
)
_KIND_BY_ACTION = (("personal_access_token.", "pat"), ("oauth_access.", "oauth-token"),
                   ("oauth_authorization.", "oauth-token"), ("public_key.", "ssh-key"), ("deploy_key.", "deploy-key"))


def _kind(access_type: str | None, action: str | None) -> str:
    if access_type:
        low = access_type.lower()
        for needle, kind in _KINDS:
            if needle in low:
                return kind
    for prefix, kind in _KIND_BY_ACTION:
        if action and action.startswith(prefix):
            return kind
    return "token"


def _names(rec: dict, key: str) -> str | None:
    """``org``/``repo`` are text, or (on some enterprise events) a list of names."""
    v = rec.get(key)
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return ", ".join(v) or None
    return get_text(rec, key)


def _row(rec: Any) -> list[dict]:
    if not isinstance(rec, dict):
        raise ValueError(f"expected a JSON object, found {type(rec).__name__}")
    action = get_text(rec, "action")
    if action is None:
        raise ValueError("missing required field 'action'")
    stamp = rec.get("@timestamp")
    time = epoch(stamp if stamp not in (None, "") else rec.get("created_at"), "ms", "@timestamp")
    token = get_text(rec, "hashed_token") or ident(rec.get("token_id"), "token_id")
    status = rec.get("status_code")
    if isinstance(status, str) and status.strip().isdigit():
        status = int(status)
    if status in ("", None):
        status = None
    elif isinstance(status, bool) or not isinstance(status, int):
        raise ValueError(f"field 'status_code' must be an integer, got {type(status).__name__}")
    failed = (status is not None and status >= 400) or failure_named(action)
    return [{
        "time": time,
        "credential_id": token,
        "credential_kind": _kind(get_text(rec, "programmatic_access_type"), action) if token else None,
        "principal": get_text(rec, "actor"),
        "account": _names(rec, "org") or _names(rec, "business"),
        "action": action,
        "resource": _names(rec, "repo") or _names(rec, "repository") or get_text(rec, "user"),
        "source_ip": get_text(rec, "actor_ip"),
        "user_agent": get_text(rec, "user_agent"),
        "outcome": "failure" if failed else "success",
        "error": f"HTTP {status}" if status is not None and status >= 400 else None,
        "event_id": get_text(rec, "_document_id"),
    }]


def _csv_row(rec: Any) -> list[dict]:
    if not isinstance(rec, dict):
        raise ValueError(f"expected a CSV row, found {type(rec).__name__}")
    return _row({k.strip(): v for k, v in rec.items() if v not in ("", None)})


def _sniff_json(src) -> bool:
    head = src.head()
    return '"action"' in head and ('"@timestamp"' in head or '"_document_id"' in head
                                   or ('"created_at"' in head and '"actor"' in head))


def _sniff_csv(src) -> bool:
    first = src.head().lstrip("\ufeff").split("\n", 1)[0]
    cols = {c.strip().strip('"').strip() for c in first.split(",")}
    return "action" in cols and ("@timestamp" in cols or "created_at" in cols) and not re.search(r"eventtime", first, re.I)


FIELDS = {"time": "@timestamp", "credential_id": "hashed_token", "principal": "actor", "action": "action",
          "event_id": "_document_id"}

FORMATS = [
    LogFormat("github-audit-json", "github", "GitHub audit log", _sniff_json, lambda src: json_batches(src), _row,
              fields=FIELDS),
    LogFormat("github-audit-csv", "github", "GitHub audit log CSV", _sniff_csv,
              lambda src: csv_batches(src, ("action",)), _csv_row, fields=FIELDS),
]
