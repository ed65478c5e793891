"""What could an attacker do with this key? Reach over the grants edge list, pivots included.

:func:`blast_radius` walks the grants frame (:func:`leaklab.load_inventory`) from each
credential: the principal it authenticates as, the roles that principal may assume, the
groups and policies that give it statements, the resources those statements allow, and
the secrets those resources hold, whose own reach is added one pivot hop further.

Results are *permitted (approx.)*, never "effective": explicit Deny wins and wildcards,
NotAction and NotResource are evaluated, but conditions are reported, not evaluated, and
permission boundaries, SCPs and resource policies are noted, not applied. ``approx`` and
``notes`` say which of these touched a row.

    >>> import leaklab
    >>> from leaklab import schema
    >>> g = schema.build("grants", {
    ...     "source":   ["key-1", "alice",  "alice",                 "vault/ci",  "key-2"],
    ...     "relation": ["authenticates_as", "allow", "allow",       "holds_secret", "allow"],
    ...     "target":   ["alice", "vault/ci", "bucket/*",            "key-2",     "repo/infra"],
    ...     "action":   [None,    "read",   "s3:GetObject",          None,        "contents:write"],
    ...     "source_type": ["credential", "user", "user", "resource", "credential"],
    ... })
    >>> r = leaklab.blast_radius(g, ["key-1"])
    >>> r[["credential", "acting_credential", "hops", "resource", "permission", "access"]].to_string(index=False)
    'credential acting_credential  hops   resource     permission access\\n     key-1             key-1     0   bucket/*   s3:GetObject   read\\n     key-1             key-1     0   vault/ci           read   read\\n     key-1             key-2     1 repo/infra contents:write  write'
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from functools import lru_cache

from . import schema
from .errors import LeakLabError
from .fingerprint import redact

RELATIONS = {
    "authenticates_as": "credential -> principal it acts as",
    "member_of": "user -> group whose policies apply to it",
    "has_policy": "user, group or role -> attached managed or inline policy",
    "has_boundary": "user or role -> permissions boundary (noted, not evaluated)",
    "allow": "policy, principal or credential -> resource or pattern; action is the permission",
    "deny": "as allow, and an explicit deny wins",
    "can_assume": "principal, account root, '*', service or federated -> role (trust policy)",
    "contains": "resource -> resource inside it (org -> repo): a grant on the parent reaches the child",
    "holds_secret": "resource -> credential stored in it: reading the resource yields the credential (pivot)",
    "has_resource": "account or provider -> resource, declaring its kind and data class",
}

DATA_CLASSES = ("secret", "restricted", "confidential", "internal", "public")
ACCESS = ("admin", "write", "read", "none", "unknown")

# Verbs (the part of an action after "service:") that only read.
_READ_VERBS = ("get", "list", "describe", "read", "query", "scan", "select", "batchget", "download",
               "lookup", "view", "search", "head", "filter", "export", "history", "decrypt")
# Services whose write actions change who can do what: any write there is admin.
_ADMIN_SERVICES = {"iam", "sts", "organizations", "sso", "kms"}
# OAuth scopes whose meaning is not in their spelling (GitHub classic, Slack).
_SCOPES = {
    "repo": "write", "public_repo": "write", "workflow": "write", "gist": "write", "user": "write",
    "delete_repo": "admin", "codespace": "write", "project": "write", "notifications": "read",
    "audit_log": "read", "incoming-webhook": "write", "bot": "write", "full_access": "admin",
}
# GitHub fine-grained permission names: their "write" level includes "read".
_GITHUB_PERMISSIONS = {
    "actions", "administration", "checks", "codespaces", "codespaces_secrets", "contents", "dependabot_secrets",
    "deployments", "environments", "issues", "members", "metadata", "organization_secrets", "packages", "pages",
    "pull_requests", "repository_hooks", "secret_scanning_alerts", "secrets", "security_events", "statuses",
    "variables", "workflows",
}
# The resource in a trust policy that names any principal.
ANYONE = "*"


def blast_radius(grants, credentials=None, *, secrets=None, windows=None, usage=None, by: str = "resource",
                 max_hops: int | None = None):
    """Everything each credential can reach, one row per (credential, resource, permission).

    Parameters
    ----------
    grants
        The grants edge list (:func:`leaklab.load_inventory`, or several concatenated).
    credentials
        Which credentials to start from: ids as the grants name them (access key ids,
        fingerprints, names), a secrets frame (matched on ``secret_id`` and on the SHA-256
        of each credential id, so an access key id found by a scanner links up), or a
        windows frame (its ``credential`` column). ``None``: every credential in ``grants``.
    secrets
        A secrets frame: each repository in its ``repos`` holds the secrets found there, so
        a credential that can read that repository pivots to them.
    windows
        Exposure windows (:func:`leaklab.exposure_windows`): ``exposed_from`` of a root is
        its window's start; a pivot's is the later of its parent's and the time the secret
        was stored (``since`` of the holds_secret edge).
    usage
        An access-log frame (:func:`leaklab.load_access_logs`): rows that a successful logged
        call by the acting credential matches get ``used`` True and their ``n_uses``.
    by
        ``"resource"`` (default): one row per (credential, acting credential, resource,
        permission). ``"credential"``: a summary per credential (resources by data class,
        write/admin capability, pivot depth, used versus merely permitted). ``"pivot"``:
        one row per credential reached through a pivot, with the chain.
    max_hops
        Stop following pivots after this many (default: follow them all).
    """
    if by not in ("resource", "credential", "pivot"):
        raise LeakLabError(reason=f"by must be 'resource', 'credential' or 'pivot', not {by!r}")
    schema.validate(grants, "grants")
    g = _Graph(grants, secrets)
    roots = _roots(g, credentials)
    reach = g.identity_reach()
    chains = g.pivot_chains(roots, reach, max_hops)
    out = _rows(g, reach, chains, windows)
    if usage is not None:
        out = _mark_used(out, usage)
    if by == "pivot":
        return _pivot_table(g, chains, out)
    if by == "credential":
        return _summary(out, roots, usage is not None)
    return out


# --------------------------------------------------------------------------- patterns


def has_wildcard(s: str) -> bool:
    return "*" in s or "?" in s


@lru_cache(maxsize=65_536)
def _regex(pattern: str, fold: bool) -> re.Pattern:
    body = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(body + r"\Z", re.IGNORECASE | re.DOTALL if fold else re.DOTALL)


def matches(value: str, pattern: str, *, action: bool = False) -> bool:
    """IAM matching: ``*`` any run, ``?`` one character; actions ignore case, resources don't.

        >>> matches("s3:GetObject", "s3:get*", action=True), matches("arn:aws:s3:::b", "arn:aws:s3:::B")
        (True, False)
    """
    return _regex(pattern, action).match(value) is not None


def covers(outer: str, inner: str, *, action: bool = True) -> bool:
    """Every value ``inner`` matches is matched by ``outer`` (decided on the pattern text).

        >>> covers("s3:*", "s3:Get*"), covers("s3:Get*", "s3:*")
        (True, False)
    """
    return matches(inner, outer, action=action)


def overlaps(a: str, b: str, *, action: bool = True) -> bool:
    """Some value could match both patterns (an over-approximation for two wildcards)."""
    if matches(a, b, action=action) or matches(b, a, action=action):
        return True
    if has_wildcard(a) and has_wildcard(b):
        pa, pb = _prefix(a).lower(), _prefix(b).lower()
        return pa.startswith(pb) or pb.startswith(pa)
    return False


def _prefix(p: str) -> str:
    return re.split(r"[*?]", p, maxsplit=1)[0]


def access_of(permission: str) -> str:
    """admin, write, read, none or unknown, from the permission's spelling.

        >>> [access_of(p) for p in ["s3:GetObject", "s3:Put*", "s3:*", "iam:CreateAccessKey", "repo",
        ...                         "channels:history", "contents:write", "Read & Write", "admin.users:write"]]
        ['read', 'write', 'admin', 'admin', 'write', 'read', 'write', 'write', 'admin']
    """
    p = permission.strip().lower()
    if p in _SCOPES:
        return _SCOPES[p]
    if p in ("*", "*:*") or "admin" in p or p.startswith("administration"):
        return "admin"
    if p in ("none", "error", "no access"):
        return "none"
    if "write" in p or p.endswith(":manage"):
        return "write"
    if p.endswith((":read", "read", ":history")) or p.startswith("read"):
        return "read"
    service, _, verb = p.partition(":")
    if not verb:
        return "unknown"
    if verb == "*" or service == "*" or not _prefix(verb):
        return "admin"
    if _prefix(verb).startswith(_READ_VERBS):
        return "read"
    return "admin" if service in _ADMIN_SERVICES and service != "kms" or verb.startswith("passrole") else "write"


def can_read(permission: str, not_action: bool = False) -> bool:
    """Could this permission read what a resource holds (the pivot test)?

    Admin and read can; for scopes and trufflehog levels write includes read; an IAM write
    verb (PutObject) does not. Unknown spellings count as able, so reach errs large.
    """
    if not_action:
        return True
    level = access_of(permission)
    if level in ("admin", "read", "unknown"):
        return True
    if level != "write":
        return False
    p = permission.strip().lower()
    name, _, verb = p.partition(":")
    # Scopes without a colon (repo) and trufflehog's "Read & Write" include reading; so do GitHub's
    # "write:packages" and fine-grained "contents:write"; Slack's "chat:write" does not.
    return not verb or name == "write" or (verb == "write" and name in _GITHUB_PERMISSIONS)


def arn_service(resource: str) -> str | None:
    """The service of an ARN (``arn:aws:s3:::b`` -> ``s3``), else None."""
    if not resource.startswith("arn:"):
        return None
    parts = resource.split(":", 5)
    return parts[2] if len(parts) > 2 else None


def _s3_bucket(resource: str) -> str:
    """Object ARNs and patterns are reported at bucket level: ``arn:aws:s3:::b/*`` -> ``arn:aws:s3:::b``."""
    if resource.startswith("arn:aws:s3:::") and "/" in resource:
        return resource.split("/", 1)[0]
    return resource


# --------------------------------------------------------------------------- the graph


def _obj(series):
    """A column as a numpy object array with None for missing: fast to loop over."""
    return series.astype(object).where(series.notna(), None).to_numpy()


def _flags(series):
    return series.fillna(False).astype(bool).to_numpy()


def _per_unique(series, fn):
    """``fn`` applied once per distinct value of ``series``, spread back to every row."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    table = np.array([fn(u) for u in uniques] + [fn(None)], dtype=object)
    return table[codes]  # code -1 (missing) takes the last entry


class _Graph:
    """The grants frame as adjacency lists and arrays, built once per call."""

    def __init__(self, grants, secrets=None):
        import pandas as pd

        g = grants
        rel = _obj(g["relation"])
        unknown = sorted({r for r in rel if r is not None} - set(RELATIONS))
        if unknown:
            raise LeakLabError(reason=f"grants: unknown relation(s) {', '.join(map(repr, unknown[:5]))}; "
                               f"known: {', '.join(RELATIONS)}")
        src, tgt, st, tt = _obj(g["source"]), _obj(g["target"]), _obj(g["source_type"]), _obj(g["target_type"])
        dc, since = _obj(g["data_class"]), list(g["since"])
        self.auth: dict[str, list[str]] = defaultdict(list)
        self.member: dict[str, list[str]] = defaultdict(list)
        self.policies: dict[str, list[str]] = defaultdict(list)
        self.contains: dict[str, list[str]] = defaultdict(list)
        self.trust: dict[str, list[tuple[str, bool]]] = defaultdict(list)
        self.holds: dict[str, list[tuple[str, object]]] = defaultdict(list)
        self.boundary: set[str] = set()
        self.types: dict[str, str] = {}
        self.data_class: dict[str, str] = {}
        declared: set[str] = set()
        cond = _obj(g["condition"])
        adj = {"authenticates_as": self.auth, "member_of": self.member, "has_policy": self.policies,
               "contains": self.contains}
        credentials = set()
        for i in range(len(rel)):
            r, s, t = rel[i], src[i], tgt[i]
            if s is None or t is None:
                continue
            if st[i] is not None:
                self.types.setdefault(s, st[i])
            if tt[i] is not None and r != "has_resource":
                self.types.setdefault(t, tt[i])
            if st[i] == "credential":
                credentials.add(s)
            if r in adj:
                if t not in adj[r][s]:
                    adj[r][s].append(t)
                if r == "authenticates_as":
                    credentials.add(s)
            elif r == "can_assume":
                self.trust[s].append((t, cond[i] is not None))
            elif r == "holds_secret":
                self.holds[s].append((t, None if pd.isna(since[i]) else since[i]))
                credentials.add(t)
            elif r == "has_boundary":
                self.boundary.add(s)
            elif r == "has_resource":
                declared.add(t)
                if tt[i] is not None:
                    self.types[t] = tt[i]
                if dc[i] is not None:
                    self.data_class[t] = dc[i]
        if secrets is not None:
            credentials |= self._holds_from_secrets(secrets)
        self.credentials = sorted(credentials)
        for c in self.credentials:
            self.types[c] = "credential"
        is_perm = (rel == "allow") | (rel == "deny")
        perms = g.loc[is_perm, ["source", "relation", "target", "action", "not_action", "not_resource", "condition",
                                "provider", "target_type"]]
        self.perms = pd.DataFrame({
            "source": _obj(perms["source"]), "relation": _obj(perms["relation"]),
            # S3 object ARNs count at bucket level: a wildcard in the object key is no wildcard here.
            "target": _per_unique(perms["target"], lambda t: None if t is None else _s3_bucket(t)),
            "action": _obj(perms["action"]), "not_action": _flags(perms["not_action"]),
            "not_resource": _flags(perms["not_resource"]), "condition": _obj(perms["condition"]),
            "provider": _obj(perms["provider"]), "target_type": _obj(perms["target_type"]),
        })
        self.perms = self.perms[self.perms["source"].notna() & self.perms["target"].notna()]
        wild = _per_unique(self.perms["target"], lambda t: t is not None and has_wildcard(t)).astype(bool)
        self.perms["wild"] = wild | self.perms["not_resource"].to_numpy()
        literal = set(self.perms.loc[~self.perms["wild"], "target"])
        # Every resource leaklab knows by name: wildcards are expanded against these, sorted so a
        # pattern's literal prefix narrows the search by bisection.
        self.universe = sorted(declared | set(self.holds) | set(self.contains)
                               | {c for v in self.contains.values() for c in v} | literal)
        self._service_of = [arn_service(r) for r in self.universe]

    def _holds_from_secrets(self, secrets) -> set[str]:
        """A repository where a scanner found secrets holds them."""
        import pandas as pd

        if "repos" not in secrets.columns or "secret_id" not in secrets.columns:
            raise LeakLabError(reason="secrets: expected the frame leaklab.dedupe returns (secret_id, repos)")
        times = secrets["first_commit_time"] if "first_commit_time" in secrets.columns else [None] * len(secrets)
        found = set()
        for sid, repos, t in zip(_obj(secrets["secret_id"]), _obj(secrets["repos"]), times):
            if sid is None or repos is None:
                continue
            for repo in repos.split(","):
                repo = repo.strip()
                if repo and all(sid != c for c, _ in self.holds[repo]):
                    self.holds[repo].append((sid, None if t is None or pd.isna(t) else t))
                    self.types.setdefault(repo, "repository")
                    found.add(sid)
        return found

    # ------------------------------------------------------------------ what each identity may do

    def sources_of(self, principal: str) -> list[tuple[str, str]]:
        """(statement source, path from the principal) pairs that give ``principal`` its statements."""
        out = [(principal, "")]
        for pol in self.policies.get(principal, ()):
            out.append((pol, _label(pol, self.types)))
        for grp in self.member.get(principal, ()):
            out.append((grp, _label(grp, self.types)))
            for pol in self.policies.get(grp, ()):
                out.append((pol, f"{_label(grp, self.types)} → {_label(pol, self.types)}"))
        return out

    def identity_reach(self):
        """Permitted rows for every principal and credential, denies applied, sorted by identity."""
        import numpy as np
        import pandas as pd

        roles = {t for v in self.trust.values() for t, _ in v}
        identities = sorted({p for v in self.auth.values() for p in v} | set(self.credentials) | roles)
        src = pd.DataFrame([(i, s, via) for i in identities for s, via in self.sources_of(i)],
                           columns=["identity", "source", "via"])
        joined = src.merge(self.perms, on="source", how="inner", sort=False)
        is_allow = joined["relation"].to_numpy() == "allow"
        allow, deny = joined[is_allow], joined[~is_allow]
        self._assume_grants(allow)
        rows = self._expand(allow)
        rows = self._apply_denies(rows, deny)
        if self.boundary:
            hit = rows["identity"].isin(self.boundary).to_numpy()
            rows.loc[hit, "approx"] = True
            rows.loc[hit, "notes"] = [_add(n, "boundary not evaluated") for n in rows.loc[hit, "notes"]]
        rows = self._describe(rows)
        # One order, fixed once here: identity, resource, permission, path (codes sort as the strings do).
        keys = [pd.factorize(rows[c].fillna(""), sort=True)[0] for c in ("rest", "permission", "resource", "identity")]
        return rows.iloc[np.lexsort(keys)].reset_index(drop=True)

    def _assume_grants(self, allow) -> None:
        """identity -> resource patterns its own policies allow sts:AssumeRole on (for account trusts)."""
        self.assume_ok: dict[str, list[tuple[str, bool]]] = defaultdict(list)
        act, na = allow["action"].to_numpy(), allow["not_action"].to_numpy()
        for ident, a, n, t, nr in zip(allow["identity"], act, na, allow["target"], allow["not_resource"]):
            if a is None:
                continue
            ok = (not any(matches("sts:AssumeRole", p.strip(), action=True) for p in a.split(","))) if n \
                else matches("sts:AssumeRole", a, action=True)
            if ok:
                self.assume_ok[ident].append((t, nr))

    def _expand(self, allow):
        """Allow rows with patterns expanded against the known resources and contains followed."""
        import numpy as np
        import pandas as pd

        a = allow.reset_index(drop=True)
        wild = a["wild"].to_numpy()
        # Patterns: each distinct (pattern, NotResource, action's service) matched once.
        pat_idx = np.flatnonzero(wild)
        take, resources, from_pattern = [np.flatnonzero(~wild)], [a["target"].to_numpy()[~wild]], [np.zeros((~wild).sum(), bool)]
        cache: dict[tuple, list[str]] = {}
        t_, nr_, act_, na_ = (a[c].to_numpy() for c in ("target", "not_resource", "action", "not_action"))
        pi, pr = [], []
        for i in pat_idx:
            key = (t_[i], bool(nr_[i]), _service(act_[i], na_[i]))
            hits = cache.get(key)
            if hits is None:
                hits = cache[key] = self._match(*key) or [("NotResource: " + t_[i]) if nr_[i] else t_[i]]
            pi.extend([i] * len(hits))
            pr.extend(hits)
        take.append(np.asarray(pi, dtype=np.int64))
        resources.append(np.asarray(pr, dtype=object))
        from_pattern.append(np.ones(len(pi), bool))
        # Containers: a grant on an org or workspace reaches everything inside it.
        idx = np.concatenate(take)
        res = np.concatenate(resources)
        wr = np.concatenate(from_pattern)
        via = np.full(len(idx), None, dtype=object)
        if self.contains:
            inside = [(k, child, r) for k, r in enumerate(res) if r in self.contains for child in _descendants(self.contains, r)]
            if inside:
                k, child, parent = zip(*inside)
                k = np.asarray(k)
                idx = np.concatenate([idx, idx[k]])
                res = np.concatenate([res, np.asarray(child, dtype=object)])
                wr = np.concatenate([wr, wr[k]])
                via = np.concatenate([via, np.asarray(parent, dtype=object)])
        rows = a.iloc[idx].reset_index(drop=True)
        rows["resource"] = res
        act = rows["action"].to_numpy()
        nact = rows["not_action"].to_numpy()
        wild_action = _per_unique(rows["action"], lambda x: x is not None and has_wildcard(x)).astype(bool)
        rows["permission"] = np.where(nact, "NotAction: " + rows["action"].fillna("").astype(object), act)
        rows["approx"] = wr | wild_action | nact
        rows["conditional"] = rows["condition"].notna().to_numpy()
        table = {}
        for w in (False, True):
            for n in (False, True):
                for x in (False, True):
                    parts = ["resource wildcard"] if w else []
                    parts += ["NotAction"] if n else (["action wildcard"] if x else [])
                    table[w, n, x] = ", ".join(parts) or None
        notes = np.array([table[k] for k in zip(wr, nact, wild_action)], dtype=object)
        for k in np.flatnonzero(pd.notna(via)):
            notes[k] = _add(notes[k], f"inside {via[k]}")
        rows["notes"] = notes
        rows["denied_in_part"] = False
        return rows

    def _match(self, pattern: str, not_resource: bool, service: str | None) -> list[str]:
        from bisect import bisect_left

        u = self.universe
        if not_resource:
            pats = [_s3_bucket(p.strip()) for p in pattern.split(",")]
            lo, hi = 0, len(u)
        else:
            pats = [pattern]
            prefix = _prefix(pattern)
            lo, hi = bisect_left(u, prefix), bisect_left(u, prefix + "\U0010ffff")
        out = []
        for k in range(lo, hi):
            if service is not None:
                s = self._service_of[k]
                if s is None or not matches(s, service, action=True):
                    continue
            if any(matches(u[k], p) for p in pats) != not_resource:
                out.append(u[k])
        return out

    def _apply_denies(self, rows, deny):
        """Explicit deny wins: drop rows a deny covers, mark rows it touches in part."""
        import numpy as np
        import pandas as pd

        if not len(deny):
            return rows
        rows = rows.reset_index(drop=True)
        rows["_row"] = np.arange(len(rows))
        d = deny.rename(columns={"target": "d_target", "action": "d_action", "not_action": "d_not_action",
                                 "not_resource": "d_not_resource", "condition": "d_condition"})
        d = d[["identity", "d_target", "d_action", "d_not_action", "d_not_resource", "d_condition", "wild"]]
        # Literal denies meet their resource by a join; pattern denies meet every row of their identity.
        lit = rows.merge(d[~d["wild"]], left_on=["identity", "resource"], right_on=["identity", "d_target"])
        pat = rows[rows["identity"].isin(set(d.loc[d["wild"], "identity"]))].merge(d[d["wild"]], on="identity")
        pairs = pd.concat([lit, pat], ignore_index=True)
        verdicts: dict[int, str] = {}
        cache: dict[tuple, str | None] = {}
        cols = [pairs[c].to_numpy() for c in ("_row", "resource", "action", "not_action", "d_target", "d_action",
                                              "d_not_action", "d_not_resource", "d_condition")]
        for row, res, act, na, dt, da, dna, dnr, dc in zip(*cols):
            key = (res, act, na, dt, da, dna, dnr, dc is not None)
            if key not in cache:
                cache[key] = _deny_verdict(dt, da, dna, dnr, dc is not None, res, act or "", na)
            v = cache[key]
            if v == "full" or (v == "part" and verdicts.get(row) != "full"):
                verdicts[row] = v
        full = np.zeros(len(rows), bool)
        part = np.zeros(len(rows), bool)
        for row, v in verdicts.items():
            (full if v == "full" else part)[row] = True
        rows["denied_in_part"] = part
        rows.loc[part, "approx"] = True
        rows.loc[part, "notes"] = [_add(n, "partly denied") for n in rows.loc[part, "notes"]]
        return rows[~full].drop(columns="_row")

    def _describe(self, rows):
        """Per-row attributes computed once per distinct value."""
        import numpy as np
        import pandas as pd
        import pyarrow as pa
        import pyarrow.compute as pc

        types, dclass, holds = self.types, self.data_class, self.holds
        res, perm = rows["resource"], rows["permission"]
        rows["resource_type"] = _per_unique(res, lambda r: None if r is None else types.get(r) or arn_service(r))
        rows["resource_type"] = rows["resource_type"].where(rows["resource_type"].notna(), rows["target_type"])
        rows["data_class"] = _per_unique(res, lambda r: dclass.get(r))
        rows["holds_secrets"] = _per_unique(res, lambda r: r in holds).astype(bool)
        rows["access"] = _per_unique(perm, lambda p: "admin" if p and p.startswith("NotAction: ") else access_of(p or ""))
        rows["can_read"] = _per_unique(perm, lambda p: can_read(p[11:], True) if p and p.startswith("NotAction: ")
                                       else can_read(p or "")).astype(bool)
        label = pa.array(_per_unique(res, lambda r: _label(r, types) if r else ""), pa.string())
        via = rows["via"].to_numpy(dtype=object)
        via = pa.array(np.where((via == "") | pd.isna(via), None, via), pa.string())
        rows["rest"] = pc.binary_join_element_wise(via, label, " → ", null_handling="skip").to_numpy(zero_copy_only=False)
        return rows

    # ------------------------------------------------------------------ credentials and pivots

    def acts_as(self, credential: str) -> list[tuple[str, str, bool]]:
        """(identity, path, approx) for a credential: itself, its principals, roles they can assume."""
        head = _label(credential, self.types)
        out = [(credential, head, False)]
        seen = {credential}
        queue = deque((p, f"{head} → {_label(p, self.types)}", False) for p in self.auth.get(credential, ()))
        while queue:
            ident, path, approx = queue.popleft()
            if ident in seen:
                continue
            seen.add(ident)
            out.append((ident, path, approx))
            for role, how, ax in self._assumable(ident):
                if role not in seen:
                    queue.append((role, f"{path} → assume {_label(role, self.types)}{how}", approx or ax))
        return out

    def _assumable(self, principal: str):
        """Roles whose trust policy lets ``principal`` in: named directly; or through its account or
        '*', when its own policies also allow sts:AssumeRole on the role."""
        out = [(role, " (trust condition)" if cond else "", cond) for role, cond in self.trust.get(principal, ())]
        account = _account_root(principal)
        for src in ([account] if account else []) + [ANYONE]:
            for role, cond in self.trust.get(src, ()):
                if any((matches(role, t) or t == role) != nr for t, nr in self.assume_ok.get(principal, ())):
                    out.append((role, " (trusts the account)" if src != ANYONE else " (trusts anyone)",
                                cond or src == ANYONE))
        return sorted(set(out))

    def pivot_chains(self, roots: list[str], reach, max_hops):
        """For each root, breadth first: every credential it reaches, with hops, chain and storage time."""
        import numpy as np

        readable: dict[str, list[str]] = defaultdict(list)
        sub = reach[reach["holds_secrets"].to_numpy() & reach["can_read"].to_numpy()]
        for ident, res in zip(sub["identity"], sub["resource"]):
            if res not in readable[ident]:
                readable[ident].append(res)
        self._acts: dict[str, list] = {}
        chains = []
        for root in roots:
            seen = {root}
            queue = deque([(root, 0, (), None)])
            while queue:
                cred, hops, chain, since = queue.popleft()
                chains.append((root, cred, hops, chain, since))
                if cred not in self._acts:
                    self._acts[cred] = self.acts_as(cred)
                if max_hops is not None and hops >= max_hops:
                    continue
                for ident, _, _ in self._acts[cred]:
                    for holder in readable.get(ident, ()):
                        for held, held_since in self.holds[holder]:
                            if held not in seen:
                                seen.add(held)
                                queue.append((held, hops + 1, chain + ((cred, holder),), held_since))
        del np
        return chains


def _descendants(adj: dict, start: str) -> list[str]:
    seen, stack, out = {start}, [start], []
    while stack:
        for c in adj.get(stack.pop(), ()):
            if c not in seen:
                seen.add(c)
                out.append(c)
                stack.append(c)
    return out


def _service(action, not_action) -> str | None:
    """The ARN service an IAM action applies to (``s3:GetObject`` -> ``s3``); None: any resource."""
    if not isinstance(action, str) or not_action or ":" not in action:
        return None
    service = action.split(":", 1)[0].lower()
    if service in ("", "*") or has_wildcard(service):
        return None
    return "iam" if service == "sts" else service  # sts:AssumeRole acts on iam role ARNs


def _label(node: str, types: dict) -> str:
    """A node as shown in a path: ARNs by their last part, credentials redacted."""
    if types.get(node) == "credential":
        return redact(node)
    if node.startswith("arn:"):
        tail = node.split(":", 5)[-1]
        return tail if tail else node
    return node


def _add(notes, note: str) -> str:
    return note if not isinstance(notes, str) or not notes else f"{notes}, {note}"


def _account_root(principal: str) -> str | None:
    m = re.match(r"arn:aws[\w-]*:iam::(\d{12}):", principal)
    return f"arn:aws:iam::{m.group(1)}:root" if m else None


def _deny_verdict(d_target, d_action, d_not_action, d_not_resource, d_conditional, resource, action,
                  allow_not_action) -> str | None:
    """'full' when the deny covers the allowed (resource, action), 'part' when it may cover some."""
    patterns = [_s3_bucket(p.strip()) for p in d_target.split(",")] if d_not_resource else [d_target]
    hit = any(matches(resource, p) or covers(p, resource, action=False) for p in patterns)
    if d_not_resource:
        hit = not hit
    if not hit:
        return None
    denied = [p.strip() for p in (d_action or "").split(",")] if d_not_action else [d_action or ""]
    if d_conditional:
        return "part"  # a conditional deny may or may not apply
    if d_not_action:  # denies everything except `denied`
        if allow_not_action:
            return "part"
        if any(covers(p, action) for p in denied):
            return None
        return "part" if any(overlaps(p, action) for p in denied) else "full"
    if allow_not_action:
        return "full" if "*" in denied else "part"
    if any(covers(p, action) for p in denied):
        return "full"
    return "part" if any(overlaps(p, action) for p in denied) else None


def _roots(g: _Graph, credentials) -> list[str]:
    """Credential ids to start from, as the grants name them."""
    if credentials is None:
        return list(g.credentials)
    if isinstance(credentials, str):
        credentials = [credentials]
    if hasattr(credentials, "columns"):
        df = credentials
        if "secret_id" in df.columns:  # a secrets frame: match ids and fingerprints of ids
            from .fingerprint import sha256

            want = set(df["secret_id"].dropna())
            if "secret_sha256" in df.columns:
                want |= set(df["secret_sha256"].dropna())
            return [c for c in g.credentials if c in want or sha256(c) in want]
        if "credential" not in df.columns:
            raise LeakLabError(reason="credentials: give ids, a secrets frame or a windows frame")
        credentials = df["credential"].dropna().tolist()
    seen, out = set(), []
    for c in credentials:
        if isinstance(c, str) and c not in seen:
            seen.add(c)
            out.append(c)
    return out


# --------------------------------------------------------------------------- output


def _rows(g: _Graph, reach, chains, windows):
    """Per root: the reach of every credential in its chain, through every identity it acts as.

    Built by index arithmetic: ``reach`` is sorted by identity, so each (root, credential,
    identity) takes one contiguous block of it.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    starts = _window_starts(windows)
    acts = []
    for root, cred, hops, chain, since in chains:
        start = starts.get(cred) if hops == 0 else _later(starts.get(root), since)
        pivot = " → ".join([f"{_label(c, g.types)} → {_label(h, g.types)}" for c, h in chain]
                           + [_label(cred, g.types)]) if chain else None
        for ident, path, approx in g._acts[cred]:
            acts.append((root, cred, hops, pivot, start, ident, path, approx))
    if not acts or not len(reach):
        return schema.empty("reach")
    root, cred, hops, pivot, start, ident, prefix, approx = (np.asarray(x, dtype=object) for x in zip(*acts))
    ids = reach["identity"].to_numpy()
    first = {}
    bounds = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[bounds[1:], len(ids)]
    for b, e in zip(bounds, ends):
        first[ids[b]] = (b, e - b)
    lo = np.array([first.get(i, (0, 0))[0] for i in ident], dtype=np.int64)
    n = np.array([first.get(i, (0, 0))[1] for i in ident], dtype=np.int64)
    total = int(n.sum())
    offsets = np.repeat(np.cumsum(n) - n, n)
    take = np.repeat(lo, n) + (np.arange(total) - offsets)

    def rep(x):
        return np.repeat(x, n)

    r = reach.iloc[take].reset_index(drop=True)
    approx_chain = rep(approx).astype(bool)
    notes = r["notes"].to_numpy()
    if approx_chain.any():
        notes = notes.copy()
        for k in np.flatnonzero(approx_chain):
            notes[k] = _add(notes[k], "trust condition or wildcard principal")
    path = pc.binary_join_element_wise(pa.array(rep(prefix), pa.string()), pa.array(r["rest"].to_numpy(), pa.string()),
                                       " → ")
    ident_rep = rep(ident)
    cred_rep = rep(cred)
    data = {
        "credential": rep(root), "acting_credential": cred_rep, "hops": rep(hops).astype(np.int64),
        "principal": np.where(ident_rep == cred_rep, None, ident_rep), "resource": r["resource"].to_numpy(),
        "resource_type": r["resource_type"].to_numpy(), "data_class": r["data_class"].to_numpy(),
        "permission": r["permission"].to_numpy(), "access": r["access"].to_numpy(),
        "can_read": r["can_read"].to_numpy(), "approx": r["approx"].to_numpy(dtype=bool) | approx_chain,
        "conditional": r["conditional"].to_numpy(), "condition": r["condition"].to_numpy(),
        "denied_in_part": r["denied_in_part"].to_numpy(dtype=bool), "notes": notes,
        "path": path.to_numpy(zero_copy_only=False), "pivot_path": rep(pivot),
        "holds_secrets": r["holds_secrets"].to_numpy(), "exposed_from": pd.to_datetime(pd.Series(rep(start)), utc=True),
        "provider": r["provider"].to_numpy(),
    }
    return schema.build("reach", data)


def _window_starts(windows) -> dict:
    if windows is None:
        return {}
    w = windows.dropna(subset=["credential"])
    return dict(zip(w["credential"], w["exposed_from"]))


def _later(root_start, since):
    """A pivot's exposure starts no earlier than its parent's, nor before the secret was stored."""
    import pandas as pd

    times = [pd.Timestamp(t) for t in (root_start, since) if t is not None and not pd.isna(t)]
    return max(t if t.tzinfo else t.tz_localize("UTC") for t in times) if times else None


def _mark_used(out, usage):
    """A permitted row is 'used' when a successful logged call by that credential hits it."""
    import numpy as np
    import pandas as pd

    ok = usage[(usage["outcome"] != "failure").fillna(True) & ~usage["duplicate"].fillna(False)]
    ok = ok[ok["credential_id"].isin(set(out["acting_credential"].dropna()))]
    calls = defaultdict(list)
    for c, a, r in zip(_obj(ok["credential_id"]), _obj(ok["action"]), _obj(ok["resource"])):
        calls[c].append((_iam_action(a), r or ""))
    n_uses = np.zeros(len(out), dtype=np.int64)
    rows = np.flatnonzero(out["acting_credential"].isin(set(calls)).to_numpy())
    cred, perm, res = _obj(out["acting_credential"]), _obj(out["permission"]), _obj(out["resource"])
    for k in rows:
        p, name = perm[k], _resource_name(res[k])
        na = p.startswith("NotAction: ")
        for act, logged in calls[cred[k]]:
            if not act:
                continue
            hit = (not any(matches(act, x.strip(), action=True) for x in p[11:].split(","))) if na \
                else matches(act, p, action=True)
            if hit and (name in logged or res[k] in logged if logged else has_wildcard(res[k])):
                n_uses[k] += 1
    out = out.copy()
    out["n_uses"] = pd.array(n_uses, dtype="Int64")
    out["used"] = pd.array(n_uses > 0, dtype="boolean")
    return out


def _iam_action(logged) -> str | None:
    """CloudTrail's ``s3.amazonaws.com:GetObject`` as the IAM action ``s3:GetObject``."""
    if not isinstance(logged, str) or ":" not in logged:
        return None
    source, _, name = logged.rpartition(":")
    return f"{source.split('.', 1)[0]}:{name}"


def _resource_name(resource: str) -> str:
    if resource.startswith("arn:"):
        tail = resource.split(":", 5)[-1]
        return tail.split("/", 1)[-1] if resource.startswith("arn:aws:s3:::") else tail.rsplit("/", 1)[-1]
    return resource


def _pivot_table(g: _Graph, chains, out):
    """One row per credential reached through a pivot: the chain, where it was held, since when."""
    import pandas as pd

    starts = out.drop_duplicates(["credential", "acting_credential"]).set_index(
        ["credential", "acting_credential"])["exposed_from"]
    rows = []
    for root, cred, hops, chain, since in chains:
        if hops == 0:
            continue
        parent, holder = chain[-1]
        text = " → ".join([f"{_label(c, g.types)} → {_label(h, g.types)}" for c, h in chain] + [_label(cred, g.types)])
        rows.append((root, cred, hops, parent, holder, since, starts.get((root, cred)), text))
    cols = ["credential", "reached_credential", "hops", "parent", "held_in", "stored_since", "exposed_from", "chain"]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("credential", "reached_credential", "parent", "held_in", "chain"):
        df[c] = df[c].astype("string")
    df["hops"] = df["hops"].astype("Int64")
    for c in ("stored_since", "exposed_from"):
        df[c] = pd.to_datetime(df[c], utc=True)
    return df


def _summary(out, roots, have_usage: bool):
    """One row per credential: reach by data class, capability, pivot depth, used vs permitted."""
    import pandas as pd

    res = out.drop_duplicates(["credential", "resource"])
    dc = res["data_class"].fillna("unclassified")
    counts = pd.crosstab(res["credential"], dc).reindex(columns=list(DATA_CLASSES) + ["unclassified"], fill_value=0)
    grp = out.groupby("credential", sort=False)
    s = pd.DataFrame(index=pd.Index(roots, name="credential", dtype="string"))
    s["n_resources"] = res.groupby("credential").size()
    for c in counts.columns:
        s[f"n_{c}"] = counts[c]
    s["can_write"] = grp["access"].agg(lambda a: a.isin(["write", "admin"]).any())
    s["can_admin"] = grp["access"].agg(lambda a: (a == "admin").any())
    s["max_hops"] = grp["hops"].max()
    s["n_pivot_credentials"] = out[out["hops"] > 0].groupby("credential")["acting_credential"].nunique()
    s["approx"] = grp["approx"].any()
    if have_usage:
        s["n_used"] = res[res["used"].fillna(False).astype(bool)].groupby("credential").size()
        s["n_used"] = s["n_used"].fillna(0)
        s["n_permitted_only"] = s["n_resources"].fillna(0) - s["n_used"]
    ints = [c for c in s.columns if c.startswith("n_") or c == "max_hops"]
    s[ints] = s[ints].fillna(0).astype("int64")
    for c in ("can_write", "can_admin", "approx"):
        s[c] = s[c].astype("boolean").fillna(False).astype(bool)
    s = s.reset_index()
    return s.sort_values(["n_resources", "credential"], ascending=[False, True], kind="stable").reset_index(drop=True)
