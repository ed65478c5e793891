"""Kingfisher reader: v1.10 array, v1.70 envelope and JSONL (reference §9).

No real Kingfisher report exists anywhere (shared/formats/SOURCES.md), so the fixtures under
tests/fixtures/kingfisher/ are written from the reference and the reporter source:
``kf_v1_10.json`` (pretty array built with ``json!``, so keys are sorted; ``git_metadata`` is
``null`` and ``path`` ``""`` where the origin has none), ``kf_v1_70.json`` (pretty envelope,
struct key order, ``git_metadata`` sorted, an ``access_map``), ``kf_v1_70.jsonl`` (the same
findings one per line plus the trailing ``{"access_map": ...}`` line) and
``kf_redacted.jsonl`` (``--redact``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

import leaklab
from leaklab import schema
from leaklab.errors import LeakLabWarning, RecordError, UnknownFormatError
from leaklab.readers import sniff

AKID = "AKIAFAKELEAKLAB00002"
GHP = "ghp_FAKELEAKLABfake0000000000000000000002"
ESCAPED = "FAKE\\xffLEAKLAB\\x80token"  # the \xNN escapes as Kingfisher writes them
RAW = (AKID, GHP, ESCAPED)
FIXTURE_NAMES = ("kf_v1_10.json", "kf_v1_70.json", "kf_v1_70.jsonl", "kf_redacted.jsonl")
REPO = "github.com/leaklab-fake/demo"


def sha256(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def tri(v) -> bool | None:
    return None if pd.isna(v) else bool(v)


@pytest.fixture
def kf_dir(fixtures: Path) -> Path:
    return fixtures / "kingfisher"


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_sniffed_as_kingfisher(kf_dir, name):
    assert sniff(kf_dir / name).name == "kingfisher-json"


def test_v1_10_array(kf_dir):
    df = leaklab.load(kf_dir / "kf_v1_10.json")
    assert len(df) == 3
    assert list(df["source_record"]) == ["[0]", "[1]", "[2]"]
    assert set(df["tool"]) == {"kingfisher"}
    aws, gh, generic = (df.iloc[i] for i in range(3))

    assert (aws["rule_id"], aws["tool_secret_type"], aws["secret_type"]) == (
        "kingfisher.aws.1",
        "AWS Access Key ID",
        "aws-access-key",
    )
    assert aws["secret_sha256"] == sha256(AKID) and aws["redacted"] != AKID
    assert aws["file"] == "deploy/aws.env"  # path is "" in v1.10 git findings: git_metadata.file.path
    assert (aws["line"], aws["column"]) == (3, 19)
    assert aws["commit"] == "5" * 40
    assert aws["repo"] == REPO
    assert aws["commit_time"] == pd.Timestamp("2024-03-09", tz="UTC")  # committer DATE only
    assert pd.isna(aws["author_name"]) and pd.isna(aws["author_email"])
    assert aws["source_kind"] == "git"
    assert tri(aws["verified"]) is True and aws["validity"] == "Active Credential"
    assert aws["tool_fingerprint"] == "12345678901234567890"
    assert aws["url"] == f"https://{REPO}/blob/{'5' * 40}/deploy/aws.env#L3"

    assert gh["rule_id"] == "kingfisher.github.1" and gh["secret_type"] == "github-token"
    assert gh["secret_sha256"] == sha256(GHP)
    assert gh["file"] == "testdata/demo/scripts/release.sh" and (gh["line"], gh["column"]) == (7, 14)
    assert gh["source_kind"] == "filesystem"
    assert pd.isna(gh["commit"]) and pd.isna(gh["repo"]) and pd.isna(gh["commit_time"]) and pd.isna(gh["url"])
    assert pd.isna(gh["verified"]) and gh["validity"] == "Not Attempted"

    assert tri(generic["verified"]) is False and generic["validity"] == "Inactive Credential"
    assert generic["secret_sha256"] == sha256(ESCAPED)
    assert generic["tool_fingerprint"] == "1111111111111111111"


def test_v1_10_jsonl(kf_dir, tmp_path):
    """v1.10 ``jsonl``: the same {"id", "matches"} elements, one compact object per line."""
    p = tmp_path / "kf.jsonl"
    p.write_text("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in json.loads((kf_dir / "kf_v1_10.json").read_text())))
    df = leaklab.load(p)
    ref = leaklab.load(kf_dir / "kf_v1_10.json")
    assert list(df["source_record"]) == ["line 1", "line 2", "line 3"]
    drop = ["source_file", "source_record"]
    pd.testing.assert_frame_equal(df.drop(columns=drop), ref.drop(columns=drop))


def test_v1_70_envelope(kf_dir):
    df = leaklab.load(kf_dir / "kf_v1_70.json")
    assert len(df) == 3  # access_map is not a finding
    assert list(df["source_record"]) == ["findings[0]", "findings[1]", "findings[2]"]
    aws, gh, generic = (df.iloc[i] for i in range(3))
    assert aws["rule_id"] == "kingfisher.aws.1" and aws["secret_sha256"] == sha256(AKID)
    assert (aws["file"], aws["line"], aws["column"], aws["commit"]) == ("deploy/aws.env", 3, 19, "5" * 40)
    assert tri(aws["verified"]) is True
    # the committer is in git_metadata, but it is not the author: author stays NA.
    assert pd.isna(aws["author_name"]) and pd.isna(aws["author_email"])
    assert tri(gh["verified"]) is False and gh["validity"] == "Inactive Credential"
    assert gh["commit_time"] == pd.Timestamp("2023-11-14", tz="UTC")
    assert (gh["repo"], gh["file"], gh["line"], gh["column"]) == (REPO, "ci/settings.yml", 2, 11)
    assert gh["tool_fingerprint"] == "9876543210987654321"
    assert generic["file"] == "/home/fake/demo/app/settings.py" and generic["source_kind"] == "filesystem"
    assert pd.isna(generic["verified"]) and generic["validity"] == "Not Attempted"
    assert generic["secret_sha256"] == sha256(ESCAPED)


def test_v1_70_jsonl_matches_envelope(kf_dir):
    a = leaklab.load(kf_dir / "kf_v1_70.jsonl")
    b = leaklab.load(kf_dir / "kf_v1_70.json")
    assert list(a["source_record"]) == ["line 1", "line 2", "line 3"]  # line 4 is the access_map
    assert a.attrs["skipped"] == []
    drop = ["source_file", "source_record"]
    pd.testing.assert_frame_equal(a.drop(columns=drop), b.drop(columns=drop))


def test_pretty_printed_jsonl(kf_dir, tmp_path):
    """``jq . kf.jsonl``: pretty objects back to back, parsed whole."""
    lines = (kf_dir / "kf_v1_70.jsonl").read_text().splitlines()
    p = tmp_path / "kf.jsonl"
    p.write_text("".join(json.dumps(json.loads(x), indent=2) + "\n" for x in lines))
    df = leaklab.load(p)
    assert len(df) == 3 and list(df["rule_id"]) == ["kingfisher.aws.1", "kingfisher.github.1", "kingfisher.generic.1"]
    assert df["source_record"].iloc[0] == "line 1" and df["source_record"].iloc[1].startswith("line ")


def test_redacted_report_has_no_secret(kf_dir):
    df = leaklab.load(kf_dir / "kf_redacted.jsonl")
    assert len(df) == 2
    assert df["secret_sha256"].isna().all() and df["secret_sha1"].isna().all()
    assert set(df["redacted"]) == {"(redacted by tool)"}


def test_later_envelope_per_line(tmp_path):
    """Releases after v1.70 write one compact envelope per line, with metadata and an audit line."""
    rec = (
        '{"rule":{"title":"GITHUB.1 => [KINGFISHER.GITHUB.1]","name":"github.1","id":"kingfisher.github.1",'
        '"description":"GitHub Personal Access Token"},"finding":{"snippet":"%s","fingerprint":"42",'
        '"confidence":"medium","entropy":"4.71","validation":{"status":"Not Attempted","response":""},'
        '"language":"Shell","line":1,"column_start":2,"column_end":41,"path":"a.sh"}}' % GHP
    )
    p = tmp_path / "kf.json"
    p.write_text(
        '{"findings":[%s],"metadata":{"kingfisher_version":"1.106.0","summary":{"findings":1}}}\n' % rec
        + '{"findings":[],"metadata":{"kingfisher_version":"1.106.0","summary":{"findings":0}}}\n'
        + '{"audit":{"repos":[]}}\n'
    )
    df = leaklab.load(p)
    assert len(df) == 1
    r = df.iloc[0]
    assert r["tool_version"] == "1.106.0"
    assert r["rule_id"] == "kingfisher.github.1" and r["tool_secret_type"] == "GitHub Personal Access Token"
    assert r["source_record"] == "line 1 findings[0]"
    assert r["secret_sha256"] == sha256(GHP)


@pytest.mark.parametrize("text", ["", '{"access_map":[{"provider":"aws","groups":[]}]}\n'])
def test_empty_report(tmp_path, text):
    p = tmp_path / "kf.jsonl"
    p.write_text(text)
    df = leaklab.load(p)
    assert len(df) == 0
    assert list(df.columns) == schema.columns("findings")
    schema.validate(df, "findings")


def _bad_file(kf_dir: Path, tmp_path: Path) -> Path:
    lines = (kf_dir / "kf_v1_70.jsonl").read_text().splitlines()
    no_rule = lines[1].replace('{"rule":{"name":"GitHub Personal Access Token","id":"kingfisher.github.1"},', "{", 1)
    assert no_rule != lines[1]
    bad_line = lines[2].replace('"line":12', '"line":"twelve"')
    p = tmp_path / "bad.jsonl"
    p.write_text("\n".join([lines[0], no_rule, bad_line, "{not json", lines[3]]) + "\n")
    return p


def test_malformed_records_raise(kf_dir, tmp_path):
    p = _bad_file(kf_dir, tmp_path)
    with pytest.raises(RecordError) as e:
        leaklab.load(p)
    msg = str(e.value)
    assert str(p) in msg and "record line 2" in msg and "'rule'" in msg


def test_malformed_records_lenient(kf_dir, tmp_path):
    p = _bad_file(kf_dir, tmp_path)
    with pytest.warns(LeakLabWarning):
        df = leaklab.load(p, lenient=True)
    assert len(df) == 1 and df.iloc[0]["secret_sha256"] == sha256(AKID)
    assert [s["record"] for s in df.attrs["skipped"]] == ["line 2", "line 3", "line 4"]
    assert all(s["file"] == str(p) for s in df.attrs["skipped"])


def test_no_raw_secret_in_rendering(kf_dir):
    df = leaklab.load([kf_dir / n for n in FIXTURE_NAMES])
    text, html = df.to_string(), df.to_html()
    for raw in RAW:
        assert raw not in text and raw not in html
    assert not any(r in RAW for r in df["redacted"].dropna())


def test_no_real_file_sniffs_as_kingfisher(shared_formats):
    """There is no real Kingfisher report; no other tool's real file may be taken for one."""
    for path in sorted(shared_formats.rglob("*")):
        if not path.is_file():
            continue
        try:
            fmt = sniff(path)
        except UnknownFormatError:
            continue
        assert fmt is None or fmt.tool != "kingfisher", path


def test_noseyparker_fixtures_are_not_kingfisher(fixtures):
    for path in sorted((fixtures / "noseyparker").iterdir()):
        fmt = sniff(path)
        assert fmt is None or fmt.tool != "kingfisher", path
