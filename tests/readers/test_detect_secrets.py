"""detect-secrets baselines and audit reports (leaklab.readers.detect_secrets)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

import leaklab
from leaklab import schema
from leaklab.errors import LeakLabWarning, RecordError
from leaklab.readers import sniff
from leaklab.readers._common import Source
from leaklab.readers.detect_secrets import FORMATS

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "detect-secrets"
BASELINES = ["baseline_1x.json", "baseline_0x.json", "baseline_slim.json", "baseline_empty.json", "baseline_bad.json"]
REPORTS = ["audit_report.json", "audit_report_list.json", "audit_report_empty.json", "audit_report_bad.json"]
PLAINTEXTS = ["FAKEpasswordLEAKLAB", "FAKEnotasecretLEAKLAB", "FAKEunlabelledLEAKLAB", "sk_live_FAKELEAKLABFAKELEAKLAB02"]


def sha1(value: str) -> str:
    return hashlib.sha1(value.encode()).hexdigest()


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def load(name: str, **kw) -> pd.DataFrame:
    return leaklab.load(FIX / name, **kw)


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize("name", BASELINES)
def test_sniff_baseline(name):
    assert sniff(FIX / name).name == "detect-secrets"


@pytest.mark.parametrize("name", REPORTS)
def test_sniff_report(name):
    assert sniff(FIX / name).name == "detect-secrets-audit-report"


def test_sniffers_claim_no_other_fixture():
    others = [p for p in FIX.parent.rglob("*") if p.is_file() and p.parent.name != "detect-secrets"]
    for f in FORMATS:
        for p in others:
            assert not f.sniff(Source(p)), f"{f.name} claims {p}"


# --------------------------------------------------------------------------- baselines


def test_baseline_1x():
    df = load("baseline_1x.json")
    assert len(df) == 4
    assert (df["tool"] == "detect-secrets").all()
    assert (df["tool_version"] == "1.4.0").all()
    assert df["rule_id"].tolist() == ["Secret Keyword", "AWS Access Key", "Hex High Entropy String", "Secret Keyword"]
    assert df["tool_secret_type"].tolist() == df["rule_id"].tolist()
    # The results key is a Windows path: backslashes become "/".
    assert df["file"].tolist() == ["config/settings.py", "config/settings.py", "docs/example.md", "docs/example.md"]
    assert df["line"].tolist() == [12, 20, 7, 7]
    assert df["secret_sha1"].tolist() == [
        sha1("FAKEpasswordLEAKLAB"),
        sha1("AKIAFAKELEAKLAB4FAKE"),
        sha1("FAKEhex0123456789abcdefLEAKLAB"),
        sha1("FAKEhex0123456789abcdefLEAKLAB"),
    ]
    assert df["secret_sha256"].isna().all()  # a baseline has no raw value
    assert (df["redacted"] == "(sha1 only)").all()
    # is_verified true -> True; false means "not checked or filtered", not "dead" -> NA.
    assert df["verified"][1] == True  # noqa: E712
    assert df["verified"][[0, 2, 3]].isna().all()
    assert df["validity"].isna().all()
    assert df["label"].tolist()[0] == "true_positive"
    assert pd.isna(df["label"][1])
    assert df["label"].tolist()[2:] == ["false_positive", "false_positive"]
    assert df["tool_fingerprint"][0] == f"config\\settings.py|{sha1('FAKEpasswordLEAKLAB')}|Secret Keyword"
    assert df["tool_fingerprint"][2] == f"docs/example.md|{sha1('FAKEhex0123456789abcdefLEAKLAB')}|Hex High Entropy String"
    assert (df["source_kind"] == "filesystem").all()
    for col in ("column", "commit", "author_name", "author_email", "commit_time", "repo", "url"):
        assert df[col].isna().all(), col
    assert df["source_record"][1] == "results['config\\\\settings.py'][1]"


def test_baseline_legacy_0x():
    df = load("baseline_0x.json")
    assert len(df) == 2
    assert (df["tool_version"] == "0.14.3").all()
    assert df["rule_id"].tolist() == ["Stripe Access Key", "Secret Keyword"]
    assert df["file"].tolist() == ["app/billing.py", "app/local.cfg"]  # entries carry no filename
    assert df["line"].tolist() == [3, 9]
    assert df["secret_sha1"].tolist() == [sha1("sk_live_FAKELEAKLABFAKELEAKLAB02"), sha1("FAKEunlabelledLEAKLAB")]
    assert df["label"][0] == "true_positive" and pd.isna(df["label"][1])
    assert df["verified"].isna().all()
    assert df["tool_fingerprint"][1] == f"app\\local.cfg|{sha1('FAKEunlabelledLEAKLAB')}|Secret Keyword"


def test_baseline_slim_has_no_lines():
    df = load("baseline_slim.json")
    assert len(df) == 1
    assert pd.isna(df["line"][0])
    assert df["file"][0] == "deploy/values.yaml"
    assert df["tool_version"][0] == "1.5.0"


def test_empty_baseline_gives_empty_frame():
    df = load("baseline_empty.json")
    assert len(df) == 0
    assert list(df.columns) == schema.columns("findings")
    schema.validate(df, "findings")


def test_malformed_baseline_strict():
    path = FIX / "baseline_bad.json"
    with pytest.raises(RecordError) as e:
        leaklab.load(path)
    msg = str(e.value)
    assert str(path) in msg and "results['good.py'][1]" in msg and "hashed_secret" in msg


def test_malformed_baseline_lenient():
    path = FIX / "baseline_bad.json"
    with pytest.warns(LeakLabWarning):
        df = leaklab.load(path, lenient=True)
    assert df["file"].tolist() == ["good.py", "later.py"]
    skipped = df.attrs["skipped"]
    assert [s["record"] for s in skipped] == ["results['good.py'][1]", "results['good.py'][2]", "results['odd.py']"]
    assert all(s["file"] == str(path) for s in skipped)
    assert "40 hex digits" in skipped[1]["reason"]
    assert "expected a list" in skipped[2]["reason"]


def test_baseline_without_results_object(tmp_path):
    p = tmp_path / ".secrets.baseline"
    p.write_text('{\n  "version": "1.5.0",\n  "plugins_used": [],\n  "results": []\n}\n')
    with pytest.raises(RecordError) as e:
        leaklab.load(p)
    assert str(p) in str(e.value) and "top level" in str(e.value)


# --------------------------------------------------------------------------- audit --report


def test_audit_report():
    df = load("audit_report.json")
    # One row per (line, type): 2 lines x 1 type, 1 line x 2 types, 1 line x 1 type.
    assert len(df) == 5
    assert (df["tool"] == "detect-secrets").all()
    assert df["rule_id"].tolist() == ["Secret Keyword", "Secret Keyword", "Hex High Entropy String", "Secret Keyword", "Secret Keyword"]
    assert df["file"].tolist() == ["config/settings.py"] * 2 + ["docs/example.md"] * 2 + ["app/local.cfg"]
    assert df["line"].tolist() == [12, 40, 7, 7, 9]
    assert df["source_record"].tolist() == ["results[0]", "results[0]", "results[1]", "results[1]", "results[2]"]
    # The plaintext is hashed like any raw value, never shown.
    assert df["secret_sha256"].tolist() == [sha256("FAKEpasswordLEAKLAB")] * 2 + [sha256("FAKEnotasecretLEAKLAB")] * 2 + [
        sha256("FAKEunlabelledLEAKLAB")
    ]
    assert df["secret_sha1"][0] == sha1("FAKEpasswordLEAKLAB")
    # category is the human label, not a live check.
    assert df["label"].tolist()[:4] == ["true_positive", "true_positive", "false_positive", "false_positive"]
    assert pd.isna(df["label"][4])
    assert df["verified"].isna().all() and df["validity"].isna().all()
    assert df["tool_fingerprint"][2] == f"docs\\example.md|{sha1('FAKEnotasecretLEAKLAB')}|Hex High Entropy String"
    assert (df["source_kind"] == "filesystem").all()


def test_audit_report_joins_baseline_on_sha1():
    base = load("baseline_1x.json")
    report = load("audit_report.json")
    assert report["secret_sha1"][0] == base["secret_sha1"][0]
    assert report["tool_fingerprint"][0].split("|")[1:] == base["tool_fingerprint"][0].split("|")[1:]


def test_audit_report_bare_list():
    df = load("audit_report_list.json")
    assert len(df) == 1
    row = df.iloc[0]
    assert row["rule_id"] == "Stripe Access Key" and row["file"] == "app/billing.py" and row["line"] == 3
    assert row["secret_sha256"] == sha256("sk_live_FAKELEAKLABFAKELEAKLAB02")
    assert row["source_record"] == "[0]"
    assert pd.isna(row["label"])


def test_empty_audit_report_gives_empty_frame():
    df = load("audit_report_empty.json")
    assert len(df) == 0
    assert list(df.columns) == schema.columns("findings")


def test_malformed_audit_report():
    path = FIX / "audit_report_bad.json"
    with pytest.raises(RecordError) as e:
        leaklab.load(path)
    assert str(path) in str(e.value) and "results[1]" in str(e.value) and "category" in str(e.value)
    with pytest.warns(LeakLabWarning):
        df = leaklab.load(path, lenient=True)
    assert len(df) == 1
    assert [s["record"] for s in df.attrs["skipped"]] == ["results[1]"]


def test_audit_report_errors_never_quote_plaintext(tmp_path):
    p = tmp_path / "report.json"
    entry = {"category": "UNVERIFIED", "filename": "a.py", "lines": ["x = FAKEleakLEAKLAB"], "secrets": "FAKEleakLEAKLAB", "types": ["Secret Keyword"]}
    p.write_text(json.dumps({"results": [entry, {**entry, "lines": {"1": "x"}, "secrets": ["FAKEleakLEAKLAB"]}]}, indent=4, sort_keys=True))
    with pytest.warns(LeakLabWarning):
        df = leaklab.load(p, lenient=True)
    assert len(df) == 0
    reasons = " ".join(s["reason"] for s in df.attrs["skipped"])
    assert "'lines' must be" in reasons and "'secrets' must be str" in reasons
    assert "FAKEleak" not in reasons


@pytest.mark.parametrize("name", ["audit_report.json", "audit_report_list.json"])
def test_no_plaintext_in_rendering(name):
    df = load(name)
    text = df.to_string() + df.to_html()
    for secret in PLAINTEXTS:
        assert secret not in text
    assert not df["redacted"].isin(PLAINTEXTS).any()


def test_frames_meet_the_contract():
    for name in ["baseline_1x.json", "baseline_0x.json", "baseline_slim.json", "audit_report.json"]:
        schema.validate(load(name), "findings")


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize(
    "name, version, rows",
    [(".secrets.baseline", "1.5.0", 16), ("baseline.file", "0.14.2", 29), ("many_findings.json", "1.0.3", 4)],
)
def test_real_baselines(shared_formats, name, version, rows):
    path = shared_formats / "detect-secrets" / name
    assert sniff(path).name == "detect-secrets"
    df = leaklab.load(path)
    doc = json.loads(path.read_text())
    assert len(df) == rows == sum(len(v) for v in doc["results"].values())
    assert (df["tool_version"] == version).all()
    expected = [(f, e["hashed_secret"], e["type"], e.get("line_number")) for f, es in doc["results"].items() for e in es]
    assert list(zip(df["file"], df["secret_sha1"], df["rule_id"], df["line"])) == expected
    assert df["tool_fingerprint"].tolist() == [f"{f}|{h}|{t}" for f, h, t, _ in expected]
    assert df["secret_sha256"].isna().all()


def test_real_labels(shared_formats):
    df = leaklab.load(shared_formats / "detect-secrets" / "many_findings.json")
    assert df["label"].tolist()[1] == "true_positive"
    assert df["label"].tolist()[3] == "false_positive"
    assert df["label"][[0, 2]].isna().all()


def test_hidden_baseline_is_skipped_by_directory_listing(shared_formats):
    # load(dir) skips hidden files; a .secrets.baseline must be named directly.
    df = leaklab.load(shared_formats / "detect-secrets")
    assert len(df) == 29 + 4


def test_sniffers_claim_no_other_real_file(shared_formats):
    others = [p for p in shared_formats.rglob("*") if p.is_file() and p.parent.name != "detect-secrets" and p.suffix != ".md"]
    assert others
    for f in FORMATS:
        for p in others:
            assert not f.sniff(Source(p)), f"{f.name} claims {p}"
