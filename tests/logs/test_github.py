"""GitHub audit-log exports: JSON array, NDJSON and CSV; the real Sentinel sample in ../shared."""

from pathlib import Path

import pandas as pd
import pytest

import leaklab
from leaklab.errors import LeakLabWarning, RecordError
from leaklab.logs.github import hashed_token

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "logs" / "github_audit"
JSON, NDJSON, CSV = (FIX / "export-leaklab-org-1714640000.json", FIX / "stream-leaklab-org.ndjson",
                     FIX / "export-leaklab-org-1714640000.csv")
RAW_TOKEN = "ghp_" + "LEAKLABFAKE" + "0" * 25  # fake by construction


def test_json_export():
    df = leaklab.load_access_logs(JSON)
    leaklab.validate(df, "usage")
    assert len(df) == 6 and set(df["provider"]) == {"github"}
    assert list(df["source_record"]) == [f"[{i}]" for i in range(6)]
    assert df.iloc[0]["time"] == pd.Timestamp("2024-05-01T10:00:00Z")  # @timestamp is epoch milliseconds
    assert df.iloc[2]["time"] == pd.Timestamp("2024-05-01T11:03:20.250Z")
    clone = df.iloc[1]
    assert (clone["action"], clone["principal"], clone["account"]) == ("git.clone", "octo-dev", "leaklab-org")
    assert (clone["resource"], clone["source_ip"], clone["user_agent"]) == ("leaklab-org/payments", "203.0.113.45", "git/2.43.0")
    assert clone["event_id"] == "LeakLabFakeDoc0002bB"


def test_a_leaked_token_is_found_by_its_hash():
    df = leaklab.load_access_logs(JSON)
    uses = df[df["credential_id"] == hashed_token(RAW_TOKEN)]
    assert list(uses["action"]) == ["personal_access_token.create", "git.clone", "api.request", "personal_access_token.destroy"]
    assert set(uses["credential_kind"]) == {"pat"}
    api = uses[uses["action"] == "api.request"].iloc[0]
    assert (api["outcome"], api["error"], api["source_ip"]) == ("failure", "HTTP 403", "2001:db8::45")


def test_kinds_and_outcomes():
    df = leaklab.load_access_logs(JSON).set_index("action")
    assert df.loc["oauth_access.regenerate", "credential_kind"] == "oauth-token"
    assert df.loc["user.failed_login", "outcome"] == "failure" and pd.isna(df.loc["user.failed_login", "credential_id"])
    assert pd.isna(df.loc["user.failed_login", "credential_kind"])


def test_ndjson_and_csv_agree_with_json():
    cols = ["time", "credential_id", "credential_kind", "principal", "account", "action", "resource", "source_ip",
            "user_agent", "outcome", "error", "event_id"]
    js = leaklab.load_access_logs(JSON).set_index("event_id", drop=False)
    nd = leaklab.load_access_logs(NDJSON)
    assert list(nd["source_record"]) == ["line 1", "line 2"]
    pd.testing.assert_frame_equal(nd[cols].reset_index(drop=True), js.loc[nd["event_id"], cols].reset_index(drop=True))
    cs = leaklab.load_access_logs(CSV)
    assert list(cs["source_record"]) == ["line 2", "line 3", "line 4"]
    pd.testing.assert_frame_equal(cs[cols].reset_index(drop=True), js.loc[cs["event_id"], cols].reset_index(drop=True))


def test_the_same_events_from_two_exports_are_marked_duplicate():
    df = leaklab.load_access_logs([JSON, NDJSON, CSV])
    assert len(df) == 11 and df["duplicate"].sum() == 5
    assert df.groupby("event_id")["duplicate"].sum().max() == 2


def test_bad_records(tmp_path):
    p = tmp_path / "audit.ndjson"
    p.write_text(NDJSON.read_text().splitlines()[0] + '\n{"action": "git.clone", "@timestamp": true}\n'
                 '{"@timestamp": 1714561331000}\n')
    with pytest.raises(RecordError, match="line 2.*@timestamp"):
        leaklab.load_access_logs(p)
    with pytest.warns(LeakLabWarning, match="skipped 2"):
        df = leaklab.load_access_logs(p, lenient=True)
    assert len(df) == 1
    assert "action" in df.attrs["skipped"][1]["reason"]


def test_epoch_seconds_by_mistake_are_not_silently_wrong(tmp_path):
    p = tmp_path / "audit.json"
    p.write_text('[{"action": "git.clone", "@timestamp": 99999999999999999999, "actor": "x"}]')
    with pytest.raises(RecordError, match="outside the years"):
        leaklab.load_access_logs(p)


def test_real_sentinel_sample(shared_logs):
    df = leaklab.load_access_logs(shared_logs / "github_audit" / "sentinel_Github_sample_logs.json")
    leaklab.validate(df, "usage")
    assert len(df) == 63 and df["source_record"].iloc[-1] == "line 63"
    assert df["credential_id"].notna().sum() == 9
    assert df.loc[df["action"] == "personal_access_token.create", "credential_kind"].unique().tolist() == ["fine-grained-pat"]
    assert set(df.loc[df["action"].str.startswith("oauth_access."), "credential_kind"]) == {"oauth-token"}
    regen = df[df["credential_id"] == "oO87EZ2kLq0AcTXOS4TTjqABuMcOK66xV+5/H7/S7bg="]
    assert sorted(regen["action"]) == ["oauth_access.create", "oauth_access.regenerate"]
    first = df[df["event_id"] == "FpmfFy7BlV_BRVzeuBc3Ww"].iloc[0]
    assert first["time"] == pd.Timestamp(1711431195806, unit="ms", tz="UTC")
    assert (df["action"] == "user.failed_login").sum() == (df["outcome"] == "failure").sum() - 1  # + two_factor_challenge_failure
    assert df["principal"].isna().sum() == 1  # one event has no actor
