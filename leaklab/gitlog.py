"""Read a repository's history in one pass, without letting the repository run anything.

A scanned repository may be an attacker's. Its ``.git/config`` can name programs for
git to run: ``core.fsmonitor``, ``core.pager``, diff drivers' ``textconv`` and
``command``, ``diff.external``, ``gpg.program`` (via ``log.showSignature``), hooks,
and clean/smudge filters. leaklab only ever runs ``git log``/``rev-list``/``for-each-ref``
/``cat-file``, with those settings overridden on the command line (which beats the
repository's config), with ``--no-textconv --no-ext-diff --no-show-signature``, with
replace refs ignored, and never touches the index or the working tree through git
(working-tree files are read directly from disk). Hooks and filters run only on
commands that write (commit, checkout, add), which leaklab never uses.

:func:`commits` streams ``git log --all -p -U0`` as :class:`Commit` records, each with
its files' added and removed lines. Merges are diffed against their first parent, so
what a merge brings onto a branch is visible; renames are not detected, so a move shows
as a removal from one file and an addition to another in the same commit.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from typing import Iterator

from .errors import LeakLabError

# Blobs larger than this are diffed as binary (not read line by line) and counted.
MAX_BLOB_BYTES = 2 << 20

SAFE_CONFIG = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "core.quotePath=true",
    f"core.bigFileThreshold={MAX_BLOB_BYTES}",
    "diff.external=",
    "diff.renames=false",
    "log.showSignature=false",
    "log.mailmap=false",
    "gpg.program=false",
    "protocol.allow=never",
    "safe.bareRepository=all",
)

_MARK = "\x1e\x1fLEAKLAB-COMMIT\x1f"
# NUL-separated: git refuses NUL in names and emails; the subject, last, may hold anything else.
_FORMAT = _MARK + "%H%x00%P%x00%an%x00%ae%x00%at%x00%ct%x00%aI%x00%cn%x00%ce%x00%s"


def git_command(repo: str | os.PathLike, *args: str) -> list[str]:
    """The argument vector for a git command run with leaklab's safety overrides."""
    cmd = ["git", "--no-pager", "-C", os.fspath(repo)]
    for kv in SAFE_CONFIG:
        cmd += ["-c", kv]
    return cmd + list(args)


def git_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_NO_REPLACE_OBJECTS="1",  # replace refs could hide or forge history
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        LC_ALL="C",
    )
    return env


def run(repo, *args: str, check: bool = True, input: bytes | None = None) -> bytes:
    """Run a read-only git command safely and return its standard output."""
    try:
        p = subprocess.run(git_command(repo, *args), capture_output=True, env=git_env(), input=input,
                           stdin=None if input is not None else subprocess.DEVNULL)
    except FileNotFoundError:
        raise LeakLabError(repo, reason="git is not installed or not on PATH") from None
    if check and p.returncode != 0:
        msg = p.stderr.decode("utf-8", "replace").strip().splitlines()
        raise LeakLabError(repo, reason=f"git {args[0]} failed: {msg[-1] if msg else p.returncode}")
    return p.stdout


def check_repository(repo) -> str:
    """The git directory of ``repo``, or a clear error if it is not a repository."""
    if not os.path.isdir(repo):
        raise LeakLabError(repo, reason="no such directory")
    out = run(repo, "rev-parse", "--absolute-git-dir", check=False).strip()
    if not out:
        raise LeakLabError(repo, reason="not a git repository (or git refuses it: see `git status` there)")
    return out.decode("utf-8", "surrogateescape")


_ADDED = re.compile(rb"^\+(.*)$", re.M)
_REMOVED = re.compile(rb"^-(.*)$", re.M)


@dataclass
class FileDiff:
    """One file's change in one commit; the hunks stay bytes until asked for."""

    path: str
    hunks: bytes = b""  # "@@ ... @@" headers and +/- lines, as git wrote them (-U0)
    binary: bool = False
    deleted: bool = False

    @property
    def added_text(self) -> str:
        """The added lines, joined with newlines (undecodable bytes kept as surrogates)."""
        return b"\n".join(_ADDED.findall(self.hunks)).decode("utf-8", "surrogateescape")

    @property
    def removed_text(self) -> str:
        return b"\n".join(_REMOVED.findall(self.hunks)).decode("utf-8", "surrogateescape")

    def added_line_numbers(self) -> list[int]:
        """Line number in the new file of each added line, in order."""
        numbers = []
        for m in re.finditer(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", self.hunks, re.M):
            start, count = int(m.group(1)), int(m.group(2) or 1)
            numbers.extend(range(start, start + count))
        return numbers


@dataclass
class Commit:
    sha: str
    parents: tuple
    author_name: str
    author_email: str
    author_time: int  # epoch seconds
    commit_time: int
    author_iso: str
    committer_name: str
    committer_email: str
    summary: str
    files: list = field(default_factory=list)


def unquote_path(p: str) -> str:
    """Undo git's C-style path quoting (``"a\\tb"``, octal bytes) into text.

    Non-UTF-8 bytes stay as surrogate escapes, so the name round-trips to the bytes.

        >>> unquote_path('"caf\\\\303\\\\251 \\\\"x\\\\".py"')
        'café "x".py'
    """
    if not (len(p) >= 2 and p[0] == '"' and p[-1] == '"'):
        return p
    body = p[1:-1]
    out = bytearray()
    i = 0
    simple = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in simple:
                out.append(simple[nxt])
                i += 2
                continue
            if re.match(r"[0-7]{3}", body[i + 1 : i + 4]):
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
        out += c.encode("utf-8", "surrogateescape")
        i += 1
    return out.decode("utf-8", "surrogateescape")


def commits(repo, revs: tuple[str, ...] = ("--all",), progress=None) -> Iterator[Commit]:
    """Every commit reachable from ``revs`` (default: every ref), with its diff, once.

    ``progress`` is called with each commit (for progress bars).
    """
    args = [
        "log", *revs, "-p", "-U0", "--no-color", "--no-textconv", "--no-ext-diff", "--no-show-signature",
        "--no-renames", "--diff-merges=first-parent", "--full-history", "--topo-order", "--reverse",
        f"--format={_FORMAT}",
    ]
    cmd = git_command(repo, *args)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=git_env())
    _widen_pipe(proc.stdout)
    try:
        for block in _commit_blocks(proc.stdout):
            c = _commit(block)
            if progress:
                progress(c)
            yield c
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode("utf-8", "replace").strip()
        code = proc.wait()
        if code not in (0, None) and code != -13:  # -13: we stopped reading early (SIGPIPE)
            raise LeakLabError(repo, reason=f"git log failed: {err.splitlines()[-1] if err else code}")


