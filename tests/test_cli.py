import json

import pytest

from leaklab import cli


def test_load_csv_to_stdout_has_no_raw_secret(fixtures, capsys):
    assert cli.main(["load", str(fixtures / "gitleaks" / "v8.json")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("tool,tool_version,rule_id") and "AKIALEAKLABFAKE00001" not in out


@pytest.mark.parametrize("fmt", ["json", "markdown", "csv"])
def test_output_formats(fixtures, tmp_path, fmt):
    out = tmp_path / f"f.{fmt}"
    assert cli.main(["load", str(fixtures / "gitleaks"), "--format", fmt, "-o", str(out)]) == 0
    text = out.read_text()
    if fmt == "json":
        assert len([json.loads(x) for x in text.splitlines()]) == 5  # v8.json 2, v7.json 2, v8.csv 1
    if fmt == "markdown":
        assert text.startswith("| tool | tool_version |") and "<script>" not in text


def test_parquet_needs_a_file_and_round_trips(fixtures, tmp_path, capsys):
    import pandas as pd

    assert cli.main(["load", str(fixtures / "gitleaks" / "v8.json"), "--format", "parquet"]) == cli.EXIT_USAGE
    assert "needs --output" in capsys.readouterr().err
    p = tmp_path / "f.parquet"
    assert cli.main(["load", str(fixtures / "gitleaks" / "v8.json"), "--format", "parquet", "-o", str(p)]) == 0
    assert len(pd.read_parquet(p)) == 2


def test_dedupe_flag(fixtures, capsys):
    assert cli.main(["load", str(fixtures / "gitleaks" / "v8.json"), "--dedupe"]) == 0
    assert capsys.readouterr().out.startswith("secret_id,")


def test_bad_input_exit_code_and_message(tmp_path, capsys):
    p = tmp_path / "bad.json"
    p.write_text('[{"RuleID": "x", "StartLine": "seven"}]')
    assert cli.main(["load", str(p)]) == cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert "bad.json, record [0]" in err and "StartLine" in err
    assert cli.main(["load", str(p), "--lenient"]) == 0
    assert "leaklab: skipped" in capsys.readouterr().err


def test_usage_error_exit_code():
    with pytest.raises(SystemExit) as e:
        cli.main(["load"])
    assert e.value.code == cli.EXIT_USAGE


def test_markdown_escapes_cells():
    import pandas as pd

    md = cli.markdown_table(pd.DataFrame({"file": ["a|b\n<img src=x onerror=alert(1)>"], "n": [None]}))
    assert "a\\|b &lt;img src=x onerror=alert(1)&gt;" in md and "\n|" in md and md.count("\n") == 3


def test_csv_defuses_spreadsheet_formulas(tmp_path, capsys):
    p = tmp_path / "gl.json"
    p.write_text('[{"RuleID": "r", "Secret": "FAKEvalue-000000000000", "File": "=HYPERLINK(\\"http://x\\")", "StartLine": 1,'
                 ' "Author": "@SUM(1+1)", "Commit": "", "Date": ""}]')
    assert cli.main(["load", str(p)]) == 0
    out = capsys.readouterr().out
    assert "'=HYPERLINK" in out and "'@SUM(1+1)" in out and ",=HYPERLINK" not in out


def test_scan_and_history_commands(tmp_path, capsys):
    import leaklab

    truth = leaklab.demo.build(tmp_path)
    repo = str(tmp_path / "demo-repo")
    assert cli.main(["scan", repo, "--format", "json"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {r["tool"] for r in rows} == {"leaklab"} and len(rows) >= len(truth["secrets"])
    assert cli.main(["history", repo, str(tmp_path / "reports"), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("secret_id,") and truth["commits"][5]["sha"] in out  # the commit that removed the AWS key
    assert cli.main(["history", repo, "--by", "ref"]) == 0
    assert capsys.readouterr().out.startswith("secret_id,ref,")
