"""``trufflehog analyze`` results: what one credential can do, as bindings of permissions to resources.

trufflehog has no JSON output for ``analyze``; its result type is the model to import
(``pkg/analyzer/analyzers/analyzers.go``)::

    AnalyzerResult{AnalyzerType, Bindings[{Resource, Permission}], UnboundedResources[], Metadata}
    Resource{Name, FullyQualifiedName, Type, Metadata, Parent *Resource}
    Permission{Value, Parent *Permission}

Accepted as Go's ``encoding/json`` writes it (field names as declared, ``AnalyzerType`` a
number, nil slices and pointers as ``null``), with snake_case keys, or as the flat list
``[{"resource_fqn", "resource_type", "parent_fqn", "permission"}]``. The result never names
the credential, so the analyst adds a top-level ``"credential"`` (or ``"secret_sha256"``)
or passes ``credential=``.
"""

from __future__ import annotations

import re
from typing import Any

from ..readers._common import Source, load_json
from ._base import Bad, Context, InventoryFormat, credential_id, edge, guarded, text

# AnalyzerType is a Go int enum: new analyzers are appended, so the numbers are stable
# (trufflehog pkg/analyzer/analyzers/analyzers.go @ 00635506).
ANALYZER_TYPES = (
    "Invalid", "Airbrake", "Anthropic", "Asana", "Bitbucket", "DockerHub", "ElevenLabs", "GitHub", "GitLab",
    "HuggingFace", "Mailchimp", "Mailgun", "MySQL", "OpenAI", "Opsgenie", "Postgres", "Postman", "Sendgrid",
    "Shopify", "Slack", "Sourcegraph", "Square", "Stripe", "Twilio", "PrivateKey", "Notion", "DigitalOcean",
    "PlanetScale", "AirtableOAuth", "AirtablePat", "Groq", "LaunchDarkly", "Figma", "Plaid", "Netlify", "Fastly",
    "Monday", "Ngrok", "Mux", "Posthog", "Dropbox", "DataBricks", "Coinbase",
)


def provider_name(v: Any) -> str:
    """The analyzer type as a lower-case provider name.

        >>> provider_name(7), provider_name("Slack"), provider_name(None)
        ('github', 'slack', 'trufflehog')
    """
    if isinstance(v, int) and not isinstance(v, bool):
        return ANALYZER_TYPES[v].lower() if 0 < v < len(ANALYZER_TYPES) else f"analyzer-{v}"
    if isinstance(v, str) and v.strip():
        return v.strip().lower()
    return "trufflehog"


def _sniff(src: Source) -> bool:
    h = src.head()
    return bool(re.search(r'"(AnalyzerType|analyzer_type|resource_fqn)"\s*:', h)) or (
        bool(re.search(r'"Bindings"\s*:', h)) and '"FullyQualifiedName"' in h)


def _get(rec: dict, *keys: str) -> Any:
    for k in keys:
        if k in rec:
            return rec[k]
    return None


def read(src: Source, ctx: Context) -> list[dict]:
    doc = load_json(src)
    if isinstance(doc, list):
        return _flat(src, ctx, doc, "", None)
    if not isinstance(doc, dict):
        raise Bad("top level", "expected an AnalyzerResult object or a list of bindings")
    cred = _credential(src, ctx, doc)
    provider = provider_name(_get(doc, "AnalyzerType", "analyzer_type"))
    bindings = _get(doc, "Bindings", "bindings")
    if isinstance(bindings, list) and bindings and isinstance(bindings[0], dict) and "resource_fqn" in bindings[0]:
        return _flat(src, ctx, bindings, "Bindings" if "Bindings" in doc else "bindings", cred, provider)
    out: list[dict] = []
    seen: set = set()
    bkey = "Bindings" if "Bindings" in doc else "bindings"
    for i, b in enumerate(_list(doc, bkey)):
        out += guarded(ctx, src, _binding, b, f"{bkey}[{i}]", cred, provider, seen)
    ukey = "UnboundedResources" if "UnboundedResources" in doc else "unbounded_resources"
    for i, r in enumerate(_list(doc, ukey)):
        out += guarded(ctx, src, _declare, r, f"{ukey}[{i}]", provider, seen)
    return out


def _credential(src: Source, ctx: Context, doc: dict) -> str:
    for key in ("credential", "secret_sha256"):
        if doc.get(key) is not None:
            return credential_id(doc[key], src, key, ctx)
    if ctx.credential:
        return ctx.credential
    raise Bad("top level", "the analyze result does not name its credential: pass credential= (a fingerprint "
              "or a name) or add a top-level \"credential\" key")


def _list(doc: dict, key: str) -> list:
    v = doc.get(key)
    if v is None:  # Go marshals a nil slice as null
        return []
    if not isinstance(v, list):
        raise Bad(key, "expected a list")
    return v