_READ = 8 << 20


def _widen_pipe(stream) -> None:
    """Let git run up to 4 MiB ahead of the parser (Linux; elsewhere the default stays)."""
    try:
        import fcntl

        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 4 << 20)
    except (ImportError, OSError):
        pass


def _commit_blocks(stream) -> Iterator[bytes]:
    """Split git's output into one bytes block per commit, reading in large chunks.

    A commit starts with the mark at the start of a line; diff content lines start with
    "+", "-", "@" or a space, so file contents cannot forge one.
    """
    mark = b"\n" + _MARK.encode()
    buf = b"\n"
    while True:
        chunk = stream.read1(_READ)  # what is there now: git keeps writing while we parse
        buf += chunk
        parts = buf.split(mark)
        rest = parts.pop() if chunk else None
        for part in parts:
            if part.strip(b"\n"):
                yield part
        if not chunk:
            return
        buf = mark + rest


def _commit(block: bytes) -> Commit:
    head, _, body = block.partition(b"\n")
    f = head.decode("utf-8", "surrogateescape").split("\x00", 9)
    try:
        c = Commit(f[0], tuple(f[1].split()), f[2], f[3], int(f[4]), int(f[5]), f[6], f[7], f[8], f[9])
    except (IndexError, ValueError):
        raise LeakLabError(reason=f"unexpected git log header {head[:80]!r}") from None
    c.files = [_file(section) for section in (b"\n" + body).split(b"\ndiff --git ")[1:]]
    return c


def _file(section: bytes) -> FileDiff:
    header, sep, hunks = section.partition(b"\n@@ ")
    fd = FileDiff(path="", hunks=(b"@@ " + hunks) if sep else b"")
    for line in header.split(b"\n"):
        if line.startswith(b"+++ ") and line != b"+++ /dev/null":
            fd.path = _strip_prefix(unquote_path(line[4:].decode("utf-8", "surrogateescape")), "b/")
        elif line.startswith(b"--- ") and line != b"--- /dev/null" and not fd.path:
            fd.path = _strip_prefix(unquote_path(line[4:].decode("utf-8", "surrogateescape")), "a/")
        elif line.startswith(b"deleted file mode"):
            fd.deleted = True
        elif line.startswith(b"Binary files "):
            fd.binary = True
            fd.path = fd.path or _binary_path(line.decode("utf-8", "surrogateescape"))
    return fd


def _strip_prefix(p: str, prefix: str) -> str:
    return p[len(prefix):] if p.startswith(prefix) else p


def _binary_path(line: str) -> str:
    m = re.match(r"Binary files (?:a/(.*)|/dev/null) and (?:b/(.*)|/dev/null) differ", line.strip())
    return unquote_path((m.group(2) or m.group(1) or "")) if m else ""


def refs(repo) -> dict[str, str]:
    """Branches and tags (peeled to commits) -> commit sha."""
    out = run(repo, "for-each-ref", "--format=%(refname)%00%(objectname)%00%(*objectname)", "refs/heads", "refs/tags", "refs/remotes")
    result = {}
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        name, obj, peeled = line.split("\0")
        result[name] = peeled or obj
    return result


def first_parent_chain(repo, rev: str) -> list[str]:
    """Commits on ``rev``'s first-parent line, oldest first."""
    return run(repo, "rev-list", "--first-parent", "--reverse", rev).decode().split()


def reachable(repo, rev: str) -> set[str]:
    return set(run(repo, "rev-list", rev).decode().split())


def head(repo) -> str | None:
    out = run(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False).strip()
    return out.decode() or None


def is_bare(repo) -> bool:
    return run(repo, "rev-parse", "--is-bare-repository").strip() == b"true"


def blobs(repo, shas: list[str]) -> Iterator[bytes]:
    """Contents of blobs, in order, through one ``git cat-file --batch`` (no filters, no textconv)."""
    if not shas:
        return
    data = run(repo, "cat-file", "--batch", input="".join(s + "\n" for s in shas).encode())
    pos = 0
    for _ in shas:
        end = data.index(b"\n", pos)
        header = data[pos:end].split()
        size = int(header[2]) if len(header) == 3 else 0
        yield data[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1
