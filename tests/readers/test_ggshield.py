import hashlib

import pandas as pd
import pytest

import leaklab
from leaklab import schema
from leaklab.errors import LeakLabWarning, RecordError, UnknownFormatError
from leaklab.readers import sniff
from leaklab.readers.ggshield import censored

AWS_ID = "AKIAFAKELEAKLAB00001"
AWS_SECRET = "FAKEleaklabSecretKey0000000000000000001A"
PASSWORD = "FAKE-leaklab-pass-0001"
GENERIC = "FAKE+leaklab+generic+key+0002"


def sha256(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


@pytest.mark.parametrize(
    "name",
    ["commit_range.json", "commit_range_2021.json", "path_scan_show_secrets.json", "path_scan_v1_29.json", "empty.json", "malformed.json"],
)
def test_sniff_fixtures(fixtures, name):
    assert sniff(fixtures / "ggshield" / name).name == "ggshield-json"


def test_commit_range_censored(fixtures):
    df = leaklab.load(fixtures / "ggshield" / "commit_range.json")
    leaklab.validate(df, "findings")
    assert len(df) == 4
    assert list(df.source_record) == [
        "scans[0].entities_with_incidents[0]",
        "scans[0].entities_with_incidents[0]",
        "scans[1].entities_with_incidents[0]",
        "scans[1].entities_with_incidents[1]",
    ]
    assert set(df.tool) == {"ggshield"} and set(df.tool_version) == {"2.127.0"}
    # censored matches: no fingerprint, a short preview that is not the censored string
    assert df.secret_sha256.isna().all() and df.secret_sha1.isna().all()
    assert list(df.redacted) == ["AKIA…01", "FAKE…1A", "ghp_…01", "xoxb…03"]

    aws_id, aws_secret, ghp, slack = (df.iloc[i] for i in range(4))
    for r in (aws_id, aws_secret):
        assert r.rule_id == r.tool_secret_type == "AWS Keys" and r.secret_type == "aws-access-key"
        assert r.file == "deploy/aws.env" and r.commit == "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
        assert (r.author_name, r.author_email) == ("Leak Lab", "leaklab@example.com")
        assert r.commit_time == pd.Timestamp("2024-03-05T08:07:02Z")  # +0100 to UTC
        assert r.verified == True and r.validity == "valid"  # noqa: E712 (numpy bool)
        assert r.tool_fingerprint == "2a1dd98e89b8a0694078fab5cb06f3deddbc8548941bcee7f24e65fdad8615f3"
        assert r.url == "https://dashboard.gitguardian.com/workspace/1/incidents/101"
        assert r.source_kind == "git"
    assert (aws_id.line, aws_id.column) == (3, 19)
    assert (aws_secret.line, aws_secret.column) == (4, 23)

    # a context line moved by the commit: the line in the scanned commit (post), same column
    assert ghp.rule_id == "GitHub Token" and ghp.secret_type == "github-token"
    assert (ghp.file, ghp.line, ghp.column) == ("src/github.py", 12, 10)
    assert ghp.commit == "0f9e8d7c6b5a49382716051f2e3d4c5b6a798877"
    assert ghp.commit_time == pd.Timestamp("2024-01-16T07:30:00Z")  # -0800 crosses midnight
    assert ghp.verified == False and ghp.validity == "invalid"  # noqa: E712
    assert pd.isna(ghp.url)  # incident_url ""

    # a deleted line: only the pre-commit line exists
    assert (slack.file, slack.line, slack.column) == ("old/slack.txt", 2, 1)
    assert pd.isna(slack.verified) and slack.validity == "failed_to_check"
    assert slack.rule_id == "Slack Bot Token" and slack.secret_type == "slack-token"


def test_path_scan_show_secrets(fixtures):
    df = leaklab.load(fixtures / "ggshield" / "path_scan_show_secrets.json")
    assert len(df) == 4
    user, pw, host, generic = (df.iloc[i] for i in range(4))
    # Windows backslashes become "/"; a path scan has no commit
    assert user.file == pw.file == host.file == "config/db.py" and generic.file == "scripts/gen.sh"
    assert df.commit.isna().all() and df.commit_time.isna().all() and df.author_name.isna().all()
    assert set(df.source_kind) == {"filesystem"}
    # uncensored: the password and the api key are secrets; the user and host are not
    assert pw.secret_sha256 == sha256(PASSWORD) and pw.secret_sha1 == hashlib.sha1(PASSWORD.encode()).hexdigest()
    assert generic.secret_sha256 == sha256(GENERIC)
    assert pd.isna(user.secret_sha256) and pd.isna(host.secret_sha256)
    assert pw.redacted != PASSWORD and generic.redacted != GENERIC
    assert (pw.line, pw.column) == (7, 31) and (user.column, host.column) == (18, 54)
    assert pw.rule_id == "Basic Auth String" and pw.secret_type == "connection-string"
    assert generic.rule_id == "Generic High Entropy Secret" and generic.secret_type == "generic-api-key"
    assert pw.tool_fingerprint == "7373fd9ce24db3dd71308fb6ea7e52c39ee814901e113d823a1817302b05c2b4"
    assert pd.isna(pw.verified) and pw.validity == "no_checker"


def test_path_scan_1_29_zero_based_lines(fixtures):
    # ggshield 1.29-1.30 wrote 0-based line_start and document-level indexes for file scans;
    # pre_line_start kept the right line.
    r = leaklab.load(fixtures / "ggshield" / "path_scan_v1_29.json").iloc[0]
    assert (r.file, r.line) == ("secret.txt", 2) and pd.isna(r.column)
    assert r.verified == True and r.tool_version == "2.115.0"  # noqa: E712
    assert pd.isna(r.secret_sha256) and r.redacted == "xoxb…03"


def test_2021_output_null_lines(fixtures):
    df = leaklab.load(fixtures / "ggshield" / "commit_range_2021.json")
    assert len(df) == 1  # the sub-scan without entities gives no row
    r = df.iloc[0]
    assert pd.isna(r.line) and pd.isna(r.column)  # index_start is not a column when the line is unknown
    assert r.commit == "c0ffeec0ffeec0ffeec0ffeec0ffeec0ffee0001"
    assert r.commit_time == pd.Timestamp("2021-07-05T07:24:43Z")  # "Mon Jul 5 12:54:43 2021 +0530"
    assert pd.isna(r.tool_version) and pd.isna(r.url) and pd.isna(r.secret_sha256)
    assert r.redacted == "FAKE…xx" and r.rule_id == "Django Secret Key"


def test_censor_detection():
    assert censored("&dtzi36g3***************-*****+**********ljel3*ji5")  # real 2021 output
    assert censored("AKIA************0001") and censored("FAKE-*******-****-0001")
    assert censored("**") and censored("**x") and censored("le********er")
    assert not censored(AWS_SECRET) and not censored(PASSWORD) and not censored(GENERIC)
    assert not censored("a*") and not censored("")
    assert not censored("ab+-+-cd")  # middle of only "+"/"-": censoring would not change it


def test_no_raw_secret_in_renderings(fixtures):
    names = ["commit_range.json", "commit_range_2021.json", "path_scan_show_secrets.json", "path_scan_v1_29.json"]
    df = leaklab.load([fixtures / "ggshield" / n for n in names])
    assert len(df) == 10
    rendered = df.to_string() + df.to_html()
    for raw in (PASSWORD, GENERIC, AWS_SECRET):
        assert raw not in rendered
    for masked in ("FAKElea**************************000001A", "ghp_FAK*************************0000001"):
        assert masked not in rendered


def test_malformed_strict(fixtures):
    path = fixtures / "ggshield" / "malformed.json"
    with pytest.raises(RecordError) as e:
        leaklab.load(path)
    assert str(path) in str(e.value) and "scans[1].entities_with_incidents[0]" in str(e.value)
    assert "line_start" in str(e.value)


def test_malformed_lenient(fixtures):
    path = fixtures / "ggshield" / "malformed.json"
    with pytest.warns(LeakLabWarning):
        df = leaklab.load(path, lenient=True)
    assert list(df.file) == ["good.py"] and df.iloc[0].commit == "c0ffeec0ffeec0ffeec0ffeec0ffeec0ffee0003"
    assert df.iloc[0].validity == "not_checked" and pd.isna(df.iloc[0].verified)
    assert df.attrs["skipped"] == [
        {"file": str(path), "record": "scans[1].entities_with_incidents[0]", "reason": "field 'line_start' must be int, got str"}
    ]


def test_empty_report(fixtures):
    df = leaklab.load(fixtures / "ggshield" / "empty.json")
    assert len(df) == 0 and list(df.columns) == schema.columns("findings")
    leaklab.validate(df, "findings")


def test_top_level_must_be_object(tmp_path):
    p = tmp_path / "list.json"
    p.write_text('[{"id": "x", "total_incidents": 0}]')
    with pytest.raises(RecordError, match="top level"):
        leaklab.load(p, format="ggshield-json")


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize("name,rows", [("many_findings.json", 2), ("one_finding.json", 1), ("no_finding.json", 0)])
def test_real_files(shared_formats, name, rows):
    path = shared_formats / "ggshield" / name
    assert sniff(path).name == "ggshield-json"
    df = leaklab.load(path)
    assert len(df) == rows
    leaklab.validate(df, "findings")
    if rows:
        assert set(df.rule_id) == {"Django Secret Key"} and df.secret_sha256.isna().all()
        assert set(df.redacted) == {"&dtz…i5"} and set(df.validity) == {"no_checker"}
        assert df.verified.isna().all() and set(df.file) == {"wapf/settings.py"}


def test_real_many_findings_fields(shared_formats):
    df = leaklab.load(shared_formats / "ggshield" / "many_findings.json")
    a, b = df.iloc[0], df.iloc[1]
    assert (a.commit, a.line, a.column) == ("03a2bf6cba491559f8b760a2c9bf8dd9f53916a0", 23, 15)
    assert a.commit_time == pd.Timestamp("2021-03-13T12:12:00Z")
    assert b.commit == "8f388be3452f8d9f20ed788c94ebc11faa8ae7b6" and pd.isna(b.line) and pd.isna(b.column)
    assert a.tool_fingerprint == "06b15f1d8c0095386c7bbc4f423f5ec30b41b22b1565a836e55b978202ba569b"
    assert "&dtzi36g3***************-*****+**********ljel3*ji5" not in df.to_string() + df.to_html()


def test_real_schema_is_not_a_report(shared_formats):
    path = shared_formats / "ggshield" / "secret.json"
    with pytest.raises(UnknownFormatError):
        sniff(path)
    with pytest.raises(UnknownFormatError):
        leaklab.load(path)
    # listed in a directory, it is skipped with a warning, and the reports still load
    with pytest.warns(LeakLabWarning):
        df = leaklab.load(shared_formats / "ggshield")
    assert len(df) == 3 and [s["file"] for s in df.attrs["skipped"]] == [str(path)]


def test_aws_client_id_is_hashed_to_join_other_tools(tmp_path):
    """ggshield's AWS incident has client_id (the key id) and client_secret matches."""
    import hashlib
    import json

    occ = lambda m, t: {"match": m, "type": t, "line_start": 2, "line_end": 2, "index_start": 0, "index_end": len(m)}  # noqa: E731
    doc = {"id": "/src", "type": "path_scan", "entities_with_incidents": [{"mode": "FILE", "filename": "aws.env", "incidents": [
        {"policy": "Secrets detection", "occurrences": [occ("AKIALEAKLABFAKE00009", "client_id"), occ("FAKEleaklabSecretKey000000000000000000009", "client_secret")],
         "type": "AWS Keys", "validity": "valid", "ignore_sha": "ab" * 32, "total_occurrences": 2, "incident_url": "", "known_secret": False}],
        "total_incidents": 1, "total_occurrences": 2}], "total_incidents": 1, "total_occurrences": 2}
    p = tmp_path / "gg.json"
    p.write_text(json.dumps(doc, indent=4))
    df = leaklab.load(p)
    assert df["secret_sha256"].tolist() == [hashlib.sha256(b"AKIALEAKLABFAKE00009").hexdigest(), hashlib.sha256(b"FAKEleaklabSecretKey000000000000000000009").hexdigest()]
    assert df["verified"].tolist() == [True, True]
