"""triage: every factor moves the score by its documented weight, severities at the thresholds,
joins by fingerprint, the demo's decoys score low, ledger overrides, the remediation list and
its exports (escaped Markdown, defused CSV)."""

import csv
import io
import re

import pandas as pd
import pytest

import leaklab
from leaklab import fingerprint as fp
from leaklab import schema, triage
from leaklab.errors import LeakLabError
from leaklab.ledger import SEVERITIES, Ledger
from leaklab.taxonomy import VOCABULARY
from leaklab.triage import FACTORS, SEVERITY, TYPE_POINTS, WEIGHTS, remediation, remediation_csv, remediation_markdown, score

KEY_ID = "AKIALEAKLABFAKE00001"  # an access key id as CloudTrail and timelines name it
KEY = fp.sha256(KEY_ID)
TOKEN = fp.sha256("ghp_LEAKLABFAKE0000000000000000000000002")
OTHER = fp.sha256("xoxb-LEAKLABFAKE-0003")
REPO = "github.com/acme/payments"


def secrets(**cols):
    """A secrets frame; by default one secret of an unlisted type ('other': the default points)."""
    base = {"secret_id": [KEY], "secret_sha256": [KEY], "secret_sha1": [fp.sha1(KEY_ID)], "secret_type": ["other"],
            "redacted": ["AKIA…01"], "repos": [REPO], "files": ["deploy/prod.env"]}
    base.update(cols)
    n = len(next(iter(base.values())))
    base = {k: (v * n if len(v) == 1 and n > 1 else v) for k, v in base.items()}
    return schema.build("secrets", base)


def history(**cols):
    base = {"secret_id": [KEY], "secret_sha256": [KEY], "in_history": [True], "introduced_author": ["Bob"],
            "files": ["deploy/prod.env"], "refs": ["main"], "present_refs": [None], "still_in_head": [False]}
    base.update(cols)
    return schema.build("history", base)


def windows(credential=KEY_ID, days=10.0, open_=False, start="2023-01-01T00:00:00Z"):
    start = pd.Timestamp(start)
    return schema.build("windows", {
        "credential": [credential], "exposed_from": [start], "open": [open_],
        "duration": [pd.Timedelta(days=days)], "as_of": [start + pd.Timedelta(days=days)],
        "contained_at": [None if open_ else start + pd.Timedelta(days=days)]})


def one(frame, col):
    assert len(frame) == 1
    return frame[col].iloc[0]


def delta(factor_col, **kw):
    """(factor column, score change) of a keyword against the bare secret."""
    s = kw.pop("s", None)
    s = secrets() if s is None else s
    base = one(score(s), "score")
    out = score(s, **kw)
    return one(out, factor_col), one(out, "score") - base, one(out, "why")


# --------------------------------------------------------------------------- the tables


def test_tables_are_complete_and_consistent():
    assert tuple(SEVERITY) == SEVERITIES == ("critical", "high", "medium", "low", "info")
    assert list(SEVERITY.values()) == sorted(SEVERITY.values(), reverse=True) and SEVERITY["info"] == 0
    assert set(TYPE_POINTS) <= set(VOCABULARY) - {"other"}  # "other" gets the default
    assert WEIGHTS["type"] is TYPE_POINTS
    # Broad-reach types above tokens above webhooks; generic passwords in the middle.
    assert TYPE_POINTS["aws-access-key"] == TYPE_POINTS["private-key"] >= TYPE_POINTS["github-token"] > TYPE_POINTS["password"]
    assert TYPE_POINTS["password"] > TYPE_POINTS["slack-webhook"] and WEIGHTS["type_default"] > TYPE_POINTS["slack-webhook"]
    for k in ("test_path", "example", "placeholder", "verified_dead"):
        assert WEIGHTS[k] < 0, k
    out = score(secrets())
    assert [c for c in out.columns if c.startswith("f_")] == [f"f_{f}" for f in FACTORS]


