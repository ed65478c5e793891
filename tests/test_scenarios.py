"""The workshop scenarios: deterministic, readable by every reader, and the real pipeline
(dedupe, exposure windows, usage, blast radius) arrives at each hand-written answer key."""

import filecmp
import json
import os
import subprocess
import sys
import warnings

import pandas as pd
import pytest

import leaklab
from leaklab import scenarios
from leaklab.fingerprint import sha256

NAMES = sorted(scenarios.SCENARIOS)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Each scenario built once: name -> (directory, answer key)."""
    root = tmp_path_factory.mktemp("scenarios")
    return {name: (root / name, answers) for name, answers in scenarios.build_all(root).items()}


@pytest.fixture(scope="module")
def loaded(built):
    """Each scenario read through leaklab's readers, with warnings as errors."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, (d, answers) in built.items():
            findings = leaklab.load(d / "reports")
            events = leaklab.load_timeline(d / "timeline.csv")
            usage = leaklab.load_access_logs(d / "logs")
            grants = leaklab.load_inventory(d / "inventory")
            windows = leaklab.exposure_windows(events, as_of=answers["as_of"])
            out[name] = dict(findings=findings, secrets=leaklab.dedupe(findings), events=events, usage=usage,
                             grants=grants, windows=windows)
    return out


def _namer(answers):
    """Node id (as frames carry it: key id, fingerprint, hashed_token, name) -> the answer key's name."""
    by = {}
    for s in answers["secrets"]:
        by[s["secret_sha256"]] = s["id"]
        if "hashed_token" in s:
            by[s["hashed_token"]] = s["id"]
    for name, ref in answers["blast"]["nodes"].items():
        by[ref.get("name", name)] = name

    def name(node):
        if node is None or pd.isna(node):
            return None
        return by.get(node) or by.get(sha256(node))
    return name


# --------------------------------------------------------------------------- shape and determinism


def test_scenarios_are_described_with_their_incident():
    assert set(NAMES) == {"circleci", "slack", "toyota", "travis"}
    for name, text in scenarios.SCENARIOS.items():
        assert "Modelled on" in text and "20" in text, name


def test_same_seed_same_bytes(built, tmp_path):
    for name in ("slack", "travis"):  # one with a GitHub audit log, one with build logs
        d, answers = built[name]
        again = scenarios.build(name, tmp_path / name)
        assert again == answers
        mine = sorted(p.relative_to(d) for p in d.rglob("*") if p.is_file() and ".git" not in p.parts)
        theirs = sorted(p.relative_to(tmp_path / name) for p in (tmp_path / name).rglob("*")
                        if p.is_file() and ".git" not in p.parts)
        assert mine == theirs
        _, mismatch, errors = filecmp.cmpfiles(d, tmp_path / name, [str(p) for p in mine], shallow=False)
        assert mismatch == errors == [], name


def test_other_seed_other_secrets(built, tmp_path):
    _, answers = built["circleci"]
    other = scenarios.build("circleci", tmp_path, seed=8)
    assert {s["secret_sha256"] for s in other["secrets"]}.isdisjoint({s["secret_sha256"] for s in answers["secrets"]})


def test_layout_is_the_demos(built):
    import git

    for name, (d, answers) in built.items():
        for sub in ("demo-repo", "reports", "logs", "inventory", "timeline.csv", "answers.json"):
            assert (d / sub).exists(), f"{name}: {sub}"
        repo = git.Repo(d / "demo-repo")
        assert repo.head.commit.hexsha == answers["head"] and not repo.is_dirty(untracked_files=True)
        assert [c["sha"] for c in answers["commits"]] == [c.hexsha for c in reversed(list(repo.iter_commits()))]
        assert len({f.name for f in (d / "reports").iterdir()}) >= 2, name
        assert 3 <= len(answers["quiz"]) <= 6 and all({"id", "question", "answer", "hint"} <= set(q) for q in answers["quiz"])


