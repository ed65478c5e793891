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
from .readers._common import gc_paused  # the walk allocates many short-lived tuples

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
# IAM verbs that return content (not names or metadata): the pivot test.
_CONTENT_VERBS = ("get", "batchget", "download", "decrypt", "export", "read", "select", "query", "scan", "retrieve")
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
    with gc_paused():
        g = _Graph(grants, secrets)
        roots = _roots(g, credentials)
        g.statement_reach()
        chains = g.pivot_chains(roots, max_hops, _window_starts(windows))
        out = _rows(g, chains, windows)
    if usage is not None:
        out = _mark_used(out, usage)
    if by == "pivot":
        return _pivot_table(g, chains, windows)
    if by == "credential":
        return _summary(out, roots, chains, usage is not None)
    return out


def credentials(grants) -> list[str]:
    """The credential ids a grants list names, sorted: the keys and tokens that authenticate,
    those granted permissions directly, and the secrets resources hold (where
    :func:`blast_radius` can start).

        >>> from leaklab import schema
        >>> credentials(schema.build("grants", {"source": ["k1", "vault"], "relation": ["authenticates_as", "holds_secret"],
        ...                                     "target": ["alice", "k2"]}))
        ['k1', 'k2']
    """
    schema.validate(grants, "grants")
    with gc_paused():
        return list(_Graph(grants).credentials)


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
    """Could this permission read the *content* a resource holds (the pivot test)?

    Names and metadata are not content: ``s3:ListBucket``, ``secretsmanager:DescribeSecret``,
    GitHub ``metadata:read`` and Slack ``channels:read`` do not pivot; ``GetSecretValue``,
    ``s3:GetObject``, ``contents:read``, ``channels:history`` and the ``repo`` scope do. A
    GitHub token that may push workflows (``actions``/``workflows:write``) can make CI print
    the repository's secrets, so it pivots too. Unknown spellings count as able, so reach
    errs large.

        >>> [can_read(p) for p in ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
        ...                        "s3:ListBucket", "s3:Get*", "metadata:read", "contents:read", "repo"]]
        [True, False, False, True, False, True, True]
    """
    if not_action:
        return True
    p = permission.strip().lower()
    name, _, verb = p.partition(":")
    if not verb:  # OAuth scopes and trufflehog levels
        if p in ("none", "error", "no access") or p.startswith(("read:", "write:")):
            return False
        return p in _SCOPES or "read" in p or "write" in p or "admin" in p or p == "*" or access_of(p) == "unknown"
    if verb in ("read", "write", "admin", "manage"):  # fine-grained "<permission>:<level>"
        if name in _GITHUB_PERMISSIONS:
            return name == "contents" or (name in ("actions", "workflows") and verb != "read")
        return False
    if verb == "history" or p in ("files:read", "files:write"):  # Slack message and file content
        return True
    if name in ("read", "write") or p.startswith(("channels:", "groups:", "im:", "mpim:", "users:", "chat:")):
        return False  # GitHub "read:org" style scopes; Slack's other scopes read names, not content
    if verb == "*" or name == "*":
        return True
    head = _prefix(verb)
    if not head:
        return True  # "*Object": could be a read
    return head.startswith(_CONTENT_VERBS)


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
        import numpy as np

        src, tgt, st, tt = _obj(g["source"]), _obj(g["target"]), _obj(g["source_type"]), _obj(g["target_type"])
        dc, cond, act, nact = _obj(g["data_class"]), _obj(g["condition"]), _obj(g["action"]), _flags(g["not_action"])
        self.auth: dict[str, list[str]] = defaultdict(list)
        self.member: dict[str, list[str]] = defaultdict(list)
        self.policies: dict[str, list[str]] = defaultdict(list)
        self.contains: dict[str, list[str]] = defaultdict(list)
        self.trust: dict[str, list[tuple[str, bool]]] = defaultdict(list)  # principal -> (role, conditional)
        self.holds: dict[str, list[tuple[str, object]]] = defaultdict(list)
        self.boundary: set[str] = set()
        self.data_class: dict[str, str] = {}
        present = (src != None) & (tgt != None)  # noqa: E711 - elementwise on object arrays
        self.types: dict[str, str] = dict(zip(tgt[present & (tt != None) & (rel != "has_resource")],  # noqa: E711
                                              tt[present & (tt != None) & (rel != "has_resource")]))  # noqa: E711
        self.types.update(zip(src[present & (st != None)], st[present & (st != None)]))  # noqa: E711
        credentials = set(src[present & (st == "credential")])
        declared: set[str] = set()
        adj = {"authenticates_as": self.auth, "member_of": self.member, "has_policy": self.policies,
               "contains": self.contains}
        # allow/deny rows (most of the list) are handled as arrays below; the rest shape the graph.
        for i in np.flatnonzero(present & (rel != "allow") & (rel != "deny")):
            r, s, t = rel[i], src[i], tgt[i]
            if r in adj:
                if t not in adj[r][s]:
                    adj[r][s].append(t)
                if r == "authenticates_as":
                    credentials.add(s)
            elif r == "can_assume":
                if _assumes(act[i], bool(nact[i])):  # a trust statement for sts:TagSession alone lets no one in
                    self.trust[s].append((t, cond[i] is not None))
            elif r == "holds_secret":
                since = g["since"].iloc[i]
                self.holds[s].append((t, None if pd.isna(since) else since))
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
            credentials |= self._holds_from_secrets(secrets, credentials)
        self.credentials = sorted(credentials)
        for c in self.credentials:
            self.types[c] = "credential"
        is_perm = (rel == "allow") | (rel == "deny")
        perms = g.loc[is_perm, ["source", "relation", "target", "action", "not_action", "not_resource", "condition",
                                "provider", "target_type"]]
        # Object columns on purpose: pandas would make them Arrow strings, slow to take and loop over.
        self.perms = pd.DataFrame({k: pd.Series(v, dtype=object) if v.dtype == object else v for k, v in {
            "source": _obj(perms["source"]), "relation": _obj(perms["relation"]),
            "raw_target": _obj(perms["target"]),
            "action": _obj(perms["action"]), "not_action": _flags(perms["not_action"]),
            "not_resource": _flags(perms["not_resource"]), "condition": _obj(perms["condition"]),
            "provider": _obj(perms["provider"]), "target_type": _obj(perms["target_type"]),
        }.items()})
        self.perms = self.perms[self.perms["source"].notna() & self.perms["raw_target"].notna()]
        # An allowed S3 object ARN counts at bucket level (the bucket is what holds data), so a
        # wildcard in the object key is no wildcard here. Denies and NotResource lists keep
        # their exact patterns: a deny on b/private/* is not a deny on all of b.
        bucket = self.perms["relation"].eq("allow").to_numpy() & ~self.perms["not_resource"].to_numpy()
        raw = self.perms["raw_target"].to_numpy()
        self.perms["target"] = pd.Series(np.where(bucket, _per_unique(self.perms["raw_target"], lambda t: t and _s3_bucket(t)), raw),
                                         dtype=object, index=self.perms.index)
        wild = _per_unique(self.perms["target"], lambda t: t is not None and has_wildcard(t)).astype(bool)
        self.perms["wild"] = wild | self.perms["not_resource"].to_numpy()
        # Resources named by allows (not denies: a deny names what is taken away, not what exists).
        literal = set(self.perms.loc[~self.perms["wild"] & bucket, "target"])
        # Every resource leaklab knows by name: wildcards are expanded against these, sorted so a
        # pattern's literal prefix narrows the search by bisection.
        self.universe = sorted(declared | set(self.holds) | set(self.contains)
                               | {c for v in self.contains.values() for c in v} | literal)
        self._service_of = [arn_service(r) for r in self.universe]

    def _holds_from_secrets(self, secrets, known: set[str]) -> set[str]:
        """A repository where a scanner found secrets holds them.

        A secret the grants already name by its id (an access key id whose SHA-256 is the
        secret's fingerprint) keeps that id, so it is one node, not two.
        """
        import pandas as pd

        from .fingerprint import sha256

        alias = {sha256(c): c for c in known}

        if "repos" not in secrets.columns or "secret_id" not in secrets.columns:
            raise LeakLabError(reason="secrets: expected the frame leaklab.dedupe returns (secret_id, repos)")
        times = secrets["first_commit_time"] if "first_commit_time" in secrets.columns else [None] * len(secrets)
        found = set()
        for sid, repos, t in zip(_obj(secrets["secret_id"]), _obj(secrets["repos"]), times):
            if sid is None or repos is None:
                continue
            sid = alias.get(sid, sid)
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
        out = [(principal, None)]
        for pol in self.policies.get(principal, ()):
            out.append((pol, _label(pol, self.types)))
        for grp in self.member.get(principal, ()):
            out.append((grp, _label(grp, self.types)))
            for pol in self.policies.get(grp, ()):
                out.append((pol, f"{_label(grp, self.types)} → {_label(pol, self.types)}"))
        return out

    def statement_reach(self) -> None:
        """Expand every allow statement once, per statement source (policy, group, principal).

        An identity's reach is then the union of its sources' blocks minus what its denies
        remove, so shared group and managed policies are expanded once however many users
        hold them. Sets ``self.S`` (sorted by source) and ``self.blocks`` (source -> rows).
        """
        import numpy as np
        import pandas as pd

        perms = self.perms
        allow = perms[perms["relation"].to_numpy() == "allow"].reset_index(drop=True)
        self.deny = perms[perms["relation"].to_numpy() == "deny"].reset_index(drop=True)
        rows = self._expand(allow)
        # Sorted by source (then resource, permission) so each source's rows are one block;
        # duplicates (two statements granting the same) dropped on the integer codes.
        codes = [pd.factorize(rows[c], sort=True)[0] for c in ("condition", "permission", "resource", "source")]
        order = np.lexsort(codes)
        keys = np.stack([c[order] for c in codes[::-1]], axis=1)
        first = np.r_[True, (keys[1:] != keys[:-1]).any(axis=1)] if len(keys) else np.zeros(0, bool)
        S = self._describe(rows.iloc[order[first]].reset_index(drop=True))
        src = S["source"].to_numpy()
        starts = np.flatnonzero(np.r_[True, src[1:] != src[:-1]]) if len(src) else np.array([], dtype=np.int64)
        ends = np.r_[starts[1:], len(src)]
        self.blocks = {src[b]: (int(b), int(e - b)) for b, e in zip(starts, ends)}
        self.S = S
        # Statements that let an identity call sts:AssumeRole (for roles that trust its account).
        self.assume_ok: dict[str, list[tuple[str, bool]]] = defaultdict(list)
        ok = _per_unique(allow["action"], lambda a: a is not None and matches("sts:AssumeRole", a, action=True))
        nok = _per_unique(allow["action"], lambda a: a is not None and not any(
            matches("sts:AssumeRole", p.strip(), action=True) for p in a.split(",")))
        hit = np.where(allow["not_action"].to_numpy(), nok, ok).astype(bool)
        for s, t, nr in zip(allow["source"].to_numpy()[hit], allow["target"].to_numpy()[hit],
                            allow["not_resource"].to_numpy()[hit]):
            self.assume_ok[s].append((t, bool(nr)))
        self.deny_by_source: dict[str, list[int]] = defaultdict(list)
        for k, s in enumerate(self.deny["source"]):
            self.deny_by_source[s].append(k)
        d = self.deny
        self._deny_rows = list(zip(d["target"], d["action"], d["not_action"], d["not_resource"],
                                   d["condition"].notna(), d["wild"]))
        # Plain arrays of S for the per-identity loops (pandas would box every access).
        self._S_res, self._S_act, self._S_src = (S[c].to_numpy(dtype=object) for c in ("resource", "action", "source"))
        self._S_na = S["not_action"].to_numpy(dtype=bool)
        # What a deny is compared with: the resource, with the allowed object part for S3 objects.
        raw_t = S["raw_target"].to_numpy(dtype=object)
        self._S_eff = self._S_res.copy()
        objects = np.flatnonzero(_per_unique(S["raw_target"], lambda t: isinstance(t, str) and t.startswith(
            "arn:aws:s3:::") and "/" in t).astype(bool))  # only allowed S3 object patterns differ
        for k in objects:
            self._S_eff[k] = _effective(self._S_res[k], raw_t[k])
        self._S_pattern = set(np.flatnonzero(_per_unique(S["resource"], lambda r: isinstance(r, str) and (
            has_wildcard(r) or r.startswith("NotResource: "))).astype(bool)).tolist())
        self._S_holds, self._S_can = S["holds_secrets"].to_numpy(dtype=bool), S["can_read"].to_numpy(dtype=bool)
        self._rows_by_resource: dict[str, list[int]] = defaultdict(list)
        if len(self.deny):
            for k, r in enumerate(self._S_res):
                self._rows_by_resource[r].append(k)
        self._identity_cache: dict[str, tuple] = {}
        self._assume_cache: dict[str, list] = {}
        self._assume_deny_cache: dict[int, bool] = {}

    def _expand(self, allow):
        """Allow rows with patterns expanded against the known resources and contains followed."""
        import numpy as np
        import pandas as pd

        a = allow
        wild = a["wild"].to_numpy()
        t_, nr_, act_, na_ = (a[c].to_numpy() for c in ("target", "not_resource", "action", "not_action"))
        # Patterns: each distinct (pattern, NotResource, action's service) matched once.
        cache: dict[tuple, list[str]] = {}
        pi, pr = [], []
        for i in np.flatnonzero(wild):
            key = (t_[i], bool(nr_[i]), _service(act_[i], na_[i]))
            hits = cache.get(key)
            if hits is None:
                hits = cache[key] = self._match(*key) or [("NotResource: " + t_[i]) if nr_[i] else t_[i]]
            pi.extend([i] * len(hits))
            pr.extend(hits)
        lit = np.flatnonzero(~wild)
        idx = np.concatenate([lit, np.asarray(pi, dtype=np.int64)])
        res = np.concatenate([t_[lit], np.asarray(pr, dtype=object)])
        wr = np.r_[np.zeros(len(lit), bool), np.ones(len(pi), bool)]
        via = np.full(len(idx), None, dtype=object)
        if self.contains:  # a grant on an org or workspace reaches everything inside it
            inside = [(k, child, r) for k, r in enumerate(res) if r in self.contains
                      for child in _descendants(self.contains, r)]
            if inside:
                k, child, parent = zip(*inside)
                k = np.asarray(k)
                idx = np.concatenate([idx, idx[k]])
                res = np.concatenate([res, np.asarray(child, dtype=object)])
                wr = np.concatenate([wr, wr[k]])
                via = np.concatenate([via, np.asarray(parent, dtype=object)])
        rows = a.iloc[idx].reset_index(drop=True)
        rows["resource"] = pd.Series(res, dtype=object)
        nact = rows["not_action"].to_numpy()
        wild_action = _per_unique(rows["action"], lambda x: x is not None and has_wildcard(x)).astype(bool)
        act = rows["action"].to_numpy()
        rows["permission"] = pd.Series(np.where(nact, "NotAction: " + pd.Series(act, dtype=object).fillna(""), act),
                                       dtype=object)
        rows["approx"] = wr | wild_action | nact
        rows["conditional"] = rows["condition"].notna().to_numpy()
        table = np.array([", ".join((["resource wildcard"] if w else [])
                                    + (["NotAction"] if n else ["action wildcard"] if x else [])) or None
                          for w in (0, 1) for n in (0, 1) for x in (0, 1)], dtype=object)
        notes = table[wr * 4 + nact * 2 + wild_action]
        for k in np.flatnonzero(pd.notna(via)):
            notes[k] = _add(notes[k], f"inside {via[k]}")
        rows["notes"] = pd.Series(notes, dtype=object)
        return rows

    def _match(self, pattern: str, not_resource: bool, service: str | None) -> list[str]:
        from bisect import bisect_left

        u = self.universe
        if not_resource:
            pats = [p.strip() for p in pattern.split(",")]  # exact: NotResource b/x spares bucket b
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

    def _describe(self, rows):
        """Per-row attributes, computed once per distinct value."""
        import numpy as np
        import pandas as pd

        types, dclass, holds = self.types, self.data_class, self.holds
        rc, ru = pd.factorize(rows["resource"])
        pc_, pu = pd.factorize(rows["permission"])
        rtype = np.array([types.get(r) or arn_service(r) for r in ru] + [None], dtype=object)[rc]
        rows["resource_type"] = pd.Series(np.where(pd.isna(rtype), rows["target_type"].to_numpy(), rtype), dtype=object)
        rows["data_class"] = pd.Series(np.array([dclass.get(r) for r in ru] + [None], dtype=object)[rc], dtype=object)
        rows["holds_secrets"] = np.array([r in holds for r in ru] + [False], dtype=bool)[rc]
        notact = [p.startswith("NotAction: ") for p in pu]
        rows["access"] = pd.Series(np.array([("admin" if n else access_of(p)) for p, n in zip(pu, notact)] + [None],
                                            dtype=object)[pc_], dtype=object)
        rows["can_read"] = np.array([can_read(p[11:], True) if n else can_read(p) for p, n in zip(pu, notact)]
                                    + [False], dtype=bool)[pc_]
        return rows

    def identity(self, ident: str):
        """(sources with their paths, fully denied S rows, partly denied S rows) for one identity."""
        hit = self._identity_cache.get(ident)
        if hit is not None:
            return hit
        sources = [(s, via) for s, via in self.sources_of(ident) if s in self.blocks or s in self.deny_by_source]
        full: set[int] = set()
        part: set[int] = set()
        denies = [self._deny_rows[k] for s, _ in sources for k in self.deny_by_source.get(s, ())]
        if denies:
            mine = {s for s, _ in sources}
            act, na, src = self._S_act, self._S_na, self._S_src
            for d in denies:
                target, wild = d[0], d[5]
                if wild:  # a pattern deny meets every row of the identity
                    rows = [k for s in mine for b, n in [self.blocks.get(s, (0, 0))] for k in range(b, b + n)]
                else:  # a literal deny meets the rows on its resource (its bucket) and the unexpanded patterns
                    rows = [k for k in self._rows_by_resource.get(_s3_bucket(target), ()) if src[k] in mine]
                    rows += [k for k in self._S_pattern if src[k] in mine]
                eff = self._S_eff
                for k in rows:
                    if k in full:
                        continue
                    v = _deny_verdict(target, d[1], d[2], d[3], d[4], eff[k], act[k] or "", na[k])
                    if v == "full":
                        full.add(k)
                        part.discard(k)
                    elif v == "part":
                        part.add(k)
        out = (sources, full, part)
        self._identity_cache[ident] = out
        return out

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
        hit = self._assume_cache.get(principal)
        if hit is None:
            hit = self._assume_cache[principal] = self._assumable_uncached(principal)
        return hit

    def _assumable_uncached(self, principal: str):
        out = [(role, " (trust condition)" if cond else "", cond) for role, cond in self.trust.get(principal, ())]
        account = _account_root(principal)
        sources = [s for s, _ in self.sources_of(principal)]
        grants = [g for s in sources for g in self.assume_ok.get(s, ())]
        named = {t for t, nr in grants if not nr and not has_wildcard(t)}
        other = [(t, nr) for t, nr in grants if nr or has_wildcard(t)]
        for src in ([account] if account else []) + [ANYONE]:
            for role, cond in self.trust.get(src, ()):
                if role in named or any(matches(role, t) != nr for t, nr in other):
                    out.append((role, " (trusts the account)" if src != ANYONE else " (trusts anyone)",
                                cond or src == ANYONE))
        # Explicit denies of sts:AssumeRole win: the principal's own, and a trust policy's Deny
        # naming the principal, its account or anyone.
        denies = [self._deny_rows[k] for s in sources + [account, ANYONE] if s for k in self.deny_by_source.get(s, ())
                  if self._denies_assume(k)]
        kept = []
        for role, how, approx in sorted(set(out)):
            verdict = None
            for d in denies:
                v = _deny_verdict(d[0], d[1], d[2], d[3], d[4], role, "sts:AssumeRole", False)
                if v == "full":
                    verdict = v
                    break
                verdict = verdict or v
            if verdict == "full":
                continue
            kept.append((role, how + (" (partly denied)" if verdict else ""), approx or verdict is not None))
        return kept

    def _denies_assume(self, k: int) -> bool:
        """Could deny row ``k`` deny sts:AssumeRole at all (most denies are about other actions)?"""
        hit = self._assume_deny_cache.get(k)
        if hit is None:
            d = self._deny_rows[k]
            hit = self._assume_deny_cache[k] = _deny_action_verdict(d[1], d[2], d[4], "sts:AssumeRole", False) is not None
        return hit

    def readable_holders(self, ident: str) -> list[str]:
        """Resources holding secrets that ``ident`` may read (not fully denied), in S order."""
        import numpy as np

        sources, full, _ = self.identity(ident)
        holds, can, res = self._S_holds, self._S_can, self._S_res
        out = []
        for s, _ in sources:
            b, n = self.blocks.get(s, (0, 0))
            for k in np.flatnonzero(holds[b:b + n] & can[b:b + n]) + b if n else ():
                if k not in full and res[k] not in out:
                    out.append(res[k])
        return out

    def pivot_chains(self, roots: list[str], max_hops, starts: dict):
        """For each root, breadth first: every credential it reaches, with hops, chain, storage
        time and exposure start (the later of its parent's start and its storage time)."""
        self._acts: dict[str, list] = {}
        readable: dict[str, list[str]] = {}
        chains = []
        for root in roots:
            seen = {root}
            queue = deque([(root, 0, (), None, starts.get(root))])
            while queue:
                cred, hops, chain, since, start = queue.popleft()
                chains.append((root, cred, hops, chain, since, start))
                if cred not in self._acts:
                    self._acts[cred] = self.acts_as(cred)
                if max_hops is not None and hops >= max_hops:
                    continue
                for ident, _, _ in self._acts[cred]:
                    if ident not in readable:
                        readable[ident] = self.readable_holders(ident)
                    for holder in readable[ident]:
                        for held, held_since in self.holds[holder]:
                            if held not in seen:
                                seen.add(held)
                                queue.append((held, hops + 1, chain + ((cred, holder),), held_since,
                                              _later(start, held_since)))
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