def _fqn(res: Any, loc: str) -> tuple[str, str | None]:
    if not isinstance(res, dict):
        raise Bad(loc, "a resource must be an object")
    fqn = text(res, "FullyQualifiedName", loc) or text(res, "fully_qualified_name", loc) \
        or text(res, "Name", loc) or text(res, "name", loc)
    if not fqn:
        raise Bad(loc, "resource has no FullyQualifiedName or Name")
    return fqn, text(res, "Type", loc) or text(res, "type", loc)


def _declare(res: Any, loc: str, provider: str, seen: set) -> list[dict]:
    """has_resource for a resource and its ancestors, contains for each parent link (once per file)."""
    out = []
    child = child_kind = None
    depth = 0
    while res is not None:
        fqn, kind = _fqn(res, loc)
        if ("r", fqn) not in seen:
            seen.add(("r", fqn))
            out.append(edge(provider, "provider", "has_resource", fqn, kind or "resource", loc, provider=provider))
        if child is not None and ("c", fqn, child) not in seen:
            seen.add(("c", fqn, child))
            out.append(edge(fqn, "resource", "contains", child, child_kind or "resource", loc, provider=provider))
        child, child_kind = fqn, kind
        parent = res.get("Parent", res.get("parent"))
        loc = f"{loc}.{'Parent' if 'Parent' in res else 'parent'}"
        res = parent
        depth += 1
        if depth > 64:
            raise Bad(loc, "resource parents nest deeper than 64 levels")
    return out


def _binding(b: Any, loc: str, cred: str, provider: str, seen: set) -> list[dict]:
    if not isinstance(b, dict):
        raise Bad(loc, "a binding must be an object")
    rkey = "Resource" if "Resource" in b else "resource"
    pkey = "Permission" if "Permission" in b else "permission"
    res, perm = b.get(rkey), b.get(pkey)
    fqn, kind = _fqn(res, f"{loc}.{rkey}")
    if isinstance(perm, str):
        value, parent = perm, None
    elif isinstance(perm, dict):
        value = text(perm, "Value", f"{loc}.{pkey}") or text(perm, "value", f"{loc}.{pkey}")
        p = perm.get("Parent", perm.get("parent"))
        parent = text(p, "Value", f"{loc}.{pkey}.Parent") or text(p, "value", f"{loc}.{pkey}.Parent") \
            if isinstance(p, dict) else None
    else:
        raise Bad(f"{loc}.{pkey}", "a permission must be an object with a Value")
    if not value:
        raise Bad(f"{loc}.{pkey}", "permission has no Value")
    rows = [edge(cred, "credential", "allow", fqn, kind or "resource", loc, action=value, provider=provider,
                 detail=f"parent permission: {parent}" if parent else None)]
    return rows + _declare(res, f"{loc}.{rkey}", provider, seen)


def _flat(src: Source, ctx: Context, rows: list, base: str, cred: str | None, provider: str | None = None) -> list[dict]:
    out: list[dict] = []
    seen: set = set()
    for i, r in enumerate(rows):
        out += guarded(ctx, src, _flat_row, src, ctx, r, f"{base}[{i}]", cred, provider, seen)
    return out


def _flat_row(src: Source, ctx: Context, r: Any, loc: str, cred: str | None, provider: str | None, seen: set) -> list[dict]:
    if not isinstance(r, dict):
        raise Bad(loc, "expected an object with resource_fqn and permission")
    if r.get("credential") is not None or r.get("secret_sha256") is not None:
        cred = credential_id(r.get("credential") or r.get("secret_sha256"), src, loc, ctx)
    cred = cred or ctx.credential
    if not cred:
        raise Bad(loc, "the binding does not name its credential: pass credential= (a fingerprint or a name) "
                  "or add a \"credential\" key")
    prov = provider or provider_name(r.get("analyzer_type") or r.get("provider"))
    fqn = text(r, "resource_fqn", loc, required=True)
    kind = text(r, "resource_type", loc) or "resource"
    parent = text(r, "parent_fqn", loc)
    perm = text(r, "permission", loc)
    out = []
    if perm:
        out.append(edge(cred, "credential", "allow", fqn, kind, loc, action=perm, provider=prov))
    if ("r", fqn) not in seen:
        seen.add(("r", fqn))
        out.append(edge(prov, "provider", "has_resource", fqn, kind, loc, provider=prov))
    if parent and ("c", parent, fqn) not in seen:
        seen.add(("c", parent, fqn))
        out.append(edge(parent, "resource", "contains", fqn, kind, loc, provider=prov))
    return out


FORMATS = [
    InventoryFormat("trufflehog-analyze", "trufflehog", "trufflehog analyze AnalyzerResult as JSON (Go, snake_case "
                    "or flat bindings)", _sniff, read),
]
