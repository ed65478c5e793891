import hashlib

import pandas as pd
import pytest

import leaklab
from leaklab import schema
from leaklab.errors import LeakLabWarning, RecordError, UnknownFormatError
from leaklab.readers import sniff
from leaklab.readers.github import repo_from_url

GHP = "ghp_FAKELEAKLAB00000000000000000000000007"
STRIPE = "sk_test_FAKELEAKLAB000000000000005"
AWS = "AKIAFAKELEAKLAB00003"
OPENAI = "sk-proj-FAKELEAKLAB0000000000000000008"


def sha256(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


@pytest.mark.parametrize(
    "name,fmt",
    [
        ("repo_alerts.json", "github-alerts"),
        ("org_alerts_compact.json", "github-alerts"),
        ("single_alert.json", "github-alerts"),
        ("alert_with_locations.json", "github-alerts"),
        ("malformed_alerts.json", "github-alerts"),
        ("webhook_created.json", "github-webhook"),
        ("webhook_location_created.json", "github-webhook"),
        ("locations.json", "github-locations"),
    ],
)
def test_sniff_fixtures(fixtures, name, fmt):
    assert sniff(fixtures / "github" / name).name == fmt


def test_repo_alert_list(fixtures):
    df = leaklab.load(fixtures / "github" / "repo_alerts.json")
    leaklab.validate(df, "findings")
    assert len(df) == 3 and set(df.tool) == {"github"} and list(df.source_record) == ["[0]", "[1]", "[2]"]
    # the API has no author, email or time; the repository comes from the alert URL
    assert df.author_name.isna().all() and df.author_email.isna().all() and df.commit_time.isna().all()
    assert set(df.repo) == {"github.com/leaklab-org/demo-app"} and df.tool_version.isna().all()

    ghp, slack, stripe = (df.iloc[i] for i in range(3))
    assert ghp.rule_id == "github_personal_access_token" and ghp.tool_secret_type == "GitHub Personal Access Token"
    assert ghp.secret_type == "github-token"
    assert ghp.secret_sha256 == sha256(GHP) and ghp.redacted != GHP
    assert (ghp.file, ghp.line, ghp.column) == ("src/settings/github.py", 14, 17)  # leading "/" stripped
    assert ghp.commit == "9fceb02d0ae598e95dc970b74767f19372d61af8" and ghp.source_kind == "git"
    assert ghp.verified == True and ghp.validity == "active" and pd.isna(ghp.label)  # noqa: E712
    assert ghp.tool_fingerprint == "github.com/leaklab-org/demo-app#7"
    assert ghp.url == "https://github.com/leaklab-org/demo-app/security/secret-scanning/7"

    # hide_secret=true: no value; first seen in an issue comment: no file, no line
    assert pd.isna(slack.secret_sha256) and pd.isna(slack.redacted)
    assert slack.source_kind == "github-issue" and pd.isna(slack.file) and pd.isna(slack.line) and pd.isna(slack.commit)
    assert slack.verified == False and slack.validity == "inactive" and slack.label == "wont_fix"  # noqa: E712
    assert slack.secret_type == "slack-token" and slack.tool_fingerprint == "github.com/leaklab-org/demo-app#6"

    # no first location at all; validity unknown
    assert stripe.secret_sha256 == sha256(STRIPE) and stripe.secret_type == "stripe-key"
    assert pd.isna(stripe.verified) and stripe.validity == "unknown" and stripe.label == "used_in_tests"
    assert pd.isna(stripe.source_kind) and pd.isna(stripe.file)


def test_org_alert_list_compact(fixtures):
    df = leaklab.load(fixtures / "github" / "org_alerts_compact.json")
    assert len(df) == 1
    r = df.iloc[0]
    assert r.repo == "github.com/leaklab-org/payments" and r.tool_fingerprint == "github.com/leaklab-org/payments#3"
    assert r.rule_id == "aws_access_key_id" and r.secret_type == "aws-access-key"
    assert r.secret_sha256 == sha256(AWS) and r.secret_sha1 == hashlib.sha1(AWS.encode()).hexdigest()
    assert (r.file, r.line, r.column, r.commit) == ("infra/terraform.tfvars", 2, 14, "e83c5163316f89bfbde7d9ab23ca2e25604af290")
    assert r.verified == False and r.validity == "inactive" and r.label == "revoked"  # noqa: E712


def test_single_alert_wiki_location(fixtures):
    df = leaklab.load(fixtures / "github" / "single_alert.json")
    assert len(df) == 1
    r = df.iloc[0]
    assert r.source_record == "[0]"
    assert r.repo == "github.com/leaklab-org/wiki-demo" and r.tool_fingerprint == "github.com/leaklab-org/wiki-demo#8"
    assert r.source_kind == "github-wiki" and (r.file, r.line, r.column) == ("Setup.md", 3, 9)
    assert r.commit == "302c0b7e200761c9dd9b57e57db540ee0b4293a5"
    assert r.secret_sha256 == sha256(OPENAI) and r.secret_type == "openai-key"
    assert r.verified == True and pd.isna(r.label)  # noqa: E712


def test_alert_with_merged_locations(fixtures):
    df = leaklab.load(fixtures / "github" / "alert_with_locations.json")
    assert len(df) == 2 and list(df.source_kind) == ["git", "github-pr"]
    assert set(df.secret_sha256) == {sha256(GHP)} and set(df.tool_fingerprint) == {"github.com/leaklab-org/demo-app#7"}
    assert df.iloc[0].file == "src/settings/github.py" and pd.isna(df.iloc[1].file)


def test_webhook_payloads(fixtures):
    r = leaklab.load(fixtures / "github" / "webhook_created.json").iloc[0]
    assert r.source_record == "alert"
    assert r.repo == "github.com/leaklab-org/demo-app" and r.tool_fingerprint == "github.com/leaklab-org/demo-app#9"
    assert r.rule_id == "aws_access_key_id" and r.tool_secret_type == "Amazon AWS Access Key ID"
    assert pd.isna(r.secret_sha256) and pd.isna(r.file) and pd.isna(r.source_kind)  # webhooks never carry the secret
    assert pd.isna(r.verified) and r.validity == "unknown" and pd.isna(r.label)
    assert r.url == "https://github.com/leaklab-org/demo-app/security/secret-scanning/9"

    r = leaklab.load(fixtures / "github" / "webhook_location_created.json").iloc[0]
    assert (r.file, r.line, r.column, r.source_kind) == ("deploy/aws.env", 3, 19, "git")
    assert r.commit == "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"


def test_locations_only(fixtures):
    df = leaklab.load(fixtures / "github" / "locations.json")
    assert len(df) == 3
    # no alert in this response: location data only
    assert df.rule_id.isna().all() and df.secret_sha256.isna().all() and df.tool_fingerprint.isna().all()
    assert df.verified.isna().all() and set(df.secret_type) == {"other"}
    assert list(df.source_kind) == ["git", "github-pr", "github-discussion"]
    assert set(df.repo) == {"github.com/leaklab-org/demo-app"}
    c = df.iloc[0]
    assert (c.file, c.line, c.column, c.commit) == ("src/settings/github.py", 14, 17, "9fceb02d0ae598e95dc970b74767f19372d61af8")
    assert df.iloc[1].url == "https://api.github.com/repos/leaklab-org/demo-app/issues/comments/1825855898"


def test_repo_from_url():
    assert repo_from_url("https://api.github.com/repos/o/n/secret-scanning/alerts/2") == "github.com/o/n"
    assert repo_from_url("https://ghe.example.com/api/v3/repos/o/n/secret-scanning/alerts/2") == "ghe.example.com/o/n"
    assert repo_from_url("https://github.com/o/n/security/secret-scanning/2") == "github.com/o/n"
    assert repo_from_url("https://api.github.com/orgs/o/secret-scanning/alerts") is None
    assert repo_from_url(None) is None


def test_no_raw_secret_in_renderings(fixtures):
    names = ["repo_alerts.json", "org_alerts_compact.json", "single_alert.json", "alert_with_locations.json"]
    df = leaklab.load([fixtures / "github" / n for n in names])
    rendered = df.to_string() + df.to_html()
    for raw in (GHP, STRIPE, AWS, OPENAI):
        assert raw not in rendered


def test_malformed_strict(fixtures):
    path = fixtures / "github" / "malformed_alerts.json"
    with pytest.raises(RecordError) as e:
        leaklab.load(path)
    assert str(path) in str(e.value) and "record [1]" in str(e.value) and "start_line" in str(e.value)


def test_malformed_lenient(fixtures):
    path = fixtures / "github" / "malformed_alerts.json"
    with pytest.warns(LeakLabWarning):
        df = leaklab.load(path, lenient=True)
    assert list(df.file) == ["good.py"] and df.iloc[0].tool_fingerprint == "github.com/leaklab-org/demo-app#11"
    assert [(s["record"], s["reason"]) for s in df.attrs["skipped"]] == [("[1]", "field 'start_line' must be int, got str")]


def test_alert_without_number_is_a_record_error(tmp_path):
    p = tmp_path / "alerts.json"
    p.write_text('[\n  {\n    "secret_type": "adafruit_io_key",\n    "html_url": "https://github.com/o/n/security/secret-scanning/1"\n  }\n]\n')
    with pytest.raises(RecordError, match=r"record \[0\].*'number'"):
        leaklab.load(p, format="github-alerts")


def test_empty_list(tmp_path):
    p = tmp_path / "alerts.json"
    p.write_text("[]\n")
    df = leaklab.load(p)
    assert len(df) == 0 and list(df.columns) == schema.columns("findings")
    df = leaklab.load(p, format="github-alerts")
    assert len(df) == 0 and list(df.columns) == schema.columns("findings")


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize(
    "name,fmt,rows",
    [
        ("github_secrets_detection_report_many_vul.json", "github-alerts", 3),
        ("github_secrets_detection_report_one_vul.json", "github-alerts", 1),
        ("reopened.payload.json", "github-webhook", 1),
        ("list-locations-for-a-secret-scanning-alert.example.json", "github-locations", 13),
    ],
)
def test_real_files(shared_formats, name, fmt, rows):
    path = shared_formats / "github-secret-scanning" / name
    assert sniff(path).name == fmt
    df = leaklab.load(path)
    leaklab.validate(df, "findings")
    assert len(df) == rows and set(df.tool) == {"github"}


def test_real_alert_fields(shared_formats):
    df = leaklab.load(shared_formats / "github-secret-scanning" / "github_secrets_detection_report_many_vul.json")
    a = df.iloc[0]
    # the org-level list nests the repository; it wins over the (inconsistent) alert URL
    assert a.repo == "github.com/octocat/Hello-World" and a.tool_fingerprint == "github.com/octocat/Hello-World#2"
    assert (a.file, a.line, a.column) == ("example/secrets.txt", 1, 1)
    assert a.rule_id == "adafruit_io_key" and a.tool_secret_type == "Adafruit IO Key"
    assert a.secret_sha256 == sha256("aio_XXXXXXXXXXXXXXXXXXXXXXXXXXXX") and a.label == "false_positive"
    assert list(df.verified) == [True, True, False] and list(df.label.fillna("")) == ["false_positive", "", "revoked"]
    rendered = df.to_string() + df.to_html()
    assert "AKIAIOSFODNN7EXAMPLE" not in rendered and "aio_XXXXXXXXXXXXXXXXXXXXXXXXXXXX" not in rendered


def test_real_webhook_and_locations(shared_formats):
    r = leaklab.load(shared_formats / "github-secret-scanning" / "reopened.payload.json").iloc[0]
    assert r.repo == "github.com/Codertocat/Hello-World" and r.tool_fingerprint == "github.com/Codertocat/Hello-World#191"
    assert r.rule_id == "adafruit_io_key" and pd.isna(r.label) and pd.isna(r.secret_sha256)
    df = leaklab.load(shared_formats / "github-secret-scanning" / "list-locations-for-a-secret-scanning-alert.example.json")
    assert df.source_kind.value_counts().to_dict() == {
        "github-pr": 5, "github-issue": 3, "github-discussion": 3, "git": 1, "github-wiki": 1
    }
    assert df.iloc[1].file == "example/Home.md" and df.iloc[1].commit == "302c0b7e200761c9dd9b57e57db540ee0b4293a5"


@pytest.mark.parametrize("name", ["secret-scanning-alert.schema.json", "secret-scanning-location.schema.json"])
def test_real_schemas_are_not_reports(shared_formats, name):
    path = shared_formats / "github-secret-scanning" / name
    with pytest.raises(UnknownFormatError):
        sniff(path)
    with pytest.raises(UnknownFormatError):
        leaklab.load(path)


def test_real_directory_skips_schemas(shared_formats):
    with pytest.warns(LeakLabWarning):
        df = leaklab.load(shared_formats / "github-secret-scanning")
    assert len(df) == 18
    assert sorted(s["file"].rsplit("/", 1)[1] for s in df.attrs["skipped"]) == [
        "secret-scanning-alert.schema.json",
        "secret-scanning-location.schema.json",
    ]