def _assumes(action, not_action: bool) -> bool:
    """Does a trust statement's Action (or NotAction) let a principal assume the role?"""
    if not isinstance(action, str) or not action:
        return True  # an analyst-written edge without an action
    names = [a.strip() for a in action.split(",")]
    hit = any(matches("sts:AssumeRole", a, action=True) or a.lower().startswith("sts:assumerole") for a in names)
    return not hit if not_action else hit


def _effective(resource: str, raw_target) -> str:
    """The resource as a deny sees it: an allowed S3 object pattern keeps its object part."""
    if isinstance(raw_target, str) and raw_target.startswith("arn:aws:s3:::") and "/" in raw_target \
            and resource.startswith("arn:aws:s3:::") and "/" not in resource:
        return resource + "/" + raw_target.split("/", 1)[1]
    return resource


def _account_root(principal: str) -> str | None:
    m = re.match(r"arn:aws[\w-]*:iam::(\d{12}):", principal)
    return f"arn:aws:iam::{m.group(1)}:root" if m else None


def _deny_verdict(d_target, d_action, d_not_action, d_not_resource, d_conditional, resource, action,
                  allow_not_action) -> str | None:
    """'full' when the deny covers the allowed (resource, action), 'part' when it may cover some.

    ``resource`` may itself be a pattern (an allow on ``b/*`` or ``arn:aws:s3:::*``): a deny
    pattern that covers it covers it fully, one that overlaps it only in part.
    """
    def relation(p):
        if matches(resource, p):  # p covers resource (resource's wildcards taken literally)
            return "full"
        return "part" if overlaps(p, resource, action=False) else None

    if d_not_resource:  # denies every resource except these
        rels = [relation(p.strip()) for p in d_target.split(",")]
        if "full" in rels:
            return None
        cover = "part" if "part" in rels else "full"
    else:
        cover = relation(d_target)
        if cover is None:
            return None
    verdict = _deny_action_verdict(d_action, d_not_action, d_conditional, action, allow_not_action)
    return verdict if verdict is None or cover == "full" else "part"


