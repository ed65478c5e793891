import pandas as pd

import leaklab
from leaklab import fingerprint as fp
from leaklab import schema


def findings(**cols):
    return schema.build("findings", cols)


def test_joins_across_tools_on_sha256_and_bridges_sha1_only_rows():
    a, b = "AKIALEAKLABFAKE00001", "FAKEother-secret-value-000000"
    f = findings(
        tool=["gitleaks", "trufflehog", "detect-secrets", "detect-secrets"],
        secret_sha256=[fp.sha256(a), fp.sha256(a), None, None],
        secret_sha1=[fp.sha1(a), fp.sha1(a), fp.sha1(a), fp.sha1(b)],
        secret_type=["aws-access-key", "aws-access-key", "generic-api-key", "password"],
        file=["x.env", "x.env", "y.env", "z.py"],
        line=[3, 3, 1, 9],
        verified=pd.array([None, True, None, None], dtype="boolean"),
        commit_time=[pd.Timestamp("2023-01-02", tz="UTC"), pd.Timestamp("2023-01-05", tz="UTC"), None, None],
    )
    s = leaklab.dedupe(f)
    schema.validate(s, "secrets")
    assert len(s) == 2
    top = s.iloc[0]
    assert top.secret_id == fp.sha256(a) and top.tools == "detect-secrets, gitleaks, trufflehog"
    assert (top.n_tools, top.n_findings, top.n_locations) == (3, 3, 2)
    assert top.secret_type == "aws-access-key"  # the specific type wins over generic ones
    assert top.verified == True  # noqa: E712
    assert top.first_commit_time == pd.Timestamp("2023-01-02", tz="UTC")
    assert top.last_commit_time == pd.Timestamp("2023-01-05", tz="UTC")
    other = s.iloc[1]
    assert other.secret_id == "sha1:" + fp.sha1(b) and pd.isna(other.secret_sha256) and pd.isna(other.verified)


def test_unhashable_rows_are_kept_apart_not_merged():
    f = findings(tool=["gitleaks", "gitleaks"], tool_fingerprint=["c:a.py:r:1", "c:b.py:r:2"], redacted=["(redacted by tool)"] * 2)
    s = leaklab.dedupe(f)
    assert len(s) == 2 and s["secret_id"].str.startswith("unhashed:gitleaks:").all()


def test_verified_false_only_when_some_tool_said_dead_and_none_live():
    h = fp.sha256("FAKE-x")
    f = findings(tool=["a", "b"], secret_sha256=[h, h], verified=pd.array([False, None], dtype="boolean"))
    assert leaklab.dedupe(f)["verified"].iloc[0] == False  # noqa: E712


def test_empty_and_input_untouched():
    assert leaklab.dedupe(schema.empty("findings")).empty
    f = findings(tool=["a"], secret_sha256=["00"])
    before = f.copy()
    leaklab.dedupe(f)
    pd.testing.assert_frame_equal(f, before)


def test_locations_ignore_how_each_tool_names_the_repository():
    h = fp.sha256("FAKE-same-place-0001")
    f = findings(tool=["gitleaks", "noseyparker", "detect-secrets"], secret_sha256=[h, h, h],
                 repo=["github.com/o/r", "./.git", None], file=["a.py"] * 3, line=[3, 3, 3])
    assert leaklab.dedupe(f)["n_locations"].iloc[0] == 1
