import argparse
import io
import json
import re

import pandas as pd
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
        assert text.startswith("| tool | tool\\_version |") and "<script>" not in text  # the report's escaping


def test_parquet_needs_a_file_and_round_trips(fixtures, tmp_path, capsys):
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
    md = cli.markdown_table(pd.DataFrame({"file": ["a|b\n<img src=x onerror=alert(1)>"], "n": [None]}))
    assert "a\\|b\\\\n&lt;img src=x onerror=alert(1)&gt;" in md and "\n|" in md and md.count("\n") == 3


def test_markdown_cells_cannot_add_links_images_or_bidi_overrides():
    md = cli.markdown_table(pd.DataFrame({"file": ["[click](http://evil.example)", "![i](http://evil.example/x.png)",
                                                   "invoice\u202egpj.exe", "`code` *em* _u_ ~s~"]}))
    assert "](" not in md.replace("\\](", "") and "[click]" not in md and "![i]" not in md
    assert "\\[click\\](http://evil.example)" in md and "!\\[i\\](http://evil.example/x.png)" in md
    assert "\u202e" not in md and "invoice\\\\u202egpj.exe" in md  # visible, as in the report
    assert "\\`code\\` \\*em\\* \\_u\\_ \\~s\\~" in md


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


# --------------------------------------------------------------------------- windows, usage, blast

WHOLE_KEY_ID = re.compile(r"A[KS]IA[A-Z0-9]{16}")  # AWS access key ids, long-term and temporary
AS_OF = ["--as-of", "2023-07-01"]


@pytest.fixture(scope="module")
def incident(tmp_path_factory):
    """The demo incident plus an inventory for its leaked AWS key: the key's user may read and
    write a bucket and read the repository whose scanner reports name the other secrets."""
    import leaklab

    out = tmp_path_factory.mktemp("incident")
    truth = leaklab.demo.build(out)
    key = next(c for c in leaklab.load_timeline(out / "timeline.csv")["credential"] if c.startswith("AKIA"))
    user = "arn:aws:iam::111122223333:user/deploy-bot"
    (out / "inventory.yaml").write_text(f"""
credentials: [{{id: {key}, principal: "{user}"}}]
grants:
  - {{principal: "{user}", permission: [s3:GetObject, s3:PutObject], resource: "arn:aws:s3:::payments-releases"}}
  - {{principal: "{user}", permission: contents:read, resource: {truth["repository"]}}}
resources:
  - {{id: "arn:aws:s3:::payments-releases", type: s3-bucket, data_class: confidential}}
  - {{id: {truth["repository"]}, type: repository, data_class: internal}}
""")
    return {"dir": out, "truth": truth, "key": key, "timeline": str(out / "timeline.csv"), "logs": str(out / "logs"),
            "reports": str(out / "reports"), "inventory": str(out / "inventory.yaml")}


def run(capsys, *argv):
    """(exit code, stdout, stderr) of one command."""
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def rows(text):
    return [json.loads(x) for x in text.splitlines()]


def commands(d):
    """One invocation of each new command on the demo incident."""
    return {
        "windows": ["windows", d["timeline"], *AS_OF],
        "usage": ["usage", d["logs"], "--timeline", d["timeline"], *AS_OF],
        "usage-window": ["usage", d["logs"], "--timeline", d["timeline"], *AS_OF, "--by", "window"],
        "usage-derived": ["usage", d["logs"], "--timeline", d["timeline"], "--derived"],
        "blast": ["blast", d["inventory"], "--reports", d["reports"], "--timeline", d["timeline"], "--logs", d["logs"]],
        "blast-credential": ["blast", d["inventory"], "--by", "credential"],
        "blast-pivot": ["blast", d["inventory"], "--reports", d["reports"], "--by", "pivot"],
    }


def test_windows_command(incident, capsys):
    d, truth = incident, incident["truth"]
    code, out, _ = run(capsys, "windows", d["timeline"], *AS_OF, "--format", "json")
    assert code == 0
    w = {r["credential"]: r for r in rows(out)}
    key, t = w[d["key"]], truth["usage"]["window"]
    assert (key["window_days_min"], key["ttd_days_min"], key["ttc_days_min"]) == (t["window_days"], t["ttd_days"], t["ttc_days"])
    assert w["stripe-live"]["open"] and w["stripe-live"]["as_of"].startswith("2023-07-01T00:00:00")


