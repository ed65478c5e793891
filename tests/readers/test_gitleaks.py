import hashlib

import pandas as pd
import pytest

import leaklab
from leaklab.errors import LeakLabWarning, RecordError


def sha256(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def test_v8_json_fields(fixtures):
    df = leaklab.load(fixtures / "gitleaks" / "v8.json")
    leaklab.validate(df, "findings")
    a, b = df.iloc[0], df.iloc[1]
    assert a.tool == "gitleaks" and a.rule_id == "aws-access-token" and a.secret_type == "aws-access-key"
    assert a.secret_sha256 == sha256("AKIALEAKLABFAKE00001")
    assert a.secret_sha1 == hashlib.sha1(b"AKIALEAKLABFAKE00001").hexdigest()
    assert (a.file, a.line, a.column) == ("config/deploy.env", 3, 19)
    assert a.commit == "9a34dd1c0ffee0000000000000000000000000aa"
    assert (a.author_name, a.author_email) == ("Bob Okafor", "bob@payments.example")
    assert a.commit_time == pd.Timestamp("2023-01-16T16:40:00Z")
    assert a.source_kind == "git" and a.repo == "github.com/leaklab-demo/fixture"
    assert a.tool_fingerprint.endswith(":config/deploy.env:aws-access-token:3")
    assert pd.isna(a.verified)
    assert (a.source_record, a.source_file) == ("[0]", str(fixtures / "gitleaks" / "v8.json"))
    # a directory scan: no commit, no date, a path with a colon
    assert pd.isna(b.commit) and pd.isna(b.commit_time) and b.source_kind == "filesystem"
    assert b.file == "src/with:colon/app.py" and b.secret_type == "generic-api-key"


def test_v8_csv_multiline_and_header_mapping(fixtures):
    df = leaklab.load(fixtures / "gitleaks" / "v8.csv")
    assert len(df) == 1
    r = df.iloc[0]
    assert r.rule_id == "stripe-access-token" and r.secret_type == "stripe-key"
    assert r.secret_sha256 == sha256("sk_live_LEAKLABFAKE0000000000001")
    assert (r.line, r.column, r.file) == (3, 18, "app/billing.py")
    assert r.commit_time == pd.Timestamp("2023-02-02T10:05:00Z")
    assert r.source_record == "line 2"  # where the record starts; its message spans lines 2-4


def test_v7_json_offsets_and_redaction(fixtures):
    df = leaklab.load(fixtures / "gitleaks" / "v7.json")
    a, b = df.iloc[0], df.iloc[1]
    assert a.tool == "gitleaks7" and a.rule_id == "AWS Access Key" and a.secret_type == "aws-access-key"
    assert a.commit_time == pd.Timestamp("2021-04-19T19:42:05Z")  # +03:00 converted to UTC
    assert a.repo == "github.com/leaklab-demo/payments-api" and a.line == 224
    # --redact: no value, so no fingerprint, and the mask is not mistaken for one
    assert b.redacted == "(redacted by tool)" and pd.isna(b.secret_sha256) and pd.isna(b.secret_sha1)
    assert pd.isna(b.commit_time) and pd.isna(b.repo)


def test_no_raw_secret_in_any_rendering(fixtures):
    df = leaklab.load(fixtures / "gitleaks")
    rendered = df.to_string() + df.to_html() + df.to_csv()
    for raw in ("AKIALEAKLABFAKE00001", "FAKEleaklabGenericKey0123456789abcdef", "sk_live_LEAKLABFAKE0000000000001"):
        assert raw not in rendered


def test_reveal_is_explicit_and_still_renders_redacted(fixtures):
    df = leaklab.load(fixtures / "gitleaks" / "v8.json", reveal=True)
    assert df["secret"].iloc[0].reveal() == "AKIALEAKLABFAKE00001"
    assert "AKIALEAKLABFAKE00001" not in df.to_string() + df.to_html()


def test_malformed_record_names_file_and_record(tmp_path):
    p = tmp_path / "gl.json"
    p.write_text('[\n {\n  "RuleID": "x",\n  "Secret": "FAKE",\n  "StartLine": 1\n },\n {\n  "RuleID": "y",\n  "StartLine": "seven"\n }\n]\n')
    with pytest.raises(RecordError, match=r"gl\.json, record \[1\]: .*'StartLine' must be int"):
        leaklab.load(p)
    with pytest.warns(LeakLabWarning, match="skipped 1"):
        df = leaklab.load(p, lenient=True)
    assert len(df) == 1
    assert df.attrs["skipped"] == [{"file": str(p), "record": "[1]", "reason": df.attrs["skipped"][0]["reason"]}]


def test_bad_csv_row(tmp_path):
    p = tmp_path / "gl.csv"
    p.write_text("RuleID,Commit,File,SymlinkFile,Secret,StartLine\nr,,a.py,,FAKE1234,x\n")
    with pytest.raises(RecordError, match=r"record line 2: .*'StartLine' must be an integer"):
        leaklab.load(p)


def test_empty_reports(tmp_path, shared_formats):
    (tmp_path / "empty.csv").write_text("")  # gitleaks writes nothing at all for zero findings
    (tmp_path / "empty.json").write_text("[]\n")
    df = leaklab.load(tmp_path)
    assert df.empty and list(df.columns) == leaklab.schema.columns("findings")
    leaklab.validate(df, "findings")


def test_streamed_and_whole_parse_agree(tmp_path, fixtures):
    """The streaming split and the whole-file parse must give identical frames."""
    import json

    recs = json.loads((fixtures / "gitleaks" / "v8.json").read_text()) * 50
    pretty, compact = tmp_path / "pretty.json", tmp_path / "compact.json"
    pretty.write_text(json.dumps(recs, indent=1))
    compact.write_text(json.dumps(recs))
    a = leaklab.load(pretty).drop(columns="source_file")
    b = leaklab.load(compact).drop(columns="source_file")
    pd.testing.assert_frame_equal(a, b)
    assert a["source_record"].iloc[-1] == "[99]"


@pytest.mark.parametrize(
    "name, rows, fmt",
    [
        ("gitleaks/json_simple.json", 1, "gitleaks-json"),
        ("gitleaks/csv_simple.csv", 1, "gitleaks-csv"),
        ("gitleaks/baseline.json", 2, "gitleaks-json"),
        ("gitleaks/gitleaks8_many.json", 4, "gitleaks-json"),
        ("gitleaks/version_7.5.0.json", 8, "gitleaks7-json"),
        ("gitleaks/redacted_data_many.json", 6, "gitleaks7-json"),
        ("gitleaks/issue4336.json", 1, "gitleaks7-json"),
        ("gitleaks/empty.json", 0, None),
    ],
)
def test_real_files(shared_formats, name, rows, fmt):
    path = shared_formats / name
    found = leaklab.sniff(path)
    assert (found.name if found else None) == fmt
    df = leaklab.load(path)
    assert len(df) == rows
    leaklab.validate(df, "findings")
    if name == "gitleaks/baseline.json":  # masked with ****: no fingerprint may be invented
        assert df["secret_sha256"].isna().all()
        assert df["commit_time"].iloc[0] == pd.Timestamp("2022-03-07T14:33:06Z")
    if name == "gitleaks/gitleaks8_many.json":  # leading "/" is noise in a repo-relative path
        assert not df["file"].str.startswith("/").any()


def test_many_chunks_lose_no_rows(tmp_path, fixtures, monkeypatch):
    """Rows are turned into frames in chunks; every chunk boundary must keep every row."""
    import json

    from leaklab.readers import _common

    monkeypatch.setattr(_common, "CHUNK_ROWS", 7)
    recs = json.loads((fixtures / "gitleaks" / "v8.json").read_text()) * 25
    p = tmp_path / "many.json"
    p.write_text(json.dumps(recs, indent=1))
    chunks = []
    frame = _common.Collector.frame
    monkeypatch.setattr(_common.Collector, "frame", lambda self, cols, n: chunks.append(n) or frame(self, cols, n))
    df = leaklab.load(p)
    assert len(chunks) >= 7  # really chunked
    assert len(df) == 50 and df["source_record"].tolist() == [f"[{i}]" for i in range(50)]


def test_unusual_indentation_falls_back_to_a_whole_parse(tmp_path, fixtures, monkeypatch):
    """Opening braces at column 0 but closing ones indented: the split finds no boundary."""
    import json

    from leaklab.readers import _common

    monkeypatch.setattr(_common, "READ_BYTES", 256)
    recs = json.loads((fixtures / "gitleaks" / "v8.json").read_text()) * 20
    p = tmp_path / "odd.json"
    p.write_text("[\n" + ",\n".join(json.dumps(r, indent=1).replace("\n", "\n ") for r in recs) + "\n]\n")
    whole = []
    monkeypatch.setattr(_common, "_whole", lambda src, f=_common._whole: whole.append(src) or f(src))
    df = leaklab.load(p)
    assert len(df) == 40 and df["source_record"].iloc[-1] == "[39]"
    assert len(whole) == 1  # gave up streaming early instead of buffering the whole file
