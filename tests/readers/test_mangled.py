"""Property test: mangled reports of every format raise leaklab's own error or load; nothing else escapes.

Each hand-written fixture under tests/fixtures/ is parsed, then hypothesis deletes keys,
swaps values for other JSON types, truncates or corrupts bytes. Whatever comes out, the
only exception allowed to escape ``load`` is ``LeakLabError``.
"""

import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leaklab
from mangling import json_values, mangled, parse
from leaklab.errors import LeakLabError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FILES = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.stat().st_size < 200_000)

VALUES = json_values()


def _load_quietly(path, lenient):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            leaklab.load(path, lenient=lenient)
        except LeakLabError:
            pass


def _structured(files):
    out = []
    for p in files:
        try:
            parse(p.read_text())
            out.append(p)
        except (ValueError, UnicodeDecodeError):
            pass
    return out


@pytest.mark.parametrize("fixture", _structured(FILES), ids=lambda p: str(p.relative_to(FIXTURES)))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_structural_mangling(tmp_path, fixture, data):
    out = tmp_path / fixture.name
    out.write_text(mangled(fixture.read_text(), data, VALUES))
    _load_quietly(out, lenient=data.draw(st.booleans()))


@pytest.mark.parametrize("fixture", FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_byte_mangling(tmp_path, fixture, data):
    raw = bytearray(fixture.read_bytes())
    cut = data.draw(st.integers(0, len(raw)))
    if data.draw(st.booleans()):
        raw = raw[:cut]
    elif raw:
        raw[min(cut, len(raw) - 1)] = data.draw(st.integers(0, 255))
    out = tmp_path / fixture.name
    out.write_bytes(bytes(raw))
    _load_quietly(out, lenient=data.draw(st.booleans()))
