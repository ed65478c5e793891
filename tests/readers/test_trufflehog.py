"""TruffleHog v3 JSON lines and v2 / --json-legacy JSON lines (leaklab.readers.trufflehog)."""

from __future__ import annotations

import base64
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
from leaklab.readers.trufflehog import FORMATS

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "trufflehog"
V3_FILES = ["v3_pre314.jsonl", "v3_314.jsonl", "v3_mid.jsonl", "v3_current_git.jsonl", "v3_current_sources.jsonl"]
V2_FILES = ["v2.jsonl", "json_legacy.jsonl"]

AWS_OLD = "AKIAFAKELEAKLAB0FAKE"
URI_OLD = "https://fakeuser:FAKEpassLEAKLAB@example.invalid/basic_auth"
PEM_OLD = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAFAKELEAKLABFAKEKEYFAKEKEYFAKEKEYFAKE\n"
    "FAKELEAKLABFAKELEAKLABFAKELEAKLAB==\n-----END OPENSSH PRIVATE KEY-----\n"
)
SLACK_OLD = "xoxb-0000FAKE-LEAKLAB-FAKEtoken"


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def fp(detector: str, raw: str, file, commit, line) -> str:
    """The fingerprint the reader documents: sha256 of detector|sha256(raw)|file|commit|line."""
    key = f"{detector}|{sha256(raw)}|{file or ''}|{commit or ''}|{line or ''}"
    return hashlib.sha256(key.encode()).hexdigest()


