"""Shared test helpers.

``shared_formats`` / ``shared_logs`` point at ../shared (real files from the real tools).
A user's clone has no ../shared, so tests that need it skip cleanly instead of failing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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