def test_windows_reads_several_timelines_as_one(incident, tmp_path, capsys):
    more = tmp_path / "more.yaml"
    more.write_text("- {time: '2024-01-02T10:00', kind: pushed, credential: extra}\n")
    code, _, err = run(capsys, "windows", incident["timeline"], more, *AS_OF)
    assert code == cli.EXIT_INPUT and "more.yaml, record [0]" in err and "no time zone" in err and "give --tz ZONE" in err
    code, out, _ = run(capsys, "windows", incident["timeline"], more, "--tz", "Europe/Berlin", "--as-of", "2024-02-01")
    assert code == 0
    got = pd.read_csv(io.StringIO(out))
    assert len(got) == 4 and got.set_index("credential").loc["extra", "exposed_from"] == "2024-01-02T09:00:00Z"


def test_usage_flags_the_attackers_uses(incident, capsys):
    d, truth = incident, incident["truth"]
    code, out, _ = run(capsys, *commands(d)["usage"], "--format", "json")
    assert code == 0
    uses = [r for r in rows(out) if r["credential_id"] == d["key"]]
    assert {r["source_ip"] for r in uses if r["suspicious"]} == set(truth["usage"]["leaked_key"]["suspicious_ips"])
    assert all(r["unknown_source"] is None for r in uses)  # no --known-sources: not judged


def test_usage_by_window_with_known_sources(incident, capsys):
    d, truth = incident, incident["truth"]
    owner = truth["usage"]["leaked_key"]["owner_ip"]
    code, out, _ = run(capsys, *commands(d)["usage"], "--format", "json", "--known-sources", f"{owner}/32")
    uses = [r for r in rows(out) if r["credential_id"] == d["key"]]
    assert code == 0 and {r["source_ip"] for r in uses if not r["unknown_source"]} == {owner}
    code, out, _ = run(capsys, *commands(d)["usage-window"], "--format", "json")
    w = {r["credential"]: r for r in rows(out)}
    assert code == 0 and w[d["key"]]["n_uses"] == len(uses) and w[d["key"]]["n_suspicious"] >= 5
    assert w["github-pat"]["n_uses"] == 0


def test_usage_derived_lists_the_minted_key(incident, capsys):
    from leaklab.fingerprint import sha256

    d, derived = incident, incident["truth"]["usage"]["derived"]
    code, out, _ = run(capsys, *commands(d)["usage-derived"], "--format", "json")
    (child,) = rows(out)
    assert code == 0 and sha256(child["credential"]) == derived["credential_sha256"] and child["parent"] == d["key"]
    assert child["contained_at"].startswith(derived["expires"][:19])


def test_usage_errors_say_what_to_fix(incident, capsys):
    d = incident
    code, _, err = run(capsys, "usage", d["logs"])
    assert code == cli.EXIT_USAGE and "needs --timeline FILE" in err
    code, _, err = run(capsys, *commands(d)["usage-derived"], "--by", "window")
    assert code == cli.EXIT_USAGE and "--derived" in err and "drop" in err
    for as_of, words in (("2023-07", "needs a day or a time"), ("2023-07-01T10:00", "needs a zone (Z, +02:00) or --tz"),
                         ("yesterday", "not a date")):
        code, _, err = run(capsys, "usage", d["logs"], "--timeline", d["timeline"], "--as-of", as_of)
        assert code == cli.EXIT_USAGE and words in err, err
    code, _, err = run(capsys, "windows", d["timeline"], "--tz", "Mars/Olympus_Mons")
    assert code == cli.EXIT_USAGE and "unknown time zone" in err