def _deny_action_verdict(d_action, d_not_action, d_conditional, action, allow_not_action) -> str | None:
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


def _rows(g: _Graph, chains, windows):
    """Per root: the reach of every credential in its chain, through every identity it acts as.

    Assembled by index arithmetic, never row by row: each (root, credential, identity) has a
    list of statement sources, each source a contiguous block of ``g.S``; string columns are
    categoricals whose codes are taken from the small tables they repeat.
    """
    import numpy as np
    import pandas as pd

    l1 = []  # one per (root, acting credential, identity)
    for root, cred, hops, chain, _since, start in chains:
        pivot = " → ".join([f"{_label(c, g.types)} → {_label(h, g.types)}" for c, h in chain]
                           + [_label(cred, g.types)]) if chain else None
        for ident, path, approx in g._acts[cred]:
            l1.append((root, cred, hops, pivot, start, ident, path, approx))
    pairs = []  # one per (l1 row, statement source)
    denied = []  # (pair index, S row, "full" | "part") for the few rows an identity's denies touch
    for j, row in enumerate(l1):
        sources, full, partly = g.identity(row[5])
        for s, granted_by in sources:
            b, n = g.blocks.get(s, (0, 0))
            if n:
                if full or partly:
                    denied += [(len(pairs), k, "full") for k in full if b <= k < b + n]
                    denied += [(len(pairs), k, "part") for k in partly if b <= k < b + n]
                pairs.append((j, granted_by, b, n))
    if not pairs:
        return schema.empty("reach")
    pj, pvia, plo, pn = (np.asarray(x) for x in zip(*pairs))
    # int32 indices: half the memory of int64 for millions of rows, and fewer page faults.
    idx = np.int32 if len(g.S) < 2**31 and len(pairs) < 2**31 else np.int64
    pj, plo, pn = pj.astype(idx), plo.astype(idx), pn.astype(np.int64)
    total = int(pn.sum())
    first = np.cumsum(pn) - pn  # where each pair's block starts in the output
    pair = np.repeat(np.arange(len(pairs), dtype=idx), pn)
    take = (np.arange(total, dtype=np.int64) - first[pair]).astype(idx) + plo[pair]
    j = pj[pair]
    L = list(zip(*l1))
    ident_codes, idents = pd.factorize(pd.Series(L[5], dtype=object))
    ident_row = ident_codes[j]

    # Denies are per identity: mark the output positions of the S rows they touch.
    keep = np.ones(total, bool)
    part = np.zeros(total, bool)
    for p, k, verdict in denied:
        (part if verdict == "part" else keep)[first[p] + k - plo[p]] = verdict == "part"
    if not keep.all():  # drop denied rows from the index arrays, before any column is gathered
        take, pair, j, ident_row, part = take[keep], pair[keep], j[keep], ident_row[keep], part[keep]
    boundary = np.isin(ident_row, [c for c, i in enumerate(idents) if i in g.boundary])
    chain_approx = np.asarray(L[7], dtype=bool)[j]

    S = g.S

    def small(codes, cats):  # categorical codes in the width pandas would pick, so it need not copy
        return codes.astype(np.int8 if len(cats) < 127 else np.int16 if len(cats) < 32_767 else np.int32)

    def s_cat(col):
        codes, cats = pd.factorize(S[col])
        return pd.Categorical.from_codes(small(codes, cats)[take], categories=cats, validate=False)

    def l1_cat(values, index=j):
        codes, cats = pd.factorize(pd.Series(values, dtype=object))
        return pd.Categorical.from_codes(small(codes, cats)[index], categories=cats, validate=False)

    # Notes: the statement's own, plus what the identity or chain adds (a small table of texts).
    n_codes, n_cats = pd.factorize(S["notes"])
    texts = []
    for base in range(-1, len(n_cats)):
        for f in range(8):
            t = n_cats[base] if base >= 0 else None
            for bit, note in ((4, "trust condition or wildcard principal"), (2, "boundary not evaluated"),
                              (1, "partly denied")):
                if f & bit:
                    t = _add(t, note)
            texts.append(t)
    t_codes, t_cats = pd.factorize(pd.Series(texts, dtype=object))
    combo = (n_codes[take].astype(np.int64) + 1) * 8 + chain_approx * 4 + boundary * 2 + part
    notes = pd.Categorical.from_codes(small(t_codes, t_cats)[combo], categories=t_cats, validate=False)

    cred_l1 = pd.Series(L[1], dtype=object)
    principal = pd.Series(L[5], dtype=object).where(pd.Series(L[5], dtype=object) != cred_l1, None)
    data = {
        "credential": l1_cat(L[0]), "acting_credential": l1_cat(L[1]),
        "hops": np.asarray(L[2], dtype=np.int64)[j], "principal": l1_cat(principal),
        "resource": s_cat("resource"), "resource_type": s_cat("resource_type"), "data_class": s_cat("data_class"),
        "permission": s_cat("permission"), "access": s_cat("access"),
        "can_read": S["can_read"].to_numpy()[take],
        "approx": S["approx"].to_numpy(dtype=bool)[take] | chain_approx | boundary | part,
        "conditional": S["conditional"].to_numpy()[take], "condition": s_cat("condition"),
        "denied_in_part": part, "notes": notes, "via": l1_cat(L[6]),
        "granted_by": l1_cat(pvia, pair), "pivot_path": l1_cat(L[3]),
        "holds_secrets": S["holds_secrets"].to_numpy()[take],
        "exposed_from": pd.Series(pd.to_datetime(pd.Series(L[4], dtype=object), utc=True).dt.tz_convert(None)
                                  .to_numpy(dtype="datetime64[ns]")[j]).dt.tz_localize("UTC"),
        "provider": s_cat("provider"),
    }
    out = pd.DataFrame(data, copy=False)
    return out.astype({"hops": "Int64", "can_read": "boolean", "approx": "boolean", "conditional": "boolean",
                       "denied_in_part": "boolean", "holds_secrets": "boolean", "exposed_from": schema.UTC_TIME})


