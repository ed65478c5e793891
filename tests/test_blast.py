"""blast_radius: IAM evaluation (allow, deny, wildcards, NotAction/NotResource, groups, roles),
pivots through resources that hold secrets, summaries and usage."""

import json

import pandas as pd
import pytest

import leaklab
from leaklab import blast, schema
from leaklab.errors import LeakLabError

ACCT = "arn:aws:iam::111122223333:"
KEY = "AKIALEAKLABFAKEAAAAA"
COLS = ["source", "source_type", "relation", "target", "target_type", "action", "condition", "not_action",
        "not_resource", "since", "data_class"]


def grants(*rows):
    """Edges as tuples (source, relation, target, action=None, **extra)."""
    data = {c: [] for c in COLS}
    for r in rows:
        extra = r[4] if len(r) > 4 else {}
        src, rel, tgt = r[0], r[1], r[2]
        row = {"source": src, "relation": rel, "target": tgt, "action": r[3] if len(r) > 3 else None,
               "source_type": "credential" if src.startswith(("AKIA", "ghp", "xox", "tok")) else None}
        row.update(extra)
        for c in COLS:
            data[c].append(row.get(c))
    return schema.build("grants", data)


def user_with(*policy_rows, user="alice"):
    """A key for `user` whose inline policy holds the given (relation, target, action, extra) rows."""
    u, pol = f"{ACCT}user/{user}", f"{ACCT}user/{user}#inline/p"
    return [(KEY, "authenticates_as", u), (u, "has_policy", pol)] + [(pol, *r) for r in policy_rows]


BUCKETS = [("acct", "has_resource", f"arn:aws:s3:::{b}", None, {"target_type": "s3-bucket", "data_class": dc})
           for b, dc in [("pay-a", "confidential"), ("pay-b", "restricted"), ("logs", "internal")]]


def reach(g, **kw):
    return leaklab.blast_radius(g, [KEY], **kw)


def pairs(r):
    return sorted(zip(r["resource"], r["permission"]))


# --------------------------------------------------------------------------- IAM evaluation


def test_wildcard_resource_expands_to_known_resources_of_the_actions_service():
    g = grants(*user_with(("allow", "arn:aws:s3:::pay-*", "s3:GetObject")), *BUCKETS,
               ("acct", "has_resource", "arn:aws:secretsmanager:us-east-1:111122223333:secret:pay-x"))
    r = reach(g)
    assert pairs(r) == [("arn:aws:s3:::pay-a", "s3:GetObject"), ("arn:aws:s3:::pay-b", "s3:GetObject")]
    assert r["approx"].all() and r["notes"].str.contains("resource wildcard").all()
    assert list(r["data_class"]) == ["confidential", "restricted"]


def test_star_resource_with_a_star_action_reaches_everything_known():
    g = grants(*user_with(("allow", "*", "*")), *BUCKETS)
    r = reach(g)
    assert {x for x, _ in pairs(r)} == {f"arn:aws:s3:::{b}" for b in ("pay-a", "pay-b", "logs")}
    assert (r["access"] == "admin").all()


def test_pattern_matching_nothing_known_is_kept_as_the_pattern():
    r = reach(grants(*user_with(("allow", "arn:aws:dynamodb:*:*:table/orders-*", "dynamodb:Query"))))
    assert pairs(r) == [("arn:aws:dynamodb:*:*:table/orders-*", "dynamodb:Query")]
    assert bool(r["approx"].iloc[0])


def test_s3_object_arns_are_reported_at_bucket_level_without_approximation():
    r = reach(grants(*user_with(("allow", "arn:aws:s3:::pay-a/exports/*", "s3:GetObject")), *BUCKETS))
    assert pairs(r) == [("arn:aws:s3:::pay-a", "s3:GetObject")]
    assert not r["approx"].iloc[0]