def test_bad_input_names_the_file(incident, tmp_path, capsys):
    d = incident
    timeline = tmp_path / "timeline.csv"
    timeline.write_text("time,kind,credential\n2023-01-01,pushed,k\n2023-02-01,leaked-somehow,k\n")
    code, _, err = run(capsys, "windows", timeline)
    assert code == cli.EXIT_INPUT and "timeline.csv, record line 3" in err and "kind" in err
    log = tmp_path / "trail.json"
    log.write_text('{"Records": [{"eventTime": "not a time", "eventName": "ListBuckets"}]}')
    code, _, err = run(capsys, "usage", log, "--timeline", d["timeline"])
    assert code == cli.EXIT_INPUT and "trail.json" in err
    code, _, err = run(capsys, "usage", d["logs"], "--timeline", tmp_path / "missing.csv")
    assert code == cli.EXIT_INPUT and "missing.csv" in err
    inventory = tmp_path / "grants.csv"
    inventory.write_text("source,relation,target\nkey-1,owns,bucket\n")
    code, _, err = run(capsys, "blast", inventory)
    assert code == cli.EXIT_INPUT and "grants.csv, record line 2" in err and "relation must be one of" in err


def test_blast_starts_from_the_reported_credentials(incident, capsys):
    d = incident
    code, out, _ = run(capsys, *commands(d)["blast"], "--format", "json")
    reach = rows(out)
    assert code == 0 and {r["credential"] for r in reach} == {d["key"]}
    assert {r["resource"] for r in reach} == {"arn:aws:s3:::payments-releases", d["truth"]["repository"]}
    assert all(r["exposed_from"].startswith("2023-01-16T16:45") for r in reach)  # from --timeline
    assert any(r["used"] for r in reach if r["permission"] == "s3:PutObject")  # the logs show the bucket written


def test_blast_pivots_and_summary(incident, capsys):
    import leaklab

    d = incident
    secret_ids = set(leaklab.dedupe(leaklab.load(d["reports"]))["secret_id"])
    code, out, _ = run(capsys, *commands(d)["blast-pivot"], "--format", "json")
    pivots = rows(out)
    assert code == 0 and pivots and {p["reached_credential"] for p in pivots} <= secret_ids
    assert all(p["held_in"] == d["truth"]["repository"] and p["hops"] == 1 for p in pivots)
    code, out, _ = run(capsys, *commands(d)["blast-pivot"], "--max-hops", "0", "--format", "json")
    assert code == 0 and rows(out) == []
    code, out, _ = run(capsys, *commands(d)["blast-credential"], "--format", "json")
    (summary,) = rows(out)
    assert code == 0 and summary["credential"] == d["key"] and summary["n_resources"] == 2 and summary["can_write"]


def test_blast_credential_picked_by_id_or_from_the_reports(incident, capsys):
    from leaklab.fingerprint import sha256

    d = incident
    for pick in (d["key"], sha256(d["key"])):  # the scanners' secret_sha256 of the key id names it too
        code, out, _ = run(capsys, "blast", d["inventory"], "--reports", d["reports"], "--credential", pick,
                           "--by", "credential", "--format", "json")
        assert code == 0 and [r["credential"] for r in rows(out)] == [d["key"]]


def test_blast_no_match_says_which_ids_are_known(incident, tmp_path, capsys):
    d = incident
    code, _, err = run(capsys, "blast", d["inventory"], "--credential", "AKIANOTINTHEINVENTORY", "ci-token")
    assert code == cli.EXIT_INPUT and "inventory.yaml" in err
    assert "AKIA…RY, ci…: matches no credential" in err and f"they know {d['key'][:4]}…{d['key'][-2:]}" in err
    assert not WHOLE_KEY_ID.search(err)
    # what the user typed may be a secret in place of its id, short or not: never repeated whole
    code, _, err = run(capsys, "blast", d["inventory"], "--credential", "hunter2secret", "sk_live_LEAKLABFAKE")
    assert code == cli.EXIT_INPUT and "--credential hu…, sk_l…KE: matches no credential" in err
    assert "hunter2secret" not in err and "sk_live_LEAKLABFAKE" not in err
    other = tmp_path / "other.yaml"
    other.write_text("credentials: [{id: AKIALEAKLABFAKEOTHER, principal: 'arn:aws:iam::111122223333:user/x'}]\n")
    code, _, err = run(capsys, "blast", other, "--reports", d["reports"])
    assert code == cli.EXIT_INPUT and "none of the" in err and "pick with --credential" in err and "AKIA…ER" in err
    empty = tmp_path / "empty.yaml"
    empty.write_text("resources: [{id: 'arn:aws:s3:::b', type: s3-bucket}]\n")
    code, _, err = run(capsys, "blast", empty)
    assert code == cli.EXIT_INPUT and "empty.yaml" in err and "no credential" in err