def test_bare_secret_scores_its_type_only_and_says_nothing_of_missing_evidence():
    s = secrets()
    before = s.copy()
    out = score(s)
    pd.testing.assert_frame_equal(s, before)  # input untouched
    assert out is not s and list(out.columns[: len(s.columns)]) == list(s.columns)
    assert one(out, "f_type") == WEIGHTS["type_default"] == one(out, "score")
    assert all(one(out, f"f_{f}") == 0 for f in FACTORS if f != "type")
    assert one(out, "why") == f"other +{WEIGHTS['type_default']}"  # no "unknown" noise for absent frames
    assert str(out["f_type"].dtype) == "Int64" and str(out["score"].dtype) == "int64"
    assert str(out["severity"].dtype) == "string" and str(out["why"].dtype) == "string"
    assert "severity_computed" not in out.columns and "severity_source" not in out.columns


@pytest.mark.parametrize("stype, points", [("aws-access-key", 40), ("private-key", 40), ("github-token", 35),
                                           ("slack-webhook", 10), ("password", 20), ("brand-new-type", 15), (None, 15)])
def test_type_points(stype, points):
    out = score(secrets(secret_type=[stype]))
    assert one(out, "f_type") == points == one(out, "score")
    assert one(out, "why") == f"{stype or 'unknown type'} +{points}"


def test_verified_live_raises_and_a_dead_verdict_lowers():
    live = score(secrets(verified=[True]))
    assert one(live, "f_verified") == WEIGHTS["verified_live"] == 25
    assert one(live, "score") - one(score(secrets()), "score") == 25 and "verified live +25" in one(live, "why")
    dead = score(secrets(verified=[False], validity=["inactive, unverified"]))
    assert one(dead, "f_verified") == WEIGHTS["verified_dead"] == -15 and "verifier says not live -15" in one(dead, "why")
    # "unverified" means nobody could check: no points either way.
    unknown = score(secrets(verified=[False], validity=["unverified"]))
    assert one(unknown, "f_verified") == 0 and "verif" not in one(unknown, "why")


@pytest.mark.parametrize("public, hit", [
    (True, True), (False, False), ([REPO], True), (f"https://{REPO}.git", True), (["git@github.com:acme/payments"], True),
    ([KEY], True), (["github.com/acme/other"], False), ([], False)])
def test_public_exposure(public, hit):
    f, d, why = delta("f_public", public=public)
    assert (f, d) == ((20, 20) if hit else (0, 0))
    assert ("public exposure +20" in why) is hit


@pytest.mark.parametrize("days, points", [(0, 0), (6.9, 0), (7, 5), (29, 5), (30, 10), (89, 10), (90, 15), (364, 15),
                                          (365, 20), (2000, 20)])
def test_duration_buckets(days, points):
    f, d, why = delta("f_duration", windows=windows(days=days))
    assert f == d == points
    assert (f"exposed {int(days)} days +{points}" in why) is bool(points)


def test_open_window_is_measured_to_as_of():
    w = windows(days=3, open_=True, start="2023-01-01T00:00:00Z")
    assert delta("f_duration", windows=w)[0] == 0
    assert delta("f_duration", windows=w, as_of="2023-05-01T00:00:00Z")[0] == 15  # 120 days
    with pytest.raises(LeakLabError, match="time zone"):
        score(secrets(), windows=w, as_of="2023-05-01")


def test_still_in_head_and_at_branch_tips():
    f, d, why = delta("f_in_head", history=history(still_in_head=[True], present_refs=["main"]))
    assert f == d == 15 and "still in HEAD +15" in why
    f, d, why = delta("f_in_head", history=history(present_refs=["feature/a, tag:v1"]))
    assert f == d == 10 and "still at branch tips (2) +10" in why
    f, d, why = delta("f_in_head", history=history())
    assert f == d == 0 and "HEAD" not in why


def summary(**cols):
    base = {"credential": [KEY_ID], "n_resources": [3], "n_secret": [0], "n_restricted": [0], "can_write": [False],
            "can_admin": [False], "max_hops": [0], "n_pivot_credentials": [0], "approx": [False]}
    base.update(cols)
    return pd.DataFrame(base)