def test_every_file_loads_without_warning(loaded, built):
    for name, f in loaded.items():
        leaklab.validate(f["findings"], "findings")
        leaklab.validate(f["usage"], "usage")
        leaklab.validate(f["grants"], "grants")
        assert f["grants"].attrs.get("skipped", []) == [], name
        assert len(f["findings"]) and len(f["events"]) and len(f["usage"]) and len(f["grants"]), name
    assert set(loaded["slack"]["usage"]["provider"]) == {"aws", "github"}


def test_no_raw_secret_value_in_answers(built):
    import re

    for name, (d, answers) in built.items():
        text = (d / "answers.json").read_text()
        assert json.loads(text) == answers
        # every planted value is in the scenario's own files; none is in its answer key
        values = set()
        for p in [*d.glob("reports/*"), *d.glob("build-logs/*")]:
            values |= set(re.findall(r"(?:AKIA|ghp_|npm_|xoxb-|sk_live_|pypi-)[A-Za-z0-9_/+-]{12,}", p.read_text()))
        assert values, name
        for v in values:
            assert v not in text, f"{name}: a raw value in answers.json"
        for s in answers["secrets"]:
            assert "value" not in s and ("LEAKLAB" not in s["redacted"])


def test_every_secret_is_obviously_fake(built):
    for name, (d, _) in built.items():
        for f in leaklab.load(d / "reports").itertuples():
            assert f.redacted is not None
        text = "".join(p.read_text() for p in (d / "reports").iterdir())
        for rec in [json.loads(x) for x in (d / "reports" / "trufflehog.jsonl").read_text().splitlines()]:
            assert "LEAKLAB" in rec["Raw"] or "FAKE" in rec["Raw"], name
        assert "EXAMPLE" not in text, name


# --------------------------------------------------------------------------- the pipeline against the answer key


@pytest.mark.parametrize("name", NAMES)
def test_dedupe_finds_the_leaked_secrets(loaded, built, name):
    _, answers = built[name]
    secrets = loaded[name]["secrets"]
    by_sha = {s["secret_sha256"]: s for s in answers["secrets"]}
    by_sha1 = {s["secret_sha1"]: s for s in answers["secrets"]}
    got = {}
    for row in secrets.itertuples():
        s = by_sha.get(row.secret_sha256) or by_sha1.get(row.secret_sha1)
        assert s is not None, f"{row.secret_id} is not in the answer key"
        got[s["id"]] = row
    assert set(got) == {s["id"] for s in answers["secrets"] if s["found_by"]}
    for sid, row in got.items():
        s = next(x for x in answers["secrets"] if x["id"] == sid)
        assert row.secret_type == s["type"], sid
        assert row.tools == ", ".join(sorted(s["found_by"])), sid
        assert row.redacted == s["redacted"], sid
        assert (None if pd.isna(row.verified) else bool(row.verified)) == s["verified"], sid


def test_travis_findings_come_from_build_logs(loaded, built):
    d, answers = built["travis"]
    f = loaded["travis"]["findings"]
    assert set(f.loc[f["tool"] == "trufflehog", "source_kind"]) == {"ci-log"}
    files = set(f.loc[f["tool"] == "gitleaks", "file"])
    assert files == {b["file"] for b in answers["build_logs"]}
    assert all((d / x).is_file() for x in files)


