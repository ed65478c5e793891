"""AWS IAM inventories: account authorization details, access keys, the credential report.

``aws iam get-account-authorization-details`` (GAAD) gives users, groups, roles and managed
policies with their documents; it lists no access keys. ``aws iam list-access-keys`` ties key
ids to user names, and the credential report ties key slots (``access_key_1``/``_2``) to user
ARNs with last-used data. :func:`leaklab.load_inventory` joins the three when they are loaded
together (see ``resolve`` in :mod:`leaklab.inventory`).

Policy statements become one ``allow``/``deny`` row per (Action item x Resource item);
NotAction/NotResource items stay together in one row, flagged, because their meaning is
"everything except all of these". Conditions, boundaries and denies are reported, never
evaluated: what the edges describe is "permitted (approx.)".
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from ..readers._common import Source, load_json
from ._base import Bad, Context, InventoryFormat, compact, csv_rows, edge, guarded, items, strings, text, when

PROVIDER = "aws"
_ARN = re.compile(r"arn:[^:]*:(?:iam|sts)::(\d*):(.*)", re.S)
_ACCOUNT = re.compile(r"\d{12}")


def node_type(arn: str) -> str:
    """user, group, role, policy or account for an IAM/STS ARN; ``principal`` otherwise.

        >>> node_type("arn:aws:iam::111122223333:role/ci"), node_type("arn:aws:iam::111122223333:root")
        ('role', 'account')
    """
    m = _ARN.fullmatch(arn)
    if not m:
        return "principal"
    rest = m.group(2)
    if rest == "root":
        return "account"
    kind = rest.split("/", 1)[0]
    return {"user": "user", "group": "group", "role": "role", "assumed-role": "role", "policy": "policy",
            "federated-user": "user"}.get(kind, "principal")


def account_of(arn: str | None) -> str | None:
    m = _ARN.fullmatch(arn or "")
    return m.group(1) if m and m.group(1) else None


# --------------------------------------------------------------------------- policy documents


def document(doc: Any, loc: str) -> dict:
    """A policy document: decoded (CLI, boto3) or the raw API's URL-encoded JSON text."""
    import json

    if isinstance(doc, str):
        s = doc.strip()
        for attempt in ((s,) if s.startswith("{") else ()) + (unquote(s),):
            try:
                doc = json.loads(attempt)
                break
            except ValueError:
                continue
        else:
            raise Bad(loc, "policy document is neither a JSON object nor URL-encoded JSON")
    if not isinstance(doc, dict):
        raise Bad(loc, "policy document must be a JSON object")
    return doc


def statements(doc: dict, loc: str) -> list[tuple[str, Any]]:
    """``(path, statement)`` pairs: Statement may be one object or a list of them."""
    st = doc.get("Statement")
    if isinstance(st, dict):
        return [(f"{loc}.Statement", st)]
    if isinstance(st, list):
        return [(f"{loc}.Statement[{k}]", s) for k, s in enumerate(st)]
    if st is None:
        raise Bad(loc, "policy document has no Statement")
    raise Bad(f"{loc}.Statement", "Statement must be an object or a list of objects")


def _effect(st: Any, loc: str) -> str:
    if not isinstance(st, dict):
        raise Bad(loc, "a statement must be a JSON object")
    eff = st.get("Effect")
    if eff is None:
        raise Bad(loc, "statement has no Effect")
    if eff not in ("Allow", "Deny"):
        raise Bad(loc, "Effect must be Allow or Deny")
    return eff


def _either(st: dict, key: str, loc: str, required: bool = True) -> tuple[list[str] | None, bool]:
    """Items of ``key`` or ``Not<key>`` and whether it was the Not form."""
    yes, no = st.get(key), st.get(f"Not{key}")
    if yes is not None and no is not None:
        raise Bad(loc, f"statement has both {key} and Not{key}")
    if yes is None and no is None:
        if required:
            raise Bad(loc, f"statement has no {key} or Not{key}")
        return None, False
    name = key if yes is not None else f"Not{key}"
    got = strings(yes if yes is not None else no, loc, name)
    if not got:
        raise Bad(loc, f"{name} is an empty list")
    return got, no is not None


def _condition(st: dict, loc: str) -> str | None:
    c = st.get("Condition")
    if c is None:
        return None
    if not isinstance(c, dict):
        raise Bad(loc, "Condition must be an object")
    return compact(c)


def _sid(st: dict) -> str | None:
    sid = st.get("Sid")
    return sid if isinstance(sid, str) and sid else None