def test_blast_max_hops_must_be_a_count(incident):
    with pytest.raises(SystemExit) as e:
        cli.main(["blast", incident["inventory"], "--max-hops", "-1"])
    assert e.value.code == cli.EXIT_USAGE


@pytest.mark.parametrize("name", ["windows", "usage", "usage-window", "usage-derived", "blast", "blast-credential", "blast-pivot"])
def test_every_format_carries_the_same_table(incident, tmp_path, capsys, name):
    argv = commands(incident)[name]
    n = None
    for fmt in ("csv", "json", "markdown", "parquet"):
        path = tmp_path / f"out.{fmt}"
        assert cli.main([*argv, "--format", fmt, "-o", str(path)]) == 0
        if fmt == "csv":
            n = len(pd.read_csv(path))
        elif fmt == "json":
            assert len(rows(path.read_text())) == n
        elif fmt == "markdown":
            assert path.read_text().count("\n") == n + 2
        else:
            back = pd.read_parquet(path)
            assert len(back) == n and n > 0
            if name.startswith("blast") and name != "blast-credential":  # categoricals kept in parquet
                assert any(isinstance(t, pd.CategoricalDtype) for t in back.dtypes) or name == "blast-pivot"
            if "credential" in back.columns:
                assert back["credential"].astype(str).str.fullmatch(r"(A[KS]IA[A-Z0-9]{16}|[\w-]+)").all()  # whole ids


@pytest.mark.parametrize("name", ["windows", "usage", "usage-window", "usage-derived", "blast", "blast-credential", "blast-pivot"])
def test_markdown_never_shows_a_whole_key_id(incident, capsys, name):
    argv = commands(incident)[name]
    code, out, _ = run(capsys, *argv, "--format", "markdown")
    assert code == 0 and ("AKIA…" in out or "ASIA…" in out)
    assert not WHOLE_KEY_ID.search(out)
    code, out, _ = run(capsys, *argv, "--format", "csv")  # machine formats keep ids whole, for joining...
    assert code == 0 and WHOLE_KEY_ID.search(out)
    code, out, _ = run(capsys, *argv, "--format", "csv", "--redact")  # ...unless asked
    assert code == 0 and not WHOLE_KEY_ID.search(out) and ("AKIA…" in out or "ASIA…" in out)


def test_key_ids_outside_id_columns_are_shortened_too():
    df = pd.DataFrame({"action": ["iam:DeleteAccessKey"], "resource": ["user/x AKIALEAKLABFAKE53EFR"]})
    assert cli._previews(df)["resource"].tolist() == ["user/x AKIA…FR"]
    # the same rule as the report (fingerprint.scrub_text): other id shapes, other prefixes, string dtype kept
    df = pd.DataFrame({"detail": pd.array(["replaced by AKIALEAKLABFAKENEW12", "bot xoxb-1234567890-LEAKLABFAKE", None,
                                           "role AROALEAKLABFAKEROLE01"], dtype="string")})
    shown = cli._previews(df)["detail"]
    assert shown.tolist()[:2] == ["replaced by AKIA…12", "bot xoxb…KE"] and shown.tolist()[3] == "role AROA…01"
    assert shown.isna().tolist() == [False, False, True, False] and str(shown.dtype) == "string"


def test_csv_defuses_formulas_in_categorical_columns(tmp_path, capsys):
    inv = tmp_path / "inv.yaml"
    inv.write_text("credentials: [{id: key-1, principal: 'github:bot'}]\n"
                   "grants: [{principal: 'github:bot', permission: '=HYPERLINK(\"http://x\")', resource: '@SUM(1+1)'}]\n")
    code, out, _ = run(capsys, "blast", inv)
    assert code == 0 and "'=HYPERLINK" in out and "'@SUM(1+1)" in out and ",=HYPERLINK" not in out


