"""Nosey Parker reader: v0.17+ JSON/JSONL, <= v0.16, insta snapshots (reference §4).

Fixtures under tests/fixtures/noseyparker/ are hand-written in the tool's own layouts:
``np_v022.jsonl`` (v0.22 ``report --format jsonl``, struct key order), ``np_v022.json``
(``"[\\n"`` + the same findings joined by ``",\\n"`` + ``"\\n]"``), ``np_pretty.jsonl``
(the jsonl pretty-printed, as ``jq .`` writes it), ``np_v021_extended.jsonl`` (extended
provenance without ``payload``; an optional first group that did not match),
``np_report.snap`` (an insta snapshot: keys sorted, 2-space indent), ``np_legacy.jsonl``
and ``np_legacy_pretty.json`` (<= v0.16), ``np_empty.json`` / ``np_empty.jsonl`` (no findings).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pandas as pd
import pytest

import leaklab
from leaklab import schema
from leaklab.errors import LeakLabWarning, RecordError, UnknownFormatError
from leaklab.readers import noseyparker, sniff
from leaklab.readers._common import Source

AKID = "AKIAFAKELEAKLAB00001"
AWS_SECRET = "FAKEsecretLEAKLABfakeSECRETleaklab000001"
GHP = "ghp_FAKELEAKLABfake0000000000000000000001"
SLACK = "xoxb-FAKE-LEAKLAB-000000000001"
API_KEY = "LEAKLABfake0api0key0000000000001"
PASSWORD = "FAKEpassLEAKLAB"
RAW = (AKID, AWS_SECRET, GHP, SLACK, API_KEY, PASSWORD)
FIXTURE_NAMES = (
    "np_v022.jsonl",
    "np_v022.json",
    "np_pretty.jsonl",
    "np_v021_extended.jsonl",
    "np_report.snap",
    "np_legacy.jsonl",
    "np_legacy_pretty.json",
)


def sha256(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def utc(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


@pytest.fixture
def np_dir(fixtures: Path) -> Path:
    return fixtures / "noseyparker"


# --------------------------------------------------------------------------- v0.17+


def test_v022_jsonl_fields(np_dir):
    df = leaklab.load(np_dir / "np_v022.jsonl")
    assert sniff(np_dir / "np_v022.jsonl").name == "noseyparker-json"
    assert len(df) == 4  # (finding, match, provenance): 1x1x2 + 1x2x1
    assert list(df["source_record"]) == ["line 1", "line 1", "line 2", "line 2"]
    assert set(df["tool"]) == {"noseyparker"}

    file_row, git_row, gh_git, gh_file = (df.iloc[i] for i in range(4))
    # AWS np.aws.6: groups are [key id, secret]; the row's secret is the key id.
    for r in (file_row, git_row):
        assert r["rule_id"] == "np.aws.6"
        assert r["tool_secret_type"] == "AWS API Credentials"
        assert r["secret_type"] == "aws-access-key"
        assert r["secret_sha256"] == sha256(AKID)
        assert r["redacted"] != AKID and AKID not in r["redacted"]
        assert r["file"] == "deploy/aws.env"  # "./" stripped from the file provenance
        assert (r["line"], r["column"]) == (2, 19)
        assert r["tool_fingerprint"] == "7c3e9a1f5b2d8e4a6c0f1b3d5e7a9c2e4f6a8b0d"
        assert r["label"] == "accept"
        assert pd.isna(r["verified"]) and pd.isna(r["validity"]) and pd.isna(r["url"])
    assert file_row["source_kind"] == "filesystem"
    assert pd.isna(file_row["commit"]) and pd.isna(file_row["repo"]) and pd.isna(file_row["commit_time"])
    assert git_row["source_kind"] == "git"
    assert git_row["repo"] == "./.git"
    assert git_row["commit"] == "1" * 40
    assert (git_row["author_name"], git_row["author_email"]) == ("Leak Lab", "leaklab@example.invalid")
    assert git_row["commit_time"] == utc("2023-03-09 22:33:36")  # "1678401216 +0100"

    assert gh_git["rule_id"] == "np.github.1" and gh_git["secret_type"] == "github-token"
    assert gh_git["secret_sha256"] == sha256(GHP) == gh_file["secret_sha256"]
    assert (gh_git["file"], gh_git["line"], gh_git["column"]) == ("ci/settings.yml", 1, 10)
    assert gh_git["commit"] == "2" * 40
    assert gh_git["author_name"] == "Dev Eloper"
    assert gh_git["commit_time"] == utc("2023-11-14 22:13:20")  # "1700000000 -0500"
    assert (gh_file["file"], gh_file["line"], gh_file["column"]) == ("scripts/release.sh", 3, 14)
    assert gh_file["source_kind"] == "filesystem"
    assert gh_git["label"] == gh_file["label"] == "reject"


def test_json_array_matches_jsonl(np_dir):
    a = leaklab.load(np_dir / "np_v022.json")
    b = leaklab.load(np_dir / "np_v022.jsonl")
    assert sniff(np_dir / "np_v022.json").name == "noseyparker-json"
    assert list(a["source_record"]) == ["[0]", "[0]", "[1]", "[1]"]
    drop = ["source_file", "source_record"]
    pd.testing.assert_frame_equal(a.drop(columns=drop), b.drop(columns=drop))


def test_pretty_printed_jsonl_falls_back_to_whole_file(np_dir):
    df = leaklab.load(np_dir / "np_pretty.jsonl")
    assert len(df) == 4
    assert list(df["source_record"]) == ["line 1", "line 1", "line 85", "line 85"]
    ref = leaklab.load(np_dir / "np_v022.jsonl")
    drop = ["source_file", "source_record"]
    pd.testing.assert_frame_equal(df.drop(columns=drop), ref.drop(columns=drop))


def test_v021_extended_without_payload_and_first_nonempty_group(np_dir):
    df = leaklab.load(np_dir / "np_v021_extended.jsonl")
    assert len(df) == 1
    r = df.iloc[0]
    assert r["rule_id"] == "np.slack.2" and r["secret_type"] == "slack-token"
    assert r["secret_sha256"] == sha256(SLACK)  # groups ["", <slack>]: the empty group is skipped
    assert r["file"] == "exports/chat.txt"
    assert r["source_kind"] == "other"
    assert (r["line"], r["column"]) == (1, 7)
    assert pd.isna(r["commit"]) and pd.isna(r["label"])


def test_finding_without_matches_keeps_one_row(tmp_path):
    p = tmp_path / "np.jsonl"
    p.write_text(
        '{"finding_id":"ab12","rule_name":"GitHub Personal Access Token","rule_text_id":"np.github.1",'
        '"rule_structural_id":"cd34","groups":["%s"],"num_matches":7,"num_redundant_matches":0,'
        '"statuses":[],"comment":null,"mean_score":null,"matches":[]}\n' % base64.b64encode(GHP.encode()).decode()
    )
    df = leaklab.load(p)
    assert len(df) == 1
    assert df.iloc[0]["secret_sha256"] == sha256(GHP) and pd.isna(df.iloc[0]["file"])


# --------------------------------------------------------------------------- snapshots


def test_snapshot(np_dir):
    path = np_dir / "np_report.snap"
    assert sniff(path).name == "noseyparker-snap"
    df = leaklab.load(path)
    assert len(df) == 1
    r = df.iloc[0]
    assert r["file"] == "config/app.env"  # extended payload.path, "./" stripped
    assert r["source_kind"] == "other"
    assert r["secret_sha256"] == sha256(GHP)
    assert r["tool_fingerprint"] == "d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9"
    assert r["source_record"] == "[0]"


def test_snapshot_with_text_around_the_json(np_dir, tmp_path):
    text = (np_dir / "np_report.snap").read_text()
    header, body = text.split("---\n", 2)[1:]
    p = tmp_path / "wrapped.snap"
    p.write_text("---\n" + header + "---\nScanned 1 blob\n" + body + "\nFound 1 finding\n")
    df = leaklab.load(p)
    assert len(df) == 1 and df.iloc[0]["secret_sha256"] == sha256(GHP)


def test_json_schema_snapshot_is_not_a_report(tmp_path):
    p = tmp_path / "schema.snap"
    p.write_text(
        "---\nsource: crates/noseyparker-cli/tests/generate/mod.rs\nexpression: stdout\n---\n"
        '{\n  "definitions": {\n    "Finding": {\n      "properties": {\n        "finding_id": {\n'
        '          "type": "string"\n        }\n      }\n    }\n  }\n}\n'
    )
    assert not any(f.sniff(Source(str(p))) for f in noseyparker.FORMATS)


# --------------------------------------------------------------------------- <= v0.16


def test_legacy_jsonl(np_dir):
    path = np_dir / "np_legacy.jsonl"
    assert sniff(path).name == "noseyparker-legacy"
    df = leaklab.load(path)
    assert len(df) == 4
    key_file, key_git, pw_file, pw_git = (df.iloc[i] for i in range(4))
    assert key_file["rule_id"] == key_file["tool_secret_type"] == "Generic API Key"
    assert key_file["secret_sha256"] == key_git["secret_sha256"] == sha256(API_KEY)
    assert API_KEY not in key_file["redacted"]
    assert (key_file["file"], key_file["line"], key_file["column"]) == ("app/config.py", 2, 1)
    assert key_file["source_kind"] == "filesystem" and pd.isna(key_file["commit"])
    assert key_git["source_kind"] == "git"
    assert key_git["commit"] == "3" * 40 and key_git["repo"] == "./.git"
    assert (key_git["author_name"], key_git["author_email"]) == ("Princess Fake", "fake@example.invalid")
    assert key_git["commit_time"] == utc("2023-05-31 01:07:36")  # "1685495256 +0000"
    assert pd.isna(key_git["tool_fingerprint"]) and pd.isna(key_git["verified"]) and pd.isna(key_git["label"])
    assert pw_git["secret_sha256"] == sha256(PASSWORD) and pw_git["secret_type"] == "password"
    assert pw_git["commit_time"] == utc("2023-05-31 01:08:20")  # "1685495300 +0200": the epoch is already UTC
    assert pw_file["redacted"] != PASSWORD


def test_legacy_pretty_array_with_status(np_dir):
    df = leaklab.load(np_dir / "np_legacy_pretty.json")
    assert sniff(np_dir / "np_legacy_pretty.json").name == "noseyparker-legacy"
    assert len(df) == 2
    assert list(df["label"]) == ["accept", "accept"]
    assert list(df["source_record"]) == ["[0]", "[0]"]
    assert set(df["secret_sha256"]) == {sha256(API_KEY)}


# --------------------------------------------------------------------------- edges


@pytest.mark.parametrize("name", ["np_empty.json", "np_empty.jsonl"])
def test_empty_report(np_dir, name):
    df = leaklab.load(np_dir / name)
    assert len(df) == 0
    assert list(df.columns) == schema.columns("findings")
    schema.validate(df, "findings")


def _bad_file(np_dir: Path, tmp_path: Path) -> Path:
    good, second = (np_dir / "np_v022.jsonl").read_text().splitlines()
    bad_group = second.replace('["Z2hw', '["!!not base64!!')
    assert bad_group != second
    p = tmp_path / "bad.jsonl"
    p.write_text("\n".join([good, bad_group, '{"finding_id": "x", "rule_text_id": "np.x.1", "matches": "nope"}', "{oops"]) + "\n")
    return p


def test_malformed_records_raise(np_dir, tmp_path):
    p = _bad_file(np_dir, tmp_path)
    with pytest.raises(RecordError) as e:
        leaklab.load(p)
    msg = str(e.value)
    assert str(p) in msg and "record line 2" in msg and "base64" in msg


def test_missing_finding_fields_raise(tmp_path):
    p = tmp_path / "missing.jsonl"
    p.write_text('{"finding_id":"ab12","rule_name":"X","groups":[],"matches":[]}\n')
    with pytest.raises(RecordError) as e:
        leaklab.load(p)
    assert str(p) in str(e.value) and "record line 1" in str(e.value) and "rule_text_id" in str(e.value)


def test_malformed_records_lenient(np_dir, tmp_path):
    p = _bad_file(np_dir, tmp_path)
    with pytest.warns(LeakLabWarning):
        df = leaklab.load(p, lenient=True)
    assert len(df) == 2  # the good AWS finding's two provenance rows
    assert set(df["secret_sha256"]) == {sha256(AKID)}
    skipped = df.attrs["skipped"]
    assert [s["record"] for s in skipped] == ["line 2", "line 3", "line 4"]
    assert all(s["file"] == str(p) for s in skipped)


def test_no_raw_secret_in_rendering(np_dir):
    df = leaklab.load([np_dir / n for n in FIXTURE_NAMES])
    text, html = df.to_string(), df.to_html()
    for raw in RAW:
        assert raw not in text and raw not in html
    assert not any(r in RAW for r in df["redacted"].dropna())


# --------------------------------------------------------------------------- real files

REAL = {
    "noseyparker_0_22_0.jsonl": ("noseyparker-json", 42),
    "noseyparker_0_22_0_without_githistory.jsonl": ("noseyparker-json", 6),
    "noseyparker_one_vul.jsonl": ("noseyparker-legacy", 2),
    "noseyparker_many_vul.jsonl": ("noseyparker-legacy", 12),
    "test_noseyparker__scan__appmaker__scan_workflow_from_git_url-4.snap": ("noseyparker-snap", 16),
    "test_noseyparker__scan__basic__scan_enumerator_1-7.snap": ("noseyparker-snap", 1),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_files_load(shared_formats, name):
    path = shared_formats / "noseyparker" / name
    fmt, rows = REAL[name]
    assert sniff(path).name == fmt
    df = leaklab.load(path)
    assert len(df) == rows
    schema.validate(df, "findings")
    assert set(df["tool"]) == {"noseyparker"}
    assert df["secret_sha256"].notna().all()
    assert df["verified"].isna().all()


def test_real_files_cover_the_directory(shared_formats):
    assert {p.name for p in (shared_formats / "noseyparker").iterdir()} == set(REAL)


def test_real_v022_values(shared_formats):
    df = leaklab.load(shared_formats / "noseyparker" / "noseyparker_0_22_0.jsonl")
    r = df.iloc[0]
    assert r["rule_id"] == "np.aws.6" and r["secret_type"] == "aws-access-key"
    assert r["redacted"].startswith("AKIA")  # first group: the key id
    assert r["file"] == "src/main/resources/explanations/challenge15.adoc"
    assert (r["line"], r["column"]) == (25, 19)
    assert r["commit"] == "43d6429098e4d3acdf6938dfc159172c4dd99220"
    assert r["commit_time"] == utc("2023-03-09 22:33:36")
    assert r["tool_fingerprint"] == "84d871b9aec92b82245f7b687d7bf64048d3c68e"
    assert (df["source_kind"] == "filesystem").sum() == 2  # two matches also carry a file provenance
    nogit = leaklab.load(shared_formats / "noseyparker" / "noseyparker_0_22_0_without_githistory.jsonl")
    assert set(nogit["source_kind"]) == {"filesystem"}
    assert not nogit["file"].str.startswith("./").any()


def test_real_snapshots(shared_formats):
    d = shared_formats / "noseyparker"
    app = leaklab.load(d / "test_noseyparker__scan__appmaker__scan_workflow_from_git_url-4.snap")
    assert set(app["repo"]) == {"<REPO>"}
    assert app["commit"].notna().all() and app["commit_time"].notna().all()
    assert app.iloc[0]["file"] == "my.env" and app.iloc[0]["commit_time"] == utc("2013-09-02 12:47:18")
    enum = leaklab.load(d / "test_noseyparker__scan__basic__scan_enumerator_1-7.snap")
    assert (enum.iloc[0]["file"], enum.iloc[0]["source_kind"], enum.iloc[0]["line"]) == ("input.txt", "other", 3)


def test_no_other_real_file_sniffs_as_noseyparker(shared_formats):
    for path in sorted(shared_formats.rglob("*")):
        if not path.is_file() or path.parent.name == "noseyparker":
            continue
        try:
            fmt = sniff(path)
        except UnknownFormatError:
            continue
        assert fmt is None or fmt.tool != "noseyparker", path