@pytest.mark.parametrize("cols, points, text", [
    ({}, 5, "reach: read 3 resource(s) +5"),
    ({"can_write": [True]}, 15, "reach: write +15"),
    ({"can_write": [True], "can_admin": [True]}, 25, "reach: admin +25"),
    ({"n_restricted": [1]}, 15, "reach: read 3 resource(s), secret/restricted data +15"),
    ({"can_admin": [True], "n_secret": [2], "n_pivot_credentials": [2]}, 45,
     "reach: admin, secret/restricted data, 2 pivot credential(s) +45"),
    ({"n_resources": [0]}, 0, None),
])
def test_reach_points(cols, points, text):
    f, d, why = delta("f_reach", reach=summary(**cols))
    assert f == d == points
    assert (text in why) if text else "reach" not in why


def test_reach_from_blast_radius_summary_joins_by_fingerprint_of_the_key_id():
    g = schema.build("grants", {
        "source": [KEY_ID, "alice", "alice"], "relation": ["authenticates_as", "allow", "has_resource"],
        "target": ["alice", "arn:aws:s3:::payroll", "arn:aws:s3:::payroll"],
        "action": [None, "s3:PutObject", None], "source_type": ["credential", "user", "account"],
        "data_class": [None, None, "restricted"]})
    r = leaklab.blast_radius(g, by="credential")
    out = score(secrets(), reach=r)
    assert one(out, "f_reach") == WEIGHTS["reach_write"] + WEIGHTS["reach_sensitive"]
    with pytest.raises(LeakLabError, match="by='credential'"):
        score(secrets(), reach=leaklab.blast_radius(g))


def uses(**cols):
    base = {"credential_id": [KEY_ID], "suspicious": [True], "new_ip": [True], "new_user_agent": [False],
            "unknown_source": [None], "derived_from": [None]}
    base.update(cols)
    return pd.DataFrame({k: pd.array(v, dtype="boolean" if k not in ("credential_id", "derived_from") else "string")
                         for k, v in base.items()})


def test_suspicious_use_from_usage_in_windows():
    f, d, why = delta("f_suspicious_use", usage=uses())
    assert f == d == 25 and "used from a new IP (1 use(s)) +25" in why
    f, d, why = delta("f_suspicious_use", usage=uses(suspicious=[False], new_ip=[False]))
    assert f == d == 0 and "use" not in why
    # A temporary key the leaked one minted: its suspicious uses count for the leaked key.
    minted = uses(credential_id=["ASIALEAKLABTMP000001", KEY_ID], suspicious=[True, False], new_ip=[False, False],
                  new_user_agent=[True, False], unknown_source=[None, None], derived_from=[KEY_ID, None])
    f, d, why = delta("f_suspicious_use", usage=minted)
    assert f == 25 and "used from a new user agent (1 use(s))" in why
    # The per-window summary works too.
    f, d, why = delta("f_suspicious_use", usage=pd.DataFrame({"credential": [KEY_ID], "n_suspicious": [4]}))
    assert f == 25 and "4 suspicious use(s) +25" in why
    with pytest.raises(LeakLabError, match="usage_in_windows"):
        score(secrets(), usage=pd.DataFrame({"credential_id": [KEY_ID]}))  # raw access logs: not flagged yet


@pytest.mark.parametrize("files, lowered", [
    ("tests/test_aws.py", True), ("src/fixtures/keys.json", True), ("config/test_settings.py", True),
    ("app/aws_test.go", True), ("web/login.spec.ts", True), ("docs/examples/setup.md", True), (".env.example", True),
    ("docs/example.env", True), ("src/app.py", False), ("src/app.py, tests/test_app.py", False),
    ("contest/app.py", False), ("latest/config.py", False)])
def test_test_paths_lower_only_when_every_file_is_one(files, lowered):
    s = secrets(files=[files])
    out = score(s)
    assert one(out, "f_test_path") == (WEIGHTS["test_path"] if lowered else 0)
    assert ("test or example path -20" in one(out, "why")) is lowered


