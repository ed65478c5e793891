"""Shared test helpers.

``shared_formats`` / ``shared_logs`` point at ../shared (real files from the real tools).
A user's clone has no ../shared, so tests that need it skip cleanly instead of failing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/mangling.py, shared by the property tests

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def shared_path(*parts: str) -> Path:
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} not present (only the developers' machines have ../shared)")
    return p


@pytest.fixture
def shared_formats() -> Path:
    return shared_path("formats")


@pytest.fixture
def shared_logs() -> Path:
    return shared_path("logs")


from leaklab.gitlog import MAX_BLOB_BYTES  # noqa: E402

# A token shaped like GitHub's, planted in the hostile repository; fake by construction.
SECRET = "ghp_" + "LEAKLABFAKE" + "0" * 25


def git(cwd, *args, env=None):
    e = dict(os.environ, GIT_AUTHOR_NAME="A", GIT_AUTHOR_EMAIL="a@x", GIT_COMMITTER_NAME="A", GIT_COMMITTER_EMAIL="a@x",
             GIT_AUTHOR_DATE="2024-01-01T00:00:00Z", GIT_COMMITTER_DATE="2024-01-01T00:00:00Z", **(env or {}))
    subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "core.hooksPath=/dev/null", *args], cwd=cwd, check=True,
                   capture_output=True, env=e)


@pytest.fixture
def hostile(tmp_path):
    """(repo, marker, token): a repository whose config and attributes name programs that must
    never run; each would create ``marker``. ``token`` is planted in several files."""
    repo = tmp_path / "evil"
    repo.mkdir()
    git(repo, "init")
    (repo / "app.py").write_text(f'TOKEN = "{SECRET}"\n')
    (repo / "data.bin").write_bytes(b"\x00\x01binary" + SECRET.encode())
    (repo / "big.txt").write_text(("x" * 100 + "\n") * (MAX_BLOB_BYTES // 100 + 10) + SECRET + "\n")
    name = "caf\xe9-\udcff.py".encode("utf-8", "surrogateescape")  # not UTF-8
    (repo / os.fsdecode(name)).write_bytes(f'K = "{SECRET}"\n'.encode())
    git(repo, "add", "-A")
    git(repo, "commit", "-m", "add things")
    marker = tmp_path / "PWNED"
    cmd = f"touch {marker}"
    hooks = repo / ".git" / "hooks"
    for hook in ("pre-commit", "post-checkout", "fsmonitor-watchman", "pre-push", "reference-transaction", "post-index-change"):
        (hooks / hook).write_text(f"#!/bin/sh\n{cmd}\n")
        (hooks / hook).chmod(0o755)
    (repo / ".gitattributes").write_text("*.py diff=evil filter=evil\n*.txt diff=evil\n")
    with open(repo / ".git" / "config", "a") as f:
        f.write(
            f'[core]\n\tfsmonitor = "{cmd}"\n\tpager = {cmd}\n\thooksPath = .git/hooks\n\tsshCommand = {cmd}\n'
            f'[diff "evil"]\n\ttextconv = {cmd} ;\n\tcommand = {cmd}\n[diff]\n\texternal = {cmd}\n'
            f'[filter "evil"]\n\tclean = {cmd}\n\tsmudge = {cmd}\n\tprocess = {cmd}\n\trequired = true\n'
            f'[log]\n\tshowSignature = true\n[gpg]\n\tprogram = {cmd}\n[alias]\n\tlog = !{cmd}\n'
        )
    return repo, marker, SECRET


