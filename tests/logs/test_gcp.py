"""GCP Cloud Audit Logs: sink JSON lines and gcloud's JSON array; the plaso sample in ../shared."""

from pathlib import Path

import pandas as pd
import pytest

import leaklab
from leaklab.errors import LeakLabWarning, RecordError

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "logs" / "gcp_audit"
KEY = ("//iam.googleapis.com/projects/leaklab-demo/serviceAccounts/etl@leaklab-demo.iam.gserviceaccount.com/keys/"
       "0123abcd4567ef89fa4e0123abcd4567ef89fa4e")


def test_sink_export():
    df = leaklab.load_access_logs(FIX / "audit_sink.jsonl")
    leaklab.validate(df, "usage")
    assert len(df) == 4 and list(df["source_record"]) == ["line 1", "line 2", "line 3", "line 5"]
    get = df.iloc[0]
    assert (get["credential_id"], get["credential_kind"]) == (KEY, "service-account-key")
    assert (get["principal"], get["account"]) == ("etl@leaklab-demo.iam.gserviceaccount.com", "leaklab-demo")
    assert (get["action"], get["resource"]) == ("storage.objects.get", "projects/_/buckets/prod-exports/objects/users.csv")
    assert get["time"] == pd.Timestamp("2024-05-01T10:02:11.123456Z") and get["event_id"] == "leaklabfake1a"
    assert set(df["source_ip"]) == {"203.0.113.77", "2001:db8::77", "gce-internal-ip"}  # verbatim
    denied = df[df["outcome"] == "failure"].iloc[0]
    assert denied["error"].startswith("Permission 'iam.serviceAccountKeys.create' denied")
    user = df.iloc[3]
    assert pd.isna(user["credential_id"]) and pd.isna(user["credential_kind"]) and user["principal"] == "ops@leaklab.example"


def test_non_audit_entries_are_ignored_and_listed():
    df = leaklab.load_access_logs(FIX / "audit_sink.jsonl")
    assert df.attrs["ignored"] == [{"file": str(FIX / "audit_sink.jsonl"), "record": "line 4",
                                    "reason": "GCP log entry without an audit payload (textPayload)"}]
    assert df.attrs["skipped"] == []


def test_gcloud_array_and_duplicates():
    df = leaklab.load_access_logs([FIX / "audit_sink.jsonl", FIX / "gcloud_logging_read.json"])
    assert len(df) == 6 and list(df.loc[df["duplicate"], "event_id"]) == ["leaklabfake1a", "leaklabfake1b"]


def test_bad_entry(tmp_path):
    p = tmp_path / "audit.jsonl"
    lines = (FIX / "audit_sink.jsonl").read_text().splitlines()
    p.write_text("\n".join([lines[0], lines[1].replace('"callerIp":"2001:db8::77"', '"callerIp":["2001:db8::77"]')]) + "\n")
    with pytest.raises(RecordError, match=r"line 2.*callerIp"):
        leaklab.load_access_logs(p)
    with pytest.warns(LeakLabWarning):
        assert len(leaklab.load_access_logs(p, lenient=True)) == 1


def test_real_plaso_sample(shared_logs):
    df = leaklab.load_access_logs(shared_logs / "gcp_audit" / "plaso_gcp_logging.jsonl")
    leaklab.validate(df, "usage")
    assert len(df) == 9 and [i["record"] for i in df.attrs["ignored"]] == ["line 8", "line 9"]
    assert df.loc[df["source_record"] == "line 3", "time"].iloc[0] == pd.Timestamp("2021-10-19T02:55:51.658015Z")
    assert df.loc[df["source_record"] == "line 5", "time"].iloc[0] == pd.Timestamp("2021-10-19T02:43:48.064377809Z")
    denied = df[df["outcome"] == "failure"]
    assert list(denied["principal"]) == ["dvwa-service-account@ketchup.iam.gserviceaccount.com"]
    assert list(denied["account"]) == ["ketchup"] and denied["error"].iloc[0].startswith('Permission "iam.serviceAccounts.create"')
    assert set(df["account"]) == {"fake-project", "ketchup"} and df["credential_id"].isna().all()
