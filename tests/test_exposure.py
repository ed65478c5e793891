"""Exposure windows against the reference's computed table for real incidents."""

from pathlib import Path

import pandas as pd
import pytest

import leaklab

REAL = Path(__file__).resolve().parent.parent / "data" / "timelines" / "real-incidents.yaml"

# credential: (window min, max, ttd min, max, ttc, lower bound) from the reference's summary table
EXPECTED = {
    "circleci-customer-secrets": (16, 16, 7, 7, 9, False),
    "slack-employee-github-tokens": (2, 2, 2, 2, 0, True),
    "lastpass-dev-environment": (4, 4, 4, 4, 0, False),
    "travis-secure-env-vars": (7, 7, 6, 6, 1, False),
    "toyota-tconnect-key": (1721, 1751, 1719, 1749, 2, False),
    "codecov-uploader-channel": (60, 60, 60, 60, 0, False),
    "microsoft-sas-token": (1069, 1069, 1067, 1067, 2, False),
    "mercedes-github-token": (117, 117, 104, 104, 13, False),
    "3commas-exchange-keys": (69, 69, 69, 69, 0, True),
}


@pytest.fixture(scope="module")
def windows():
    ev = leaklab.load_timeline(REAL)
    leaklab.validate(ev, "events")
    return leaklab.exposure_windows(ev, as_of="2025-01-01T00:00:00Z").set_index("credential")


@pytest.mark.parametrize("cred", sorted(EXPECTED))
def test_real_incidents_match_the_reference_table(windows, cred):
    w = windows.loc[cred]
    wmin, wmax, dmin, dmax, c, lower = EXPECTED[cred]
    assert (w.window_days_min, w.window_days_max) == (wmin, wmax)
    assert (w.ttd_days_min, w.ttd_days_max) == (dmin, dmax)
    assert w.ttc_days_min == w.ttc_days_max == c
    assert bool(w.lower_bound) is lower and not w.open


def test_month_precision_is_a_range_not_a_fake_date(windows):
    w = windows.loc["toyota-tconnect-key"]
    assert w.exposed_from == pd.Timestamp("2017-12-01", tz="UTC")
    assert w.exposed_from_latest == pd.Timestamp("2017-12-31 23:59:59", tz="UTC")


def test_open_window_is_measured_to_as_of():
    import io

    ev = leaklab.load_timeline(io.StringIO("time,kind,credential\n2024-01-01T12:00:00Z,pushed,k\n"), format="csv")
    w = leaklab.exposure_windows(ev, as_of="2024-01-31T12:00:00Z").iloc[0]
    assert w.open and w.window_days_min == 30 and w.duration == pd.Timedelta(days=30)
    assert pd.isna(w.contained_at) and pd.isna(w.ttd_days_min)


def test_inputs_are_not_modified():
    ev = leaklab.load_timeline(REAL)
    before = ev.copy()
    leaklab.exposure_windows(ev, as_of="2025-01-01T00:00:00Z")
    pd.testing.assert_frame_equal(ev, before)


def test_contradictory_timelines_are_flagged():
    import io

    from leaklab.errors import LeakLabWarning

    ev = leaklab.load_timeline(io.StringIO("time,kind,credential\n2022-03-01,pushed,k\n2022-02-01,detected,k\n"), format="csv")
    with pytest.warns(LeakLabWarning, match="negative day counts.*k"):
        w = leaklab.exposure_windows(ev, as_of="2023-01-01T00:00:00Z")
    assert w.ttd_days_min.iloc[0] == -28
    with pytest.warns(LeakLabWarning, match="as_of before the start"):
        leaklab.exposure_windows(ev, as_of="2021-01-01T00:00:00Z")


def test_many_credentials_at_once():
    import io

    rows = "".join(f"2022-01-01,pushed,k{i}\n2022-01-{2 + i % 20:02d},revoked,k{i}\n" for i in range(2000))
    w = leaklab.exposure_windows(leaklab.load_timeline(io.StringIO("time,kind,credential\n" + rows), format="csv"),
                                 as_of="2023-01-01T00:00:00Z").set_index("credential")
    assert len(w) == 2000 and w.loc["k7", "window_days_min"] == 8 and not w["open"].any()