def test_test_path_falls_back_to_history_files():
    s = secrets(files=[None])
    assert one(score(s), "f_test_path") == 0
    assert one(score(s, history=history(files=["tests/fixtures/aws.env"])), "f_test_path") == -20


def test_examples_and_placeholders_lower_the_score():
    doc = "AKIAIOSFODNN7EXAMPLE"  # in the scanner's allowlist: any tool's fingerprint of it is recognised
    out = score(secrets(secret_id=[fp.sha256(doc)], secret_sha256=[fp.sha256(doc)], secret_sha1=[fp.sha1(doc)],
                        secret_type=["aws-access-key"]))
    assert one(out, "f_example") == -50 and one(out, "score") == 0  # floored at 0
    assert "documentation example -50" in one(out, "why")
    # leaklab scan marks them in validity.
    assert one(score(secrets(validity=["example"])), "f_example") == -50
    assert one(score(secrets(validity=["placeholder"])), "f_placeholder") == -50
    # detect-secrets only has a SHA-1: "changeme" is still known.
    holder = score(secrets(secret_id=["sha1:" + fp.sha1("changeme")], secret_sha256=[None], secret_sha1=[fp.sha1("changeme")],
                           secret_type=["password"], verified=[None]))
    assert one(holder, "f_placeholder") == -50 and "placeholder value -50" in one(holder, "why")
    plain = score(secrets(validity=["verified"]))
    assert one(plain, "f_example") == one(plain, "f_placeholder") == 0


def test_score_floors_at_zero_and_sums_the_factors():
    out = score(secrets(verified=[True], secret_type=["aws-access-key"]), history=history(still_in_head=[True]),
                windows=windows(days=100), reach=summary(can_admin=[True]), usage=uses(), public=True)
    f = {c: int(out[c].iloc[0]) for c in out.columns if c.startswith("f_")}
    assert f == {"f_type": 40, "f_verified": 25, "f_public": 20, "f_duration": 15, "f_in_head": 15, "f_reach": 25,
                 "f_suspicious_use": 25, "f_test_path": 0, "f_example": 0, "f_placeholder": 0}
    assert one(out, "score") == sum(f.values()) == 165 and one(out, "severity") == "critical"
    assert one(out, "why") == ("aws-access-key +40; verified live +25; public exposure +20; exposed 100 days +15; "
                               "still in HEAD +15; reach: admin +25; used from a new IP (1 use(s)) +25")


@pytest.mark.parametrize("points, severity", [(200, "critical"), (80, "critical"), (79, "high"), (60, "high"),
                                              (59, "medium"), (35, "medium"), (34, "low"), (15, "low"), (14, "info"),
                                              (0, "info"), (-5, "info")])
def test_severity_thresholds(points, severity):
    out = score(secrets(), weights={"type_default": points})
    assert one(out, "score") == max(points, 0) and one(out, "severity") == severity


def test_weights_can_be_changed_per_call_and_typos_are_refused():
    assert one(score(secrets(), public=True, weights={"public": 33}), "f_public") == 33
    assert one(score(secrets(secret_type=["jwt"]), weights={"type": {"jwt": 3}}), "f_type") == 3
    assert TYPE_POINTS["jwt"] == 20  # the module table itself is not changed
    assert one(score(secrets(), windows=windows(days=3), weights={"duration": [(1, 7)]}), "f_duration") == 7
    with pytest.raises(LeakLabError, match="unknown factor"):
        score(secrets(), weights={"pubic": 30})
    with pytest.raises(LeakLabError, match="integer"):
        score(secrets(), weights={"public": "30"})


# --------------------------------------------------------------------------- joins


