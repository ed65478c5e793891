"""GitHub tokens: the organisation's fine-grained PAT list, or an analyst's note of a token's scopes.

``GET /orgs/{org}/personal-access-tokens`` (as ``gh api`` prints it, pages back to back
included) lists each approved fine-grained token: owner, ``repository_selection``,
``permissions{organization, repository, other}`` and its dates. The token is the node
``github-pat:<token_id>``. The answer never names the organisation: take it from an
``"org"`` key (on the entry, or a wrapper ``{"org": ..., "personal_access_tokens": [...]}``);
failing that the node is ``github-org-id:<id>`` from ``repositories_url``, with a warning.

The analyst shape (YAML or JSON)::

    github_tokens:
      - credential: 5f1c...            # fingerprint or name, never the token
        owner: octocat                 # login the token acts as
        scopes: "repo, read:org"       # X-OAuth-Scopes verbatim (classic tokens), or a list
        permissions: {repository: {contents: write}, organization: {members: read}}
        repositories: [acme/api]       # or "all"
        org: acme

Classic scopes hang on the user (``github:<login> -allow-> github.com/<org or login>``);
fine-grained permissions on the token itself, per selected repository (the org node for
"all"), as ``<permission>:<level>``.
"""

from __future__ import annotations

import re
from typing import Any

from ..readers._common import Source
from ._base import Bad, Context, InventoryFormat, credential_id, edge, guarded, is_json, load_doc, \
    load_json_pages, strings, text, when

PROVIDER = "github"


def _sniff(src: Source) -> bool:
    h = src.head()
    if re.search(r"(?m)^github_tokens\s*:", h) or re.search(r'"github_tokens"\s*:', h):
        return True
    return bool(re.search(r'"token_name"\s*:', h)) and bool(re.search(r'"repository_selection"\s*:', h))


def read(src: Source, ctx: Context) -> list[dict]:
    doc = load_json_pages(src) if is_json(src) else load_doc(src)
    if isinstance(doc, dict) and "github_tokens" in doc:
        return analyst_rows(src, ctx, doc["github_tokens"], "github_tokens")
    org, base = None, ""
    if isinstance(doc, dict):
        key = next((k for k in ("personal_access_tokens", "tokens") if k in doc), None)
        if key is None:
            raise Bad("top level", "expected a list of tokens, or github_tokens:")
        org = text(doc, "org", "top level")
        doc, base = doc[key], key
    if not isinstance(doc, list):
        raise Bad(base or "top level", "expected a list of tokens")
    out: list[dict] = []
    seen: set = set()
    for i, t in enumerate(doc):
        out += guarded(ctx, src, _org_token, src, ctx, t, f"{base}[{i}]", org, seen)
    return out


def _org_node(name: str) -> str:
    return f"github.com/{name}"


def _permissions(v: Any, loc: str) -> dict[str, list[str]]:
    """``{"repository": ["contents:write", ...], ...}`` from the permission levels object."""
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise Bad(loc, "permissions must be an object of {group: {permission: level}}")
    out = {}
    for group, perms in v.items():
        if perms is None:
            continue
        if not isinstance(perms, dict):
            raise Bad(f"{loc}.{group}", "expected an object of {permission: level}")
        got = []
        for name, level in perms.items():
            if not isinstance(level, str):
                raise Bad(f"{loc}.{group}.{name}", "a permission level must be text (read, write, admin)")
            got.append(f"{name}:{level}")
        out[str(group)] = got
    return out


def _repos(v: Any, loc: str) -> list[str] | None:
    """Repository nodes for a selection: ``None`` for "all"; [] when not listed."""
    if v is None:
        return []
    if v == "all":
        return None
    if not isinstance(v, list):
        raise Bad(loc, "repositories must be \"all\" or a list of owner/name")
    out = []
    for j, r in enumerate(v):
        name = r.get("full_name") if isinstance(r, dict) else r  # the repositories_url answer has repo objects
        if not isinstance(name, str) or name.count("/") not in (1, 2):
            raise Bad(f"{loc}[{j}]", "a repository must be owner/name")
        out.append(name if name.startswith("github.com/") else f"github.com/{name}")
    return out


def _grant_rows(cred: str, owner: str, org_node: str, perms: dict, repos: list[str] | None, selection_node: str | None,
                loc: str, since, seen: set) -> list[dict]:
    """Fine-grained permissions of one token as allow rows, plus the repos it names."""
    out = []
    kw = {"provider": PROVIDER, "since": since}
    for group, actions in perms.items():
        if group == "repository":
            if repos is None:
                targets = [(org_node, "organization", "repository_selection=all")]
            elif repos:
                targets = [(r, "repository", None) for r in repos]
            elif selection_node:
                targets = [(selection_node, "repository-selection", "repositories not listed; see repositories_url")]
            else:
                targets = [(org_node, "organization", "repositories not listed")]
        elif group == "organization":
            targets = [(org_node, "organization", None)]
        else:  # "other": account permissions of the owner
            targets = [(f"github.com/{owner}", "user", f"{group} permissions")]
        for a in actions:
            for t, ttype, detail in targets:
                out.append(edge(cred, "credential", "allow", t, ttype, loc, action=a, detail=detail, **kw))
    for r in repos or []:
        owner_node = r.rsplit("/", 1)[0]
        if ("c", r) not in seen:
            seen.add(("c", r))
            out.append(edge(owner_node, "resource", "contains", r, "repository", loc, provider=PROVIDER))
            out.append(edge(PROVIDER, "provider", "has_resource", r, "repository", loc, provider=PROVIDER))
    return out