def statement_rows(st: Any, loc: str, source: str, source_type: str, since, provider: str = PROVIDER) -> list[dict]:
    """One identity-policy statement to allow/deny rows."""
    relation = _effect(st, loc).lower()
    actions, not_action = _either(st, "Action", loc)
    resources, not_resource = _either(st, "Resource", loc)
    if not_action:
        actions = [",".join(actions)]
    if not_resource:
        resources = [",".join(resources)]
    cond, sid = _condition(st, loc), _sid(st)
    return [
        edge(source, source_type, relation, r, "resource", loc, action=a, not_action=not_action,
             not_resource=not_resource, condition=cond, provider=provider, since=since, detail=sid)
        for a in actions for r in resources
    ]


def policy_rows(ctx: Context, src: Source, doc: Any, loc: str, source: str, source_type: str, since) -> list[dict]:
    """Every statement of a document; a malformed statement is skipped alone in lenient mode."""
    out: list[dict] = []
    for sloc, st in statements(document(doc, loc), loc):
        out += guarded(ctx, src, statement_rows, st, sloc, source, source_type, since)
    return out


def trust_principals(st: dict, loc: str) -> list[tuple[str, str]]:
    """``(node, type)`` for each principal of a trust-policy statement."""
    p = st.get("Principal")
    if p is None:
        raise Bad(loc, "trust statement has no Principal")
    if p == "*":
        return [("*", "any")]
    if not isinstance(p, dict):
        raise Bad(loc, "Principal must be \"*\" or an object")
    out = []
    for key, value in p.items():
        for v in strings(value, f"{loc}.Principal", f"Principal {key}"):
            if key == "AWS":
                if v == "*":
                    out.append(("*", "any"))
                elif _ACCOUNT.fullmatch(v):
                    out.append((f"arn:aws:iam::{v}:root", "account"))
                else:
                    out.append((v, node_type(v)))
            elif key == "Service":
                out.append((f"service:{v}", "service"))
            elif key == "Federated":
                out.append((f"federated:{v}", "federated"))
            else:  # CanonicalUser and whatever comes next
                out.append((f"{key.lower()}:{v}", key.lower()))
    return out


def trust_rows(ctx: Context, src: Source, st: Any, loc: str, role: str, since) -> list[dict]:
    eff = _effect(st, loc)
    if st.get("NotPrincipal") is not None:
        ctx.note(src, loc, f"a{'n Allow' if eff == 'Allow' else ' Deny'} with NotPrincipal in a trust policy is not modelled")
        return []
    actions, not_action = _either(st, "Action", loc)
    cond, sid = _condition(st, loc), _sid(st)
    # An Allow lets the principal assume the role; a Deny is a deny edge from the principal to
    # the role, which blast_radius applies like any explicit deny (a Deny wins).
    relation = "can_assume" if eff == "Allow" else "deny"
    return [
        edge(p, ptype, relation, role, "role", loc, action=",".join(actions), not_action=not_action,
             condition=cond, provider=PROVIDER, since=since, detail=sid)
        for p, ptype in trust_principals(st, loc)
    ]


# --------------------------------------------------------------------------- GAAD


def _sniff_gaad(src: Source) -> bool:
    h = src.head()
    return bool(re.search(r'"(UserDetailList|GroupDetailList|RoleDetailList)"\s*:', h)) or (
        '"Policies"' in h and '"PolicyVersionList"' in h)


def read_gaad(src: Source, ctx: Context) -> list[dict]:
    doc = load_json(src)
    if not isinstance(doc, dict):
        raise Bad("top level", "expected the JSON object that get-account-authorization-details prints")
    if doc.get("IsTruncated") is True:
        ctx.note(src, "IsTruncated", "this is one page of a paginated answer: principals and policies on "
                 "later pages (Marker) are missing")
    lists = {}
    for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"):
        v = doc.get(key)
        if v is not None and not isinstance(v, list):
            raise Bad(key, "expected a list")
        lists[key] = v or []
    groups = {}
    for g in lists["GroupDetailList"]:
        if isinstance(g, dict) and isinstance(g.get("GroupName"), str) and isinstance(g.get("Arn"), str):
            groups[g["GroupName"]] = g["Arn"]
    out: list[dict] = []
    for i, u in enumerate(lists["UserDetailList"]):
        out += guarded(ctx, src, _principal, ctx, src, u, f"UserDetailList[{i}]", "user", groups)
    for i, g in enumerate(lists["GroupDetailList"]):
        out += guarded(ctx, src, _principal, ctx, src, g, f"GroupDetailList[{i}]", "group", groups)
    for i, r in enumerate(lists["RoleDetailList"]):
        out += guarded(ctx, src, _principal, ctx, src, r, f"RoleDetailList[{i}]", "role", groups)
    for i, p in enumerate(lists["Policies"]):
        out += guarded(ctx, src, _managed_policy, ctx, src, p, f"Policies[{i}]")
    return out


