"""Triage: which secret first? A score with every factor shown, and the remediation list.

:func:`score` adds to a secrets frame one ``f_<factor>`` column per factor (its points),
their sum ``score`` (floored at 0), a ``severity`` from :data:`SEVERITY` and ``why``, a
short text naming the factors that counted. Every point is in :data:`WEIGHTS`; pass
``weights=`` to change some for one call. A factor whose evidence was not given (no
``history``, no ``windows``...) is 0 and ``why`` is silent about it.

An analyst who disagrees does not edit the data: they record a severity in the ledger
(``Ledger.record(..., severity="low")``), and ``score(..., ledger=)`` shows the override
in ``severity``, the computed one in ``severity_computed`` and who decided in
``severity_source``. An override lasts while the secret's decision keeps its label: a
later decision with another label (``needs_info``, ``rotated``...) ends it unless it
carries one again, and a label that needs no action (false_positive, test_credential,
accepted_risk, revoked, rotated: :data:`leaklab.ledger.CLOSED`) never has one.

:func:`remediation` turns (scored) secrets, git history and the ledger into a to-do list
per repository or owner; :func:`remediation_markdown` and :func:`remediation_csv` export
it with every cell escaped or defused (file names and author names come from attackers).

    >>> import leaklab
    >>> s = leaklab.schema.build("secrets", {
    ...     "secret_id": ["a" * 64, "b" * 64], "secret_sha256": ["a" * 64, "b" * 64],
    ...     "secret_type": ["aws-access-key", "slack-webhook"], "verified": [True, None],
    ...     "files": ["deploy/prod.env", "tests/fixtures/hook.txt"]})
    >>> out = score(s)
    >>> out[["secret_type", "f_type", "f_verified", "f_test_path", "score", "severity"]]
          secret_type  f_type  f_verified  f_test_path  score severity
    0  aws-access-key      40          25            0     65     high
    1   slack-webhook      10           0          -20      0     info
    >>> print(out.loc[0, "why"])
    aws-access-key +40; verified live +25
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import schema
from .errors import LeakLabError
from .ledger import CLOSED, SEVERITIES
from .schema import isna

# --------------------------------------------------------------------------- the tables

#: Points for the secret's type (``secret_type``, leaklab.taxonomy vocabulary): what the
#: type can reach at best, before any evidence about this particular secret.
TYPE_POINTS = {
    "aws-access-key": 40,  # a cloud account: data stores, compute, IAM
    "aws-secret-key": 40,  # the other half of the same AWS key pair
    "google-service-account": 40,  # a GCP identity with project-wide roles
    "azure-key": 40,  # storage account keys and SAS tokens: whole containers
    "private-key": 40,  # SSH, TLS and signing keys: hosts, deploys, impersonation
    "github-token": 35,  # source, CI secrets, releases: the supply chain
    "gitlab-token": 35,  # as GitHub
    "npm-token": 35,  # publish packages: the supply chain
    "pypi-token": 35,  # as npm
    "stripe-key": 35,  # payments, refunds and customer data
    "heroku-key": 35,  # a whole hosting account
    "digitalocean-token": 35,  # a whole hosting account
    "connection-string": 30,  # a database, its password included
    "slack-token": 30,  # read a workspace's messages, which hold more secrets
    "openai-key": 25,  # billing abuse, stored prompts and files
    "anthropic-key": 25,  # as OpenAI
    "twilio-key": 25,  # send SMS/calls as the company: phishing, toll fraud
    "sendgrid-key": 25,  # send mail as the company: phishing
    "google-api-key": 20,  # usually restricted to some APIs: mostly billing abuse
    "jwt": 20,  # one session, often short-lived
    "password": 20,  # a generic password: reach unknown
    "generic-api-key": 15,  # an unknown service
    "slack-webhook": 10,  # can only post into one channel
}

#: Every factor's points, in one place. ``score`` is the sum of the ``f_*`` columns.
WEIGHTS = {
    # f_type: by type (TYPE_POINTS); a type not listed there ("other", custom rules) gets this.
    "type": TYPE_POINTS,
    "type_default": 15,
    # f_verified: from the secrets frame's ``verified`` and ``validity``.
    "verified_live": 25,  # a tool confirmed it works (or worked when scanned)
    "verified_dead": -15,  # a tool says inactive, revoked, expired or invalid, and none says live
    # f_public: the repository is (or was) public: assume the secret was harvested.
    "public": 20,
    # f_duration: length of the exposure window (``windows``): (at least N days, points), first match.
    "duration": ((365, 20), (90, 15), (30, 10), (7, 5)),
    # f_in_head: from ``history``.
    "in_head": 15,  # HEAD still holds it: every new clone and checkout gets it
    "at_branch_tip": 10,  # not in HEAD, but some branch or tag tip still holds it
    # f_reach: from blast_radius(..., by="credential"); the best capability, plus data and pivots.
    "reach_admin": 25,  # can change who can do what (IAM writes, admin scopes)
    "reach_write": 15,  # can change or delete what it reaches
    "reach_read": 5,  # reaches something, read-only
    "reach_sensitive": 10,  # reaches data classed secret or restricted
    "reach_pivot": 10,  # reaches stores holding further credentials
    # f_suspicious_use: usage_in_windows flagged a use inside the window (new IP or user
    # agent, unknown source), by the credential or by one it minted.
    "suspicious_use": 25,
    # Signals that lower the score.
    "test_path": -20,  # every file holding it is a test, fixture or example path
    "example": -50,  # a vendor's documented example value (scanner said so, or a known one)
    "placeholder": -50,  # a placeholder such as "changeme" (scanner said so, or a known one)
}

#: Severity thresholds: the first whose minimum the score reaches. Scores are >= 0.
SEVERITY = {"critical": 80, "high": 60, "medium": 35, "low": 15, "info": 0}

#: The factors, in the order of their ``f_*`` columns and of ``why``.
FACTORS = ("type", "verified", "public", "duration", "in_head", "reach", "suspicious_use", "test_path", "example",
           "placeholder")

#: Ledger label -> remediation status (no decision: "to do").
STATUS = {
    "rotated": "done",
    "revoked": "done",
    "false_positive": "no action",
    "test_credential": "no action",
    "accepted_risk": "no action",
    "needs_info": "to do",
    "true_positive": "to do",
}
_STATUS_ORDER = {"to do": 0, "done": 1, "no action": 2}

assert tuple(SEVERITY) == SEVERITIES, "SEVERITY must list leaklab.ledger.SEVERITIES, most urgent first"

# Path parts and file names that mark tests, fixtures and examples.
_TEST_DIRS = {"test", "tests", "testing", "testdata", "test-data", "test_data", "__tests__", "spec", "specs", "fixture",
              "fixtures", "__fixtures__", "mocks", "__mocks__", "example", "examples", "sample", "samples"}
_TEST_NAME = re.compile(r"(?i)^test_|_test\.\w+$|\.(test|spec)\.\w+$|^(example|sample)s?\.|\.(example|sample|dist|template)$")
_DEAD = re.compile(r"(?i)\b(inactive|invalid|revoked|expired|disabled|deleted)\b")
_EXAMPLE = re.compile(r"(?i)\bexample\b")
_PLACEHOLDER = re.compile(r"(?i)\bplaceholder\b")


# --------------------------------------------------------------------------- score


def score(secrets, *, history=None, windows=None, reach=None, usage=None, public=None, ledger=None, as_of=None,
          weights=None):
    """A new frame: ``secrets`` plus ``score``, ``severity``, ``why`` and one ``f_<factor>``
    column (Int64 points) per factor of :data:`FACTORS`.

    Parameters
    ----------
    secrets
        A secrets frame (:func:`leaklab.dedupe`). Rows keep their order and index.
    history
        :func:`leaklab.history` output, joined by ``secret_id`` (else the fingerprints):
        ``still_in_head`` / ``present_refs`` give ``f_in_head``; its ``files`` stand in
        for the secrets' own when they have none.
    windows
        :func:`leaklab.exposure_windows` output: the window's ``duration`` gives
        ``f_duration``. ``credential`` may be a fingerprint or the raw credential id (an
        AWS access key id): a row matches a secret whose ``secret_sha256`` is its SHA-256.
    reach
        :func:`leaklab.blast_radius` output with ``by="credential"``, matched the same way.
    usage
        :func:`leaklab.usage_in_windows` output (``by="use"`` or ``by="window"``): flagged
        suspicious uses per credential, matched the same way. A use by a credential the
        leaked one minted (``derived_from``) counts for the leaked one.
    public
        Which exposures are public: ``True`` (all), or repository names (as in ``repos``;
        ``https://`` and ``.git`` are ignored) and/or secret ids.
    ledger
        A :class:`leaklab.Ledger` (or its ``current()`` frame): a severity override still
        in force there (see above) replaces ``severity``; ``severity_computed`` and
        ``severity_source`` are added. The secret's latest decision under any of its keys
        (as :meth:`Ledger.apply` picks it) decides, so an override recorded under the
        SHA-256 ends with a later decision recorded under ``sha1:``.
    as_of
        A tz-aware time to measure open windows to (default: each window's own ``as_of``).
    weights
        Changes to :data:`WEIGHTS` for this call (``{"public": 30, "type": {"jwt": 5}}``).

    ``score`` is the sum of the factors, floored at 0. Same input, same frame.
    """
    import numpy as np
    import pandas as pd

    schema.validate(secrets, "secrets")
    w = _weights(weights)
    n = len(secrets)
    pts = {f: [0] * n for f in FACTORS}
    notes: dict[str, list] = {f: [None] * n for f in FACTORS}
    keys = _secret_keys(secrets)

    types = _strings(secrets["secret_type"])
    for i, t in enumerate(types):
        pts["type"][i] = w["type"].get(t, w["type_default"]) if t is not None else w["type_default"]
        notes["type"][i] = t or "unknown type"

    verified = secrets["verified"].tolist()
    validity = _strings(secrets["validity"])
    for i in range(n):
        if verified[i] is True:
            pts["verified"][i], notes["verified"][i] = w["verified_live"], "verified live"
        elif validity[i] is not None and _DEAD.search(validity[i]):
            pts["verified"][i], notes["verified"][i] = w["verified_dead"], "verifier says not live"

    if public is not None:
        hit = _public(secrets, public)
        for i in range(n):
            if hit[i]:
                pts["public"][i], notes["public"][i] = w["public"], "public exposure"

    hist_rows = [None] * n
    if history is not None:
        _require(history, "history", ("secret_id", "still_in_head", "present_refs", "files"))
        idx = _index_fingerprints(history)
        hist_rows = [_first_match(k, idx) for k in keys]
        still = history["still_in_head"].tolist()
        present = _strings(history["present_refs"])
        for i, r in enumerate(hist_rows):
            if r is None:
                continue
            if still[r] is True:
                pts["in_head"][i], notes["in_head"][i] = w["in_head"], "still in HEAD"
            elif present[r]:
                pts["in_head"][i], notes["in_head"][i] = w["at_branch_tip"], f"still at branch tips ({_count(present[r])})"

    if windows is not None:
        _duration(windows, keys, as_of, w, pts, notes)
    if reach is not None:
        _reach(reach, keys, w, pts, notes)
    if usage is not None:
        _suspicious(usage, keys, w, pts, notes)

    files = _strings(secrets["files"])
    hist_files = _strings(history["files"]) if history is not None else None
    ex256, ex1, ph256, ph1 = _known_decoys()
    sha256s, sha1s = _strings(secrets["secret_sha256"]), _strings(secrets["secret_sha1"])
    for i in range(n):
        where = files[i] or (hist_files[hist_rows[i]] if hist_rows[i] is not None else None)
        if where and all(_is_test_path(p) for p in _split(where)):
            pts["test_path"][i], notes["test_path"][i] = w["test_path"], "test or example path"
        s256, s1 = (sha256s[i] or "").lower(), (sha1s[i] or "").lower()
        v = validity[i] or ""
        if _EXAMPLE.search(v) or s256 in ex256 or s1 in ex1:
            pts["example"][i], notes["example"][i] = w["example"], "documentation example"
        if _PLACEHOLDER.search(v) or s256 in ph256 or s1 in ph1:
            pts["placeholder"][i], notes["placeholder"][i] = w["placeholder"], "placeholder value"

    total = [max(0, sum(pts[f][i] for f in FACTORS)) for i in range(n)]
    computed = [_severity(s) for s in total]
    why = ["; ".join(f"{notes[f][i]} {pts[f][i]:+d}" for f in FACTORS if pts[f][i]) for i in range(n)]

    added = ["score", "severity", "severity_computed", "severity_source", "why"] + [f"f_{f}" for f in FACTORS]
    out = secrets.drop(columns=[c for c in added if c in secrets.columns])  # re-scoring replaces, never duplicates
    out["score"] = np.asarray(total, dtype="int64")
    out["severity"] = pd.array(computed, dtype="string")
    if ledger is not None:
        final, source = _overrides(ledger, keys, computed)
        out["severity"] = pd.array(final, dtype="string")
        out["severity_computed"] = pd.array(computed, dtype="string")
        out["severity_source"] = pd.array(source, dtype="string")
    out["why"] = pd.array(why, dtype="string")
    for f in FACTORS:
        out[f"f_{f}"] = pd.array(pts[f], dtype="Int64")
    return out


def _weights(changes) -> dict:
    w = dict(WEIGHTS, type=dict(WEIGHTS["type"]))
    if changes is None:
        return w
    unknown = sorted(set(changes) - set(WEIGHTS))
    if unknown:
        raise LeakLabError(reason=f"weights: unknown factor(s) {', '.join(map(repr, unknown))}; known: {', '.join(WEIGHTS)}")
    for k, v in changes.items():
        if k == "type":
            if not isinstance(v, dict) or not all(isinstance(p, int) for p in v.values()):
                raise LeakLabError(reason="weights['type'] must map type names to integer points")
            w["type"].update(v)
        elif k == "duration":
            try:
                w[k] = tuple(sorted(((int(d), int(p)) for d, p in v), reverse=True))
            except (TypeError, ValueError):
                raise LeakLabError(reason="weights['duration'] must be (days, points) pairs") from None
        elif not isinstance(v, int) or isinstance(v, bool):
            raise LeakLabError(reason=f"weights[{k!r}] must be an integer")
        else:
            w[k] = v
    return w


def _severity(points: int) -> str:
    for name, minimum in SEVERITY.items():
        if points >= minimum:
            return name
    return SEVERITIES[-1]


def _duration(windows, keys, as_of, w, pts, notes) -> None:
    import pandas as pd

    _require(windows, "windows", ("credential", "exposed_from", "duration", "open"))
    if as_of is not None:
        as_of = pd.Timestamp(as_of)
        if as_of.tzinfo is None:
            raise LeakLabError(reason="as_of needs a time zone (e.g. '2023-07-01T00:00:00Z')")
        as_of = as_of.tz_convert("UTC")
    idx = _index_credentials(windows["credential"])
    dur = windows["duration"].tolist()
    start = windows["exposed_from"].tolist()
    is_open = windows["open"].tolist()
    for i, k in enumerate(keys):
        days = None
        for r in _all_matches(k, idx):
            d = dur[r]
            if as_of is not None and is_open[r] is True and not pd.isna(start[r]):
                d = max(as_of - start[r], pd.Timedelta(0))
            if not pd.isna(d):
                days = max(days or 0, d.days)
        if days is None:
            continue
        for minimum, points in w["duration"]:
            if days >= minimum:
                pts["duration"][i], notes["duration"][i] = points, f"exposed {days} days"
                break


def _reach(reach, keys, w, pts, notes) -> None:
    if "can_admin" not in reach.columns and "access" in reach.columns:
        raise LeakLabError(reason="reach: pass the summary, leaklab.blast_radius(..., by='credential')")
    _require(reach, "reach", ("credential", "n_resources", "can_write", "can_admin"))
    idx = _index_credentials(reach["credential"])
    col = {c: (reach[c].tolist() if c in reach.columns else [0] * len(reach))
           for c in ("n_resources", "can_write", "can_admin", "n_secret", "n_restricted", "n_pivot_credentials")}
    for i, k in enumerate(keys):
        rows = _all_matches(k, idx)
        if not rows:
            continue
        total = {c: sum(0 if isna(col[c][r]) else int(col[c][r]) for r in rows) for c in col}
        points, said = 0, []
        if total["can_admin"]:
            points, said = w["reach_admin"], ["admin"]
        elif total["can_write"]:
            points, said = w["reach_write"], ["write"]
        elif total["n_resources"]:
            points, said = w["reach_read"], [f"read {total['n_resources']} resource(s)"]
        if total["n_secret"] + total["n_restricted"]:
            points += w["reach_sensitive"]
            said.append("secret/restricted data")
        pivots = total["n_pivot_credentials"]
        if pivots:
            points += w["reach_pivot"]
            said.append(f"{pivots} pivot credential(s)")
        if points:
            pts["reach"][i], notes["reach"][i] = points, "reach: " + ", ".join(said)


def _suspicious(usage, keys, w, pts, notes) -> None:
    from collections import Counter, defaultdict

    flags = (("new_ip", "a new IP"), ("new_user_agent", "a new user agent"), ("unknown_source", "an unknown source"))
    counts: Counter = Counter()
    why: dict[str, set] = defaultdict(set)
    if "suspicious" in usage.columns and "credential_id" in usage.columns:
        creds = _strings(usage["credential_id"])
        parents = _strings(usage["derived_from"]) if "derived_from" in usage.columns else [None] * len(usage)
        parent_of = {c: p for c, p in zip(creds, parents) if c is not None and p is not None and p != c}
        marks = {col: usage[col].fillna(False).astype(bool).tolist() for col, _ in flags if col in usage.columns}
        for r, (c, s) in enumerate(zip(creds, usage["suspicious"].fillna(False).astype(bool).tolist())):
            if not s or c is None:
                continue
            seen = set()
            while c is not None and c not in seen:  # the credential, then whoever minted it
                seen.add(c)
                counts[c] += 1
                why[c].update(text for col, text in flags if col in marks and marks[col][r])
                c = parent_of.get(c)
    elif "n_suspicious" in usage.columns and "credential" in usage.columns:
        for c, k in zip(_strings(usage["credential"]), usage["n_suspicious"].fillna(0).tolist()):
            if c is not None and k:
                counts[c] += int(k)
    else:
        raise LeakLabError(reason="usage: expected leaklab.usage_in_windows output (by='use' or by='window'), "
                           "with a 'suspicious' or 'n_suspicious' column")
    if not counts:
        return
    names = sorted(counts)
    idx = _index_credentials(names)
    for i, k in enumerate(keys):
        rows = _all_matches(k, idx)
        total = sum(counts[names[r]] for r in rows)
        if not total:
            continue
        said = set().union(*(why[names[r]] for r in rows))
        how = ", ".join(text for _, text in flags if text in said)
        pts["suspicious_use"][i] = w["suspicious_use"]
        notes["suspicious_use"][i] = (f"used from {how} ({total} use(s))" if how else f"{total} suspicious use(s)")


def _public(secrets, public) -> list[bool]:
    n = len(secrets)
    if isinstance(public, bool):
        return [public] * n
    if isinstance(public, str):
        public = [public]
    try:
        wanted = {str(p) for p in public if isinstance(p, str)}
    except TypeError:
        raise LeakLabError(reason="public must be True/False or a list of repositories or secret ids") from None
    repos = {_norm_repo(p) for p in wanted}
    ids = {p.lower() for p in wanted}
    out = []
    for sid, s256, rs in zip(_strings(secrets["secret_id"]), _strings(secrets["secret_sha256"]), _strings(secrets["repos"])):
        hit = (sid or "").lower() in ids or (s256 or "").lower() in ids
        hit = hit or any(_norm_repo(r) in repos for r in _split(rs))
        out.append(hit)
    return out


def _norm_repo(r: str) -> str:
    r = r.strip().lower()
    r = re.sub(r"^[a-z][a-z0-9+.-]*://(?:[^@/]*@)?", "", r)  # scheme and any user:token@
    r = re.sub(r"^git@([^:]+):", r"\1/", r)
    return re.sub(r"(?:\.git)?/*$", "", r)


def _overrides(ledger, keys, computed):
    if hasattr(ledger, "current"):
        cur = ledger.current()
    elif hasattr(ledger, "columns"):
        cur = ledger
    else:
        raise LeakLabError(reason="ledger must be a leaklab.Ledger or its current() frame")
    _require(cur, "ledger", ("secret_id", "severity"))
    who = _strings(cur["severity_analyst"] if "severity_analyst" in cur.columns else cur["analyst"])
    sev = _strings(cur["severity"])
    lines = cur["line"].tolist() if "line" in cur.columns else list(range(len(cur)))
    # Every decision counts, not only those with an override: the latest decision across the
    # secret's keys is the one apply() shows, and only its override (if still in force) holds.
    labels = _strings(cur["label"]) if "label" in cur.columns else [None] * len(cur)
    idx: dict[str, list[int]] = {}
    for r, sid in enumerate(_strings(cur["secret_id"])):
        if sid is not None:
            idx.setdefault(sid.lower() if not sid.startswith("unhashed:") else sid, []).append(r)
    final, source = [], []
    for k, c in zip(keys, computed):
        rows = _all_matches(k, idx)
        r = max(rows, key=lambda x: lines[x]) if rows else None  # the latest decision wins, as in Ledger.apply
        if r is None or sev[r] is None or labels[r] in CLOSED:
            final.append(c)
            source.append("computed")
            continue
        if sev[r] not in SEVERITIES:
            raise LeakLabError(reason=f"ledger: unknown severity; expected one of: {', '.join(SEVERITIES)}")
        final.append(sev[r])
        source.append(f"override by {who[r] or 'unknown analyst'}")
    return final, source


# --------------------------------------------------------------------------- joins


def _strings(series) -> list:
    """A column as Python values with every missing value as None."""
    import pandas as pd

    return [None if (v is None or (not isinstance(v, str) and pd.isna(v))) else str(v) for v in series.tolist()]


def _split(joined) -> list[str]:
    return [p for p in (joined or "").split(", ") if p]


def _count(joined: str) -> int:
    return len(_split(joined))


def _secret_keys(frame) -> list[tuple]:
    """Each row's join keys: secret_id, its SHA-256, ``sha1:<hex>`` (hex in lower case)."""
    cols = [_strings(frame[c]) if c in frame.columns else [None] * len(frame)
            for c in ("secret_id", "secret_sha256", "secret_sha1")]
    out = []
    for sid, s256, s1 in zip(*cols):
        k = []
        if sid is not None:
            k.append(sid if sid.startswith("unhashed:") else sid.lower())
        if s256 is not None:
            k.append(s256.lower())
        if s1 is not None:
            k.append("sha1:" + s1.lower())
        out.append(tuple(dict.fromkeys(k)))
    return out


def _index_fingerprints(frame) -> dict[str, list[int]]:
    idx: dict[str, list[int]] = {}
    for r, k in enumerate(_secret_keys(frame)):
        for key in k:
            idx.setdefault(key, []).append(r)
    return idx


def _index_credentials(values) -> dict[str, list[int]]:
    """Credential ids -> row positions, keyed by the id itself and by its fingerprints, so a
    raw AWS key id in a window finds the secret whose secret_sha256 is its SHA-256 (as
    leaklab.blast does)."""
    from .fingerprint import sha1, sha256

    idx: dict[str, list[int]] = {}
    for r, c in enumerate(values.tolist() if hasattr(values, "tolist") else values):
        if not isinstance(c, str) or not c:
            continue
        for key in dict.fromkeys((c, c.lower(), sha256(c), "sha1:" + sha1(c))):
            idx.setdefault(key, []).append(r)
    return idx


def _all_matches(keys: tuple, idx: dict) -> list[int]:
    rows: list[int] = []
    for k in keys:
        for r in idx.get(k, ()):
            if r not in rows:
                rows.append(r)
    return rows


def _first_match(keys: tuple, idx: dict):
    rows = _all_matches(keys, idx)
    return rows[0] if rows else None


def _require(frame, name: str, cols) -> None:
    if not hasattr(frame, "columns"):
        raise LeakLabError(reason=f"{name} must be a DataFrame")
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise LeakLabError(reason=f"{name} frame: missing columns: {', '.join(missing)}")


def _is_test_path(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return any(p.lower() in _TEST_DIRS for p in parts[:-1]) or bool(_TEST_NAME.search(parts[-1]))


@lru_cache(maxsize=1)
def _known_decoys() -> tuple[frozenset, frozenset, frozenset, frozenset]:
    """Fingerprints of the exact example and placeholder values of leaklab's scanner
    allowlist, so findings of other tools (which carry only fingerprints) are recognised
    too: (example SHA-256s, example SHA-1s, placeholder SHA-256s, placeholder SHA-1s)."""
    from .fingerprint import sha1, sha256
    from .scan.rules import RuleSet

    allow = RuleSet.load().allowlist
    examples = set(allow.examples)
    # Placeholders are compared case-insensitively by the scanner; cover the usual spellings.
    holders = {v for p in allow.placeholders for v in (p, p.upper(), p.capitalize())}
    return (frozenset(map(sha256, examples)), frozenset(map(sha1, examples)),
            frozenset(map(sha256, holders)), frozenset(map(sha1, holders)))


# --------------------------------------------------------------------------- remediation


def remediation(secrets, ledger=None, *, history=None, by: str = "repo"):
    """What to rotate, one row per secret, grouped by repository (or owner).

    Columns: ``group`` (the repository; with ``by="owner"`` the author who introduced
    the secret, from ``history``, else the repository), ``secret_id``, ``redacted``,
    ``secret_type``, ``severity`` (when ``secrets`` was scored), where it is referenced
    (``files``; ``refs`` and ``present_refs`` from ``history``), ``still_in_head``,
    ``label`` (the ledger's current decision), ``status`` (:data:`STATUS`: rotated or
    revoked -> done; false_positive, test_credential, accepted_risk -> no action; other
    or no decision -> to do) and ``action``.

    Ordered by group, then status (to do first), severity, score and secret id. Without
    ``ledger``, a ``triage_label`` column (:meth:`Ledger.apply`) is used when present.

        >>> import leaklab
        >>> s = leaklab.schema.build("secrets", {"secret_id": ["a" * 64], "secret_type": ["github-token"],
        ...     "repos": ["github.com/acme/api"], "files": ["ci/release.py"]})
        >>> remediation(s)[["group", "status", "action"]].to_dict("records")
        [{'group': 'github.com/acme/api', 'status': 'to do', 'action': 'rotate and revoke'}]
    """
    import pandas as pd

    if by not in ("repo", "owner"):
        raise LeakLabError(reason=f"by must be 'repo' or 'owner', not {by!r}")
    _require(secrets, "secrets", ("secret_id", "secret_type", "redacted", "repos", "files"))
    n = len(secrets)
    keys = _secret_keys(secrets)

    labels: list = [None] * n
    if ledger is not None:
        cur = ledger.current() if hasattr(ledger, "current") else ledger
        _require(cur, "ledger", ("secret_id", "label"))
        idx = _index_fingerprints(cur)
        lines = cur["line"].tolist() if "line" in cur.columns else list(range(len(cur)))
        cur_labels = _strings(cur["label"])
        for i, k in enumerate(keys):
            rows = _all_matches(k, idx)
            if rows:
                labels[i] = cur_labels[max(rows, key=lambda r: lines[r])]
    elif "triage_label" in secrets.columns:
        labels = _strings(secrets["triage_label"])

    refs = present = owner = hist_files = [None] * n
    still: list = [None] * n
    if history is not None:
        _require(history, "history", ("secret_id", "refs", "present_refs", "still_in_head", "introduced_author", "files"))
        idx = _index_fingerprints(history)
        rows = [_first_match(k, idx) for k in keys]

        def pick(col):
            vals = history[col].tolist() if col == "still_in_head" else _strings(history[col])
            return [None if r is None or vals[r] is None or (col == "still_in_head" and pd.isna(vals[r])) else vals[r]
                    for r in rows]

        refs, present, owner, hist_files, still = (pick(c) for c in ("refs", "present_refs", "introduced_author", "files",
                                                                     "still_in_head"))

    repos = [_repo_group(r) for r in _strings(secrets["repos"])]
    group = [o or r for o, r in zip(owner, repos)] if by == "owner" else repos
    files = [f or h for f, h in zip(_strings(secrets["files"]), hist_files)]
    status = [STATUS.get(lab, "to do") if lab else "to do" for lab in labels]
    action = [_action(s, lab, p, st) for s, lab, p, st in zip(status, labels, present, still)]

    data = {
        "group": group,
        "secret_id": _strings(secrets["secret_id"]),
        "redacted": _strings(secrets["redacted"]),
        "secret_type": _strings(secrets["secret_type"]),
    }
    scored = "severity" in secrets.columns
    if scored:
        data["severity"] = _strings(secrets["severity"])
    data.update(files=files, refs=refs, present_refs=present)
    out = pd.DataFrame({k: pd.array(v, dtype="string") for k, v in data.items()})
    out["still_in_head"] = pd.array(still, dtype="boolean")
    out["label"] = pd.array(labels, dtype="string")
    out["status"] = pd.array(status, dtype="string")
    out["action"] = pd.array(action, dtype="string")

    rank = {s: i for i, s in enumerate(SEVERITIES)}
    sev = data.get("severity", [None] * n)
    points = secrets["score"].tolist() if "score" in secrets.columns else [0] * n
    order = sorted(range(n), key=lambda i: (group[i] is None, group[i] or "", _STATUS_ORDER[status[i]],
                                            rank.get(sev[i], len(rank)), -int(points[i] if not isna(points[i]) else 0),
                                            data["secret_id"][i] or ""))
    return out.take(order).reset_index(drop=True)


def _repo_group(repos):
    """A secret's repository for grouping: a named one (host/owner/name) over a local path
    such as './.git' that some tools report."""
    parts = _split(repos)
    named = sorted(p for p in parts if not p.startswith((".", "/", "~")) and "/" in p)
    return (named or parts or [None])[0]


def _action(status: str, label, present, still) -> str:
    where = f"remove from refs: {present}" if present else ("remove from HEAD" if still is True else None)
    if status == "no action":
        return f"none ({label})"
    if status == "done":
        return f"none ({label})" + (f"; optional clean-up: {where}" if where else "")
    return "rotate and revoke" + (f"; {where}" if where else "")


# --------------------------------------------------------------------------- export

# Characters that act inline in Markdown; the others (#, +, -, digits) only at a line's start,
# where a value never stands (every item begins with "- [ ] ").
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _md(value) -> str:
    """Inline Markdown text that renders as the literal value: HTML is escaped, Markdown
    punctuation backslash-escaped, line breaks and bidi controls become spaces."""
    if value is None or isna(value):
        return ""
    s = _CONTROL.sub(" ", str(value))
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def markdown_text(value) -> str:
    """Inline Markdown that shows an attacker-controlled value literally, for tables and
    reports: control, bidi and invisible characters become visible escapes
    (:func:`leaklab.widgets.neutralize`), then HTML and Markdown punctuation is escaped, so
    a value can start no link, image, tag or table cell. The one escaping that the report
    and the CLI's ``--format markdown`` share.

        >>> print(markdown_text("[x](http://evil) ![i](x.png) a|b <b>\\u202e"))
        \\[x\\](http://evil) !\\[i\\](x.png) a\\|b &lt;b&gt;\\\\u202e
    """
    from .widgets import neutralize

    if value is None or isna(value):
        return ""
    return _md(neutralize(str(value)))


def checklist_details(row: dict) -> list[tuple[str, object]]:
    """(name, value) pairs shown after a remediation item: status, label, where it lives.
    Values are raw: each renderer (Markdown here, HTML in the report) escapes them."""
    out = [("status", row["status"])]
    for col in ("label", "files", "present_refs", "refs"):
        if not isna(row.get(col)):
            out.append((col.replace("_", " "), row[col]))
    return out


def remediation_markdown(frame, title: str | None = "Remediation") -> str:
    """A Markdown checklist of :func:`remediation` output: one section per group, one item
    per secret (``- [x]`` when done or no action is needed). Every value is escaped, so
    hostile file names or authors can neither break the list nor inject HTML.

        >>> import pandas as pd
        >>> f = pd.DataFrame({"group": ["acme/api"], "secret_id": ["x"], "redacted": ["ghp_…ab"],
        ...     "secret_type": ["github-token"], "files": ["a|b`<script>.py"], "refs": [None], "present_refs": [None],
        ...     "still_in_head": [None], "label": [None], "status": ["to do"], "action": ["rotate and revoke"]})
        >>> print(remediation_markdown(f, title=None), end="")
        ## acme/api
        <BLANKLINE>
        - [ ] github-token ghp\\_…ab: rotate and revoke (status: to do; files: a\\|b\\`&lt;script&gt;.py)
    """
    _require(frame, "remediation", ("group", "redacted", "secret_type", "status", "action", "files"))
    lines: list[str] = []
    if title:
        lines += [f"# {_md(title)}", ""]
    if frame.empty:
        return "\n".join(lines + ["No secrets to remediate.", ""])
    current = object()
    for r in frame.to_dict("records"):
        if r["group"] != current:
            if lines and lines[-1] != "":
                lines.append("")
            current = r["group"]
            lines += [f"## {_md(current) or '(no repository)'}", ""]
        box = "[ ]" if r["status"] == "to do" else "[x]"
        sev = f"**{_md(r['severity'])}** " if not isna(r.get("severity")) else ""
        detail = "; ".join(f"{name}: {_md(value)}" for name, value in checklist_details(r))
        lines.append(f"- {box} {sev}{_md(r['secret_type'])} {_md(r['redacted'])}: {_md(r['action'])} ({detail})")
    return "\n".join(lines) + "\n"


def remediation_csv(frame, path=None) -> str:
    """:func:`remediation` output (or any frame) as CSV text with spreadsheet formulas
    defused (cells starting with =, +, -, @, tab or CR get a leading quote, as
    ``leaklab`` CLI output does); also written to ``path`` when given.

        >>> import pandas as pd
        >>> print(remediation_csv(pd.DataFrame({"files": ["=HYPERLINK(\\"x\\")"]})), end="")
        files
        "'=HYPERLINK(""x"")"
    """
    from .cli import _defuse_formulas

    text = _defuse_formulas(frame).to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    if path is not None:
        from pathlib import Path

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, encoding="utf-8")
    return text
