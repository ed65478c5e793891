"""load() itself: sniffing by content, directories and globs, encodings, unknown input."""

import codecs
import shutil

import pytest

import leaklab
from leaklab.errors import LeakLabError, LeakLabWarning, UnknownFormatError


def test_sniffs_content_not_extension(tmp_path, fixtures):
    p = tmp_path / "report.txt"  # a gitleaks JSON report under a misleading name
    shutil.copy(fixtures / "gitleaks" / "v8.json", p)
    assert leaklab.sniff(p).name == "gitleaks-json"
    assert len(leaklab.load(p)) == 2


def test_forced_format_and_unknown_format_name(fixtures):
    assert len(leaklab.load(fixtures / "gitleaks" / "v8.json", format="gitleaks-json")) == 2
    with pytest.raises(UnknownFormatError, match="unknown format 'nope'; supported: gitleaks-json"):
        leaklab.load(fixtures / "gitleaks" / "v8.json", format="nope")


def test_unknown_file_lists_supported_formats(tmp_path):
    p = tmp_path / "notes.json"
    p.write_text('{"hello": "world"}')
    with pytest.raises(UnknownFormatError, match=r"notes\.json: not a supported scanner report; supported formats: .*trufflehog"):
        leaklab.load(p)


def test_directory_and_glob(tmp_path, fixtures):
    shutil.copytree(fixtures / "gitleaks", tmp_path / "r")
    (tmp_path / "r" / "README.md").write_text("# not a report\n")
    with pytest.warns(LeakLabWarning, match="README.md"):
        df = leaklab.load(tmp_path / "r")
    assert set(df["tool"]) == {"gitleaks", "gitleaks7"}
    assert [s["file"].endswith("README.md") for s in df.attrs["skipped"]] == [True]
    by_glob = leaklab.load(str(tmp_path / "r" / "*.json"))
    assert set(by_glob["source_file"].map(lambda s: s.rsplit("/", 1)[1])) == {"v8.json", "v7.json"}
    with pytest.raises(LeakLabError, match="no such file, directory or glob match"):
        leaklab.load(tmp_path / "missing" / "*.json")


def test_list_of_paths_keeps_file_and_record(fixtures):
    df = leaklab.load([fixtures / "gitleaks" / "v8.json", fixtures / "gitleaks" / "v7.json"])
    assert df.groupby("source_file").size().tolist() == [2, 2]
    assert df["source_record"].tolist() == ["[0]", "[1]", "[0]", "[1]"]


@pytest.mark.parametrize("bom, encoding", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")])
def test_bom_and_utf16(tmp_path, fixtures, bom, encoding):
    """PowerShell's `>` writes UTF-16LE with a BOM."""
    text = (fixtures / "gitleaks" / "v8.json").read_text()
    p = tmp_path / "ps.json"
    p.write_bytes(bom + text.encode(encoding))
    df = leaklab.load(p)
    assert len(df) == 2 and df["file"].iloc[0] == "config/deploy.env"


def test_invalid_json_names_line_and_column(tmp_path):
    p = tmp_path / "broken.json"
    p.write_text('[\n {\n  "RuleID": "x",\n  "Secret" "FAKE"\n }\n]\n')
    with pytest.raises(LeakLabError, match=r"broken\.json, record line 4 column 12: not valid JSON"):
        leaklab.load(p)


def test_formats_table():
    f = leaklab.formats()
    assert {"gitleaks-json", "gitleaks-csv", "gitleaks7-json"} <= set(f["format"])
    assert f["format"].is_unique


def test_out_of_range_year_is_a_record_error(tmp_path, fixtures):
    text = (fixtures / "gitleaks" / "v8.json").read_text().replace("2023-01-16T16:40:00Z", "0021-01-16T16:40:00Z")
    p = tmp_path / "old.json"
    p.write_text(text)
    with pytest.raises(LeakLabError, match=r"record \[0\]: .*outside the years 1678-2261"):
        leaklab.load(p)


def test_gc_is_restored_after_load_even_on_error(tmp_path, fixtures):
    import gc

    assert gc.isenabled()
    leaklab.load(fixtures / "gitleaks" / "v8.json")
    assert gc.isenabled()
    bad = tmp_path / "bad.json"
    bad.write_text('[{"RuleID": 1}]')
    with pytest.raises(LeakLabError):
        leaklab.load(bad)
    assert gc.isenabled()


def test_errors_never_quote_the_value(tmp_path):
    token = "ghp_" + "LEAKLABFAKE" + "9" * 25
    p = tmp_path / "gl.json"
    p.write_text(f'[{{"RuleID": "r", "Secret": "x", "File": "a", "StartLine": 1, "Date": "{token}"}}]')
    with pytest.raises(LeakLabError) as e:
        leaklab.load(p)
    assert token not in str(e.value) and "unrecognised time format" in str(e.value)
    with pytest.warns(LeakLabWarning) as w:
        df = leaklab.load(p, lenient=True)
    assert token not in str(df.attrs["skipped"]) + str(w[0].message)


def test_lenient_skips_an_unparseable_file_whole(tmp_path, fixtures):
    shutil.copy(fixtures / "gitleaks" / "v8.json", tmp_path / "good.json")
    (tmp_path / "cut.json").write_text((fixtures / "gitleaks" / "v8.json").read_text()[:300])
    with pytest.raises(LeakLabError, match="cut.json"):
        leaklab.load(tmp_path)
    with pytest.warns(LeakLabWarning, match="cut.json"):
        df = leaklab.load(tmp_path, lenient=True)
    assert len(df) == 2 and df.attrs["skipped"][0]["file"].endswith("cut.json")


def test_hidden_directories_are_skipped(tmp_path, fixtures):
    (tmp_path / ".git").mkdir()
    shutil.copy(fixtures / "gitleaks" / "v8.json", tmp_path / ".git" / "report.json")
    shutil.copy(fixtures / "gitleaks" / "v7.json", tmp_path / "v7.json")
    df = leaklab.load(tmp_path)
    assert set(df["tool"]) == {"gitleaks7"}


def test_betterleaks_attributes_must_be_text(tmp_path):
    p = tmp_path / "bl.json"
    p.write_text('[{"RuleID": "x", "Secret": "FAKEsecretvalue00", "Attributes": {"path": 123, "git.date": 1678}}]')
    with pytest.raises(LeakLabError, match=r"record \[0\]: .*'Attributes' must be a string"):
        leaklab.load(p)