_ORG_ID = re.compile(r"/organizations/(\d+)/")


def _org_token(src: Source, ctx: Context, t: Any, loc: str, wrapper_org: str | None, seen: set) -> list[dict]:
    token_id = text(t, "token_id", loc, required=True)
    cred = f"github-pat:{token_id}"
    owner_rec = t.get("owner")
    login = text(owner_rec, "login", f"{loc}.owner", required=True) if owner_rec is not None else None
    if not login:
        raise Bad(loc, "missing required field 'owner'")
    since = when(t.get("access_granted_at"), loc, "access_granted_at")
    org = text(t, "org", loc) or wrapper_org
    url = text(t, "repositories_url", loc)
    if org:
        org_node = _org_node(org)
    else:
        m = _ORG_ID.search(url or "")
        if not m:
            raise Bad(loc, "the organisation is unknown: add \"org\" to the entry or wrap the list as "
                      "{\"org\": ..., \"personal_access_tokens\": [...]}")
        org_node = f"github-org-id:{m.group(1)}"
        if ("org-id", src.path) not in seen:  # once per file
            seen.add(("org-id", src.path))
            ctx.note(src, loc, "the organisation login is not in the answer; the org node is named by its numeric "
                     "id (add \"org\" to name it)")
    selection = text(t, "repository_selection", loc)
    name = text(t, "token_name", loc)
    parts = ([f"token_name={name}"] if name else []) + [
        f"repository_selection={selection or 'unknown'}",
        f"expires_at={text(t, 'token_expires_at', loc) or 'never'}",
        f"last_used_at={text(t, 'token_last_used_at', loc) or 'never'}",
    ]
    if t.get("token_expired") is not None:
        parts.append(f"expired={str(t.get('token_expired')).lower()}")
    out = [edge(cred, "credential", "authenticates_as", f"github:{login}", "user", loc, provider=PROVIDER,
                since=since, detail="; ".join(parts))]
    if selection == "all":
        repos = None
    elif selection == "none":
        repos = []
    else:
        repos = _repos(t.get("repositories"), f"{loc}.repositories")
    perms = _permissions(t.get("permissions"), f"{loc}.permissions")
    if selection == "none":
        perms.pop("repository", None)
    return out + _grant_rows(cred, login, org_node, perms, repos, url, loc, since, seen)


def analyst_rows(src: Source, ctx: Context, tokens: Any, base: str) -> list[dict]:
    if not isinstance(tokens, list):
        raise Bad(base, "expected a list of tokens")
    out: list[dict] = []
    seen: set = set()
    for i, t in enumerate(tokens):
        out += guarded(ctx, src, _analyst_token, src, ctx, t, f"{base}[{i}]", seen)
    return out


def _analyst_token(src: Source, ctx: Context, t: Any, loc: str, seen: set) -> list[dict]:
    if not isinstance(t, dict):
        raise Bad(loc, "a token entry must be an object")
    if t.get("credential") is None and not ctx.credential:
        raise Bad(loc, "missing required field 'credential' (a fingerprint or a name; or pass credential=)")
    cred = credential_id(t["credential"], src, f"{loc}.credential", ctx) if t.get("credential") is not None \
        else ctx.credential
    owner = text(t, "owner", loc, required=True)
    org = text(t, "org", loc)
    since = when(t.get("since") or t.get("access_granted_at"), loc, "since")
    ns = _org_node(org or owner)
    out = [edge(cred, "credential", "authenticates_as", f"github:{owner}", "user", loc, provider=PROVIDER,
                since=since, detail=text(t, "detail", loc))]
    for scope in strings(t.get("scopes"), f"{loc}.scopes", "scopes", sep=","):
        out.append(edge(f"github:{owner}", "user", "allow", ns, "organization" if org else "user", loc,
                        action=scope, provider=PROVIDER, since=since, detail=f"scope of {cred}"))
    perms = _permissions(t.get("permissions"), f"{loc}.permissions")
    repos = _repos(t.get("repositories"), f"{loc}.repositories")
    return out + _grant_rows(cred, owner, ns, perms, repos, None, loc, since, seen)


FORMATS = [
    InventoryFormat("github-tokens", PROVIDER, "GitHub org fine-grained PAT list (GET /orgs/{org}/personal-access-"
                    "tokens) or analyst github_tokens YAML/JSON", _sniff, read),
]