@pytest.mark.parametrize("name", NAMES)
def test_exposure_windows_match_the_answer_key(loaded, built, name):
    _, answers = built[name]
    name_of = _namer(answers)
    w = loaded[name]["windows"]
    got = {name_of(c): r for c, r in zip(w["credential"], w.itertuples())}
    want = {x["id"]: x for x in answers["windows"]}
    assert set(got) == set(want)

    def days(lo, hi):
        return None if pd.isna(lo) else [int(lo), int(hi)]

    for cid, x in want.items():
        r = got[cid]
        assert r.exposed_from == pd.Timestamp(x["exposed_from"]), cid
        assert (None if pd.isna(r.detected_at) else r.detected_at) == (x["detected"] and pd.Timestamp(x["detected"])), cid
        assert (None if pd.isna(r.contained_at) else r.contained_at) == (x["contained"] and pd.Timestamp(x["contained"])), cid
        assert bool(r.open) == x["open"] and bool(r.lower_bound) == x["lower_bound"], cid
        assert days(r.window_days_min, r.window_days_max) == x["window_days"], cid
        assert days(r.ttd_days_min, r.ttd_days_max) == x["ttd_days"], cid
        assert days(r.ttc_days_min, r.ttc_days_max) == x["ttc_days"], cid


@pytest.mark.parametrize("name", NAMES)
def test_suspicious_uses_match_the_answer_key(loaded, built, name):
    _, answers = built[name]
    name_of = _namer(answers)
    uses = leaklab.usage_in_windows(loaded[name]["windows"], loaded[name]["usage"])
    uses = uses.assign(_who=[name_of(c) for c in uses["credential_id"]])
    assert set(uses["_who"]) == {u["id"] for u in answers["usage"]}
    for u in answers["usage"]:
        mine = uses[uses["_who"] == u["id"]]
        bad = mine[mine["suspicious"].fillna(False)]
        assert len(mine) == u["uses_in_window"], u["id"]
        assert len(bad) == u["suspicious_uses"], u["id"]
        assert sorted(set(bad["source_ip"])) == u["suspicious_ips"], u["id"]
        assert set(mine.loc[~mine["suspicious"].fillna(False), "source_ip"]) <= set(u["owner_ips"]), u["id"]


def _roots(grants, answers):
    name_of = _namer(answers)
    nodes = set(grants["source"].dropna()) | set(grants["target"].dropna())
    ids = {name_of(n): n for n in nodes if name_of(n) is not None}
    return [ids[r] for r in answers["blast"]["roots"]], name_of


@pytest.mark.parametrize("name", NAMES)
def test_blast_radius_matches_the_answer_key(loaded, built, name):
    _, answers = built[name]
    g = loaded[name]["grants"]
    roots, name_of = _roots(g, answers)
    r = leaklab.blast_radius(g, roots, windows=loaded[name]["windows"])
    got = {(name_of(c), name_of(a), int(h), res, p) for c, a, h, res, p in
           zip(r["credential"], r["acting_credential"], r["hops"], r["resource"], r["permission"])}
    want = {(x["root"], x["acting"], x["hops"], x["resource"], x["permission"]) for x in answers["blast"]["reach"]}
    assert got == want


@pytest.mark.parametrize("name", NAMES)
def test_pivot_chain_matches_the_answer_key(loaded, built, name):
    _, answers = built[name]
    g = loaded[name]["grants"]
    roots, name_of = _roots(g, answers)
    p = leaklab.blast_radius(g, roots, windows=loaded[name]["windows"], by="pivot")
    got = {(name_of(c), name_of(x), int(h), name_of(par), held, t) for c, x, h, par, held, t in
           zip(p["credential"], p["reached_credential"], p["hops"], p["parent"], p["held_in"], p["exposed_from"])}
    want = {(x["root"], x["reached"], x["hops"], x["parent"], x["held_in"], pd.Timestamp(x["exposed_from"]))
            for x in answers["blast"]["pivots"]}
    assert got == want
    if name in ("circleci", "slack"):
        assert want, "the issue asks for at least one pivot here"


def test_module_runs_from_the_command_line(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-m", "leaklab.scenarios", "toyota", str(tmp_path / "t")],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "t" / "answers.json").read_text())["scenario"] == "toyota"
    bad = subprocess.run([sys.executable, "-m", "leaklab.scenarios", "nope", str(tmp_path / "n")],
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "usage" in bad.stderr


def test_unknown_scenario_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown scenario"):
        scenarios.build("lastpass", tmp_path)