def paths(reach):
    """The whole path of each row as one string: via -> granted_by -> resource.

    Kept out of the frame (it is as long as the frame and mostly repeats ``via`` and
    ``granted_by``); made on demand for the rows shown.
    """
    import pandas as pd

    parts = [reach["via"].astype(object), reach["granted_by"].astype(object),
             reach["resource"].astype(object).map(lambda r: _label(r, {}) if isinstance(r, str) else r)]
    return pd.Series([" → ".join(p for p in ps if isinstance(p, str)) for ps in zip(*parts)],
                     index=reach.index, dtype="string")


def _window_starts(windows) -> dict:
    """credential -> the earliest start of its windows (a credential may have several)."""
    if windows is None:
        return {}
    w = windows.dropna(subset=["credential", "exposed_from"])
    return w.groupby(w["credential"].astype(object))["exposed_from"].min().to_dict()


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
    for c, a, r, t in zip(_obj(ok["credential_id"]), _obj(ok["action"]), _obj(ok["resource"]), ok["time"]):
        calls[c].append((_iam_action(a), [x.strip() for x in r.split(", ")] if r else [], t))
    n_uses = np.zeros(len(out), dtype=np.int64)
    rows = np.flatnonzero(out["acting_credential"].isin(set(calls)).to_numpy())
    cred, perm, res = _obj(out["acting_credential"]), _obj(out["permission"]), _obj(out["resource"])
    start = out["exposed_from"].to_numpy(dtype=object)
    for k in rows:
        p = perm[k]
        na = p.startswith("NotAction: ")
        for act, logged, t in calls[cred[k]]:
            if not act or (start[k] is not None and not pd.isna(start[k]) and t < start[k]):
                continue  # a call before the exposure began is the owner's, not a use of the leak
            hit = (not any(matches(act, x.strip(), action=True) for x in p[11:].split(","))) if na \
                else matches(act, p, action=True)
            if hit and (any(_same_resource(res[k], x) for x in logged) if logged else has_wildcard(res[k])):
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