def test_explicit_deny_wins_over_allow():
    g = grants(*user_with(("allow", "arn:aws:s3:::pay-a", "s3:GetObject"),
                          ("allow", "arn:aws:s3:::pay-b", "s3:GetObject"),
                          ("deny", "arn:aws:s3:::pay-a", "s3:*")), *BUCKETS)
    assert pairs(reach(g)) == [("arn:aws:s3:::pay-b", "s3:GetObject")]


def test_deny_from_a_group_policy_beats_an_allow_on_the_user():
    u = f"{ACCT}user/alice"
    g = grants((KEY, "authenticates_as", u), (u, "allow", "arn:aws:s3:::pay-a", "s3:GetObject"),
               (u, "member_of", f"{ACCT}group/g"), (f"{ACCT}group/g", "has_policy", "P"),
               ("P", "deny", "*", "s3:Get*"), *BUCKETS)
    assert reach(g).empty


def test_deny_of_part_of_a_wildcard_allow_keeps_the_row_marked():
    g = grants(*user_with(("allow", "arn:aws:s3:::logs", "s3:*"), ("deny", "*", "s3:DeleteObject")), *BUCKETS)
    r = reach(g)
    assert pairs(r) == [("arn:aws:s3:::logs", "s3:*")]
    assert r["denied_in_part"].iloc[0] and "partly denied" in r["notes"].iloc[0]


def test_wildcard_deny_covers_a_narrower_wildcard_allow():
    g = grants(*user_with(("allow", "arn:aws:s3:::logs", "s3:Get*"), ("deny", "arn:aws:s3:::*", "s3:*")), *BUCKETS)
    assert reach(g).empty


def test_conditional_deny_does_not_remove_but_marks():
    cond = json.dumps({"Bool": {"aws:SecureTransport": "false"}})
    g = grants(*user_with(("allow", "arn:aws:s3:::logs", "s3:GetObject"),
                          ("deny", "*", "s3:*", {"condition": cond})), *BUCKETS)
    r = reach(g)
    assert len(r) == 1 and r["denied_in_part"].iloc[0]


def test_not_action_allows_everything_but_the_listed_actions():
    g = grants(*user_with(("allow", "*", "iam:*,organizations:*", {"not_action": True})), *BUCKETS)
    r = reach(g)
    assert len(r) == 3
    assert set(r["permission"]) == {"NotAction: iam:*,organizations:*"}
    assert r["approx"].all() and (r["access"] == "admin").all()
    assert r["notes"].str.contains("NotAction").all()


def test_deny_with_not_action_denies_everything_else():
    g = grants(*user_with(("allow", "arn:aws:s3:::pay-a", "s3:GetObject"),
                          ("allow", "arn:aws:s3:::pay-b", "s3:PutObject"),
                          ("deny", "*", "s3:GetObject", {"not_action": True})), *BUCKETS)
    # Deny NotAction s3:GetObject denies every action except GetObject: only the Get survives.
    assert pairs(reach(g)) == [("arn:aws:s3:::pay-a", "s3:GetObject")]


def test_not_resource_allows_every_known_resource_except_those():
    g = grants(*user_with(("allow", "arn:aws:s3:::pay-*", "s3:GetObject", {"not_resource": True})), *BUCKETS)
    assert pairs(reach(g)) == [("arn:aws:s3:::logs", "s3:GetObject")]


def test_deny_with_not_resource_spares_only_those_resources():
    g = grants(*user_with(("allow", "*", "s3:GetObject"),
                          ("deny", "arn:aws:s3:::logs", "s3:*", {"not_resource": True})), *BUCKETS)
    assert pairs(reach(g)) == [("arn:aws:s3:::logs", "s3:GetObject")]


def test_actions_match_case_insensitively_resources_do_not():
    g = grants(*user_with(("allow", "arn:aws:s3:::PAY-*", "S3:getobject"),
                          ("allow", "arn:aws:s3:::logs", "S3:GETOBJECT"),
                          ("deny", "arn:aws:s3:::logs", "s3:GetObject")), *BUCKETS)
    r = reach(g)
    assert pairs(r) == [("arn:aws:s3:::PAY-*", "S3:getobject")]  # no bucket is named in capitals


