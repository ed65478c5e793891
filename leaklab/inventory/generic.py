"""Analyst-written inventories (YAML, JSON or CSV) and saved grants frames.

The ``inventory`` YAML (or JSON) may hold any of::

    credentials: [{id, principal, provider, since, detail}]          # id -authenticates_as-> principal
    grants:      [{principal, permission, resource, effect, condition}]  # str or list; allow unless deny
    members:     [{principal, group}]
    resources:   [{id, type, data_class, holds: [credential ids], contains: [ids], since, provider}]

plus ``github_tokens:`` and ``slack_tokens:`` sections (see those formats). The CSV form has
the columns ``credential, principal, permission, resource, resource_type, data_class, holds,
effect, provider``; a row may fill any subset that makes an edge, blank cells are nulls and
``holds`` is ``;``-separated.

``grants`` reads a grants frame saved with ``to_csv``, ``to_json(orient="records")`` or as
JSON lines, so a frame round-trips; ``source_file``/``source_record`` keep where the edge
was first read.
"""

from __future__ import annotations

import re
from typing import Any

from .. import schema
from ..readers._common import Source
from . import aws
from ._base import DATA_CLASSES, RELATIONS, Bad, Context, InventoryFormat, compact, credential_id, csv_header, \
    csv_rows, edge, guarded, is_json, json_records, load_doc, strings, text, when

PROVIDER = "inventory"
_SECTIONS = ("credentials", "grants", "members", "resources")
CSV_COLUMNS = ("credential", "principal", "permission", "resource", "resource_type", "data_class", "holds", "effect",
               "provider")


def principal_type(node: str) -> str:
    """A node's type judged from its id: ARNs, ``github:``/``slack:`` users; else ``principal``.

        >>> principal_type("arn:aws:iam::111122223333:user/ci"), principal_type("github:octocat")
        ('user', 'user')
    """
    if node.startswith("arn:"):
        return aws.node_type(node)
    if node.startswith(("github:", "slack:")):
        return "user"
    return "principal"


def data_class(v: Any, loc: str) -> str | None:
    if v is None or v == "":
        return None
    if not isinstance(v, str) or v.strip().lower() not in DATA_CLASSES:
        raise Bad(loc, "data_class must be one of " + ", ".join(DATA_CLASSES))
    return v.strip().lower()


# --------------------------------------------------------------------------- inventory (YAML/JSON)


def _sniff_inventory(src: Source) -> bool:
    h = src.head()
    keys = "|".join(_SECTIONS)
    if re.search(rf"(?m)^({keys})\s*:", h) or re.match(rf'\s*\{{\s*"({keys})"\s*:', h):
        return True
    cols = csv_header(src)
    return "relation" not in cols and len(cols) >= 2 and set(cols) <= set(CSV_COLUMNS)


def read_inventory(src: Source, ctx: Context) -> list[dict]:
    if not is_json(src) and set(csv_header(src)) <= set(CSV_COLUMNS) and len(csv_header(src)) >= 2:
        return _read_csv(src, ctx)
    doc = load_doc(src)
    if not isinstance(doc, dict):
        raise Bad("top level", "expected a mapping with credentials, grants, members or resources")
    out: list[dict] = []
    makers = {"credentials": _credential, "grants": _grant, "members": _member, "resources": _resource}
    for key, make in makers.items():
        section = doc.get(key)
        if section is None:
            continue
        if not isinstance(section, list):
            raise Bad(key, "expected a list")
        for i, rec in enumerate(section):
            out += guarded(ctx, src, make, src, ctx, rec, f"{key}[{i}]")
    if doc.get("github_tokens") is not None:
        from . import github

        out += github.analyst_rows(src, ctx, doc["github_tokens"], "github_tokens")
    if doc.get("slack_tokens") is not None:
        from . import slack

        out += slack.analyst_rows(src, ctx, doc["slack_tokens"], "slack_tokens")
    return out


def _obj(rec: Any, loc: str) -> dict:
    if not isinstance(rec, dict):
        raise Bad(loc, "expected an object")
    return rec