def _same_resource(resource: str, logged: str) -> bool:
    """Is the logged resource this one (or inside it)? Logs name S3 buckets bare, and objects
    as bucket/key; other resources by ARN or by their name. Never a substring match:
    ``payroll`` is not ``payroll-archive``."""
    if has_wildcard(resource):
        return matches(logged, resource) or matches(logged, resource.split(":::", 1)[-1])
    names = {resource}
    if resource.startswith("arn:aws:s3:::"):
        names.add(resource[len("arn:aws:s3:::"):])
    elif resource.startswith("arn:"):
        tail = resource.split(":", 5)[-1]
        names |= {tail, tail.rsplit("/", 1)[-1]}
    return any(logged == n or logged.startswith(n + "/") for n in names)


def _pivot_table(g: _Graph, chains, windows):
    """One row per credential reached through a pivot: the chain, where it was held, since when."""
    import pandas as pd

    rows = []
    for root, cred, hops, chain, since, start in chains:
        if hops == 0:
            continue
        parent, holder = chain[-1]
        text = " → ".join([f"{_label(c, g.types)} → {_label(h, g.types)}" for c, h in chain] + [_label(cred, g.types)])
        rows.append((root, cred, hops, parent, holder, since, start, text))
    cols = ["credential", "reached_credential", "hops", "parent", "held_in", "stored_since", "exposed_from", "chain"]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("credential", "reached_credential", "parent", "held_in", "chain"):
        df[c] = df[c].astype("string")
    df["hops"] = df["hops"].astype("Int64")
    for c in ("stored_since", "exposed_from"):
        df[c] = pd.to_datetime(df[c], utc=True)
    return df