def test_condition_is_reported_not_evaluated():
    cond = json.dumps({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, sort_keys=True, separators=(",", ":"))
    r = reach(grants(*user_with(("allow", "arn:aws:s3:::logs", "s3:GetObject", {"condition": cond})), *BUCKETS))
    assert r["conditional"].iloc[0] and r["condition"].iloc[0] == cond


def test_group_membership_and_path():
    u, grp = f"{ACCT}user/alice", f"{ACCT}group/devs"
    g = grants((KEY, "authenticates_as", u), (u, "member_of", grp), (grp, "has_policy", f"{ACCT}policy/Read"),
               (f"{ACCT}policy/Read", "allow", "arn:aws:s3:::logs", "s3:GetObject"), *BUCKETS)
    r = reach(g)
    assert pairs(r) == [("arn:aws:s3:::logs", "s3:GetObject")]
    assert r["principal"].iloc[0] == u
    assert blast.paths(r).iloc[0] == "AKIA…AA → user/alice → group/devs → policy/Read → logs"


def test_boundary_marks_rows_approximate():
    u = f"{ACCT}user/alice"
    g = grants(*user_with(("allow", "arn:aws:s3:::logs", "s3:GetObject")), (u, "has_boundary", "B"), *BUCKETS)
    r = reach(g)
    assert r["approx"].iloc[0] and "boundary not evaluated" in r["notes"].iloc[0]


# --------------------------------------------------------------------------- roles


ROLE = f"{ACCT}role/ops"
ROLE_PERM = (ROLE, "has_policy", "RP"), ("RP", "allow", "arn:aws:s3:::pay-b", "s3:GetObject")


def test_role_named_in_trust_policy_is_assumable_without_identity_permission():
    g = grants(*user_with(), (f"{ACCT}user/alice", "can_assume", ROLE, "sts:AssumeRole"), *ROLE_PERM, *BUCKETS)
    r = reach(g)
    assert pairs(r) == [("arn:aws:s3:::pay-b", "s3:GetObject")]
    assert r["principal"].iloc[0] == ROLE and "assume role/ops" in blast.paths(r).iloc[0]


def test_account_trust_needs_the_identity_policy_to_allow_assume_role():
    trust = (f"{ACCT}root", "can_assume", ROLE, "sts:AssumeRole")
    without = grants(*user_with(), trust, *ROLE_PERM, *BUCKETS)
    assert reach(without).empty
    with_perm = grants(*user_with(("allow", ROLE, "sts:AssumeRole")), trust, *ROLE_PERM, *BUCKETS)
    assert ("arn:aws:s3:::pay-b", "s3:GetObject") in pairs(reach(with_perm))
    other_account = grants(*user_with(("allow", "*", "sts:AssumeRole")),
                           ("arn:aws:iam::999999999999:root", "can_assume", ROLE), *ROLE_PERM, *BUCKETS)
    assert ("arn:aws:s3:::pay-b", "s3:GetObject") not in pairs(reach(other_account))


def test_role_chains_and_cycles_terminate():
    r2 = f"{ACCT}role/two"
    g = grants(*user_with(), (f"{ACCT}user/alice", "can_assume", ROLE), (ROLE, "can_assume", r2),
               (r2, "can_assume", ROLE), (r2, "allow", "arn:aws:s3:::logs", "s3:GetObject"), *BUCKETS)
    r = reach(g)
    assert pairs(r) == [("arn:aws:s3:::logs", "s3:GetObject")]
    assert "assume role/ops" in blast.paths(r).iloc[0] and "assume role/two" in blast.paths(r).iloc[0]


def test_trust_with_condition_or_anyone_is_approximate():
    g = grants(*user_with(("allow", "*", "sts:AssumeRole")), ("*", "can_assume", ROLE), *ROLE_PERM, *BUCKETS)
    r = reach(g)
    row = r[r["resource"] == "arn:aws:s3:::pay-b"].iloc[0]
    assert row["approx"] and "trust" in row["notes"]


# --------------------------------------------------------------------------- pivots


SECRET = "arn:aws:secretsmanager:us-east-1:111122223333:secret:ci/github"
GH = "a" * 64  # the GitHub token, by fingerprint
SLACK = "b" * 64


def pivot_graph(read_action="secretsmanager:GetSecretValue"):
    return grants(
        *user_with(("allow", SECRET, read_action)),
        ("acct", "has_resource", SECRET, None, {"target_type": "secret", "data_class": "secret"}),
        (SECRET, "holds_secret", GH, None, {"since": "2022-11-01T00:00:00Z"}),
        (GH, "authenticates_as", "github:bot", None, {"source_type": "credential"}),
        ("github:bot", "allow", "github.com/demo", "repo"),
        ("github.com/demo", "contains", "github.com/demo/ops-config"),
        ("github.com/demo/ops-config", "holds_secret", SLACK, None, {"since": "2023-02-10T00:00:00Z"}),
        (SLACK, "authenticates_as", "slack:T1/U1", None, {"source_type": "credential"}),
        ("slack:T1/U1", "allow", "slack:T1", "channels:history"),
        ("slack:T1", "has_resource", "slack:T1", None, {"target_type": "workspace", "data_class": "confidential"}),
    )


def test_two_hop_pivot_reaches_the_credentials_held_by_reachable_resources():
    r = reach(pivot_graph())
    assert dict(zip(r["acting_credential"], r["hops"])) == {KEY: 0, GH: 1, SLACK: 2}
    slack = r[r["acting_credential"] == SLACK].iloc[0]
    assert slack["resource"] == "slack:T1" and slack["data_class"] == "confidential"
    assert slack["pivot_path"] == "AKIA…AA → secret:ci/github → aaaa…aa → github.com/demo/ops-config → bbbb…bb"
    gh = r[r["acting_credential"] == GH]
    assert set(gh["resource"]) == {"github.com/demo", "github.com/demo/ops-config"}
    assert gh["notes"].dropna().str.contains("inside github.com/demo").any()


def test_write_only_permission_does_not_pivot():
    r = reach(pivot_graph("secretsmanager:PutSecretValue"))
    assert set(r["acting_credential"]) == {KEY}


def test_max_hops_stops_following_pivots():
    assert set(reach(pivot_graph(), max_hops=1)["hops"]) == {0, 1}
    assert set(reach(pivot_graph(), max_hops=0)["hops"]) == {0}


def test_pivot_exposure_starts_no_earlier_than_parent_or_storage():
    windows = pd.DataFrame({"credential": [KEY], "exposed_from": pd.to_datetime(["2023-01-16T16:45:00Z"], utc=True)})
    r = reach(pivot_graph(), windows=windows)
    start = r.drop_duplicates("acting_credential").set_index("acting_credential")["exposed_from"]
    assert start[KEY] == pd.Timestamp("2023-01-16T16:45:00Z")
    assert start[GH] == pd.Timestamp("2023-01-16T16:45:00Z")  # stored earlier: the parent's start
    assert start[SLACK] == pd.Timestamp("2023-02-10T00:00:00Z")  # stored later: its storage time


def test_pivot_table_lists_the_chain():
    p = leaklab.blast_radius(pivot_graph(), [KEY], by="pivot")
    assert list(p["reached_credential"]) == [GH, SLACK]
    assert list(p["hops"]) == [1, 2]
    assert list(p["held_in"]) == [SECRET, "github.com/demo/ops-config"]
    assert list(p["parent"]) == [KEY, GH]


def test_pivot_cycle_terminates():
    g = pd.concat([pivot_graph(), grants(("slack:T1", "holds_secret", KEY))], ignore_index=True)
    r = reach(g)
    assert sorted(set(r["hops"])) == [0, 1, 2]


def test_scanner_findings_make_a_repository_hold_its_secrets():
    secrets = leaklab.dedupe(schema.build("findings", {
        "tool": ["gitleaks"], "secret_sha256": [SLACK], "repo": ["github.com/demo/payments"],
        "secret_type": ["slack-token"], "file": ["a.env"], "line": [1]}))
    g = pd.concat([pivot_graph(), grants(("github.com/demo", "contains", "github.com/demo/payments"))],
                  ignore_index=True)
    p = leaklab.blast_radius(g.loc[g["target"] != SLACK], [KEY], secrets=secrets, by="pivot")
    assert "github.com/demo/payments" in set(p["held_in"])


def test_credentials_from_a_secrets_frame_match_key_id_fingerprints():
    from leaklab.fingerprint import sha256

    secrets = pd.DataFrame({"secret_id": [sha256(KEY)], "secret_sha256": [sha256(KEY)]})
    r = leaklab.blast_radius(pivot_graph(), secrets)
    assert set(r["credential"]) == {KEY}


# --------------------------------------------------------------------------- summaries and usage


def test_summary_per_credential():
    s = leaklab.blast_radius(pivot_graph(), by="credential")
    row = s.set_index("credential").loc[KEY]
    assert row["n_resources"] == 4 and row["n_secret"] == 1 and row["n_confidential"] == 1
    assert row["max_hops"] == 2 and row["n_pivot_credentials"] == 2
    assert row["can_write"] and not row["can_admin"]
    assert s["credential"].iloc[0] == KEY  # ranked by reach


def test_usage_marks_rows_used_versus_permitted():
    g = grants(*user_with(("allow", "arn:aws:s3:::pay-*", "s3:GetObject"), ("allow", "arn:aws:s3:::logs", "s3:PutObject")),
               *BUCKETS)
    usage = schema.build("usage", {
        "credential_id": [KEY, KEY, KEY], "action": ["s3.amazonaws.com:GetObject"] * 2 + ["s3.amazonaws.com:PutObject"],
        "resource": ["pay-a", "pay-a", "logs"], "outcome": ["success", "success", "failure"],
        "duplicate": [False, False, False], "time": ["2023-01-01T00:00:00Z"] * 3})
    r = reach(g, usage=usage)
    used = dict(zip(r["resource"], r["n_uses"]))
    assert used == {"arn:aws:s3:::pay-a": 2, "arn:aws:s3:::pay-b": 0, "arn:aws:s3:::logs": 0}  # failure is no use
    s = leaklab.blast_radius(g, [KEY], usage=usage, by="credential").iloc[0]
    assert s["n_used"] == 1 and s["n_permitted_only"] == 2


# --------------------------------------------------------------------------- contract and input


def test_output_meets_the_reach_contract_and_input_is_not_mutated():
    g = pivot_graph()
    before = g.copy()
    schema.validate(reach(g), "reach")
    pd.testing.assert_frame_equal(g, before)


def test_empty_and_unknown_credentials_give_empty_frames():
    assert reach(grants(*BUCKETS)).empty
    schema.validate(leaklab.blast_radius(pivot_graph(), ["nope"]), "reach")


def test_unknown_relation_is_an_error_naming_it():
    with pytest.raises(LeakLabError, match="unknown relation"):
        leaklab.blast_radius(grants(("a", "owns", "b")))


def test_by_must_be_known():
    with pytest.raises(LeakLabError, match="by must be"):
        leaklab.blast_radius(pivot_graph(), by="nope")


def test_hostile_names_are_data():
    evil = '<script>alert(1)</script>"\n\u202e'
    g = grants(*user_with(("allow", evil, "s3:GetObject")))
    r = reach(g)
    assert r["resource"].iloc[0] == evil


@pytest.mark.parametrize("perm,level", [
    ("s3:GetObject", "read"), ("s3:ListBucket", "read"), ("s3:PutObject", "write"), ("s3:*", "admin"),
    ("*", "admin"), ("iam:PassRole", "admin"), ("iam:GetUser", "read"), ("kms:Decrypt", "read"),
    ("repo", "write"), ("read:org", "read"), ("admin:org", "admin"), ("contents:read", "read"),
    ("secrets:write", "write"), ("administration:write", "admin"), ("chat:write", "write"),
    ("channels:history", "read"), ("Read & Write", "write"), ("None", "none"), ("frobnicate", "unknown"),
])
def test_access_levels(perm, level):
    assert blast.access_of(perm) == level


@pytest.mark.parametrize("perm,readable", [
    ("secretsmanager:GetSecretValue", True), ("s3:PutObject", False), ("repo", True), ("contents:write", True),
    ("chat:write", False), ("s3:*", True), ("frobnicate", True),
])
def test_can_read(perm, readable):
    assert blast.can_read(perm) is readable


# --------------------------------------------------------------------------- the demo's answer key


ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo():
    data = ROOT / "data"
    truth = json.loads((data / "ground_truth.json").read_text())["blast"]
    g = leaklab.load_inventory(data / "inventory")
    windows = leaklab.exposure_windows(leaklab.load_timeline(data / "timeline.csv"), as_of="2023-07-01T00:00:00Z")
    secrets = leaklab.dedupe(leaklab.load(data / "reports"))
    return g, windows, secrets, truth


def _name(cred, fps):
    from leaklab.fingerprint import sha256

    names = {v: k for k, v in fps.items()}
    return names.get(cred) or names.get(sha256(cred))


def test_demo_reach_equals_the_generators_answer_key(demo):
    g, windows, secrets, truth = demo
    fps = truth["fingerprints"]
    r = leaklab.blast_radius(g, secrets[secrets["secret_sha256"] == fps["aws-key-id"]], windows=windows)
    got = {(_name(a, fps), h, res, p) for a, h, res, p in
           zip(r["acting_credential"], r["hops"], r["resource"], r["permission"])}
    want = {(x["acting"], x["hops"], x["resource"], x["permission"]) for x in truth["reach"]}
    assert got == want
    denied = r[r["denied_in_part"]]
    assert {(x, p) for x, p in zip(denied["resource"], denied["permission"])} == {
        (d["resource"], d["permission"]) for d in truth["partly_denied"]}


def test_demo_pivot_chain_equals_the_answer_key(demo):
    g, windows, secrets, truth = demo
    fps = truth["fingerprints"]
    p = leaklab.blast_radius(g, secrets[secrets["secret_sha256"] == fps["aws-key-id"]], windows=windows, by="pivot")
    got = [(_name(c, fps), h, _name(par, fps), held, str(t)) for c, h, par, held, t in
           zip(p["reached_credential"], p["hops"], p["parent"], p["held_in"], p["exposed_from"])]
    want = [(x["reached"], x["hops"], x["parent"], x["held_in"], str(pd.Timestamp(x["exposed_from"]))) for x in truth["pivots"]]
    assert sorted(got) == sorted(want)
    summary = leaklab.blast_radius(g, secrets[secrets["secret_sha256"] == fps["aws-key-id"]], by="credential").iloc[0]
    assert summary["max_hops"] == 2 and summary["n_pivot_credentials"] == 3 and summary["can_admin"]


def test_demo_scanner_findings_add_the_repository_pivot(demo):
    g, windows, secrets, truth = demo
    fps = truth["fingerprints"]
    p = leaklab.blast_radius(g, secrets[secrets["secret_sha256"] == fps["aws-key-id"]], secrets=secrets, by="pivot")
    # The GitHub token reads payments-api, where the scanners found the demo's other secrets.
    assert "github.com/leaklab-demo/payments-api" in set(p["held_in"])
    assert set(p.loc[p["held_in"] == "github.com/leaklab-demo/payments-api", "hops"]) == {2}


def test_a_scanned_secret_named_by_id_in_the_grants_is_one_node(demo):
    g, windows, secrets, truth = demo
    fps = truth["fingerprints"]
    p = leaklab.blast_radius(g, secrets[secrets["secret_sha256"] == fps["aws-key-id"]], secrets=secrets, by="pivot")
    # The AWS key is in payments-api too, but it is the root: never reached again under its fingerprint.
    assert fps["aws-key-id"] not in set(p["reached_credential"])


# --------------------------------------------------------------------------- review regressions


ADMIN = f"{ACCT}role/admin"
U = f"{ACCT}user/alice"
ROLE_ADMIN = [(ADMIN, "allow", "*", "*")]


def test_identity_deny_of_assume_role_wins_over_a_named_trust():
    g = grants(*user_with(("deny", "*", "sts:AssumeRole")), (U, "can_assume", ADMIN, "sts:AssumeRole"), *ROLE_ADMIN)
    assert ADMIN not in set(reach(g)["principal"].astype(object))


def test_identity_deny_of_assume_role_wins_over_an_account_trust():
    g = grants(*user_with(("allow", "*", "sts:*"), ("deny", ADMIN, "sts:AssumeRole")),
               (f"{ACCT}root", "can_assume", ADMIN, "sts:AssumeRole"), *ROLE_ADMIN)
    assert ADMIN not in set(reach(g)["principal"].astype(object))


def test_trust_statement_for_another_action_lets_no_one_in():
    g = grants(*user_with(), (U, "can_assume", ADMIN, "sts:TagSession"), *ROLE_ADMIN)
    assert reach(g).empty


def test_trust_policy_deny_from_the_inventory_blocks_the_role(tmp_path):
    doc = {"UserDetailList": [{"UserName": "alice", "Arn": U, "GroupList": [], "UserPolicyList": [],
                               "AttachedManagedPolicies": []}],
           "RoleDetailList": [{"RoleName": "admin", "Arn": ADMIN, "AssumeRolePolicyDocument": {"Statement": [
               {"Effect": "Allow", "Principal": {"AWS": U}, "Action": "sts:AssumeRole"},
               {"Effect": "Deny", "Principal": {"AWS": U}, "Action": "sts:AssumeRole"}]},
               "RolePolicyList": [{"PolicyName": "all", "PolicyDocument": {"Statement": {
                   "Effect": "Allow", "Action": "*", "Resource": "*"}}}], "AttachedManagedPolicies": []}],
           "GroupDetailList": [], "Policies": []}
    (tmp_path / "gaad.json").write_text(json.dumps(doc))
    keys = {"AccessKeyMetadata": [{"UserName": "alice", "AccessKeyId": KEY, "Status": "Active",
                                   "CreateDate": "2023-01-01T00:00:00+00:00"}]}
    (tmp_path / "keys.json").write_text(json.dumps(keys))
    assert reach(leaklab.load_inventory(tmp_path)).empty


def test_a_deny_on_one_resource_keeps_the_wildcard_allow_marked():
    r = reach(grants(*user_with(("allow", "arn:aws:s3:::*", "s3:GetObject"),
                                ("deny", "arn:aws:s3:::secret", "s3:GetObject"))))
    assert pairs(r) == [("arn:aws:s3:::*", "s3:GetObject")]
    assert r["denied_in_part"].iloc[0]


def test_an_object_level_deny_only_takes_part_of_the_bucket():
    g = grants(*user_with(("allow", "arn:aws:s3:::logs/*", "s3:GetObject"),
                          ("deny", "arn:aws:s3:::logs/private/*", "s3:GetObject")), *BUCKETS)
    r = reach(g)
    assert pairs(r) == [("arn:aws:s3:::logs", "s3:GetObject")] and r["denied_in_part"].iloc[0]
    # and a deny on every object of the bucket takes it all
    g = grants(*user_with(("allow", "arn:aws:s3:::logs/*", "s3:GetObject"),
                          ("deny", "arn:aws:s3:::logs/*", "s3:*")), *BUCKETS)
    assert reach(g).empty


def test_not_resource_items_are_kept_apart_and_exact():
    g = grants(*user_with(("allow", "arn:aws:s3:::pay-a/x,arn:aws:s3:::pay-b", "s3:GetObject", {"not_resource": True})),
               *BUCKETS)
    # pay-a/x is one object: the rest of pay-a stays reachable; pay-b is excluded whole.
    assert {x for x, _ in pairs(reach(g))} == {"arn:aws:s3:::pay-a", "arn:aws:s3:::logs"}


@pytest.mark.parametrize("perm", ["secretsmanager:DescribeSecret", "secretsmanager:ListSecrets", "s3:ListBucket"])
def test_listing_or_describing_a_store_is_no_pivot(perm):
    assert set(reach(pivot_graph(perm))["acting_credential"].astype(object)) == {KEY}


def test_metadata_read_on_a_repository_is_no_pivot():
    g = grants(("tok-1", "authenticates_as", "github:bot"), ("github:bot", "allow", "github.com/o/r", "metadata:read"),
               ("github.com/o/r", "holds_secret", KEY))
    assert set(leaklab.blast_radius(g, ["tok-1"])["acting_credential"].astype(object)) == {"tok-1"}


def test_exposure_start_is_carried_from_parent_to_child():
    k1, k2 = "tok-k1", "tok-k2"
    g = grants(*user_with(("allow", "vault/a", "read")),
               ("vault/a", "holds_secret", k1, None, {"since": "2024-06-01T00:00:00Z"}),
               (k1, "allow", "vault/b", "read"),
               ("vault/b", "holds_secret", k2, None, {"since": "2024-01-01T00:00:00Z"}))
    windows = pd.DataFrame({"credential": [KEY, KEY], "exposed_from": pd.to_datetime(
        ["2023-06-01T00:00:00Z", "2023-01-01T00:00:00Z"], utc=True)})  # two windows: the earliest counts
    p = leaklab.blast_radius(g, [KEY], windows=windows, by="pivot").set_index("reached_credential")
    assert p.loc[k1, "exposed_from"] == pd.Timestamp("2024-06-01T00:00:00Z")
    assert p.loc[k2, "exposed_from"] == pd.Timestamp("2024-06-01T00:00:00Z")  # its parent's, later than its storage
    r = reach(g, windows=windows)
    assert r.loc[r["acting_credential"] == KEY, "exposed_from"].iloc[0] == pd.Timestamp("2023-01-01T00:00:00Z")


def _usage(rows):
    return schema.build("usage", {
        "credential_id": [KEY] * len(rows), "action": [a for a, _, _ in rows], "resource": [r for _, r, _ in rows],
        "time": [t for _, _, t in rows], "outcome": ["success"] * len(rows), "duplicate": [False] * len(rows)})


def test_used_needs_the_same_resource_not_a_longer_name():
    g = grants(*user_with(("allow", "arn:aws:s3:::payroll", "s3:GetObject")))
    r = reach(g, usage=_usage([("s3.amazonaws.com:GetObject", "payroll-archive", "2024-02-01T00:00:00Z")]))
    assert not r["used"].iloc[0]
    r = reach(g, usage=_usage([("s3.amazonaws.com:GetObject", "payroll/2024/jan.csv", "2024-02-01T00:00:00Z")]))
    assert r["used"].iloc[0]


def test_calls_before_the_exposure_are_not_uses_of_the_leak():
    g = grants(*user_with(("allow", "arn:aws:s3:::logs", "s3:PutObject")), *BUCKETS)
    windows = pd.DataFrame({"credential": [KEY], "exposed_from": pd.to_datetime(["2024-01-01T00:00:00Z"], utc=True)})
    r = reach(g, windows=windows, usage=_usage([("s3.amazonaws.com:PutObject", "logs", "2019-05-01T00:00:00Z")]))
    assert not r["used"].iloc[0]


def test_summary_counts_a_resource_used_through_any_of_its_permissions():
    g = grants(*user_with(("allow", "arn:aws:s3:::data", "s3:GetObject"), ("allow", "arn:aws:s3:::data", "s3:PutObject")))
    s = leaklab.blast_radius(g, [KEY], usage=_usage([("s3.amazonaws.com:PutObject", "data", "2024-02-01T00:00:00Z")]),
                             by="credential").iloc[0]
    assert (s["n_used"], s["n_permitted_only"]) == (1, 0)
