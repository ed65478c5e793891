"""Slack audit logs (Audit Logs API, Enterprise Grid)."""

from pathlib import Path

import pandas as pd
import pytest

import leaklab
from leaklab.errors import RecordError

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "logs" / "slack_audit" / "audit_v1_logs.json"


def test_entries():
    df = leaklab.load_access_logs(FIX)
    leaklab.validate(df, "usage")
    assert list(df["source_record"]) == ["entries[0]", "entries[1]", "entries[2]"]
    login, download, anomaly = df.iloc[0], df.iloc[1], df.iloc[2]
    assert login["time"] == pd.Timestamp("2024-05-01T10:02:11Z")  # date_create: epoch seconds
    assert (login["credential_id"], login["credential_kind"]) == ("913888259765", "session")  # a number in the log
    assert (login["principal"], login["account"], login["action"]) == ("ada@leaklab.example", "leaklab-fake", "user_login")
    assert download["resource"] == "file:F0LEAKFAKE1" and download["source_ip"] == "2001:db8::99"
    assert download["credential_id"] == anomaly["credential_id"] == "913888259766"  # text in one, a number in the other
    assert (download["user_agent"], download["account"]) == ("Slack/4.38.125 (Linux)", "payments-fake")
    assert anomaly["action"] == "anomaly" and set(df["outcome"]) == {"success"}


def test_bad_entry(tmp_path):
    p = tmp_path / "logs.json"
    p.write_text(FIX.read_text().replace('"date_create": 1714558000', '"date_create": "last tuesday"'))
    with pytest.raises(RecordError, match=r"entries\[1\].*date_create"):
        leaklab.load_access_logs(p)
