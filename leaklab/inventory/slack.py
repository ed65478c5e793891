"""Slack tokens: ``auth.test`` answers with the token's scopes, or an analyst's list.

``auth.test`` returns ``ok, url, team, user, team_id, user_id`` (plus ``bot_id`` for bot
tokens); the token's scopes come in the ``X-OAuth-Scopes`` response header, so the analyst
saves the body with two keys added: ``"scopes"`` (the header verbatim) and ``"credential"``
(a fingerprint or a name, never the token). The analyst shape::

    slack_tokens:
      - {credential: sha1:..., team_id: T0001, user_id: U0001, scopes: "channels:history,files:read"}

Each token authenticates as the Slack user ``slack:<team_id>/<user_id>`` and is allowed each
scope on the workspace ``slack:<team_id>``. Scopes belong to the token, not to the user, so
the allow edges start at the credential.
"""

from __future__ import annotations

import re
from typing import Any

from ..readers._common import Source
from ._base import Bad, Context, InventoryFormat, credential_id, edge, guarded, load_doc, strings, text, when

PROVIDER = "slack"


def _sniff(src: Source) -> bool:
    h = src.head()
    if re.search(r"(?m)^slack_tokens\s*:", h) or re.search(r'"slack_tokens"\s*:', h):
        return True
    return bool(re.search(r'"team_id"\s*:', h)) and bool(re.search(r'"scopes"\s*:', h))


def read(src: Source, ctx: Context) -> list[dict]:
    doc = load_doc(src)
    if isinstance(doc, dict) and "slack_tokens" in doc:
        return analyst_rows(src, ctx, doc["slack_tokens"], "slack_tokens")
    if isinstance(doc, dict):
        return guarded(ctx, src, _token, src, ctx, doc, "top level")
    if isinstance(doc, list):  # several auth.test answers saved together
        out: list[dict] = []
        for i, t in enumerate(doc):
            out += guarded(ctx, src, _token, src, ctx, t, f"[{i}]")
        return out
    raise Bad("top level", "expected an auth.test answer or slack_tokens:")


def analyst_rows(src: Source, ctx: Context, tokens: Any, base: str) -> list[dict]:
    if not isinstance(tokens, list):
        raise Bad(base, "expected a list of tokens")
    out: list[dict] = []
    for i, t in enumerate(tokens):
        out += guarded(ctx, src, _token, src, ctx, t, f"{base}[{i}]")
    return out


def _token(src: Source, ctx: Context, t: Any, loc: str) -> list[dict]:
    if not isinstance(t, dict):
        raise Bad(loc, "a token entry must be an object")
    if t.get("ok") is False:
        raise Bad(loc, "auth.test failed (ok is false): the token was not valid when checked")
    if t.get("credential") is not None:
        cred = credential_id(t["credential"], src, f"{loc}.credential" if loc != "top level" else "credential", ctx)
    elif ctx.credential:
        cred = ctx.credential
    else:
        raise Bad(loc, "missing required field 'credential' (a fingerprint or a name; or pass credential=)")
    team = text(t, "team_id", loc, required=True)
    user = text(t, "user_id", loc, required=True)
    since = when(t.get("since"), loc, "since")
    parts = [f"{k}={t[k]}" for k in ("team", "user", "url", "bot_id") if isinstance(t.get(k), str) and t[k]]
    if t.get("is_enterprise_install") is True:
        parts.append("enterprise install")
    ws = f"slack:{team}"
    out = [edge(cred, "credential", "authenticates_as", f"{ws}/{user}", "app" if t.get("bot_id") else "user", loc,
                provider=PROVIDER, since=since, detail="; ".join(parts) or None)]
    for scope in strings(t.get("scopes"), f"{loc}.scopes", "scopes", sep=","):
        out.append(edge(cred, "credential", "allow", ws, "workspace", loc, action=scope, provider=PROVIDER, since=since))
    return out


FORMATS = [
    InventoryFormat("slack-tokens", PROVIDER, "Slack auth.test answer with scopes, or analyst slack_tokens YAML/JSON",
                    _sniff, read),
]