def test_joins_by_fingerprint_of_credential_ids_and_by_secret_id():
    s = secrets(secret_id=[KEY, TOKEN, "sha1:" + fp.sha1("pw-LEAKLAB")], secret_sha256=[KEY, TOKEN, None],
                secret_sha1=[fp.sha1(KEY_ID), None, fp.sha1("pw-LEAKLAB")], secret_type=["aws-access-key"])
    w = pd.concat([windows(KEY_ID, 40), windows(TOKEN, 100), windows("pw-LEAKLAB", 400), windows("stripe-live", 9)],
                  ignore_index=True)
    out = score(s, windows=w)
    # raw key id -> SHA-256; a fingerprint -> itself; a SHA-1-only secret -> SHA-1 of the id; a name -> nothing
    assert out["f_duration"].tolist() == [10, 15, 20]
    h = history(secret_id=[TOKEN], secret_sha256=[TOKEN], still_in_head=[True])
    assert score(s, history=h)["f_in_head"].tolist() == [0, 15, 0]
    # History rows keyed by another id of the same secret still match through the fingerprints.
    h2 = history(secret_id=["sha1:" + fp.sha1(KEY_ID)], secret_sha256=[None], secret_sha1=[fp.sha1(KEY_ID)],
                 still_in_head=[True])
    assert score(s, history=h2)["f_in_head"].tolist() == [15, 0, 0]


def test_index_is_kept_and_rescoring_replaces_the_columns():
    s = secrets(secret_id=[KEY, TOKEN], secret_sha256=[KEY, TOKEN]).set_axis([10, 20])
    out = score(s, public=True)
    assert list(out.index) == [10, 20]
    again = score(out)
    assert list(again.columns) == list(out.columns) and again["f_public"].tolist() == [0, 0]


def test_missing_columns_are_named():
    with pytest.raises(LeakLabError, match="history frame: missing columns: still_in_head"):
        score(secrets(), history=pd.DataFrame({"secret_id": [KEY], "present_refs": [None], "files": [None]}))
    with pytest.raises(LeakLabError, match="secrets frame"):
        score(pd.DataFrame({"secret_id": [KEY]}))


# --------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo incident, scored with every frame it offers (built once for this module)."""
    out = tmp_path_factory.mktemp("demo")
    truth = leaklab.demo.build(out)
    findings = leaklab.load(out / "reports")
    s = leaklab.dedupe(findings)
    h = leaklab.history(out / "demo-repo", findings, progress=False)
    w = leaklab.exposure_windows(leaklab.load_timeline(out / "timeline.csv"), as_of="2023-07-01T00:00:00Z")
    logs = leaklab.load_access_logs(out / "logs")
    u = leaklab.usage_in_windows(pd.concat([w, leaklab.derived_windows(w, logs)], ignore_index=True), logs)
    frames = dict(history=h, windows=w, usage=u, public=[truth["repository"]])
    return truth, findings, s, frames, out


def _by_truth(truth, scored):
    """Planted id -> scored row (matched on SHA-256, else SHA-1)."""
    rows = {}
    for p in truth["secrets"]:
        m = scored[(scored["secret_sha256"] == p["secret_sha256"]).fillna(False)
                   | (scored["secret_sha1"] == p["secret_sha1"]).fillna(False)]
        if len(m):
            rows[p["id"]] = m.iloc[0]
    return rows


def test_demo_decoys_score_low_and_real_secrets_above_them(demo):
    truth, _, s, frames, _ = demo
    for kw in ({}, frames):
        rows = _by_truth(truth, score(s, **kw))
        decoys = {k: r for k, r in rows.items() if k in ("aws-doc-example", "placeholder-password")}
        real = {k: r for k, r in rows.items() if k not in decoys}
        assert len(decoys) == 2 and len(real) >= 6
        assert all(r["severity"] == "info" for r in decoys.values())
        assert max(r["score"] for r in decoys.values()) < min(r["score"] for r in real.values())
        assert decoys["aws-doc-example"]["f_example"] < 0 and decoys["placeholder-password"]["f_placeholder"] < 0


def test_demo_leaked_aws_key_gets_every_factor_the_incident_shows(demo):
    truth, _, s, frames, _ = demo
    key = _by_truth(truth, score(s, **frames))["aws-key-id"]
    assert key["secret_sha256"] == truth["usage"]["leaked_key"]["secret_sha256"]
    assert key["f_verified"] == 25 and key["f_public"] == 20 and key["f_duration"] == 10  # 64-day window
    assert key["f_suspicious_use"] == 25 and "used from a new IP, a new user agent (7 use(s))" in key["why"]
    assert key["f_in_head"] == 0  # removed from every branch tip
    assert key["severity"] == "critical"


