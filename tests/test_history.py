"""Provenance from git against the demo's hand-written answer key, and hostile repositories."""

import subprocess

import pandas as pd
import pytest

import leaklab
from leaklab import fingerprint as fp
from leaklab import gitlog, schema
from leaklab.errors import LeakLabError


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    truth = leaklab.demo.build(out)
    return out, truth


def _secrets_of(truth):
    """A secrets frame holding every planted value, by fingerprint only."""
    return leaklab.dedupe(schema.build("findings", {
        "tool": ["test"] * len(truth["secrets"]),
        "secret_sha256": [s["secret_sha256"] for s in truth["secrets"]],
        "secret_sha1": [s["secret_sha1"] for s in truth["secrets"]],
    }))


def test_provenance_equals_the_answer_key(demo):
    out, truth = demo
    h = leaklab.history(out / "demo-repo", _secrets_of(truth)).set_index("secret_sha256")
    schema.validate(h.reset_index(), "history")
    for s in truth["secrets"]:
        want, got = s["history"], h.loc[s["secret_sha256"]]
        assert got.in_history, s["id"]
        assert got.introduced_commit == want["introduced_commit"], s["id"]
        assert got.introduced_author == want["introduced_author"], s["id"]
        assert got.introduced_author_time == pd.Timestamp(want["introduced_time"]).tz_convert("UTC"), s["id"]
        assert got.introduced_file == want["introduced_file"], s["id"]
        assert got.files.split(", ") == want["files"], s["id"]
        assert _names(got.refs) == want["refs"], s["id"]
        assert _names(got.present_refs) == want["present_refs"], s["id"]
        assert got.still_in_head == want["still_in_head"], s["id"]
        assert (None if pd.isna(got.removed_commit) else got.removed_commit) == want["removed_commit"], s["id"]
        if want["removed_time"]:
            assert got.removed_time == pd.Timestamp(want["removed_time"]).tz_convert("UTC")


def _names(v):
    return [] if pd.isna(v) else v.split(", ")


def test_per_ref_view_shows_the_merge_and_the_unmerged_branch(demo):
    out, truth = demo
    r = leaklab.history(out / "demo-repo", _secrets_of(truth), by="ref")
    schema.validate(r, "history_refs")
    by = {s["id"]: s for s in truth["secrets"]}
    db = r[(r.secret_id == by["db-url"]["secret_sha256"]) & (r.ref == "main")].iloc[0]
    assert db.entered_commit == by["db-url"]["history"]["entered_main_commit"] and db.present_at_tip
    pat = r[r.secret_id == by["github-pat"]["secret_sha256"]].set_index("ref")
    assert pat.reachable.to_dict() == {"feature/db": False, "feature/release-bot": True, "main": False}


def test_reader_findings_and_sha1_only_rows(demo):
    """From real-format reports: detect-secrets' SHA-1-only 'changeme' is found by hashing candidates."""
    out, truth = demo
    h = leaklab.history(out / "demo-repo", leaklab.load(out / "reports"))
    pw = next(s for s in truth["secrets"] if s["id"] == "placeholder-password")
    row = h[h.secret_id == "sha1:" + pw["secret_sha1"]].iloc[0]
    assert row.in_history and row.introduced_file == "docs/example.env" and row.still_in_head


def test_unknown_secret_is_reported_absent(demo):
    out, _ = demo
    f = schema.build("findings", {"tool": ["x"], "secret_sha256": [fp.sha256("FAKE-never-committed-0001")]})
    h = leaklab.history(out / "demo-repo", f)
    assert not h.in_history.iloc[0] and pd.isna(h.introduced_commit.iloc[0]) and not h.still_in_head.iloc[0]


def test_not_a_repository(tmp_path):
    with pytest.raises(LeakLabError, match="not a git repository"):
        leaklab.history(tmp_path, schema.empty("secrets"))


# --------------------------------------------------------------------------- hostile and odd repositories

def test_hostile_repository_runs_nothing(hostile):
    repo, marker, SECRET = hostile
    # Control: plain git does run the repository's commands, so the trap is armed.
    subprocess.run(["git", "-C", str(repo), "log", "-p"], capture_output=True)
    assert marker.exists()
    marker.unlink()
    f = schema.build("findings", {"tool": ["x"], "secret_sha256": [fp.sha256(SECRET)]})
    h = leaklab.history(repo, f)
    assert not marker.exists(), "a command from the scanned repository ran"
    row = h.iloc[0]
    assert row.in_history and row.still_in_head
    files = row.files.split(", ")
    assert "app.py" in files and "caf\xe9-\ufffd.py" in files  # the non-UTF-8 byte shown as U+FFFD, as the tools do
    assert "data.bin" not in files and "big.txt" not in files  # binary and over-size blobs are not read


def test_bare_and_shallow_clones(tmp_path, demo):
    out, truth = demo
    src = out / "demo-repo"
    bare, shallow = tmp_path / "bare.git", tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(bare)], check=True)
    subprocess.run(["git", "clone", "-q", "--depth", "2", "--no-local", f"file://{src}", str(shallow)], check=True)
    secrets = _secrets_of(truth)
    h = leaklab.history(bare, secrets).set_index("secret_sha256")
    key = next(s for s in truth["secrets"] if s["id"] == "stripe-live")
    assert h.loc[key["secret_sha256"]].introduced_commit == key["history"]["introduced_commit"]
    s = leaklab.history(shallow, secrets).set_index("secret_sha256")
    # A shallow clone only knows its last commits: the stripe key seems to enter at the graft.
    assert s.loc[key["secret_sha256"]].still_in_head and s.loc[key["secret_sha256"]].in_history


def test_one_pass_however_many_secrets(demo, monkeypatch):
    out, truth = demo
    calls = []
    real = gitlog.commits
    monkeypatch.setattr(gitlog, "commits", lambda *a, **k: calls.append(1) or real(*a, **k))
    many = schema.build("findings", {"tool": ["x"] * 500, "secret_sha256": [fp.sha256(f"FAKE{i:06d}") for i in range(500)]})
    leaklab.history(out / "demo-repo", many)
    assert calls == [1]


def test_unquote_path():
    assert gitlog.unquote_path('"a\\tb\\303\\251.py"') == "a\tbé.py"
    assert gitlog.unquote_path("plain/path.py") == "plain/path.py"
    assert gitlog.unquote_path('"\\377x"') == "\udcffx"


def test_tags_are_refs_too(demo, tmp_path):
    out, truth = demo
    repo = tmp_path / "tagged"
    subprocess.run(["git", "clone", "-q", str(out / "demo-repo"), str(repo)], check=True)
    before_removal = truth["commits"][4]["sha"]  # "Notify Slack on deploy": the AWS key is still there
    subprocess.run(["git", "-C", str(repo), "tag", "v0.1", before_removal], check=True)
    key = next(s for s in truth["secrets"] if s["id"] == "aws-key-id")
    r = leaklab.history(repo, _secrets_of(truth), by="ref")
    row = r[(r.secret_id == key["secret_sha256"]) & (r.ref == "tag:v0.1")].iloc[0]
    assert row.reachable and row.present_at_tip and pd.isna(row.removed_commit)
    h = leaklab.history(repo, _secrets_of(truth)).set_index("secret_sha256")
    assert "tag:v0.1" in h.loc[key["secret_sha256"]].present_refs
