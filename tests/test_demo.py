"""The demo incident: deterministic, committed copy up to date, and readable by the readers."""

import filecmp
import json
from pathlib import Path

import pytest

import leaklab

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return out, leaklab.demo.build(out)


def test_same_seed_same_bytes(built, tmp_path):
    out, truth = built
    again = leaklab.demo.build(tmp_path)
    assert again == truth
    cmp = filecmp.dircmp(out / "reports", tmp_path / "reports")
    assert cmp.left_only == cmp.right_only == cmp.diff_files == []


def test_committed_data_is_current(built):
    """data/ in the repository must be exactly what `leaklab demo data` writes."""
    out, _ = built
    written = [p.relative_to(out) for p in out.rglob("*") if p.is_file() and "demo-repo" not in p.parts]
    assert len(written) > 20
    for rel in written:
        assert (ROOT / "data" / rel).read_bytes() == (out / rel).read_bytes(), f"data/{rel} is stale: run `leaklab demo data`"


def test_other_seed_other_secrets(built, tmp_path):
    _, truth = built
    other = leaklab.demo.build(tmp_path, seed=8)
    assert {s["secret_sha256"] for s in other["secrets"]} != {s["secret_sha256"] for s in truth["secrets"]}


def test_repository_history_matches_the_story(built):
    import git

    out, truth = built
    repo = git.Repo(out / "demo-repo")
    assert repo.head.commit.hexsha == truth["head"]
    assert not repo.is_dirty(untracked_files=True)
    assert sorted(h.name for h in repo.heads) == ["feature/db", "feature/release-bot", "main"]
    merge = [c for c in repo.iter_commits("main") if len(c.parents) == 2]
    assert [c.summary for c in merge] == ["Merge branch 'feature/db'"]
    head_files = {b.path for b in repo.head.commit.tree.traverse() if b.type == "blob"}
    assert "config/deploy.env" in head_files and "app/billing.py" not in head_files and "ci/release.py" not in head_files


def test_reports_load_and_dedupe_to_the_ground_truth(built):
    out, truth = built
    findings = leaklab.load(out / "reports")
    leaklab.validate(findings, "findings")
    assert set(findings["tool"]) == {"gitleaks", "trufflehog", "detect-secrets", "noseyparker", "github"}
    secrets = leaklab.dedupe(findings)
    planted = {s["secret_sha256"]: s for s in truth["secrets"]}
    by_sha1 = {s["secret_sha1"]: s for s in truth["secrets"]}
    found = {}
    for row in secrets.itertuples():
        s = planted.get(row.secret_sha256) or by_sha1.get(row.secret_sha1)
        assert s is not None, f"{row.secret_id} was not planted"
        found[s["id"]] = row
    # every planted value some tool reports is found, typed as planted, and nothing is invented
    assert set(found) == {s["id"] for s in truth["secrets"]} - {"aws-secret"}  # no tool's primary value
    for sid, row in found.items():
        assert row.secret_type == planted_type(truth, sid), sid
    assert found["stripe-live"].tools == "detect-secrets, github, gitleaks, trufflehog"
    assert found["aws-key-id"].verified == True  # noqa: E712  (TruffleHog and GitHub say live)
    assert found["aws-doc-example"].labels == "false_positive"


def planted_type(truth, sid):
    return next(s["type"] for s in truth["secrets"] if s["id"] == sid)


def test_no_raw_value_in_the_frames(built):
    out, truth = built
    findings = leaklab.load(out / "reports")
    text = findings.to_csv() + leaklab.dedupe(findings).to_csv()
    raw = json.loads((out / "ground_truth.json").read_text())
    assert "value" not in json.dumps(raw["secrets"][0])  # the answer key holds fingerprints only
    for s in leaklab.demo._secrets(truth["seed"]).values():
        assert s.value.splitlines()[0] not in text