def test_library_warnings_become_one_line_on_stderr(incident, capsys):
    code, _, err = run(capsys, "windows", incident["timeline"], "--as-of", "2020-01-01")  # before every window
    assert code == 0 and "leaklab: warning: 1 window(s) have negative day counts" in err and "stripe-live" in err


def test_progress_bar_only_when_a_terminal_watches(incident, monkeypatch, capsys):
    from leaklab import readers

    expand = readers.expand
    argv = commands(incident)["blast"]
    code, _, err = run(capsys, *argv)
    assert code == 0 and "reading" not in err  # stderr is not a terminal under pytest
    monkeypatch.setattr(cli, "_show_progress", lambda: True)
    code, _, err = run(capsys, *argv)
    assert code == 0 and all(f"reading {what}" in err for what in ("inventories", "reports", "access logs"))
    assert readers.expand is expand  # restored


def test_csv_and_json_on_a_terminal_show_previews(incident, monkeypatch, tmp_path, capsys):
    argv = commands(incident)["windows"]
    note = "leaklab: note: credential ids shortened on a terminal: use -o FILE or a pipe for whole ids"
    code, out, err = run(capsys, *argv)  # a pipe (pytest's capture is no terminal): whole ids, no note
    assert code == 0 and WHOLE_KEY_ID.search(out) and note not in err and not cli._stdout_is_terminal()
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    for fmt in ("csv", "json"):
        code, out, err = run(capsys, *argv, "--format", fmt)
        shown = out if fmt == "csv" else json.dumps(rows(out), ensure_ascii=False)  # json writes … as \\u2026
        assert code == 0 and "AKIA…" in shown and not WHOLE_KEY_ID.search(out) and note in err, fmt
    path = tmp_path / "w.csv"  # a file: whole ids, for joining
    code, out, err = run(capsys, *argv, "-o", path)
    assert code == 0 and out == "" and WHOLE_KEY_ID.search(path.read_text()) and note not in err


