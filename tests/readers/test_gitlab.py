import hashlib
import json

import pandas as pd
import pytest

import leaklab
from leaklab import schema
from leaklab.errors import LeakLabWarning, RecordError
from leaklab.readers import sniff

GLPAT = "glpat-FAKELEAKLAB000000001"
STRIPE = "sk_live_FAKELEAKLAB0000000002"
AWS = "AKIAFAKELEAKLAB00014"


def sha256(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


@pytest.mark.parametrize("name", ["report_v15.json", "report_v14.json", "report_v14_1_historic.json", "empty.json", "malformed.json"])
def test_sniff_fixtures(fixtures, name):
    assert sniff(fixtures / "gitlab" / name).name == "gitlab-secret-detection"


def test_schema_15(fixtures):
    df = leaklab.load(fixtures / "gitlab" / "report_v15.json")
    leaklab.validate(df, "findings")
    assert len(df) == 2 and list(df.source_record) == ["vulnerabilities[0]", "vulnerabilities[1]"]
    assert set(df.tool) == {"gitlab"} and set(df.tool_version) == {"8.18.1"}  # scan.scanner.version
    assert df.verified.isna().all() and df.validity.isna().all() and df.column.isna().all()

    historic, tree = df.iloc[0], df.iloc[1]
    assert historic.rule_id == "gitlab_personal_access_token" and historic.tool_secret_type == "GitLab personal access token"
    assert historic.secret_type == "gitlab-token"
    assert historic.secret_sha256 == sha256(GLPAT) and historic.redacted != GLPAT
    assert (historic.file, historic.line) == ("ci/deploy.sh", 12)
    assert historic.commit == "4e2a1c9b7d3f5a8e0c6b2d4f1a3e5c7b9d0f2a4c" and historic.source_kind == "git"
    assert historic.author_name == "Leak Lab" and pd.isna(historic.author_email)
    assert historic.commit_time == pd.Timestamp("2024-03-05T08:07:02Z")
    assert historic.tool_fingerprint == "8d1f4e0b5c2a7e9f3b6d0c4a8e2f6b1d5c9a3e7f0b4d8c2a6e0f4b8d2c6a0e4f"

    # working-tree scan: placeholder commit "0000000" and date 0001-01-01 mean nothing
    assert pd.isna(tree.commit) and pd.isna(tree.commit_time) and pd.isna(tree.author_name)
    assert tree.source_kind == "filesystem" and (tree.file, tree.line) == ("app/billing.rb", 3)
    assert tree.rule_id == "stripe-access-token" and tree.secret_type == "stripe-key"
    assert tree.secret_sha256 == sha256(STRIPE)


def test_schema_14(fixtures):
    df = leaklab.load(fixtures / "gitlab" / "report_v14.json")
    assert len(df) == 1
    r = df.iloc[0]
    assert r.rule_id == "AWS" and r.tool_secret_type == "AWS" and r.secret_type == "aws-access-key"
    assert r.secret_sha256 == sha256(AWS) and r.secret_sha1 == hashlib.sha1(AWS.encode()).hexdigest()
    assert (r.file, r.line) == ("config/aws.yml", 8) and pd.isna(r.commit) and pd.isna(r.commit_time)
    assert r.tool_version == "v7.5.0" and r.tool_fingerprint.startswith("f0e1d2c3")


def test_old_fixture_without_scan_commit_or_line(fixtures):
    df = leaklab.load(fixtures / "gitlab" / "report_v14_1_historic.json")
    r = df.iloc[0]
    assert r.rule_id == "AWS" and r.tool_secret_type == "AWS API key"
    assert r.file == "scripts/aws-key.py" and pd.isna(r.line) and pd.isna(r.tool_version)
    assert pd.isna(r.secret_sha256) and pd.isna(r.redacted)  # no raw_source_code_extract
    # the old analyzer named a historic commit only in the description
    assert r.commit == "7f3e9a1c5b2d8e4f6a0c3b5d7e9f1a2b4c6d8e0f" and r.source_kind == "git"


def test_rule_id_fallbacks_and_list_extract(fixtures, tmp_path):
    doc = json.loads((fixtures / "gitlab" / "report_v15.json").read_text())
    a, b = doc["vulnerabilities"]
    a["identifiers"] = [{"type": "cwe", "name": "CWE-798", "value": "798"}, {"type": "gitleaks_rule_id", "name": "Gitleaks rule ID x"}]
    b["identifiers"] = []
    b["raw_source_code_extract"] = ["line one", "line two"]  # Semgrep-style: lines, not the secret
    p = tmp_path / "gl-secret-detection-report.json"
    p.write_text(json.dumps(doc, indent=2))
    df = leaklab.load(p)
    assert list(df.rule_id) == ["Gitleaks rule ID x", "Stripe"]
    assert pd.isna(df.iloc[1].secret_sha256) and df.iloc[0].secret_sha256 == sha256(GLPAT)


def test_no_raw_secret_in_renderings(fixtures):
    names = ["report_v15.json", "report_v14.json", "report_v14_1_historic.json"]
    df = leaklab.load([fixtures / "gitlab" / n for n in names])
    assert len(df) == 4
    rendered = df.to_string() + df.to_html()
    for raw in (GLPAT, STRIPE, AWS):
        assert raw not in rendered


def test_malformed_strict(fixtures):
    path = fixtures / "gitlab" / "malformed.json"
    with pytest.raises(RecordError) as e:
        leaklab.load(path)
    assert str(path) in str(e.value) and "record vulnerabilities[1]" in str(e.value) and "'location'" in str(e.value)


def test_malformed_lenient(fixtures):
    path = fixtures / "gitlab" / "malformed.json"
    with pytest.warns(LeakLabWarning):
        df = leaklab.load(path, lenient=True)
    assert list(df.file) == ["good.py"] and df.iloc[0].secret_sha256 == sha256("ghp_FAKELEAKLAB00000000000000000000000021")
    assert [(s["record"], s["reason"]) for s in df.attrs["skipped"]] == [
        ("vulnerabilities[1]", "field 'location' must be dict, got str")
    ]
    assert "ghp_FAKELEAKLAB00000000000000000000000022" not in df.to_string()


def test_vulnerabilities_must_be_a_list(tmp_path):
    p = tmp_path / "gl.json"
    p.write_text('{\n  "version": "15.0.7",\n  "vulnerabilities": {}\n}\n')
    with pytest.raises(RecordError, match="vulnerabilities"):
        leaklab.load(p, format="gitlab-secret-detection")


def test_empty_report(fixtures):
    df = leaklab.load(fixtures / "gitlab" / "empty.json")
    assert len(df) == 0 and list(df.columns) == schema.columns("findings")
    leaklab.validate(df, "findings")


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize(
    "name,rows",
    [
        ("gitlab_secret_detection_report_0_vuln.json", 0),
        ("gitlab_secret_detection_report_1_vuln_v14.json", 1),
        ("gitlab_secret_detection_report_3_vuln_v15.json", 3),
        ("gl-secret-detection-report.json", 1),
    ],
)
def test_real_files(shared_formats, name, rows):
    path = shared_formats / "gitlab-secret-detection" / name
    assert sniff(path).name == "gitlab-secret-detection"
    df = leaklab.load(path)
    leaklab.validate(df, "findings")
    assert len(df) == rows


def test_real_file_fields(shared_formats):
    df = leaklab.load(shared_formats / "gitlab-secret-detection" / "gitlab_secret_detection_report_3_vuln_v15.json")
    assert list(df.rule_id) == ["SSH private key", "AWS", "Password in URL"]
    assert list(df.line) == [20, 7, 14] and set(df.file) == {"README.md"}
    assert df.commit.isna().all() and df.commit_time.isna().all() and set(df.tool_version) == {"v7.5.0"}
    assert df.iloc[1].secret_sha256 == sha256("AKIAIOSFODNN7EXAMPLE")
    assert "AKIAIOSFODNN7EXAMPLE" not in df.to_string() + df.to_html()
    old = leaklab.load(shared_formats / "gitlab-secret-detection" / "gl-secret-detection-report.json").iloc[0]
    assert old.commit == "0830d9e4c0b43c0533cde798841b499e9df0653a" and pd.isna(old.line)