def test_same_input_same_frame(demo):
    _, _, s, frames, _ = demo
    a, b = score(s, **frames), score(s.copy(), **frames)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(remediation(a, history=frames["history"]), remediation(b, history=frames["history"]))


# --------------------------------------------------------------------------- ledger overrides


def test_ledger_override_wins_and_undo_restores(tmp_path):
    s = secrets(secret_id=[KEY, TOKEN], secret_sha256=[KEY, TOKEN], secret_type=["aws-access-key"], verified=[True])
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    out = score(s, ledger=led)  # an empty ledger: all computed
    assert out["severity_source"].tolist() == ["computed"] * 2
    assert out["severity"].tolist() == out["severity_computed"].tolist() == ["high", "high"]

    led.record(KEY, "true_positive", "prod account", analyst="bo", severity="critical", time="2024-05-01T09:00:00Z")
    led.record(KEY, "true_positive", "owner agrees", time="2024-05-01T10:00:00Z")  # same label: bo's override holds
    out = score(s, ledger=led).set_index("secret_id")
    assert out.loc[KEY, ["severity", "severity_computed", "severity_source"]].tolist() == ["critical", "high", "override by bo"]
    assert out.loc[KEY, "score"] == 65  # the data and the score are untouched
    assert out.loc[TOKEN, ["severity", "severity_source"]].tolist() == ["high", "computed"]

    led.undo(KEY, time="2024-05-01T11:00:00Z")  # takes back "owner agrees"
    led.undo(KEY, time="2024-05-01T12:00:00Z")  # takes back the override
    out = score(s, ledger=led).set_index("secret_id")
    assert out.loc[KEY, ["severity", "severity_source"]].tolist() == ["high", "computed"]
    # The ledger's current() frame works as well as the ledger.
    led.record(TOKEN, "needs_info", severity="low", time="2024-05-01T13:00:00Z")
    assert score(s, ledger=led.current()).set_index("secret_id").loc[TOKEN, "severity"] == "low"


def test_override_keyed_by_sha1_matches_the_secret(tmp_path):
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    led.record("sha1:" + fp.sha1(KEY_ID), "true_positive", "sandbox", severity="info", time="2024-05-01T09:00:00Z")
    out = score(secrets(), ledger=led)
    assert one(out, "severity") == "info" and one(out, "severity_source") == "override by ana"


@pytest.mark.parametrize("later", ["false_positive", "rotated", "needs_info"])
def test_a_later_decision_with_another_label_ends_the_override(tmp_path, later):
    s = secrets(secret_type=["aws-access-key"], verified=[True])  # computed: high
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    led.record(KEY, "true_positive", "prod payments", severity="critical", time="2024-05-01T09:00:00Z")
    assert one(score(s, ledger=led), "severity") == "critical"
    led.record(KEY, later, "after all", analyst="bo", time="2024-05-01T10:00:00Z")
    out = score(s, ledger=led)
    assert one(out, "severity") == "high" and one(out, "severity_source") == "computed"


def test_an_override_ends_with_a_later_decision_under_another_key(tmp_path):
    s = secrets(secret_type=["aws-access-key"], verified=[True])  # keys: KEY and sha1:<hex>
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    led.record(KEY, "true_positive", "prod payments", severity="critical", time="2024-05-01T09:00:00Z")
    led.record("sha1:" + fp.sha1(KEY_ID), "false_positive", "imported", time="2024-05-01T10:00:00Z")
    assert led.apply(s)["triage_label"].tolist() == ["false_positive"]
    assert one(score(s, ledger=led), "severity") == "high"  # what apply() shows decides, not an older key's override


def test_a_hand_made_current_frame_with_a_closed_label_gets_no_override():
    cur = pd.DataFrame({"secret_id": [KEY], "label": ["accepted_risk"], "severity": ["info"], "analyst": ["ana"],
                        "line": [1]})
    out = score(secrets(secret_type=["aws-access-key"], verified=[True]), ledger=cur)
    assert one(out, "severity") == "high" and one(out, "severity_source") == "computed"


