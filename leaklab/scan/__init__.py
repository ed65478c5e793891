"""leaklab's own scanner: a findings frame (``tool="leaklab"``) without gitleaks or TruffleHog.

:func:`scan` reads the working tree (or, in a bare repository, HEAD's tree) and, with
``history=True``, the lines every commit on every ref added, in one ``git log`` pass
(:mod:`leaklab.gitlog`: nothing in the repository is executed). Matching is done by the
rules in ``leaklab/scan/rules.toml``; pass ``rules=`` to add your own file. Documentation
examples and placeholders are reported, marked in ``validity`` (``example``,
``placeholder``), never dropped. Files larger than :data:`MAX_FILE_BYTES` and binary
files are not read; each is listed in ``df.attrs["skipped"]``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import gitlog

MAX_FILE_BYTES = gitlog.MAX_BLOB_BYTES


def scan(path, history: bool = True, rules=None, progress: bool = True, reveal: bool = False):
    """Scan a repository (or, with ``history=False``, any directory) for secrets.

    Parameters
    ----------
    path
        A git working copy, a bare repository, or a plain directory (``history=False``).
    history
        Also scan every commit on every ref (the lines each commit added).
    rules
        A path (or list of paths) of extra rule files in the ``rules.toml`` format; they
        may add rules, replace bundled ones by id, or extend the allowlist.
    progress
        Show a progress bar over commits (tqdm; notebook-aware).
    reveal
        As in :func:`leaklab.load`: add a ``secret`` column of redacting wrappers.

    Examples
    --------
    >>> import tempfile, leaklab
    >>> d = tempfile.mkdtemp()
    >>> _ = leaklab.demo.build(d)
    >>> f = leaklab.scan(f"{d}/demo-repo", progress=False)
    >>> sorted(f.loc[f.validity == "example", "redacted"].unique())
    ['AKIA…LE']
    """
    from .rules import RuleSet

    ruleset = RuleSet.load(*([] if rules is None else [rules] if isinstance(rules, (str, os.PathLike)) else rules))
    path = os.fspath(path)
    is_repo = os.path.isdir(path) and _is_repository(path)
    if history and not is_repo:
        gitlog.check_repository(path)  # raises the clear error
    acc = _Accumulator(path)
    if is_repo and gitlog.is_bare(path):
        _scan_tree(path, ruleset, acc)
    else:
        _scan_directory(path, ruleset, acc)
    if history:
        _scan_history(path, ruleset, acc, progress)
    return acc.frame(repo=_remote(path) if is_repo else None, reveal=reveal)


def _is_repository(path: str) -> bool:
    return gitlog.run(path, "rev-parse", "--git-dir", check=False).strip() != b""


def _remote(path: str) -> str | None:
    url = gitlog.run(path, "config", "--get", "remote.origin.url", check=False).strip()
    return url.decode("utf-8", "replace") or None


class _Accumulator:
    """Collects hits as column lists and turns them into one findings frame."""

    KEYS = ("rule_id", "secret_type", "tool_secret_type", "secret", "file", "line", "column", "commit", "author_name",
            "author_email", "commit_time", "source_kind", "validity", "tool_fingerprint", "source_record")

    def __init__(self, root: str):
        self.root = root
        self.cols: dict = {k: [] for k in self.KEYS}
        self.skipped: list = []

    def add(self, hits, file: str, where: str, line_of=None, commit=None) -> None:
        c = self.cols
        for h in hits:
            line = line_of(h.line) if line_of else h.line
            c["rule_id"].append(h.rule_id)
            c["secret_type"].append(h.type)
            c["tool_secret_type"].append(h.description)
            c["secret"].append(h.secret)
            c["file"].append(file)
            c["line"].append(line)
            c["column"].append(h.column)
            c["validity"].append(h.status)
            c["source_record"].append(where)
            if commit is None:
                for k in ("commit", "author_name", "author_email", "commit_time"):
                    c[k].append(None)
                c["source_kind"].append("filesystem")
                c["tool_fingerprint"].append(f"{file}:{h.rule_id}:{line}")
            else:
                c["commit"].append(commit.sha)
                c["author_name"].append(commit.author_name)
                c["author_email"].append(commit.author_email)
                c["commit_time"].append(commit.author_iso)
                c["source_kind"].append("git")
                c["tool_fingerprint"].append(f"{commit.sha}:{file}:{h.rule_id}:{line}")

    def skip(self, file: str, reason: str) -> None:
        self.skipped.append({"file": file, "record": None, "reason": reason})

    def frame(self, repo, reveal: bool):
        from ..readers._common import Collector, Format, Source

        fmt = Format("leaklab", "leaklab", "leaklab scanner", lambda s: False, None, None)
        n = len(self.cols["rule_id"])
        cols = dict(self.cols, repo=[repo] * n)
        df = Collector(fmt, Source(self.root), reveal=reveal).frame(cols, n)
        df.attrs["skipped"] = self.skipped
        return df


def _read_text(data: bytes) -> str | None:
    """Text of a file, or None for binary content (a NUL byte in the first 8 KiB)."""
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", "surrogateescape")


def _scan_directory(root: str, ruleset, acc: _Accumulator) -> None:
    base = Path(root)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted(filenames):
            full = Path(dirpath) / name
            rel = full.relative_to(base).as_posix()
            if full.is_symlink():
                acc.skip(rel, "symbolic link (not followed)")
                continue
            size = full.stat().st_size
            if size > MAX_FILE_BYTES:
                acc.skip(rel, f"larger than {MAX_FILE_BYTES} bytes")
                continue
            text = _read_text(full.read_bytes())
            if text is None:
                acc.skip(rel, "binary")
                continue
            acc.add(ruleset.find(text), rel, "working tree")


def _scan_tree(repo: str, ruleset, acc: _Accumulator) -> None:
    """HEAD's tree of a bare repository, read through git's object store."""
    if gitlog.head(repo) is None:
        return
    listing = gitlog.run(repo, "ls-tree", "-r", "-z", "--long", "HEAD").split(b"\0")
    entries = []
    for item in filter(None, listing):
        meta, _, name = item.partition(b"\t")
        mode, kind, sha, size = meta.split()
        path = name.decode("utf-8", "surrogateescape")
        if kind != b"blob" or mode == b"120000":
            continue
        if int(size) > MAX_FILE_BYTES:
            acc.skip(path, f"larger than {MAX_FILE_BYTES} bytes")
            continue
        entries.append((path, sha.decode()))
    for path, data in zip((p for p, _ in entries), gitlog.blobs(repo, [s for _, s in entries])):
        text = _read_text(data)
        if text is None:
            acc.skip(path, "binary")
            continue
        acc.add(ruleset.find(text), path, "HEAD tree")


def _scan_history(repo: str, ruleset, acc: _Accumulator, progress: bool) -> None:
    bar = None
    if progress:
        from tqdm.auto import tqdm

        total = int(gitlog.run(repo, "rev-list", "--all", "--count").strip() or 0)
        bar = tqdm(total=total, unit="commit", desc="scanning history", leave=False)
    try:
        for commit in gitlog.commits(repo, progress=(lambda _c: bar.update(1)) if bar else None):
            for fd in commit.files:
                if fd.binary:
                    acc.skip(f"{commit.sha}:{fd.path}", "binary or larger than the size limit")
                    continue
                hits = ruleset.find(fd.added_text) if fd.hunks else []
                if hits:
                    numbers = fd.added_line_numbers()
                    acc.add(hits, fd.path, f"commit {commit.sha[:12]}", line_of=lambda i, ns=numbers: ns[i - 1], commit=commit)
    finally:
        if bar:
            bar.close()