_INLINE = {"user": "UserPolicyList", "group": "GroupPolicyList", "role": "RolePolicyList"}


def _principal(ctx: Context, src: Source, rec: Any, loc: str, kind: str, groups: dict) -> list[dict]:
    arn = text(rec, "Arn", loc, required=True)
    since = when(rec.get("CreateDate"), loc, "CreateDate")
    out: list[dict] = []
    if kind == "user":
        name = text(rec, "UserName", loc)
        if name:
            ctx.user(name, arn)
        acct = account_of(arn)
        for j, g in enumerate(items(rec, "GroupList", loc)):
            gloc = f"{loc}.GroupList[{j}]"
            if not isinstance(g, str) or not g:
                raise Bad(gloc, "a group name must be text")
            target = groups.get(g) or (f"arn:aws:iam::{acct}:group/{g}" if acct else g)
            out.append(edge(arn, "user", "member_of", target, "group", gloc, provider=PROVIDER, since=since))
    for j, p in enumerate(items(rec, "AttachedManagedPolicies", loc)):
        ploc = f"{loc}.AttachedManagedPolicies[{j}]"
        parn = text(p, "PolicyArn", ploc, required=True)
        out.append(edge(arn, kind, "has_policy", parn, "policy", ploc, provider=PROVIDER, since=since,
                        detail=text(p, "PolicyName", ploc)))
    key = _INLINE[kind]
    for j, p in enumerate(items(rec, key, loc)):
        out += guarded(ctx, src, _inline, ctx, src, p, f"{loc}.{key}[{j}]", arn, kind, since)
    pb = rec.get("PermissionsBoundary")
    if pb is not None:
        bloc = f"{loc}.PermissionsBoundary"
        out.append(edge(arn, kind, "has_boundary", text(pb, "PermissionsBoundaryArn", bloc, required=True), "policy",
                        bloc, provider=PROVIDER, since=since, detail="reported, not evaluated"))
    if kind == "role":
        trust = rec.get("AssumeRolePolicyDocument")
        if trust is not None:
            out += guarded(ctx, src, _trust, ctx, src, trust, f"{loc}.AssumeRolePolicyDocument", arn, since)
    return out


def _inline(ctx: Context, src: Source, p: Any, ploc: str, arn: str, kind: str, since) -> list[dict]:
    pname = text(p, "PolicyName", ploc, required=True)
    inline = f"{arn}#inline/{pname}"
    if p.get("PolicyDocument") is None:
        raise Bad(ploc, "inline policy has no PolicyDocument")
    return [edge(arn, kind, "has_policy", inline, "policy", ploc, provider=PROVIDER, since=since, detail="inline")] + \
        policy_rows(ctx, src, p["PolicyDocument"], f"{ploc}.PolicyDocument", inline, "policy", since)


def _trust(ctx: Context, src: Source, doc: Any, tloc: str, arn: str, since) -> list[dict]:
    out: list[dict] = []
    for sloc, st in statements(document(doc, tloc), tloc):
        out += guarded(ctx, src, trust_rows, ctx, src, st, sloc, arn, since)
    return out


def _managed_policy(ctx: Context, src: Source, rec: Any, loc: str) -> list[dict]:
    arn = text(rec, "Arn", loc, required=True)
    versions = items(rec, "PolicyVersionList", loc)
    default = text(rec, "DefaultVersionId", loc)
    pick = None
    for v, ver in enumerate(versions):
        if isinstance(ver, dict) and ver.get("IsDefaultVersion") is True:
            pick = v
            break
    if pick is None:
        pick = next((v for v, ver in enumerate(versions) if isinstance(ver, dict) and default is not None
                     and ver.get("VersionId") == default), None)
    if pick is None:
        raise Bad(f"{loc}.PolicyVersionList", "no default policy version (IsDefaultVersion or DefaultVersionId)")
    vloc = f"{loc}.PolicyVersionList[{pick}]"
    ver = versions[pick]
    if ver.get("Document") is None:
        raise Bad(vloc, "policy version has no Document")
    since = when(ver.get("CreateDate") or rec.get("CreateDate"), vloc, "CreateDate")
    return policy_rows(ctx, src, ver["Document"], f"{vloc}.Document", arn, "policy", since)


# --------------------------------------------------------------------------- list-access-keys