def _summary(out, roots, chains, have_usage: bool):
    """One row per credential: reach by data class, capability, pivot depth, used vs permitted."""
    import pandas as pd

    res = out.drop_duplicates(["credential", "resource"])
    dc = res["data_class"].astype(object).fillna("unclassified")
    counts = pd.crosstab(res["credential"].astype(object), dc).reindex(columns=list(DATA_CLASSES) + ["unclassified"], fill_value=0)
    grp = out.groupby("credential", sort=False, observed=True)
    s = pd.DataFrame(index=pd.Index(roots, name="credential", dtype="string"))
    s["n_resources"] = res.groupby("credential", observed=True).size()
    for c in counts.columns:
        s[f"n_{c}"] = counts[c]
    s["can_write"] = grp["access"].agg(lambda a: a.isin(["write", "admin"]).any())
    s["can_admin"] = grp["access"].agg(lambda a: (a == "admin").any())
    # From the chains, not the rows: a pivot credential with no known grants still counts.
    hops = pd.DataFrame([(c[0], c[2]) for c in chains], columns=["credential", "hops"])
    s["max_hops"] = hops.groupby("credential")["hops"].max()
    s["n_pivot_credentials"] = hops[hops["hops"] > 0].groupby("credential").size()
    s["approx"] = grp["approx"].any()
    if have_usage:
        used = out.groupby(["credential", "resource"], observed=True)["used"].any()  # any permission used
        s["n_used"] = used[used].groupby(level="credential", observed=True).size()
        s["n_used"] = s["n_used"].fillna(0)
        s["n_permitted_only"] = s["n_resources"].fillna(0) - s["n_used"]
    ints = [c for c in s.columns if c.startswith("n_") or c == "max_hops"]
    s[ints] = s[ints].fillna(0).astype("int64")
    for c in ("can_write", "can_admin", "approx"):
        s[c] = s[c].astype("boolean").fillna(False).astype(bool)
    s = s.reset_index()
    return s.sort_values(["n_resources", "credential"], ascending=[False, True], kind="stable").reset_index(drop=True)
