"""Provenance from git: when each secret entered and left the repository, and where it lived.

:func:`history` reads the repository once (``git log --all -p``, see :mod:`leaklab.gitlog`)
however many secrets are asked about. Secrets are matched by fingerprint, never by value:
every candidate string on an added or removed line (tokens, ``key=value`` parts, quoted
strings, credential URLs, PEM blocks) is hashed and looked up in the SHA-256 and SHA-1
sets of the secrets asked about. So rows from any reader work, including detect-secrets'
SHA-1-only rows, and the cost does not grow with the number of secrets.

Per branch and tag the first-parent line is replayed: a secret is present at a ref's tip
when the occurrences added along that line outnumber those removed; it was removed by
the first-parent commit after which none remained (merges count as the change they bring
onto the line).

    >>> import tempfile, leaklab
    >>> d = tempfile.mkdtemp()
    >>> truth = leaklab.demo.build(d)
    >>> h = history(f"{d}/demo-repo", leaklab.load(f"{d}/reports"))
    >>> row = h.set_index("introduced_file").loc["config/deploy.env"]
    >>> bool(row.still_in_head), row.removed_commit == truth["commits"][5]["sha"], row.files
    (False, True, 'config/deploy.env')
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from . import gitlog, schema

_TOKEN = re.compile(r"[^\s'\"`<>(){}\[\],;]{6,4096}")
_QUOTED = re.compile(r"\"([^\"\n]{6,4096})\"|'([^'\n]{6,4096})'")
_URL_CRED = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/'\"@]+@[^\s/'\"?#]+")
_PEM = re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----.*?-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----", re.S)


def candidates(text: str) -> set[str]:
    """Every string in ``text`` that a scanner might have reported as the secret."""
    out = set(_TOKEN.findall(text))
    for t in list(out):
        for sep in ("=", ":"):
            if sep in t and "://" not in t:
                out.update(p for p in t.split(sep) if len(p) >= 6)
        stripped = t.rstrip(".:!?")
        if stripped != t:
            out.add(stripped)
    for a, b in _QUOTED.findall(text):
        out.add(a or b)
    out.update(_URL_CRED.findall(text))
    if "PRIVATE KEY" in text:
        out.update(m.group(0) for m in _PEM.finditer(text))
    return out


@dataclass
class _Targets:
    """The secrets asked about, by fingerprint."""

    by256: dict  # sha256 -> secret_id
    by1: dict  # sha1 -> secret_id (only those without a SHA-256)

    def match(self, text: str) -> Counter:
        """secret_id -> occurrences in ``text``."""
        hits: Counter = Counter()
        if not text:
            return hits
        for cand in candidates(text):
            b = cand.encode("utf-8", "surrogateescape")
            sid = self.by256.get(hashlib.sha256(b).hexdigest())
            if sid is None and self.by1:
                sid = self.by1.get(hashlib.sha1(b).hexdigest())
            if sid is not None:
                hits[sid] += max(text.count(cand), 1)
        return hits


@dataclass
class _Seen:
    """What one pass over the log learnt about the secrets."""

    delta: dict = field(default_factory=lambda: defaultdict(Counter))  # commit -> (sid, file) -> +/-
    adds: dict = field(default_factory=lambda: defaultdict(list))  # sid -> [(order, commit, file)]
    commits: dict = field(default_factory=dict)  # sha -> Commit (without its diff)
    order: dict = field(default_factory=dict)  # sha -> position in topological order


def _read(repo, targets: _Targets, progress) -> _Seen:
    seen = _Seen()
    for i, c in enumerate(gitlog.commits(repo, progress=progress)):
        seen.order[c.sha] = i
        for fd in c.files:
            if fd.binary:
                continue
            added = targets.match(fd.added_text)
            removed = targets.match(fd.removed_text)
            for sid, n in added.items():
                seen.delta[c.sha][(sid, fd.path)] += n
                seen.adds[sid].append((i, c.sha, fd.path))
            for sid, n in removed.items():
                seen.delta[c.sha][(sid, fd.path)] -= n
        c.files = []  # keep the commit's metadata, not its diff
        seen.commits[c.sha] = c
    return seen


def _targets(frame) -> tuple[_Targets, object]:
    """Secrets to look for: a secrets frame as is, a findings frame deduplicated first."""
    from .dedupe import dedupe

    secrets = frame if "secret_id" in frame.columns else dedupe(frame)
    by256, by1 = {}, {}
    for sid, s256, s1 in zip(secrets["secret_id"], secrets["secret_sha256"], secrets["secret_sha1"]):
        if isinstance(s256, str):
            by256[s256] = sid
        elif isinstance(s1, str):
            by1[s1] = sid
    return _Targets(by256, by1), secrets


def _replay(chain: list[str], seen: _Seen) -> dict:
    """Walk a first-parent line: per secret, where it entered, where it left, and the state at the tip."""
    count: Counter = Counter()  # (sid, file) -> occurrences
    total: Counter = Counter()  # sid -> occurrences
    entered, removed = {}, {}
    for sha in chain:
        d = seen.delta.get(sha)
        if not d:
            continue
        for (sid, path), n in d.items():
            before = total[sid]
            count[(sid, path)] += n
            total[sid] += n
            if before <= 0 < total[sid]:
                entered.setdefault(sid, sha)
                removed.pop(sid, None)
            elif before > 0 >= total[sid]:
                removed[sid] = sha
    present = {sid for sid, n in total.items() if n > 0}
    return {"entered": entered, "removed": removed, "present": present}


def history(repo, findings_or_secrets, by: str = "secret", progress: bool = False):
    """Where each secret entered and left ``repo``'s history.

    Parameters
    ----------
    repo
        Path to a repository (working copy or bare). Nothing in it is executed.
    findings_or_secrets
        A findings frame (from :func:`leaklab.load` or :func:`leaklab.scan`) or a secrets
        frame (from :func:`leaklab.dedupe`); only fingerprints are used.
    by
        ``"secret"``: one row per secret (contract ``history``), to join onto the secrets
        frame on ``secret_id``. ``"ref"``: one row per (secret, branch or tag) (contract
        ``history_refs``).
    progress
        Show a progress bar while reading the log.
    """
    import pandas as pd

    if by not in ("secret", "ref"):
        raise ValueError(f"by must be 'secret' or 'ref', not {by!r}")
    gitlog.check_repository(repo)
    targets, secrets = _targets(findings_or_secrets)
    bar = _progress_bar(repo) if progress else None
    try:
        seen = _read(repo, targets, bar.update_commit if bar else None)
    finally:
        if bar:
            bar.close()
    refs = gitlog.refs(repo)
    head = gitlog.head(repo)
    lines = {name: _replay(gitlog.first_parent_chain(repo, sha), seen) for name, sha in refs.items()}
    at_head = _replay(gitlog.first_parent_chain(repo, head), seen) if head else {"entered": {}, "removed": {}, "present": set()}
    reach = {name: gitlog.reachable(repo, sha) for name, sha in refs.items()} if seen.adds else {}

    def when(sha, attr):
        return None if sha is None else pd.Timestamp(getattr(seen.commits[sha], attr), unit="s", tz="UTC")

    if by == "ref":
        rows = []
        for sid in secrets["secret_id"]:
            shas = {c for _, c, _ in seen.adds.get(sid, [])}
            for name in sorted(refs):
                line = lines[name]
                rows.append({
                    "secret_id": sid, "ref": _short(name), "reachable": bool(shas & reach.get(name, set())),
                    "present_at_tip": sid in line["present"],
                    "entered_commit": line["entered"].get(sid), "entered_time": when(line["entered"].get(sid), "commit_time"),
                    "removed_commit": line["removed"].get(sid), "removed_time": when(line["removed"].get(sid), "commit_time"),
                    "tip_time": when(refs[name], "commit_time") if refs[name] in seen.commits else None,
                })
        return schema.build("history_refs", {k: [r[k] for r in rows] for k in schema.columns("history_refs")}, len(rows))

    cols = {k: [] for k in schema.columns("history")}
    for sid, s256, s1 in zip(secrets["secret_id"], secrets["secret_sha256"], secrets["secret_sha1"]):
        adds = seen.adds.get(sid, [])
        first = _introduction(adds, seen)
        c = seen.commits[first[1]] if first else None
        files = list(dict.fromkeys(path for _, _, path in sorted(adds)))
        shas = {sha for _, sha, _ in adds}
        for k, v in (
            ("secret_id", sid), ("secret_sha256", s256), ("secret_sha1", s1), ("in_history", bool(adds)),
            ("introduced_commit", c.sha if c else None), ("introduced_author", c.author_name if c else None),
            ("introduced_email", c.author_email if c else None),
            ("introduced_author_time", when(c.sha, "author_time") if c else None),
            ("introduced_commit_time", when(c.sha, "commit_time") if c else None),
            ("introduced_file", first[2] if first else None), ("files", ", ".join(files) or None),
            ("n_commits_added", len(shas)),
            ("refs", ", ".join(_short(n) for n in sorted(refs) if shas & reach.get(n, set())) or None),
            ("present_refs", ", ".join(_short(n) for n in sorted(refs) if sid in lines[n]["present"]) or None),
            ("removed_commit", at_head["removed"].get(sid) if adds and sid not in at_head["present"] else None),
            ("removed_time", when(at_head["removed"].get(sid), "commit_time") if adds and sid not in at_head["present"] else None),
            ("still_in_head", sid in at_head["present"]),
        ):
            cols[k].append(v)
    return schema.build("history", cols, len(cols["secret_id"]))


def _introduction(adds: list, seen: _Seen):
    """The commit that first added the secret: earliest author time, non-merge commits first."""
    if not adds:
        return None

    def key(a):
        c = seen.commits[a[1]]
        return (len(c.parents) > 1, c.author_time, a[0])

    return min(adds, key=key)


def _short(ref: str) -> str:
    for prefix in ("refs/heads/", "refs/tags/", "refs/remotes/"):
        if ref.startswith(prefix):
            return ("tag:" if prefix == "refs/tags/" else "") + ref[len(prefix):]
    return ref


class _progress_bar:
    """A tqdm bar over commits (notebook-aware), sized by a cheap ``rev-list --count``."""

    def __init__(self, repo):
        from tqdm.auto import tqdm

        total = int(gitlog.run(repo, "rev-list", "--all", "--count").strip() or 0)
        self._bar = tqdm(total=total, unit="commit", desc="reading history", leave=False)

    def update_commit(self, _commit) -> None:
        self._bar.update(1)

    def close(self) -> None:
        self._bar.close()