def _sniff_keys(src: Source) -> bool:
    return bool(re.search(r'"AccessKeyMetadata"\s*:', src.head()))


def read_keys(src: Source, ctx: Context) -> list[dict]:
    doc = load_json(src)
    if not isinstance(doc, dict):
        raise Bad("top level", "expected the JSON object that list-access-keys prints")
    meta = doc.get("AccessKeyMetadata")
    if not isinstance(meta, list):
        raise Bad("AccessKeyMetadata", "expected a list")
    out: list[dict] = []
    for i, k in enumerate(meta):
        out += guarded(ctx, src, _key, k, f"AccessKeyMetadata[{i}]")
    return out


def _key(rec: Any, loc: str) -> list[dict]:
    key_id = text(rec, "AccessKeyId", loc, required=True)
    user = text(rec, "UserName", loc, required=True)
    status = text(rec, "Status", loc)
    since = when(rec.get("CreateDate"), loc, "CreateDate")
    # The user is a bare name here: load_inventory resolves it to an ARN from a GAAD or a
    # credential report in the same load.
    return [edge(key_id, "credential", "authenticates_as", user, "user", loc, provider=PROVIDER, since=since,
                 detail=f"status={status}" if status else None, _user_name=user)]


# --------------------------------------------------------------------------- credential report

REPORT_HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,"
    "mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,"
    "access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,"
    "cert_2_last_rotated"
)
_REQUIRED = ("user", "arn", "access_key_1_active", "access_key_1_last_rotated")


def _sniff_report(src: Source) -> bool:
    h = src.head().lstrip("\ufeff").lstrip()
    if h.startswith("user,arn,"):
        return True
    return bool(re.search(r'"ReportFormat"\s*:', h)) and bool(re.search(r'"Content"\s*:', h))


def read_report(src: Source, ctx: Context) -> list[dict]:
    prefix = ""
    if src.head().lstrip().startswith("{"):
        import base64
        import binascii

        doc = load_json(src)
        content = doc.get("Content") if isinstance(doc, dict) else None
        if not isinstance(content, str):
            raise Bad("Content", "expected the base64 text of the report")
        fmt = doc.get("ReportFormat")
        if fmt not in (None, "text/csv"):
            raise Bad("ReportFormat", "only text/csv reports are known")
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise Bad("Content", "not valid base64") from None
        src = _Inner(src.path, data)
        prefix = "Content "
    header, rows = csv_rows(src)
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise Bad(f"{prefix}line 1", "not a credential report header: missing " + ", ".join(missing))
    out: list[dict] = []
    for loc, row in rows:
        out += guarded(ctx, src, _report_row, ctx, row, prefix + loc)
    return out


class _Inner(Source):
    """The CSV inside a JSON report: its messages still name the JSON file."""


def _report_row(ctx: Context, row: Any, loc: str) -> list[dict]:
    if isinstance(row, Bad):
        raise Bad(loc, row.reason)
    user, arn = row.get("user"), row.get("arn")
    if not arn:
        raise Bad(loc, "missing required field 'arn'")
    if user and user != "<root_account>":
        ctx.user(user, arn)
    out = []
    for n in (1, 2):
        active = (row.get(f"access_key_{n}_active") or "").lower()
        rotated = when(row.get(f"access_key_{n}_last_rotated"), loc, f"access_key_{n}_last_rotated")
        if active != "true" and rotated is None:
            continue  # no key in this slot
        used = when(row.get(f"access_key_{n}_last_used_date"), loc, f"access_key_{n}_last_used_date")
        parts = [f"slot=access_key_{n}", f"active={active or 'unknown'}",
                 f"last_used={used.isoformat() if used is not None else 'never'}"]
        for what in ("service", "region"):
            v = row.get(f"access_key_{n}_last_used_{what}")
            if v and v not in ("N/A",):
                parts.append(f"last_used_{what}={v}")
        out.append(edge(f"{arn}#access_key_{n}", "credential", "authenticates_as", arn, node_type(arn), loc,
                        provider=PROVIDER, since=rotated, detail="; ".join(parts),
                        _slot=(user if user != "<root_account>" else None, arn, rotated)))
    return out


FORMATS = [
    InventoryFormat("aws-iam-gaad", PROVIDER, "aws iam get-account-authorization-details (CLI or URL-encoded API)",
                    _sniff_gaad, read_gaad),
    InventoryFormat("aws-list-access-keys", PROVIDER, "aws iam list-access-keys", _sniff_keys, read_keys),
    InventoryFormat("aws-credential-report", PROVIDER, "IAM credential report (CSV, or get-credential-report JSON)",
                    _sniff_report, read_report),
]
