"""Azure Activity Log: REST camelCase, SDK snake_case, diagnostic-settings records; the plaso sample."""

from pathlib import Path

import pandas as pd

import leaklab

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "logs" / "azure_activity"
COLS = ["time", "credential_id", "credential_kind", "principal", "account", "action", "resource", "source_ip",
        "outcome", "error", "event_id"]


def test_rest_shape():
    df = leaklab.load_access_logs(FIX / "activity_log_rest.json")
    leaklab.validate(df, "usage")
    assert list(df["source_record"]) == ["value[0]", "value[1]", "value[2]"]
    keys, write, started = df.iloc[0], df.iloc[1], df.iloc[2]
    assert keys["time"] == pd.Timestamp("2024-05-01T10:02:11.1234567Z")  # seven fraction digits
    assert (keys["credential_id"], keys["credential_kind"]) == ("LeakLabFakeUti0001AAAA", "oauth-token")
    assert (keys["principal"], keys["source_ip"], keys["outcome"]) == ("ada@leaklab.example", "203.0.113.88", "success")
    assert keys["action"] == "Microsoft.Storage/storageAccounts/listKeys/action"
    assert keys["account"] == "00000000-1eaf-4ab0-8000-00000000a2e0"
    assert write["time"] == pd.Timestamp("2024-05-01T10:03:00.5Z")  # "+02:00" converted
    assert (write["outcome"], write["error"], write["source_ip"]) == ("failure", "Forbidden", "2001:db8::88")
    assert pd.isna(started["outcome"]) and pd.isna(started["error"])
    assert pd.isna(df["user_agent"]).all()


def test_sdk_snake_case_matches_rest():
    rest = leaklab.load_access_logs(FIX / "activity_log_rest.json")
    sdk = leaklab.load_access_logs(FIX / "activity_log_sdk.jsonl")
    pd.testing.assert_frame_equal(sdk[COLS], rest[COLS].iloc[:2])


def test_diagnostic_records():
    df = leaklab.load_access_logs(FIX / "insights-activity-logs-PT1H.json")
    assert list(df["source_record"]) == ["records[0]", "records[1]"]
    user, app = df.iloc[0], df.iloc[1]
    assert user["principal"] == "ada@leaklab.example" and user["outcome"] == "success"
    assert app["principal"] == "00000000-1eaf-4ab0-8000-000000000b0b"  # the object id, as REST's caller
    assert (app["outcome"], app["error"], app["credential_id"]) == ("failure", "Failed.Forbidden", "LeakLabFakeUti0002BBBB")
    assert df["event_id"].isna().all() and not df["duplicate"].any()


def test_real_plaso_sample(shared_logs):
    df = leaklab.load_access_logs(shared_logs / "azure_activity" / "plaso_azure_activity_log.jsonl")
    leaklab.validate(df, "usage")
    assert len(df) == 4 and set(df["source_ip"]) == {"1.2.3.4"} and df["outcome"].isna().all()  # all "Started"
    assert sorted(df["principal"].unique()) == ["12345678-9abc-defg-hijk-lmnopqrstuvw", "fakeemail@fakedomain.com"]
    assert df.iloc[0]["time"] == pd.Timestamp("2022-02-09T03:04:54.297853Z")
    assert df.iloc[0]["action"] == "Microsoft.Compute/disks/delete"
    assert df.iloc[0]["event_id"] == "587eda65-125e-48c2-9b04-ab5e8d3a1d8e"