def _credential(src: Source, ctx: Context, rec: Any, loc: str) -> list[dict]:
    _obj(rec, loc)
    cred = credential_id(rec.get("id"), src, f"{loc}.id", ctx) if rec.get("id") is not None else None
    if cred is None:
        raise Bad(loc, "missing required field 'id'")
    principal = text(rec, "principal", loc, required=True)
    return [edge(cred, "credential", "authenticates_as", principal, principal_type(principal), loc,
                 provider=text(rec, "provider", loc) or PROVIDER, since=when(rec.get("since"), loc, "since"),
                 detail=text(rec, "detail", loc))]


def _grant(src: Source, ctx: Context, rec: Any, loc: str) -> list[dict]:
    _obj(rec, loc)
    principal = text(rec, "principal", loc) or text(rec, "credential", loc)
    if not principal:
        raise Bad(loc, "missing required field 'principal'")
    perms = strings(rec.get("permission"), f"{loc}.permission", "permission")
    resources = strings(rec.get("resource"), f"{loc}.resource", "resource")
    if not perms:
        raise Bad(loc, "missing required field 'permission'")
    if not resources:
        raise Bad(loc, "missing required field 'resource'")
    effect = (text(rec, "effect", loc) or "allow").lower()
    if effect not in ("allow", "deny"):
        raise Bad(loc, "effect must be allow or deny")
    cond = rec.get("condition")
    cond = cond if isinstance(cond, str) or cond is None else compact(cond)
    stype = "credential" if rec.get("credential") and not rec.get("principal") else principal_type(principal)
    return [edge(principal, stype, effect, r, text(rec, "resource_type", loc) or "resource", loc, action=p,
                 condition=cond, provider=text(rec, "provider", loc) or PROVIDER,
                 since=when(rec.get("since"), loc, "since"), detail=text(rec, "detail", loc))
            for p in perms for r in resources]


def _member(src: Source, ctx: Context, rec: Any, loc: str) -> list[dict]:
    _obj(rec, loc)
    principal = text(rec, "principal", loc, required=True)
    group = text(rec, "group", loc, required=True)
    return [edge(principal, principal_type(principal), "member_of", group, "group", loc,
                 provider=text(rec, "provider", loc) or PROVIDER, since=when(rec.get("since"), loc, "since"))]


def _resource(src: Source, ctx: Context, rec: Any, loc: str) -> list[dict]:
    _obj(rec, loc)
    rid = text(rec, "id", loc, required=True)
    kind = text(rec, "type", loc) or "resource"
    provider = text(rec, "provider", loc) or PROVIDER
    since = when(rec.get("since"), loc, "since")
    out = [edge(provider, "provider", "has_resource", rid, kind, loc, provider=provider, since=since,
                data_class=data_class(rec.get("data_class"), loc), detail=text(rec, "detail", loc))]
    for j, cred in enumerate(_list(rec.get("holds"), f"{loc}.holds")):
        out.append(edge(rid, "resource", "holds_secret", credential_id(cred, src, f"{loc}.holds[{j}]", ctx),
                        "credential", loc, provider=provider, since=since))
    for j, child in enumerate(_list(rec.get("contains"), f"{loc}.contains")):
        if not isinstance(child, str) or not child:
            raise Bad(f"{loc}.contains[{j}]", "a contained resource id must be text")
        out.append(edge(rid, "resource", "contains", child, "resource", loc, provider=provider))
    return out


def _list(v: Any, loc: str) -> list:
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    if not isinstance(v, list):
        raise Bad(loc, "expected a list")
    return v


# --------------------------------------------------------------------------- inventory (CSV)


def _read_csv(src: Source, ctx: Context) -> list[dict]:
    _header, rows = csv_rows(src)
    out: list[dict] = []
    for loc, row in rows:
        out += guarded(ctx, src, _csv_row, src, ctx, row, loc)
    return out