# --------------------------------------------------------------------------- remediation

LABELLED = {  # secret id -> (ledger label or None, expected status)
    fp.sha256("s-rotated"): ("rotated", "done"),
    fp.sha256("s-revoked"): ("revoked", "done"),
    fp.sha256("s-fp"): ("false_positive", "no action"),
    fp.sha256("s-test"): ("test_credential", "no action"),
    fp.sha256("s-accepted"): ("accepted_risk", "no action"),
    fp.sha256("s-needs"): ("needs_info", "to do"),
    fp.sha256("s-tp"): ("true_positive", "to do"),
    fp.sha256("s-none"): (None, "to do"),
}


def test_remediation_status_comes_from_the_ledger(tmp_path):
    ids = list(LABELLED)
    s = secrets(secret_id=ids, secret_sha256=ids, secret_sha1=[None], repos=[f"./.git, {REPO}"])
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    for sid, (label, _) in LABELLED.items():
        if label:
            led.record(sid, label, time="2024-05-01T09:00:00Z")
    r = remediation(s, led).set_index("secret_id")
    for sid, (label, status) in LABELLED.items():
        assert r.loc[sid, "status"] == status, label
        assert r.loc[sid, "label"] == label if label else pd.isna(r.loc[sid, "label"])
    assert set(r["group"]) == {REPO}  # a named repository over the './.git' some tools report
    assert r.loc[fp.sha256("s-fp"), "action"] == "none (false_positive)"
    assert r.loc[fp.sha256("s-tp"), "action"] == "rotate and revoke"
    # Without a ledger, labels joined by Ledger.apply are used.
    applied = remediation(led.apply(s)).set_index("secret_id")
    assert applied["status"].to_dict() == r["status"].to_dict()
    assert (remediation(s)["status"] == "to do").all()


def test_remediation_groups_orders_and_says_where(tmp_path):
    s = score(secrets(secret_id=[KEY, TOKEN, OTHER], secret_sha256=[KEY, TOKEN, OTHER], secret_sha1=[None],
                      secret_type=["slack-webhook", "aws-access-key", "github-token"],
                      repos=[REPO, REPO, "github.com/acme/zeta"], files=["a.sh", "deploy.env", "ci.py"]))
    h = history(secret_id=[KEY, TOKEN], secret_sha256=[KEY, TOKEN], introduced_author=["Zoe", "Adam"],
                refs=["feature/x, main", "main"], present_refs=["feature/x", "main"], still_in_head=[False, True],
                files=["a.sh", "deploy.env"], in_history=[True, True])
    r = remediation(s, history=h)
    assert list(r.columns) == ["group", "secret_id", "redacted", "secret_type", "severity", "files", "refs", "present_refs",
                               "still_in_head", "label", "status", "action"]
    # by repository, then severity within: the AWS key (high) before the webhook (info)
    assert list(zip(r["group"], r["secret_type"])) == [(REPO, "aws-access-key"), (REPO, "slack-webhook"),
                                                       ("github.com/acme/zeta", "github-token")]
    assert r["action"].tolist() == ["rotate and revoke; remove from refs: main", "rotate and revoke; remove from refs: feature/x",
                                    "rotate and revoke"]
    assert r["refs"].tolist()[:2] == ["main", "feature/x, main"] and pd.isna(r["refs"].iloc[2])
    assert r["still_in_head"].tolist()[:2] == [True, False] and pd.isna(r["still_in_head"].iloc[2])
    # by owner: who introduced it (history), else the repository
    o = remediation(s, history=h, by="owner")
    assert list(zip(o["group"], o["secret_type"])) == [("Adam", "aws-access-key"), ("Zoe", "slack-webhook"),
                                                       ("github.com/acme/zeta", "github-token")]
    # done before no action, after to do; a done secret still at a tip gets an optional clean-up
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    led.record(TOKEN, "revoked", time="2024-05-01T09:00:00Z")
    d = remediation(s, led, history=h).set_index("secret_id")
    assert d.loc[TOKEN, "status"] == "done" and d.loc[TOKEN, "action"] == "none (revoked); optional clean-up: remove from refs: main"
    assert list(remediation(s, led, history=h)["secret_id"])[:2] == [KEY, TOKEN]
    with pytest.raises(LeakLabError, match="by must be"):
        remediation(s, by="team")


