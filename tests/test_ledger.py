import hashlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

import leaklab
from leaklab import fingerprint as fp
from leaklab import schema
from leaklab.errors import LeakLabError, LeakLabWarning
from leaklab.ledger import IMPORT_LABELS, LABELS, MEANINGS, UNDO, Ledger

ROOT = Path(__file__).resolve().parent.parent
A = fp.sha256("AKIALEAKLABFAKE00001")
B = fp.sha256("ghp_LEAKLABFAKE0000000000000000000000002")
C = fp.sha256("xoxb-LEAKLABFAKE-0003")


def t(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


def lines(path) -> list[bytes]:
    return Path(path).read_bytes().split(b"\n")[:-1]


def findings(**cols):
    return schema.build("findings", cols)


# --------------------------------------------------------------------------- record, undo, current


def test_labels_are_the_documented_seven_and_undo_is_apart():
    assert LABELS == ("true_positive", "false_positive", "test_credential", "revoked", "rotated", "accepted_risk", "needs_info")
    assert set(MEANINGS) == set(LABELS) and UNDO == "undo" and UNDO not in LABELS
    assert set(IMPORT_LABELS.values()) <= set(LABELS)


def test_record_writes_one_entry_per_id_and_creates_parent_dirs(tmp_path):
    path = tmp_path / "case" / "deep" / "triage.jsonl"
    led = Ledger(path, analyst="ana")
    assert not path.exists() and led.entries().empty  # reading never creates the file
    out = led.record([A, "sha1:" + "AB" * 20], "false_positive", "example value", evidence="https://t/1", time="2024-05-01T09:00:00+02:00")
    schema.validate(out, "ledger")
    assert path.exists()
    assert out["secret_id"].tolist() == [A, "sha1:" + "ab" * 20]  # hex normalised to lower case
    assert out["line"].tolist() == [1, 2]
    assert (out["time"] == t("2024-05-01T07:00:00")).all()  # stored in UTC
    assert out["analyst"].tolist() == ["ana", "ana"] and out["source"].tolist() == ["leaklab"] * 2
    assert out["evidence"].tolist() == ["https://t/1"] * 2 and out["undoes"].isna().all()
    e = led.entries()
    schema.validate(e, "ledger")
    pd.testing.assert_frame_equal(e, out, check_like=False)


def test_file_format_is_sorted_compact_versioned_and_self_hashing(tmp_path):
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    led.record(A, "needs_info", "ask the owner", time="2024-05-01T09:00:00Z")
    (raw,) = lines(led.path)
    obj = json.loads(raw)
    assert raw == json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    assert obj["v"] == 1 and obj["time"] == "2024-05-01T09:00:00.000000Z"
    body = {k: v for k, v in obj.items() if k != "entry_id"}
    assert obj["entry_id"] == hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert set(obj) == {"v", "entry_id", "secret_id", "label", "reason", "analyst", "time", "evidence", "undoes", "source"}


def test_identical_decision_at_the_same_time_is_written_once(tmp_path):
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    first = led.record(A, "revoked", "done", time="2024-05-01T09:00:00Z")
    again = led.record(A, "revoked", "done", time="2024-05-01T09:00:00Z")  # a retried append
    assert again.empty and again.attrs["already_present"] == first["entry_id"].tolist()
    other = led.record(A, "revoked", "done", time="2024-05-01T09:00:01Z")
    assert other["entry_id"].iloc[0] != first["entry_id"].iloc[0]
    assert len(led.entries()) == 2


def test_analyst_defaults_to_constructor_then_login(tmp_path, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "login-name")
    assert Ledger(tmp_path / "a.jsonl").record(A, "true_positive")["analyst"].iloc[0] == "login-name"
    led = Ledger(tmp_path / "b.jsonl", analyst="ana")
    assert led.record(A, "true_positive")["analyst"].iloc[0] == "ana"
    assert led.record(B, "true_positive", analyst="bo")["analyst"].iloc[0] == "bo"

    def nobody():
        raise KeyError("no passwd entry")

    monkeypatch.setattr("getpass.getuser", nobody)
    with pytest.raises(LeakLabError, match="analyst="):
        Ledger(tmp_path / "c.jsonl").record(A, "true_positive")


def test_time_defaults_to_now_in_utc(tmp_path):
    before = pd.Timestamp.now(tz="UTC").floor("us")
    got = Ledger(tmp_path / "l.jsonl", analyst="ana").record(A, "true_positive")["time"].iloc[0]
    assert before <= got <= pd.Timestamp.now(tz="UTC") and str(got.tz) == "UTC"


def test_bad_input_is_refused_without_quoting_it(tmp_path):
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    with pytest.raises(LeakLabError, match="expected one of: true_positive, false_positive, .*needs_info") as e:
        led.record(A, "Fixed-By-Me")
    assert "Fixed-By-Me" not in str(e.value)
    with pytest.raises(LeakLabError, match="expected one of"):
        led.record(A, UNDO)  # undo only through undo()
    raw = "ghp_LEAKLABFAKE0000000000000000000000002"
    with pytest.raises(LeakLabError, match="not a fingerprint") as e:
        led.record(raw, "true_positive")  # the raw secret instead of its fingerprint
    assert raw not in str(e.value)
    with pytest.raises(LeakLabError, match="timezone"):
        led.record(A, "true_positive", time="2024-05-01 09:00")
    with pytest.raises(LeakLabError, match="time"):
        led.record(A, "true_positive", time="not a time")
    with pytest.raises(LeakLabError, match="reason"):
        led.record(A, "true_positive", reason=42)
    with pytest.raises(LeakLabError, match="must be a string"):
        led.record([A, None], "true_positive")
    assert not Path(led.path).exists()  # nothing was written by any refused call
    assert led.record([], "true_positive").empty and not Path(led.path).exists()


def test_undo_falls_back_to_the_decision_before(tmp_path):
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    tp = led.record(A, "true_positive", "live", time="2024-05-01T09:00:00Z")["entry_id"].iloc[0]
    rv = led.record(A, "revoked", "wrong key", time="2024-05-01T10:00:00Z")["entry_id"].iloc[0]
    led.record(B, "false_positive", "placeholder", time="2024-05-01T10:00:00Z")

    u1 = led.undo(A, "meant another key", analyst="bo", time="2024-05-01T11:00:00Z")
    assert u1["label"].iloc[0] == UNDO and u1["undoes"].iloc[0] == rv and u1["analyst"].iloc[0] == "bo"
    cur = led.current().set_index("secret_id")
    assert cur.loc[A, "label"] == "true_positive" and cur.loc[A, "entry_id"] == tp and cur.loc[A, "n_entries"] == 3

    # Undo takes back decisions, never the previous undo: the second one takes back tp.
    u2 = led.undo(A, time="2024-05-01T12:00:00Z")
    assert u2["undoes"].iloc[0] == tp
    cur = led.current()
    assert cur["secret_id"].tolist() == [B]  # every decision about A was undone: absent
    with pytest.raises(LeakLabError, match="nothing to undo"):
        led.undo(A)
    with pytest.raises(LeakLabError, match="nothing to undo"):
        Ledger(tmp_path / "missing.jsonl", analyst="ana").undo(A)
    assert not (tmp_path / "missing.jsonl").exists()

    led.record(A, "rotated", "new key issued", time="2024-05-02T09:00:00Z")  # a new decision after undos
    assert led.current().set_index("secret_id").loc[A, ["label", "n_entries"]].tolist() == ["rotated", 5]


def test_current_replays_by_file_order_deterministically(tmp_path):
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    same = "2024-05-01T09:00:00Z"
    led.record(A, "needs_info", "ask", time=same)
    led.record(A, "true_positive", "owner confirmed", time=same)  # same time: the later line wins
    led.record(B, "true_positive", "live", time="2024-06-01T00:00:00Z")
    led.record(B, "false_positive", "re-checked", time="2024-01-01T00:00:00Z")  # earlier time, later line: wins
    led.record(C, "revoked", "x", time=same)
    led.undo(C, time=same)
    led.record([A, C], "rotated", "batch", analyst="bo", time="2024-05-03T00:00:00Z")
    led.undo(A, time="2024-05-04T00:00:00Z")  # back to A's true_positive

    first, second = led.current(), led.current()
    pd.testing.assert_frame_equal(first, second)
    expected = pd.DataFrame({
        "secret_id": [A, B, C],
        "label": ["true_positive", "false_positive", "rotated"],
        "reason": ["owner confirmed", "re-checked", "batch"],
        "analyst": ["ana", "ana", "bo"],
        "line": [2, 4, 8],
        "n_entries": [4, 2, 3],
    })
    got = first[["secret_id", "label", "reason", "analyst", "line", "n_entries"]].astype(object)
    pd.testing.assert_frame_equal(got, expected.astype(object))
    assert list(first.columns) == ["secret_id", "label", "reason", "analyst", "time", "evidence", "source", "entry_id", "line",
                                   "n_entries", "severity", "severity_analyst"]
    assert first["severity"].isna().all()  # no decision carried an override


# --------------------------------------------------------------------------- severity overrides


def test_severity_override_is_stored_only_when_given_and_validated(tmp_path):
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    plain = led.record(A, "true_positive", "live", time="2024-05-01T09:00:00Z")
    over = led.record(B, "true_positive", "prod", severity="critical", time="2024-05-01T09:00:00Z")
    schema.validate(over, "ledger")
    assert plain["severity"].isna().all() and over["severity"].tolist() == ["critical"]
    first, second = (json.loads(r) for r in lines(led.path))
    assert "severity" not in first and second["severity"] == "critical"  # old-format ids stay stable
    body = {k: v for k, v in second.items() if k != "entry_id"}
    assert second["entry_id"] == hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    # The same decision with and without an override are two different entries.
    assert led.record(A, "true_positive", "live", severity="low", time="2024-05-01T09:00:00Z")["entry_id"].iloc[0] \
        != plain["entry_id"].iloc[0]
    with pytest.raises(LeakLabError, match="unknown severity; expected one of: critical, high, medium, low, info") as e:
        led.record(C, "true_positive", severity="Sev1-URGENT")
    assert "Sev1-URGENT" not in str(e.value)
    assert led.entries()["severity"].fillna("-").tolist() == ["-", "critical", "low"]


def hand_written(path, **fields):
    """Append a line with a valid entry_id, as a hand edit or another tool would."""
    body = {"v": 1, "secret_id": A, "label": "true_positive", "reason": "", "analyst": "x",
            "time": "2024-05-01T09:00:00.000000Z", "evidence": None, "undoes": None, "source": "leaklab", **fields}
    body["entry_id"] = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    with open(path, "a") as fh:
        fh.write(json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n")
    return body


def test_current_severity_is_the_override_still_in_force(tmp_path):
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    led.record(A, "true_positive", "live", severity="high", time="2024-05-01T09:00:00Z")
    led.record(A, "true_positive", "prod data", severity="critical", analyst="bo", time="2024-05-01T10:00:00Z")
    led.record(A, "true_positive", "owner confirmed", time="2024-05-01T10:30:00Z")  # same label: bo's override holds
    led.record(B, "needs_info", time="2024-05-01T09:00:00Z")
    cur = led.current().set_index("secret_id")
    assert cur.loc[A, ["label", "severity", "severity_analyst"]].tolist() == ["true_positive", "critical", "bo"]
    assert pd.isna(cur.loc[B, "severity"]) and pd.isna(cur.loc[B, "severity_analyst"])
    assert str(cur["severity"].dtype) == "string"
    led.record(A, "needs_info", "is it prod after all?", time="2024-05-01T11:00:00Z")  # another label, no override
    assert pd.isna(led.current().set_index("secret_id").loc[A, "severity"])
    led.undo(A, time="2024-05-01T12:00:00Z")  # takes back needs_info: the override is in force again
    assert led.current().set_index("secret_id").loc[A, "severity"] == "critical"
    led.undo(A, time="2024-05-01T12:00:01Z")  # takes back "owner confirmed"
    led.undo(A, time="2024-05-01T12:00:02Z")  # takes back bo's "critical"
    cur = led.current().set_index("secret_id")
    assert cur.loc[A, ["label", "severity", "severity_analyst"]].tolist() == ["true_positive", "high", "ana"]
    led.record(A, "needs_info", "waiting on logs", severity="low", analyst="cy", time="2024-05-01T13:00:00Z")
    cur = led.current().set_index("secret_id")  # another label that carries its own override
    assert cur.loc[A, ["label", "severity", "severity_analyst"]].tolist() == ["needs_info", "low", "cy"]
    led.undo(A, time="2024-05-01T13:00:01Z")
    led.undo(A, time="2024-05-01T13:00:02Z")
    assert A not in set(led.current()["secret_id"])


@pytest.mark.parametrize("closed", sorted(leaklab.ledger.CLOSED))
def test_a_no_action_label_ends_the_override_and_takes_none(tmp_path, closed):
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    led.record(A, "true_positive", "prod", severity="critical", time="2024-05-01T09:00:00Z")
    led.record(A, closed, "after all", time="2024-05-01T10:00:00Z")
    cur = led.current().set_index("secret_id")
    assert cur.loc[A, "label"] == closed and pd.isna(cur.loc[A, "severity"]) and pd.isna(cur.loc[A, "severity_analyst"])
    with pytest.raises(LeakLabError, match="takes no severity override"):
        led.record(B, closed, "sandbox", severity="info")
    assert len(led.entries()) == 2  # the refused call wrote nothing
    # A line another tool (or an older leaklab) wrote is read, but its override is not applied.
    hand_written(led.path, secret_id=C, label=closed, severity="high")
    cur = led.current().set_index("secret_id")
    assert cur.loc[C, "label"] == closed and pd.isna(cur.loc[C, "severity"])


def test_a_hand_written_bad_severity_is_skipped(tmp_path):
    path = tmp_path / "l.jsonl"
    body = {"v": 1, "secret_id": A, "label": "true_positive", "reason": "", "analyst": "x", "severity": "sev0",
            "time": "2024-05-01T09:00:00.000000Z", "evidence": None, "undoes": None, "source": "leaklab"}
    body["entry_id"] = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    path.write_text(json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n")
    with pytest.warns(LeakLabWarning, match="line 1: unknown severity") as w:
        assert Ledger(path).entries().empty
    assert "sev0" not in str(w[0].message)


# --------------------------------------------------------------------------- apply


def test_apply_carries_labels_across_a_rescan_that_moved_the_secret(tmp_path):
    scan1 = findings(tool=["gitleaks", "gitleaks"], secret_sha256=[A, B], secret_sha1=[fp.sha1("a"), fp.sha1("b")],
                     file=["config/aws.env", "README.md"], line=[3, 10])
    scan2 = findings(tool=["gitleaks", "trufflehog", "gitleaks"], secret_sha256=[A, A, C], secret_sha1=[fp.sha1("a")] * 2 + [None],
                     file=["deploy/moved.env", "deploy/moved.env", "new.py"], line=[41, 41, 1])
    s1, s2 = leaklab.dedupe(scan1), leaklab.dedupe(scan2)
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    led.record(s1.loc[s1.files == "config/aws.env", "secret_id"].tolist(), "revoked", "disabled", time="2024-05-01T09:00:00Z")
    led.record(s1.loc[s1.files == "README.md", "secret_id"].tolist(), "false_positive", "doc example", time="2024-05-01T09:00:00Z")

    before = s2.copy()
    out = led.apply(s2)
    pd.testing.assert_frame_equal(s2, before)  # input untouched
    assert out is not s2 and list(out.columns) == list(s2.columns) + ["triage_label", "triage_reason", "triage_analyst", "triage_time"]
    by = out.set_index("secret_id")
    assert by.loc[A, "files"] == "deploy/moved.env"
    assert (by.loc[A, "triage_label"], by.loc[A, "triage_reason"], by.loc[A, "triage_analyst"]) == ("revoked", "disabled", "ana")
    assert by.loc[A, "triage_time"] == t("2024-05-01T09:00:00")
    assert pd.isna(by.loc[C, "triage_label"]) and pd.isna(by.loc[C, "triage_time"])  # undecided
    assert str(out["triage_label"].dtype) == "string" and str(out["triage_time"].dtype) == schema.UTC_TIME


def test_sha1_only_decisions_match_rows_by_secret_sha1(tmp_path):
    value = "FAKE-password-LEAKLAB-01"
    baseline = findings(tool=["detect-secrets"], secret_sha1=[fp.sha1(value)], file=["a.cfg"], line=[2])
    s_ds = leaklab.dedupe(baseline)
    assert s_ds["secret_id"].iloc[0] == "sha1:" + fp.sha1(value)
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    led.record(s_ds["secret_id"].iloc[0], "test_credential", "fixture password", time="2024-05-01T09:00:00Z")

    # A later scan by a tool that had the value: secret_id is now its SHA-256.
    rescan = leaklab.dedupe(findings(tool=["gitleaks", "gitleaks"], secret_sha256=[fp.sha256(value), B],
                                     secret_sha1=[fp.sha1(value), fp.sha1("other")], file=["b.cfg", "c.cfg"], line=[9, 1]))
    out = led.apply(rescan).set_index("secret_id")
    assert out.loc[fp.sha256(value), "triage_label"] == "test_credential"
    assert pd.isna(out.loc[B, "triage_label"])

    # A decision keyed by SHA-256 matches a findings frame (no secret_id column) by secret_sha256.
    led.record(fp.sha256(value), "revoked", "rotated out", time="2024-04-01T00:00:00Z")  # later line, earlier time
    f = findings(tool=["gitleaks", "detect-secrets"], secret_sha256=[fp.sha256(value), None], secret_sha1=[None, fp.sha1(value)])
    got = led.apply(f)
    assert got["triage_label"].tolist() == ["revoked", "test_credential"]
    # Both keys match the first scan's row: the latest line in the file wins.
    assert led.apply(rescan).set_index("secret_id").loc[fp.sha256(value), "triage_label"] == "revoked"


def test_apply_on_an_empty_ledger_and_a_frame_without_keys(tmp_path):
    led = Ledger(tmp_path / "none.jsonl", analyst="ana")
    s = leaklab.dedupe(findings(tool=["gitleaks"], secret_sha256=[A]))
    out = led.apply(s)
    assert out["triage_label"].isna().all() and len(out) == 1
    with pytest.raises(LeakLabError, match="secret_id"):
        led.apply(pd.DataFrame({"x": [1]}))


# --------------------------------------------------------------------------- imports


def test_import_detect_secrets_baseline_labels(tmp_path, fixtures):
    f = leaklab.load(fixtures / "detect-secrets" / "baseline_1x.json")
    led = Ledger(tmp_path / "l.jsonl", analyst="importer")
    out = led.import_labels(f, time="2024-05-01T09:00:00Z")
    got = sorted(zip(out["secret_id"], out["label"], strict=True))
    assert got == [("sha1:4d9797475319b216ac0d0c369f8ed1bb8e19eba7", "true_positive"),
                   ("sha1:4e86c54a15417512e334496fe6d45e3e3ba9f08e", "false_positive")]  # two rows, one secret, one entry
    assert set(out["source"]) == {"detect-secrets"} and set(out["analyst"]) == {"importer"}
    assert all(r.startswith("imported from detect-secrets ") and "baseline_1x.json" in r for r in out["reason"])
    assert led.import_labels(f).empty  # re-import: nothing new, even at another time
    assert led.import_labels(f, time="2024-05-01T09:00:00Z").attrs["already_present"] == out["entry_id"].tolist()
    assert len(led.entries()) == 2

    # The labels land on the deduplicated frame of the same baseline.
    applied = led.apply(leaklab.dedupe(f)).set_index("secret_id")
    assert applied.loc["sha1:4e86c54a15417512e334496fe6d45e3e3ba9f08e", "triage_label"] == "false_positive"
    assert pd.isna(applied.loc["sha1:21716e5d92267d2f12f159227a7879af6ff32f6e", "triage_label"])  # not audited


def test_import_detect_secrets_audit_report_keys_by_sha256(tmp_path, fixtures):
    f = leaklab.load(fixtures / "detect-secrets" / "audit_report.json")
    out = Ledger(tmp_path / "l.jsonl", analyst="ana").import_labels(f)
    assert dict(zip(out["secret_id"], out["label"], strict=True)) == {
        "123e121740917a0dce675660a2866cc782ebdc443615faa1c1407c58e229f7cf": "true_positive",
        "2b4e460bd27889dadc1f38bb2fa62118b87e0399fc584fc142e60acd383f5e04": "false_positive",
    }


def test_import_github_resolutions(tmp_path, fixtures):
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    repo = leaklab.load(fixtures / "github" / "repo_alerts.json")
    # Alert #6 (wont_fix) carries no secret value: nothing to key it by, so it is counted.
    with pytest.warns(LeakLabWarning, match=r"1 labelled row\(s\) without a fingerprint"):
        out = led.import_labels(repo)
    assert dict(zip(out["secret_id"], out["label"], strict=True)) == {fp.sha256("sk_test_FAKELEAKLAB000000000000005"): "test_credential"}
    assert out["reason"].iloc[0].startswith("imported from github ") and "used_in_tests" in out["reason"].iloc[0]
    org = leaklab.load(fixtures / "github" / "org_alerts_compact.json")
    out = led.import_labels(org)
    assert dict(zip(out["secret_id"], out["label"], strict=True)) == {fp.sha256("AKIAFAKELEAKLAB00003"): "revoked"}
    assert set(led.current()["source"]) == {"github"}
    # wont_fix maps to accepted_risk where the alert has a value.
    hand = repo.iloc[[1]].assign(secret_sha256=pd.array([A], dtype="string"))
    assert led.import_labels(hand)["label"].tolist() == ["accepted_risk"]


def test_import_noseyparker_accept_and_reject(tmp_path, fixtures):
    f = leaklab.load(fixtures / "noseyparker" / "np_v022.jsonl")
    out = Ledger(tmp_path / "l.jsonl", analyst="ana").import_labels(f)
    assert dict(zip(out["secret_id"], out["label"], strict=True)) == {
        "efcd5f5b1041b1e6c40913ecb5b8fb0afb0ba125b03e52f193031a489790cf44": "true_positive",
        "1c085509bb8a9dd0a6995aab7c948c22c090e9f5067aef61aa8cc5a20c1bd4d9": "false_positive",
    }
    assert set(out["source"]) == {"noseyparker"}


def test_import_skips_unknown_labels_with_counts_and_never_quotes_odd_ones(tmp_path):
    token = "ghp_LEAKLABFAKE0000000000000000000000009"
    f = findings(tool=["github"] * 4, secret_sha256=[A, B, C, C], source_file=["x.json"] * 4,
                 label=["pattern_deleted", "pattern_deleted", token, "revoked"])
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    with pytest.warns(LeakLabWarning, match=r"'pattern_deleted' x2.*1 row\(s\) with an unrecognised label") as w:
        out = led.import_labels(f)
    assert token not in str(w[0].message)
    assert out["label"].tolist() == ["revoked"] and out["secret_id"].tolist() == [C]
    assert "x.json" in out["reason"].iloc[0]


def test_import_keeps_later_analyst_decisions(tmp_path, fixtures):
    f = leaklab.load(fixtures / "noseyparker" / "np_v022.jsonl")
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    led.import_labels(f)
    key = "1c085509bb8a9dd0a6995aab7c948c22c090e9f5067aef61aa8cc5a20c1bd4d9"
    led.record(key, "true_positive", "it is real after all")
    led.import_labels(f)  # must not re-append the tool's reject on top
    assert led.current().set_index("secret_id").loc[key, "label"] == "true_positive"


# --------------------------------------------------------------------------- damage and hostility


def test_torn_and_garbled_lines_are_reported_and_good_lines_kept(tmp_path):
    path = tmp_path / "l.jsonl"
    led = Ledger(path, analyst="ana")
    led.record(A, "true_positive", "one", time="2024-05-01T09:00:00Z")
    token = "AKIALEAKLABFAKE00077"
    with open(path, "ab") as fh:
        fh.write(b'{"not": "an entry", "k": "' + token.encode() + b'"}\n')
        fh.write(b"\xff\xfe garbage\n")
        fh.write(b"[" * 100000 + b"\n")  # deep nesting must not blow up the reader
    led.record(B, "false_positive", "two", time="2024-05-01T09:00:00Z")
    with open(path, "ab") as fh:
        fh.write(b'{"analyst":"ana","entry_id":"' + b"0" * 64 + b'","evid')  # a crashed writer's fragment

    with pytest.warns(LeakLabWarning, match=r"l\.jsonl: skipped 4 unreadable line\(s\): line 2: .*line 6: torn") as w:
        e = led.entries()
    assert token not in str(w[0].message)
    assert e["line"].tolist() == [1, 5] and e["reason"].tolist() == ["one", "two"]
    assert e.attrs["skipped"] == ["line 2: unsupported or missing version field 'v'", "line 3: not UTF-8",
                                  "line 4: not valid JSON", "line 6: torn (unfinished last line)"]

    # The next writer ends the fragment first, so it stays on its own line.
    out = led.record(C, "revoked", "three", time="2024-05-01T09:00:00Z")
    assert out["line"].tolist() == [7]
    assert lines(path)[5].endswith(b'"evid') and json.loads(lines(path)[6])["reason"] == "three"
    with pytest.warns(LeakLabWarning, match="line 6: not valid JSON"):
        e = led.entries()
    assert e["reason"].tolist() == ["one", "two", "three"] and e["line"].tolist() == [1, 5, 7]
    with pytest.warns(LeakLabWarning):
        assert led.current()["secret_id"].tolist() == [A, B, C]


def test_a_line_edited_by_hand_no_longer_counts(tmp_path):
    path = tmp_path / "l.jsonl"
    led = Ledger(path, analyst="ana")
    led.record(A, "true_positive", "real", time="2024-05-01T09:00:00Z")
    led.record(B, "true_positive", "real", time="2024-05-01T09:00:00Z")
    text = path.read_text().splitlines()
    text[0] = text[0].replace('"true_positive"', '"false_positive"')
    path.write_text("\n".join(text) + "\n")
    with pytest.warns(LeakLabWarning, match="line 1: entry_id does not match"):
        e = led.entries()
    assert e["secret_id"].tolist() == [B]


def test_unknown_label_in_the_file_is_reported(tmp_path):
    path = tmp_path / "l.jsonl"
    body = {"v": 1, "secret_id": A, "label": "fixed", "reason": "", "analyst": "x", "time": "2024-05-01T09:00:00.000000Z",
            "evidence": None, "undoes": None, "source": "leaklab"}
    body["entry_id"] = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    path.write_text(json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n")
    with pytest.warns(LeakLabWarning, match="line 1: unknown label") as w:
        assert Ledger(path).entries().empty
    assert "fixed" not in str(w[0].message)


def test_an_undo_of_nothing_earlier_is_ignored_in_replay(tmp_path):
    path = tmp_path / "l.jsonl"
    led = Ledger(path, analyst="ana")
    led.record(A, "true_positive", "real", time="2024-05-01T09:00:00Z")
    b = led.record(B, "true_positive", "real", time="2024-05-01T09:00:00Z")["entry_id"].iloc[0]
    # A hand-made undo that points at another secret's decision.
    body = {"v": 1, "secret_id": A, "label": "undo", "reason": "", "analyst": "x", "time": "2024-05-01T10:00:00.000000Z",
            "evidence": None, "undoes": b, "source": "leaklab"}
    body["entry_id"] = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    with open(path, "a") as fh:
        fh.write(json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n")
    assert len(led.entries()) == 3
    with pytest.warns(LeakLabWarning, match="line 3: undoes a decision about another secret"):
        cur = led.current()
    assert cur["label"].tolist() == ["true_positive", "true_positive"]


def test_hostile_values_round_trip_exactly_on_one_line_each(tmp_path):
    path = tmp_path / "l.jsonl"
    led = Ledger(path, analyst='eve"\n\u202e<script>')
    hostile = [
        'line one\nline two\r\n"quoted" \\ back\\slash',
        "\u202eRTL override txt.exe\u202c and \u2028 separator \u2029 and \x00 nul",
        "<script>alert(1)</script> & <img src=x onerror=alert(1)>",
        '{"v":1,"entry_id":"' + "0" * 64 + '"}\n{"fake":"line"}',
        "emoji \U0001f511 and a lone surrogate \udcff",
    ]
    for i, reason in enumerate(hostile):
        led.record(A, "needs_info", reason, evidence=reason, time=f"2024-05-01T09:00:0{i}Z")
    data = path.read_bytes()
    assert data.count(b"\n") == len(hostile) and data.isascii()
    stored = [json.loads(r) for r in lines(path)]
    assert [o["reason"] for o in stored] == hostile and [o["evidence"] for o in stored] == hostile
    e = led.entries()
    # Frames show a lone surrogate as U+FFFD (schema convention); everything else is exact.
    shown = hostile[:-1] + [hostile[-1].replace("\udcff", "\ufffd")]
    assert e["reason"].tolist() == shown and e["evidence"].tolist() == shown
    assert set(e["analyst"]) == {'eve"\n\u202e<script>'}


def test_exported_from_the_package():
    assert leaklab.Ledger is Ledger and leaklab.ledger.LABELS == LABELS
    assert "Ledger" in dir(leaklab)


# --------------------------------------------------------------------------- concurrency and crashes


def _writer(path: str, worker: int, n: int, barrier) -> None:
    led = Ledger(path, analyst=f"w{worker}")
    barrier.wait()
    for i in range(n):
        led.record(fp.sha256(f"FAKE-{worker}-{i}"), "needs_info", f"w{worker} #{i}")


def test_many_processes_appending_at_once_lose_nothing(tmp_path):
    path = str(tmp_path / "shared" / "l.jsonl")
    workers, n = 8, 200
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    barrier = ctx.Barrier(workers)
    procs = [ctx.Process(target=_writer, args=(path, w, n, barrier)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * workers

    raw = lines(path)
    assert len(raw) == workers * n and all(r.startswith(b"{") and r.endswith(b"}") for r in raw)
    e = Ledger(path).entries()  # a torn or unreadable line would raise here (warnings are errors)
    assert len(e) == workers * n and e["entry_id"].is_unique and e.attrs["skipped"] == []
    assert e["line"].tolist() == list(range(1, workers * n + 1))
    for w in range(workers):  # each writer's entries are all there, in its own order
        mine = e.loc[e["analyst"] == f"w{w}", "reason"].tolist()
        assert mine == [f"w{w} #{i}" for i in range(n)]
    assert len(Ledger(path).current()) == workers * n


_CHILD = """
import sys
from leaklab import fingerprint
from leaklab.ledger import Ledger
led = Ledger(sys.argv[1], analyst="child")
i = 0
while True:
    out = led.record(fingerprint.sha256("FAKE-crash-%d" % i), "needs_info", "entry %d " % i + "x" * 3000)
    print(out["entry_id"].iloc[0], flush=True)  # acknowledged only after record() returned
    i += 1
"""


def test_a_writer_killed_mid_run_keeps_every_acknowledged_entry(tmp_path):
    path = tmp_path / "l.jsonl"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)], stdout=subprocess.PIPE, cwd=ROOT, env=env)
    acked = []
    try:
        for raw in child.stdout:
            acked.append(raw.decode().strip())
            if len(acked) >= 60:
                break
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        rest, _ = child.communicate(timeout=30)
    acked += [x for x in rest.decode().split("\n") if len(x) == 64]  # acks still in the pipe count too
    assert child.returncode == -signal.SIGKILL and len(acked) >= 60

    with warnings.catch_warnings():  # the kill may or may not have landed inside a write
        warnings.simplefilter("ignore", LeakLabWarning)
        e = Ledger(path).entries()
    assert set(acked) <= set(e["entry_id"])
    assert len(e) >= len(acked)  # at most one more: the entry written but not yet printed

    # Simulate a crash inside a write on top: half a JSON line at the end.
    whole = lines(path)[0]
    with open(path, "ab") as fh:
        if not Path(path).read_bytes().endswith(b"\n"):
            fh.write(b"\n")
        fh.write(whole[: len(whole) // 2])
    torn_line = len(lines(path)) + 1
    with pytest.warns(LeakLabWarning, match=f"line {torn_line}: torn"):
        e2 = Ledger(path).entries()
    assert set(acked) <= set(e2["entry_id"])

    after = Ledger(path, analyst="ana").record(A, "true_positive", "after the crash")
    assert after["line"].iloc[0] == torn_line + 1
    with pytest.warns(LeakLabWarning, match=f"line {torn_line}: not valid JSON"):
        e3 = Ledger(path).entries()
    assert e3["entry_id"].iloc[-1] == after["entry_id"].iloc[0] and e3["reason"].iloc[-1] == "after the crash"
    assert set(acked) <= set(e3["entry_id"])


def test_labels_survive_a_rescan_of_the_demo_repository_after_lines_move(tmp_path):
    """Issue 6: decisions join by fingerprint, so moving lines and files changes nothing."""
    import subprocess

    import leaklab

    leaklab.demo.build(tmp_path / "demo")
    repo = tmp_path / "demo" / "demo-repo"
    before = leaklab.dedupe(leaklab.scan(repo, history=False, progress=False))
    before = before[before["secret_id"].notna()]
    ledger = leaklab.Ledger(tmp_path / "l.jsonl", analyst="ana")
    labels = ["true_positive", "revoked", "rotated", "false_positive", "test_credential", "accepted_risk", "needs_info"]
    want = {}
    for i, sid in enumerate(sorted(before["secret_id"])):
        want[sid] = labels[i % len(labels)]
        ledger.record(sid, want[sid], "before the rescan", time="2023-03-01T00:00:00Z")

    # Move every line down and one file elsewhere, as a later commit would.
    files = sorted({f for fs in before["files"].dropna() for f in fs.split(", ")})
    for f in files:
        p = repo / f
        p.write_text("# moved down by a new header\n" * 7 + p.read_text())
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "core.hooksPath=/dev/null"]
    subprocess.run(git + ["mv", files[0], "moved-" + files[0].replace("/", "-")], check=True)
    subprocess.run(git + ["commit", "-qam", "move things"], check=True)

    after = leaklab.dedupe(leaklab.scan(repo, history=False, progress=False))
    after = after[after["secret_id"].notna()]
    assert set(after["files"]) != set(before["files"])  # the locations really moved
    applied = ledger.apply(after)
    got = dict(zip(applied["secret_id"], applied["triage_label"]))
    assert got == want


# --------------------------------------------------------------------------- undo across a secret's keys


def test_undo_with_aliases_takes_back_the_decision_apply_shows(tmp_path):
    s1 = fp.sha1("xoxb-LEAKLABFAKE-0003")
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    imported = led.record("sha1:" + s1, "false_positive", "imported from detect-secrets", time="2024-05-01T09:00:00Z")
    secrets = schema.build("secrets", {"secret_id": [C], "secret_sha256": [C], "secret_sha1": [s1]})
    assert led.apply(secrets)["triage_label"].tolist() == ["false_positive"]
    with pytest.raises(LeakLabError, match="nothing to undo.*aliases="):
        led.undo(C)  # the ledger alone cannot know the secret's SHA-1
    u = led.undo(C, "wrong secret", aliases=["sha1:" + s1.upper(), C], time="2024-05-01T10:00:00Z")
    assert u["secret_id"].tolist() == ["sha1:" + s1]  # named as the decision it takes back, or replay ignores it
    assert u["undoes"].tolist() == imported["entry_id"].tolist()
    assert led.apply(secrets)["triage_label"].isna().all()


def test_undo_with_aliases_picks_the_latest_decision_among_the_keys(tmp_path):
    s1 = fp.sha1("xoxb-LEAKLABFAKE-0003")
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    led.record(C, "true_positive", "live", time="2024-05-01T09:00:00Z")
    led.record("sha1:" + s1, "false_positive", "imported", time="2024-05-01T08:00:00Z")  # later in the file
    secrets = schema.build("secrets", {"secret_id": [C], "secret_sha1": [s1]})
    assert led.apply(secrets)["triage_label"].tolist() == ["false_positive"]
    led.undo(C, aliases="sha1:" + s1)
    assert led.apply(secrets)["triage_label"].tolist() == ["true_positive"]
    led.undo(C, aliases=["sha1:" + s1])
    assert led.apply(secrets)["triage_label"].isna().all()
    with pytest.raises(LeakLabError, match="nothing to undo"):
        led.undo(C, aliases=["sha1:" + s1])
    with pytest.raises(LeakLabError, match="not a fingerprint"):
        led.undo(C, aliases=["xoxb-LEAKLABFAKE-0003"])


# --------------------------------------------------------------------------- reader guard, durability


def test_a_line_whose_secret_id_is_not_a_fingerprint_is_skipped_unquoted(tmp_path):
    path = tmp_path / "l.jsonl"
    raw = "ghp_LEAKLABFAKE0000000000000000000000002"
    hand_written(path, secret_id=raw)
    hand_written(path, secret_id="sha1:" + "ab" * 19)  # one hex pair short
    good = hand_written(path, secret_id=B.upper(), label="needs_info")  # upper-case hex: read, normalised
    with pytest.warns(LeakLabWarning, match="line 1: field 'secret_id' is not a fingerprint.*line 2: field 'secret_id' "
                                            "is not a fingerprint") as w:
        e = Ledger(path).entries()
    assert raw not in str(w[0].message) and "ab" * 19 not in str(w[0].message)
    assert e["secret_id"].tolist() == [B] and e["entry_id"].tolist() == [good["entry_id"]]
    why = "field 'secret_id' is not a fingerprint (expected a SHA-256, 'sha1:<hex>' or an 'unhashed:' key)"
    assert e.attrs["skipped"] == [f"line 1: {why}", f"line 2: {why}"]


def test_new_file_is_private_and_every_new_directory_level_is_synced(tmp_path, monkeypatch):
    synced = []
    real = leaklab.ledger._fsync_dir
    monkeypatch.setattr(leaklab.ledger, "_fsync_dir", lambda p: (synced.append(p), real(p)))
    path = tmp_path / "cases" / "2024" / "acme" / "triage.jsonl"
    Ledger(path, analyst="ana").record(A, "true_positive", time="2024-05-01T09:00:00Z")
    assert (os.stat(path).st_mode & 0o777) == 0o600
    # The file's directory, then each level up to tmp_path, which existed and now holds "cases".
    assert synced == [str(tmp_path / "cases" / "2024" / "acme"), str(tmp_path / "cases" / "2024"),
                      str(tmp_path / "cases"), str(tmp_path)]
    synced.clear()
    Ledger(path, analyst="ana").record(B, "true_positive", time="2024-05-01T09:00:00Z")
    assert synced == []  # nothing new: nothing to sync but the file