def _csv_row(src: Source, ctx: Context, row: Any, loc: str) -> list[dict]:
    if isinstance(row, Bad):
        raise row
    g = {k: (v.strip() if isinstance(v, str) and v.strip() else None) for k, v in row.items()}
    provider = g.get("provider") or PROVIDER
    cred = credential_id(g["credential"], src, loc, ctx) if g.get("credential") else None
    principal, perm, res = g.get("principal"), g.get("permission"), g.get("resource")
    effect = (g.get("effect") or "allow").lower()
    if effect not in ("allow", "deny"):
        raise Bad(loc, "effect must be allow or deny")
    out = []
    if cred and principal:
        out.append(edge(cred, "credential", "authenticates_as", principal, principal_type(principal), loc,
                        provider=provider))
    if perm and res and (principal or cred):
        src_node = principal or cred
        out.append(edge(src_node, principal_type(src_node) if principal else "credential", effect, res,
                        g.get("resource_type") or "resource", loc, action=perm, provider=provider))
    elif perm and not res:
        raise Bad(loc, "a permission needs a resource")
    if res and (g.get("resource_type") or g.get("data_class")):
        out.append(edge(provider, "provider", "has_resource", res, g.get("resource_type") or "resource", loc,
                        provider=provider, data_class=data_class(g.get("data_class"), loc)))
    if res and g.get("holds"):
        for h in g["holds"].split(";"):
            if h.strip():
                out.append(edge(res, "resource", "holds_secret", credential_id(h.strip(), src, loc, ctx), "credential",
                                loc, provider=provider))
    if not out:
        raise Bad(loc, "the row makes no edge: fill credential+principal, principal (or credential)+permission+"
                  "resource, resource+resource_type/data_class, or resource+holds")
    return out


# --------------------------------------------------------------------------- grants (a saved frame)

_GRANT_COLUMNS = schema.columns("grants")
_BOOLS = ("not_action", "not_resource")


def _sniff_grants(src: Source) -> bool:
    h = src.head()
    if re.match(r'\s*\[?\s*\{[^{}]*"relation"\s*:', h):
        return True
    cols = csv_header(src)
    return {"source", "relation", "target"} <= set(cols)


def read_grants(src: Source, ctx: Context) -> list[dict]:
    if is_json(src):
        records = json_records(src)
    else:
        header, records = csv_rows(src)
        missing = [c for c in ("source", "relation", "target") if c not in header]
        if missing:
            raise Bad("line 1", "not a grants header: missing " + ", ".join(missing))
    out: list[dict] = []
    for loc, rec in records:
        out += guarded(ctx, src, _grant_row, rec, loc)
    return out


def _grant_row(rec: Any, loc: str) -> list[dict]:
    if isinstance(rec, Bad):
        raise rec
    if not isinstance(rec, dict):
        raise Bad(loc, "expected an object with source, relation and target")
    row: dict = {}
    for c in _GRANT_COLUMNS:
        v = rec.get(c)
        if c == "since":
            row[c] = when(v, loc, c)
        elif c in _BOOLS:
            row[c] = _bool(v, loc, c)
        else:
            row[c] = text(rec, c, loc, required=c in ("source", "relation", "target"))
    if row["relation"] not in RELATIONS:
        raise Bad(loc, "relation must be one of " + ", ".join(RELATIONS))
    row["data_class"] = data_class(row["data_class"], loc)
    # A saved frame keeps its own provenance; rows without one are named here.
    row["_origin"] = (row.pop("source_file"), row.pop("source_record"))
    row["source_record"] = loc
    return [row]


def _bool(v: Any, loc: str, name: str) -> bool | None:
    if v is None or v == "" or (isinstance(v, str) and v.strip() in ("<NA>", "NA", "nan")):
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    raise Bad(loc, f"field {name!r} must be true or false")


FORMATS = [
    InventoryFormat("grants", "any", "a saved grants frame (CSV, JSON records or JSON lines)", _sniff_grants,
                    read_grants),
    InventoryFormat("inventory", PROVIDER, "analyst inventory: YAML/JSON (credentials, grants, members, resources) or "
                    "CSV", _sniff_inventory, read_inventory),
]