HOSTILE = {
    "group": "evil|org/`repo`\n## injected heading",
    "files": "a|b.py, `rm -rf /`.sh, <script>alert(1)</script>.py, line\nbreak.py, [x](javascript:alert(1)), *bold*_u_ ~s~ &amp;",
    "redacted": "<img src=x onerror=alert(1)>",
    "author": "Mallory <mallory@evil>\n- [x] fake done item",
}


def test_markdown_escapes_hostile_values():
    s = secrets(secret_id=[KEY, TOKEN], secret_sha256=[KEY, TOKEN], repos=[HOSTILE["group"]], files=[HOSTILE["files"]],
                redacted=[HOSTILE["redacted"]])
    h = history(secret_id=[KEY], introduced_author=[HOSTILE["author"]], present_refs=["main|`x`"])
    text = remediation_markdown(remediation(score(s), history=h, by="owner"))
    lines = text.splitlines()
    # No value can start a line: only the title, the two headings and the two items.
    assert [ln[:6] for ln in lines if ln] == ["# Reme", "## Mal", "- [ ] ", "## evi", "- [ ] "]
    assert "<" not in text and ">" not in text and "&lt;script&gt;" in text and "&amp;amp;" in text
    # Past the item's own markup ("- [ ] **info** "), every Markdown-active character is escaped.
    values = [re.sub(r"^(- \[[ x]\] (\*\*\w+\*\* )?|#+ )", "", ln) for ln in lines if ln]
    for ch in "|`*_[]~":
        assert all(v[i - 1] == "\\" for v in values for i, c in enumerate(v) if c == ch), ch
    assert "a\\|b.py" in text and "\\`rm -rf /\\`.sh" in text and "line break.py" in text


def test_markdown_checklist_ticks_done_and_no_action(tmp_path):
    ids = list(LABELLED)
    s = secrets(secret_id=ids, secret_sha256=ids, secret_sha1=[None])
    led = Ledger(tmp_path / "l.jsonl", analyst="ana")
    for sid, (label, _) in LABELLED.items():
        if label:
            led.record(sid, label, time="2024-05-01T09:00:00Z")
    text = remediation_markdown(remediation(score(s), led), title=None)
    items = [ln for ln in text.splitlines() if ln.startswith("- [")]
    assert len(items) == 8 and sum(i.startswith("- [x]") for i in items) == 5
    assert text.startswith(f"## {REPO}\n\n- [ ] **low** other") and "(status: done; label: rotated" in text
    assert remediation_markdown(remediation(secrets().iloc[:0])) == "# Remediation\n\nNo secrets to remediate.\n"


def test_csv_export_defuses_spreadsheet_formulas(tmp_path):
    s = secrets(secret_id=[KEY, TOKEN], secret_sha256=[KEY, TOKEN], files=["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0"],
                redacted=["@SUM(1+1)", "-2+3"], repos=["\tgithub.com/a/b"])
    r = remediation(score(s))
    path = tmp_path / "out" / "remediation.csv"
    text = remediation_csv(r, path)
    assert path.read_text(encoding="utf-8") == text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2 and list(rows[0]) == list(r.columns)
    cells = [v for row in rows for v in row.values()]
    assert not any(v[:1] in ("=", "+", "-", "@", "\t", "\r") for v in cells)
    assert sorted(row["files"] for row in rows) == ["'+cmd|' /C calc'!A0", "'=HYPERLINK(\"http://x\")"]
    assert {row["group"] for row in rows} == {"'\tgithub.com/a/b"}


def test_verbs_are_exported():
    assert leaklab.score is score and leaklab.remediation is remediation and leaklab.triage is triage
