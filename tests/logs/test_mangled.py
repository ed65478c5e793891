"""Property test: mangled access logs of every format raise leaklab's own error or load; nothing else escapes.

Each hand-written fixture under tests/fixtures/logs/ (gzip content included) is parsed,
then hypothesis deletes keys, swaps values for other JSON types, changes CSV cells,
truncates or corrupts bytes. The only exception allowed out of ``load_access_logs`` is
``LeakLabError``, and a frame that does come out meets the usage contract.
"""

import csv
import gzip
import io
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leaklab
from mangling import json_values, mangled
from leaklab.errors import LeakLabError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "logs"
FILES = sorted(p for p in FIXTURES.rglob("*") if p.is_file())
TEXT = [p for p in FILES if not p.name.endswith((".gz", ".csv"))]
CSVS = [p for p in FILES if p.name.endswith(".csv")]

VALUES = json_values("2024-05-01T10:02:11Z", "", "AKIAFAKE", "May 1, 2024, 11:05:00 AM", "0001-01-01T00:00:00Z")


def _load(path, lenient):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            df = leaklab.load_access_logs(path, lenient=lenient)
        except LeakLabError:
            return
    leaklab.validate(df, "usage")


STRUCTURED = TEXT + [p for p in FILES if p.name.endswith(".json.gz")]


@pytest.mark.parametrize("fixture", STRUCTURED, ids=lambda p: str(p.relative_to(FIXTURES)))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_structural_mangling(tmp_path, fixture, data):
    raw = fixture.read_bytes()
    zipped = fixture.name.endswith(".gz")
    text = mangled((gzip.decompress(raw) if zipped else raw).decode("utf-8"), data, VALUES)
    out = tmp_path / fixture.name
    out.write_bytes(gzip.compress(text.encode()) if zipped else text.encode())
    _load(out, lenient=data.draw(st.booleans()))


@pytest.mark.parametrize("fixture", CSVS, ids=lambda p: str(p.relative_to(FIXTURES)))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_csv_cell_mangling(tmp_path, fixture, data):
    rows = list(csv.reader(io.StringIO(fixture.read_text())))
    for _ in range(data.draw(st.integers(1, 4))):
        r = data.draw(st.integers(0, len(rows) - 1))
        c = data.draw(st.integers(0, len(rows[r]) - 1))
        rows[r][c] = data.draw(st.text(max_size=30) | st.sampled_from(["{", "[{arn=}]", "null", "{type=}", "2024-13-45"]))
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    out = tmp_path / fixture.name
    out.write_text(buf.getvalue())
    _load(out, lenient=data.draw(st.booleans()))


@pytest.mark.parametrize("fixture", FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_byte_mangling(tmp_path, fixture, data):
    raw = bytearray(fixture.read_bytes())
    if fixture.name.endswith(".gz") and data.draw(st.booleans()):
        raw = bytearray(gzip.decompress(bytes(raw)))  # mangle the content, then zip it again
        rezip = True
    else:
        rezip = False
    cut = data.draw(st.integers(0, len(raw)))
    if data.draw(st.booleans()):
        raw = raw[:cut]
    elif raw:
        raw[min(cut, len(raw) - 1)] = data.draw(st.integers(0, 255))
    out = tmp_path / fixture.name
    out.write_bytes(gzip.compress(bytes(raw)) if rezip else bytes(raw))
    _load(out, lenient=data.draw(st.booleans()))
