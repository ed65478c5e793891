"""The built-in scanner on the demo repository, odd repositories and a hostile one."""

import subprocess

import pandas as pd
import pytest

import leaklab
from leaklab import schema


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return out, leaklab.demo.build(out)


def test_finds_every_planted_secret_and_marks_the_decoys(demo):
    out, truth = demo
    f = leaklab.scan(out / "demo-repo", progress=False)
    schema.validate(f, "findings")
    assert set(f["tool"]) == {"leaklab"} and f.loc[f.source_kind == "git", "commit"].notna().all()
    found = dict(zip(f["secret_sha256"], f["validity"]))
    for s in truth["secrets"]:
        assert s["secret_sha256"] in found, s["id"]
    status = {s["id"]: found[s["secret_sha256"]] for s in truth["secrets"]}
    assert status["aws-doc-example"] == "example" and status["placeholder-password"] == "placeholder"
    assert all(pd.isna(v) or v.startswith("checksum") for k, v in status.items() if k not in ("aws-doc-example", "placeholder-password"))
    # every commit that added a planted value is reported at the right file and line
    got = set(zip(f["commit"], f["file"], f["line"]))
    for s in truth["secrets"]:
        for loc in s["locations"]:
            assert (loc["commit"], loc["file"], loc["line"]) in got, (s["id"], loc)


def test_working_tree_only_and_a_plain_directory(demo, tmp_path):
    out, truth = demo
    tree = leaklab.scan(out / "demo-repo", history=False, progress=False)
    assert set(tree["source_kind"]) == {"filesystem"} and tree["commit"].isna().all()
    assert "ci/release.py" not in set(tree["file"])  # the unmerged branch is not checked out
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "cfg.env").write_text("STRIPE=sk_live_" + "LEAKLABFAKE" + "x" * 13 + "\n")
    assert leaklab.scan(plain, history=False, progress=False)["file"].tolist() == ["cfg.env"]
    with pytest.raises(leaklab.LeakLabError, match="not a git repository"):
        leaklab.scan(plain, history=True, progress=False)


def test_bare_repository_scans_head_tree_and_history(demo, tmp_path):
    out, _ = demo
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(out / "demo-repo"), str(bare)], check=True)
    f = leaklab.scan(bare, progress=False)
    assert {"filesystem", "git"} == set(f["source_kind"])
    assert "keys/deploy_id_ed25519" in set(f.loc[f.source_kind == "filesystem", "file"])


def test_hostile_repository(hostile):
    repo, marker, token = hostile
    f = leaklab.scan(repo, progress=False)
    assert not marker.exists(), "a command from the scanned repository ran"
    assert "app.py" in set(f["file"]) and f["secret_sha256"].eq(leaklab.fingerprint.sha256(token)).any()
    reasons = {s["file"]: s["reason"] for s in f.attrs["skipped"]}
    assert reasons["data.bin"] == "binary" and reasons["big.txt"].startswith("larger than")


def test_extra_rules_file(tmp_path, demo):
    out, _ = demo
    extra = tmp_path / "mine.toml"
    extra.write_text('[[rule]]\nid = "acme-internal"\ntype = "generic-api-key"\ndescription = "ACME internal token"\n'
                     "regex = '''\\b(acme_[a-z0-9]{20})\\b'''\nsecret_group = 1\nkeywords = [\"acme_\"]\n")
    (out / "demo-repo" / "notes.txt").write_text("token acme_" + "a1" * 10 + "\n")
    try:
        f = leaklab.scan(out / "demo-repo", history=False, rules=extra, progress=False)
    finally:
        (out / "demo-repo" / "notes.txt").unlink()
    assert f.loc[f.file == "notes.txt", "rule_id"].tolist() == ["acme-internal"]


def test_no_raw_value_in_the_frame(demo):
    out, truth = demo
    text = leaklab.scan(out / "demo-repo", progress=False).to_csv()
    for s in leaklab.demo._secrets(truth["seed"]).values():
        assert s.value.splitlines()[0] not in text