def test_format_help_shows_a_generic_preview(capsys):
    with pytest.raises(SystemExit):
        cli.main(["usage", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "previews (AKIA…," in out and "AKIA…EF" not in out and "on a terminal" in out


def test_every_subcommand_explains_itself(capsys):
    parser = cli._parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert {"windows", "usage", "blast"} <= set(sub.choices) and set(sub.choices) == set(cli._COMMANDS)
    for name, p in sub.choices.items():
        assert p.description and len(p.description) > 60, name
        with pytest.raises(SystemExit) as e:
            cli.main([name, "--help"])
        out = capsys.readouterr().out
        assert e.value.code == 0 and out.startswith(f"usage: leaklab {name}") and p.description[:30] in " ".join(out.split())


# --------------------------------------------------------------------------- report


def test_report_writes_html_and_markdown_without_whole_key_ids(incident, tmp_path, capsys):
    import leaklab

    d = incident
    ledger = tmp_path / "ledger.jsonl"
    secrets = leaklab.dedupe(leaklab.load(d["reports"]))
    leaklab.Ledger(ledger, analyst="test").record(secrets["secret_id"].iloc[0], "true_positive", "planted")
    stem = tmp_path / "out" / "incident-7"
    code, out, err = run(capsys, "report", d["reports"], "-o", stem, "--title", "Incident 7", "--repo",
                         d["dir"] / "demo-repo", "--timeline", d["timeline"], *AS_OF, "--logs", d["logs"],
                         "--inventory", d["inventory"], "--ledger", ledger)
    assert code == 0 and out == "" and "report written to" in err
    assert "leaklab: Not ready to close: 4 of 5 closure criteria fail" in err and "Ready to close" not in err
    md, html = (stem.parent / "incident-7.md").read_text(), (stem.parent / "incident-7.html").read_text()
    assert md.startswith("# Incident 7") and "Exposure windows" in md and "Blast radius" in md and "Triage decisions" in md
    assert d["key"][:4] + "…" in md and not WHOLE_KEY_ID.search(md) and not WHOLE_KEY_ID.search(html)


def test_report_input_errors(incident, tmp_path, capsys):
    d = incident
    code, _, err = run(capsys, "report", d["reports"], "-o", tmp_path / "r", "--ledger", tmp_path / "nope.jsonl")
    assert code == cli.EXIT_INPUT and "nope.jsonl: no such ledger file" in err and not (tmp_path / "nope.jsonl").exists()
    code, _, err = run(capsys, "report", d["reports"], "-o", tmp_path / "r", "--credential", d["key"])
    assert code == cli.EXIT_USAGE and "give --inventory too" in err
    with pytest.raises(SystemExit) as e:
        cli.main(["report", d["reports"]])  # no --output
    assert e.value.code == cli.EXIT_USAGE


def test_report_for_a_case_directory_in_one_command(tmp_path, capsys):
    from leaklab import scenarios

    case = tmp_path / "toyota"
    scenarios.build("toyota", case)
    assert cli.main(["report", "--case", str(case), "-o", str(tmp_path / "r")]) == 0
    html = (tmp_path / "r.html").read_text()
    assert "Exposure windows" in html and "Usage found" in html
    assert "Data as of 2022-" in (tmp_path / "r.md").read_text()  # answers.json's as_of, not today
    assert "report written to" in capsys.readouterr().err


def test_report_needs_reports_or_a_case(tmp_path, capsys):
    assert cli.main(["report", "-o", str(tmp_path / "r")]) == 2
    assert "--case DIR" in capsys.readouterr().err
    assert cli.main(["report", "--case", str(tmp_path / "nope"), "-o", str(tmp_path / "r")]) == 3


# --------------------------------------------------------------------------- report: links and cases


def _case(incident, tmp_path, *parts):
    """A case directory with the demo's reports and the given parts of it (timeline.csv, ground_truth.json)."""
    import shutil

    case = tmp_path / "case"
    shutil.copytree(incident["dir"] / "reports", case / "reports")
    for name in parts:
        shutil.copy(incident["dir"] / name, case / name)
    return case


def _unconfirmed(md: str) -> list:
    """The credentials the closure says were contained without confirmation."""
    return sorted(line.split(":")[0].strip("- ") for line in md.splitlines() if "but not confirmed" in line)


def test_report_link_confirms_a_named_credential(incident, tmp_path, capsys):
    import leaklab

    d = incident
    pat = next(s["secret_sha256"] for s in d["truth"]["secrets"] if s["id"] == "github-pat")
    ledger = tmp_path / "ledger.jsonl"
    leaklab.Ledger(ledger, analyst="test").record(pat, "revoked", "the owner revoked it")
    base = ["report", d["reports"], "--timeline", d["timeline"], *AS_OF, "--ledger", ledger]
    code, _, _ = run(capsys, *base, "-o", tmp_path / "a")
    assert code == 0 and _unconfirmed((tmp_path / "a.md").read_text()) == ["AKIA…FR", "github-pat"]
    code, _, _ = run(capsys, *base, "-o", tmp_path / "b", "--link", f"github-pat={pat.upper()}")
    assert code == 0 and _unconfirmed((tmp_path / "b.md").read_text()) == ["AKIA…FR"]
    for bad in ("github-pat", f"={pat}", "github-pat=hunter2secret"):
        with pytest.raises(SystemExit) as e:
            cli.main([str(a) for a in base] + ["-o", str(tmp_path / "c"), "--link", bad])
        assert e.value.code == cli.EXIT_USAGE
        err = capsys.readouterr().err
        assert "expected NAME=SECRET_ID" in err and "hunter2secret" not in err


def test_report_case_links_and_as_of_from_the_answer_key(incident, tmp_path, capsys):
    import leaklab

    d = incident
    case = _case(d, tmp_path, "timeline.csv", "ground_truth.json")  # laid out like data/
    pat = next(s["secret_sha256"] for s in d["truth"]["secrets"] if s["id"] == "github-pat")
    leaklab.Ledger(case / "ledger.jsonl", analyst="test").record(pat, "revoked", "the owner revoked it")
    code, _, err = run(capsys, "report", "--case", case, "-o", tmp_path / "r", *AS_OF)
    assert code == 0 and _unconfirmed((tmp_path / "r.md").read_text()) == ["AKIA…FR"]  # github-pat linked
    assert "note: no --as-of" not in err
    # --link wins over the answer key's link
    code, _, _ = run(capsys, "report", "--case", case, "-o", tmp_path / "r2", *AS_OF, "--link", f"github-pat={'0' * 64}")
    assert code == 0 and _unconfirmed((tmp_path / "r2.md").read_text()) == ["AKIA…FR", "github-pat"]
    # the demo's answer key has an as_of: it fixes the report's time
    code, _, err = run(capsys, "report", "--case", case, "-o", tmp_path / "r4")
    assert code == 0 and "note: no --as-of" not in err and "Data as of 2023-07-01" in (tmp_path / "r4.md").read_text()
    # no as_of anywhere: the report runs to now, and says so
    truth = json.loads((case / "ground_truth.json").read_text())
    (case / "ground_truth.json").write_text(json.dumps({k: v for k, v in truth.items() if k != "as_of"}))
    code, _, err = run(capsys, "report", "--case", case, "-o", tmp_path / "r3")
    assert code == 0 and f"leaklab: note: no --as-of and {case} has no answer key with an as_of" in err
    assert "changes from run to run" in err


@pytest.mark.parametrize("content,words", [
    (b"{not json", "answers.json, record line 1: answers.json is not valid JSON"),
    (b"\xff\xfe{}", "answers.json is not UTF-8 text"),
    (b"[1, 2]", "answers.json must hold a JSON object"),
    (b'{"as_of": 20230701}', "answers.json, record as_of: answers.json as_of must be a string"),
    (b'{"as_of": "tomorrow"}', "answers.json, record as_of: answers.json as_of: time is not a date"),
    (b'{"as_of": "2023-07"}', "answers.json as_of: needs a day or a time"),
    (b'{"description": ["x"]}', "record description: answers.json description must be a string"),
    (b'{"secrets": "x"}', "record secrets: answers.json secrets must be a list"),
    (b'{"secrets": [1]}', "record secrets[0]: expected an object"),
    (b'{"secrets": [{"id": "x", "secret_sha256": "hunter2"}]}', "record secrets[0].secret_sha256: expected 64 hex"),
    (b'{"secrets": [{"id": 3, "secret_sha256": "%s"}]}' % (b"a" * 64), "record secrets[0].id: expected a non-empty string"),
])
def test_report_case_with_a_bad_answer_key_names_the_file(incident, tmp_path, capsys, content, words):
    case = _case(incident, tmp_path)
    (case / "answers.json").write_bytes(content)
    code, _, err = run(capsys, "report", "--case", case, "-o", tmp_path / "r")
    assert code == cli.EXIT_INPUT and f"{case / 'answers.json'}" in err and words in err, err
    assert "--as-of" not in err and "Traceback" not in err and "hunter2" not in err and "tomorrow" not in err
    assert not (tmp_path / "r.html").exists()


def test_report_case_with_an_unrelated_inventory_warns_and_leaves_the_blast_radius_out(incident, tmp_path, capsys):
    case = _case(incident, tmp_path)
    (case / "inventory").mkdir()
    (case / "inventory" / "other.yaml").write_text(
        "credentials: [{id: AKIALEAKLABFAKEOTHER, principal: 'arn:aws:iam::111122223333:user/x'}]\n")
    code, _, err = run(capsys, "report", "--case", case, "-o", tmp_path / "r")
    assert code == 0 and "leaklab: warning: " in err and "none of the" in err and "no blast-radius section" in err
    assert "AKIA…ER" in err and not WHOLE_KEY_ID.search(err)
    html = (tmp_path / "r.html").read_text()
    assert "What leaked" in html and "Blast radius" not in html
    # given explicitly (or with --credential) the mismatch is still an error
    code, _, err = run(capsys, "report", incident["reports"], "--inventory", case / "inventory", "-o", tmp_path / "r2")
    assert code == cli.EXIT_INPUT and "none of the" in err and not (tmp_path / "r2.html").exists()
    code, _, err = run(capsys, "report", "--case", case, "--credential", "AKIALEAKLABFAKE0NONE", "-o", tmp_path / "r3")
    assert code == cli.EXIT_INPUT and "matches no credential" in err
