"""Okta System Log (/api/v1/logs)."""

from pathlib import Path

import pandas as pd

import leaklab

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "logs" / "okta_system" / "system_log.json"


def test_system_log():
    df = leaklab.load_access_logs(FIX)
    leaklab.validate(df, "usage")
    assert len(df) == 3 and set(df["provider"]) == {"okta"}
    login, mfa, api = df.iloc[0], df.iloc[1], df.iloc[2]
    assert login["time"] == pd.Timestamp("2024-05-01T10:02:11.123Z")
    assert (login["credential_id"], login["credential_kind"]) == ("102LeakLabFakeSess01", "session")
    assert (login["principal"], login["action"], login["outcome"]) == ("ada@leaklab.example", "user.session.start", "success")
    assert login["user_agent"].startswith("Mozilla/5.0") and login["event_id"] == "00000000-0a1a-11ef-8000-000000000001"
    assert (mfa["outcome"], mfa["error"], mfa["source_ip"]) == ("failure", "INVALID_CREDENTIALS", "2001:db8::120")
    assert pd.isna(mfa["credential_id"])  # "unknown" session
    assert mfa["resource"] == "mfaLEAKLABFAKE00001"  # alternateId "unknown": the target's id
    assert (api["credential_id"], api["credential_kind"]) == ("00TLEAKLABFAKE00001", "api-token")
    assert api["resource"] == "bob@leaklab.example" and api["source_ip"] == "198.51.100.120"
    assert df["account"].isna().all()