def utc(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


def load(name: str, **kw) -> pd.DataFrame:
    return leaklab.load(FIX / name, **kw)


def raw_values(path: Path) -> set[str]:
    """Every raw secret string a fixture carries (decoded Raw, RawV2, stringsFound)."""
    out = set()
    for line in path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        out.update(rec.get("stringsFound", []))
        for key in ("Raw", "RawV2"):
            v = rec.get(key)
            if v:
                out.add(v)
                if "DecoderName" not in rec and key == "Raw":
                    try:
                        out.add(base64.b64decode(v, validate=True).decode())
                    except Exception:
                        pass
    return {v for v in out if len(v) >= 8}


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize("name", V3_FILES + ["v3_bad.jsonl"])
def test_sniff_v3(name):
    assert sniff(FIX / name).name == "trufflehog-jsonl"


@pytest.mark.parametrize("name", V2_FILES)
def test_sniff_v2(name):
    assert sniff(FIX / name).name == "trufflehog2-jsonl"


def test_sniffers_claim_no_other_fixture():
    others = [p for p in (FIX.parent).rglob("*") if p.is_file() and p.parent.name != "trufflehog"]
    for f in FORMATS:
        for p in others:
            assert not f.sniff(Source(p)), f"{f.name} claims {p}"


# --------------------------------------------------------------------------- v3 before 3.14: base64 Raw


def test_pre314_fields():
    df = load("v3_pre314.jsonl")
    assert len(df) == 4
    assert (df["tool"] == "trufflehog").all()
    assert df["rule_id"].tolist() == ["AWS", "URI", "PrivateKey", "Slack"]
    assert df["tool_secret_type"].tolist() == ["AWS", "URI", "PrivateKey", "Slack"]
    assert df["file"].tolist() == ["keys", "keys", "keys", "config/slack.yml"]
    assert df["line"].tolist() == [4, 3, 1, 7]
    assert df["column"].isna().all()
    assert df["commit"].tolist() == ["1" * 40, "2" * 40, "2" * 40, "3" * 40]
    assert (df["author_name"] == "Fake Dev").all()
    assert (df["author_email"] == "fake.dev@example.invalid").all()
    assert (df["repo"] == "github.com/leaklab-fake/test_keys").all()
    assert (df["source_kind"] == "git").all()
    # "-0700 PDT", "-0700 -0700" (Go time.String(), < v3.30) and "+0200 CEST"
    assert df["commit_time"].tolist() == [
        utc("2022-06-16 17:17:40"),
        utc("2022-06-16 17:27:56"),
        utc("2022-06-16 17:27:56"),
        utc("2022-06-17 06:00:00"),
    ]
    assert df["verified"].tolist() == [True, False, True, False]
    assert df["validity"].tolist() == ["verified", "unverified", "verified", "unverified"]
    assert df["url"].isna().all()
    assert df["source_record"].tolist() == ["line 1", "line 2", "line 3", "line 4"]


def test_pre314_base64_raw_is_decoded():
    df = load("v3_pre314.jsonl")
    # Redacted equal (AWS), masked with * (URI), a prefix (PrivateKey), empty (Slack).
    assert df["secret_sha256"].tolist() == [sha256(AWS_OLD), sha256(URI_OLD), sha256(PEM_OLD.rstrip("\n")), sha256(SLACK_OLD)]
    assert df["secret_sha1"][0] == hashlib.sha1(AWS_OLD.encode()).hexdigest()
    for raw, red in zip([AWS_OLD, URI_OLD, PEM_OLD, SLACK_OLD], df["redacted"]):
        assert red and red != raw and red not in (raw, raw.rstrip("\n"))
    assert df["tool_fingerprint"][0] == fp("AWS", AWS_OLD, "keys", "1" * 40, 4)
    assert df["tool_fingerprint"][3] == fp("Slack", SLACK_OLD, "config/slack.yml", "3" * 40, 7)


def test_v314_plain_raw_is_not_decoded():
    # v3.14 printed Raw as a string but had no DecoderName yet: base64-looking values stay as they are.
    df = load("v3_314.jsonl")
    assert df["secret_sha256"].tolist() == [sha256("FAKEtokenLEAKLAB1234"), sha256("TEVBS0xBQkZBS0U=")]
    assert df["file"].tolist() == ["/tmp/scan/app/settings.py", "/tmp/scan/app/token.txt"]
    assert df["line"].tolist() == [12, 1]
    assert (df["source_kind"] == "filesystem").all()
    assert df["commit"].isna().all() and df["commit_time"].isna().all()


# --------------------------------------------------------------------------- v3.30 - v3.33


def test_mid_versions():
    df = load("v3_mid.jsonl")
    assert df["rule_id"].tolist() == ["AWS", "Github"]
    assert df["line"].tolist() == [2, 5]
    assert df["commit_time"].tolist() == [utc("2023-03-01 17:15:00")] * 2  # "... -0800"
    assert (df["repo"] == "gitlab.com/leaklab-fake/infra").all()
    assert (df["author_name"] == "Fake Ops").all() and (df["author_email"] == "fake.ops@example.invalid").all()
    # The secret is Raw (the AWS key id), never RawV2; a BASE64-decoded finding's Raw is already plain.
    assert df["secret_sha256"].tolist() == [sha256("AKIAFAKELEAKLAB1FAKE"), sha256("ghp_FAKEFAKELEAKLABFAKEFAKELEAKLAB0000")]
    assert df["tool_fingerprint"][0] == fp("AWS", "AKIAFAKELEAKLAB1FAKE", "deploy/aws.env", "4" * 40, 2)
    assert df["verified"].tolist() == [False, False]


# --------------------------------------------------------------------------- v3.34+: git hosts


def test_current_git_sources_and_verification():
    df = load("v3_current_git.jsonl")
    assert len(df) == 8  # the two JSON log lines are not findings
    assert df["source_record"].tolist() == [f"line {n}" for n in range(2, 10)]
    assert df["rule_id"].tolist() == ["AWS", "Postgres", "Github", "URI", "SlackWebhook", "Stripe", "Github", "Gitlab"]
    # Verified -> True/verified; VerificationError -> NA/unknown; else False/unverified.
    verified = df["verified"].tolist()
    assert verified[0] is True and verified[1] is pd.NA and verified[2:] == [False, True, False, False, False, False]
    assert df["validity"].tolist() == ["verified", "unknown", "unverified", "verified"] + ["unverified"] * 4
    assert df["source_kind"].tolist() == ["git", "git", "git", "git", "github-issue", "github-pr", "gist", "git"]
    assert df["commit_time"].tolist() == [
        utc("2025-03-30 17:17:40"),
        utc("2025-03-30 17:17:40"),
        utc("2025-03-31 08:00:00"),
        utc("2025-01-15 23:30:00"),
        utc("2023-01-02 15:04:05"),  # GitHub issue metadata: "+0000 UTC"
        utc("2023-02-03 04:05:06"),
        utc("2024-07-08 09:10:11"),
        utc("2024-12-24 06:00:00"),
    ]
    assert df["repo"].tolist() == [
        "github.com/leaklab-fake/app",
        "github.com/leaklab-fake/app",
        "github.com/leaklab-fake/app",
        "github.com/leaklab-fake/app",
        "leaklab-fake/app",
        "leaklab-fake/app",
        "gist.github.com/0123456789abcdef0123456789abcdef",
        "gitlab.com/leaklab-fake/infra",
    ]
    assert df["url"][3] == "https://github.com/leaklab-fake/app/blob/7777777777777777777777777777777777777777/.env#L2"
    assert df["url"][4] == "https://github.com/leaklab-fake/app/issues/42"
    assert pd.isna(df["url"][0])
    assert df["author_name"].tolist()[:4] == ["Fake Dev", "Fake Dev", "Fake Dev", "Other Dev"]
    assert df["author_email"][3] == "other.dev@example.invalid"
    assert pd.isna(df["author_name"][4]) and pd.isna(df["commit"][4])
    assert df["secret_sha256"][0] == sha256("AKIAFAKELEAKLAB2FAKE")
    assert df["secret_sha256"][1] == sha256("postgres://fake:FAKEpwLEAKLAB@db.example.invalid:5432/app")
    assert df["tool_fingerprint"][0] == fp("AWS", "AKIAFAKELEAKLAB2FAKE", "src/app.py", "5" * 40, 10)
    assert df["file"][7] == "ci/.gitlab-ci.yml" and df["line"][7] == 8


def test_commit_message_finding_has_no_file_or_line():
    df = load("v3_current_git.jsonl")
    row = df.iloc[2]
    assert pd.isna(row["file"]) and pd.isna(row["line"])
    assert row["commit"] == "6" * 40
    assert row["tool_fingerprint"] == fp("Github", "ghp_FAKEFAKELEAKLABFAKEFAKELEAKLAB1111", None, "6" * 40, None)


def test_fingerprints_are_distinct_per_location():
    df = pd.concat([load(n) for n in V3_FILES], ignore_index=True)
    assert df["tool_fingerprint"].notna().all()
    assert df["tool_fingerprint"].is_unique


# --------------------------------------------------------------------------- v3.34+: other sources


def test_current_other_sources():
    df = load("v3_current_sources.jsonl")
    assert df["source_kind"].tolist() == [
        "filesystem",
        "container",  # Docker
        "container",  # Ecr
        "object-store",  # S3
        "object-store",  # Gcs
        "ci-log",  # Circleci
        "chat",  # Slack
        "ticket",  # Jira
        "other",  # Forager wrapping Npm
        "other",  # Stdin
    ]
    assert df["file"].tolist()[:5] == [
        "/home/fake/project/config/.env",
        "/app/config.json",
        "/etc/app.conf",
        "backups/db.sql",
        "exports/keys.txt",  # Gcs names it "filename"
    ]
    assert df["file"][8] == "package/.npmrc"
    assert pd.isna(df["file"][9])
    assert df["line"][0] == 3 and df["line"][1:].isna().all()
    assert df["repo"].tolist()[1:6] == ["leaklab-fake/web", "web", "leaklab-fake-bucket", "leaklab-fake-gcs", "app"]
    assert df["url"][3] == "https://leaklab-fake-bucket.s3.amazonaws.com/backups/db.sql"
    assert df["author_name"][6] == "Chat User" and df["author_email"][6] == "chat.user@example.invalid"
    assert df["author_name"][7] == "Ticket Author" and df["author_email"][7] == "ticket.author@example.invalid"
    # Only git-hosting variants carry a commit date; S3/Slack/Jira timestamps are other things.
    assert df["commit_time"].isna().all()
    assert df["commit"].isna().all()
    assert df["secret_sha256"][9] == sha256("ghp_FAKEFAKELEAKLABFAKEFAKELEAKLAB7777")


# --------------------------------------------------------------------------- v2 and --json-legacy


def test_v2_explodes_strings_found():
    df = load("v2.jsonl")
    assert len(df) == 3
    assert (df["tool"] == "trufflehog2").all()
    assert df["source_record"].tolist() == ["line 1", "line 1", "line 2"]
    assert df["rule_id"].tolist() == ["High Entropy", "High Entropy", "RSA private key"]
    assert df["tool_secret_type"].tolist() == df["rule_id"].tolist()
    assert df["file"].tolist() == ["settings.py", "settings.py", "scripts/deploy.sh"]
    assert df["commit"].tolist() == ["a" * 40, "a" * 40, "b" * 40]
    assert df["line"].isna().all() and df["column"].isna().all()
    # Naive scanner-local time, read as UTC.
    assert df["commit_time"].tolist() == [utc("2021-01-30 19:50:09")] * 2 + [utc("2018-12-07 00:27:58")]
    assert df["secret_sha256"].tolist() == [
        sha256("FAKEentropyLEAKLABaaaaaaaaaaaaaaaaaa1"),
        sha256("FAKEentropyLEAKLABbbbbbbbbbbbbbbbbbb2"),
        sha256("-----BEGIN RSA PRIVATE KEY-----"),
    ]
    assert (df["source_kind"] == "git").all()
    assert df["verified"].isna().all() and df["validity"].isna().all()
    assert df["author_name"].isna().all() and df["repo"].isna().all()


def test_json_legacy():
    df = load("json_legacy.jsonl")
    assert len(df) == 1
    row = df.iloc[0]
    assert row["rule_id"] == "AWS" and row["file"] == "aws.env" and row["commit"] == "c" * 40
    assert row["commit_time"] == utc("2024-05-06 07:08:09")
    assert row["secret_sha256"] == sha256("AKIAFAKELEAKLAB3FAKE")


# --------------------------------------------------------------------------- safety, errors, empties


@pytest.mark.parametrize("name", V3_FILES + V2_FILES)
def test_no_raw_secret_in_rendering(name):
    df = load(name)
    text = df.to_string() + df.to_html()
    raws = raw_values(FIX / name)
    assert raws
    for raw in raws:
        assert raw not in text
        assert raw.rstrip("\n") not in text
    for raw in raws:
        assert raw not in set(df["redacted"].dropna())


def test_malformed_records_strict():
    path = FIX / "v3_bad.jsonl"
    with pytest.raises(RecordError) as e:
        leaklab.load(path)
    msg = str(e.value)
    assert str(path) in msg and "line 2" in msg and "SourceMetadata" in msg
    assert "LEAKLAB" not in msg


def test_malformed_records_lenient():
    path = FIX / "v3_bad.jsonl"
    with pytest.warns(LeakLabWarning):
        df = leaklab.load(path, lenient=True)
    assert df["file"].tolist() == ["/srv/app/a.env", "/srv/app/e.env"]
    skipped = df.attrs["skipped"]
    assert [s["record"] for s in skipped] == ["line 2", "line 3", "line 4"]
    assert all(s["file"] == str(path) for s in skipped)
    assert "'line' must be int" in skipped[1]["reason"]
    assert "not valid JSON" in skipped[2]["reason"]
    assert not any("LEAKLAB" in s["reason"] for s in skipped)


def test_wrong_type_raw_is_not_quoted(tmp_path):
    p = tmp_path / "th.jsonl"
    p.write_text('{"SourceMetadata":{"Data":{"Filesystem":{"file":"a"}}},"DetectorName":"X","DecoderName":"PLAIN","Raw":["FAKELEAKLABsecret"]}\n')
    with pytest.raises(RecordError) as e:
        leaklab.load(p)
    assert "'Raw' must be str" in str(e.value) and "FAKELEAKLAB" not in str(e.value)


def test_empty_file_gives_empty_frame(tmp_path):
    p = tmp_path / "empty.jsonl"
    p.write_text("")
    df = leaklab.load(p)
    assert len(df) == 0
    assert list(df.columns) == schema.columns("findings")
    schema.validate(df, "findings")


def test_log_lines_only_gives_empty_frame(tmp_path):
    p = tmp_path / "scan.jsonl"
    p.write_text(
        '{"level":"info-0","ts":"2025-04-02T10:00:00Z","logger":"trufflehog","msg":"running source","source_manager_worker_id":"FaKe1","with_units":true}\n'
        '{"level":"info-0","ts":"2025-04-02T10:00:01Z","logger":"trufflehog","msg":"finished scanning","chunks":1,"bytes":10,"verified_secrets":0,"unverified_secrets":0,"scan_duration":"1s","trufflehog_version":"3.88.1"}\n'
    )
    assert sniff(p).name == "trufflehog-jsonl"
    df = leaklab.load(p)
    assert len(df) == 0 and list(df.columns) == schema.columns("findings")


def test_frames_meet_the_contract():
    for name in V3_FILES + V2_FILES:
        schema.validate(load(name), "findings")


def test_more_rows_than_one_chunk(tmp_path):
    from leaklab.readers._common import CHUNK_ROWS

    line = (FIX / "v3_current_sources.jsonl").read_text().splitlines()[0]
    n = CHUNK_ROWS + 10
    p = tmp_path / "big.jsonl"
    p.write_text((line + "\n") * n)
    assert len(leaklab.load(p)) == n


# --------------------------------------------------------------------------- real files


def test_real_v3_files(shared_formats):
    for name in ("v3_git.json", "v3_github.json"):
        path = shared_formats / "trufflehog" / name
        assert sniff(path).name == "trufflehog-jsonl"
        df = leaklab.load(path)
        recs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        assert len(df) == len(recs) == 4
        assert df["rule_id"].tolist() == [r["DetectorName"] for r in recs]
        # Pre-3.14 base64 Raw: the AWS key id decodes to its (unmasked) Redacted value.
        assert df["secret_sha256"][0] == sha256(recs[0]["Redacted"])
        assert df["commit_time"][0] == utc("2022-06-16 17:17:40")
        assert (df["source_kind"] == "git").all()
        assert (df["repo"] == "github.com/trufflesecurity/test_keys").all()
        assert df["verified"].all()
        assert df["author_name"][0] == "counter"
        text = df.to_string() + df.to_html()
        assert recs[0]["Redacted"] not in text
        assert df["url"].str.contains("/blob/").all() if name == "v3_github.json" else df["url"].isna().all()


def test_real_v2_file(shared_formats):
    path = shared_formats / "trufflehog" / "v2_many_vulns.json"
    assert sniff(path).name == "trufflehog2-jsonl"
    df = leaklab.load(path)
    recs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert len(df) == sum(len(r["stringsFound"]) for r in recs) == 66
    assert df["commit"][0] == recs[0]["commitHash"]
    assert df["commit_time"][0] == utc(recs[0]["date"])
    assert df["line"].isna().all()
    text = df.to_string()
    assert not any(s in text for r in recs for s in r["stringsFound"])


def test_sniffers_claim_no_other_real_file(shared_formats):
    others = [p for p in shared_formats.rglob("*") if p.is_file() and p.parent.name != "trufflehog" and p.suffix != ".md"]
    assert others
    for f in FORMATS:
        for p in others:
            assert not f.sniff(Source(p)), f"{f.name} claims {p}"


@pytest.mark.parametrize("name", sorted(p.name for p in (Path(__file__).parent.parent / "fixtures" / "trufflehog").glob("v3_*.jsonl")))
def test_fast_path_equals_record_path(name, fixtures, monkeypatch, tmp_path):
    """The column-wise fast path must give exactly what record-by-record conversion gives."""
    import dataclasses

    from leaklab.readers import registry

    lines = [ln for ln in (fixtures / "trufflehog" / name).read_text().splitlines() if '"SourceMetadata"' in ln]
    good = tmp_path / name
    good.write_text("\n".join(lines) + "\n")
    try:
        fast = leaklab.load(good)
    except leaklab.LeakLabError:
        pytest.skip("a malformed fixture: covered by the error tests")
    fmt = next(f for f in registry() if f.name == "trufflehog-jsonl")
    slow_fmt = dataclasses.replace(fmt, convert_batch=None)
    monkeypatch.setattr(registry, "formats", [slow_fmt if f is fmt else f for f in registry()])
    slow = leaklab.load(good)
    pd.testing.assert_frame_equal(fast, slow)


def test_fast_path_really_runs_on_plain_git_lines(fixtures):
    """Guards the equivalence test above: it must compare a real fast-path result."""
    from leaklab.readers.trufflehog import _v3_batch

    recs = [json.loads(ln) for ln in (fixtures / "trufflehog" / "v3_mid.jsonl").read_text().splitlines() if ln.strip()]
    cols = _v3_batch(recs)
    assert len(cols["rule_id"]) == len(recs) > 0
