"""leaklab.load_inventory: permission inventories to the grants edge list."""

from __future__ import annotations

import base64
import json
import re
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

import leaklab
from leaklab import schema
from leaklab.errors import LeakLabWarning, RecordError, UnknownFormatError
from leaklab.fingerprint import sha256
from leaklab.inventory import formats, sniff

INV = Path(__file__).resolve().parent / "fixtures" / "inventory"
ACCT = "111122223333"
DEPLOY_BOT = f"arn:aws:iam::{ACCT}:user/ci/deploy-bot"
GH_FP = sha256("ghp_" + "LEAKLABFAKE" + "0" * 25)


@contextmanager
def warned(*patterns):
    """Every LeakLabWarning of the block caught (one load may warn twice); each pattern found in one."""
    with pytest.warns(LeakLabWarning) as rec:
        yield rec
    text = "\n".join(str(w.message) for w in rec)
    for p in patterns:
        assert re.search(p, text), text


def arn(x: str) -> str:
    return f"arn:aws:iam::{ACCT}:{x}"


def load(*names, **kw):
    paths = [INV / n for n in names]
    return leaklab.load_inventory(paths if len(paths) > 1 else paths[0], **kw)


def edges(df, relation=None, **match) -> pd.DataFrame:
    m = df if relation is None else df[df["relation"] == relation]
    for k, v in match.items():
        m = m[m[k] == v]
    return m


def one(df, relation=None, **match) -> pd.Series:
    m = edges(df, relation, **match)
    assert len(m) == 1, m
    return m.iloc[0]


def write_json(tmp_path, name, doc) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(doc, indent=4))
    return p


def gaad() -> dict:
    return json.loads((INV / "gaad.json").read_text())


# --------------------------------------------------------------------------- registry and sniffing


def test_formats_lists_every_format():
    names = formats()["format"].tolist()
    assert names == ["aws-iam-gaad", "aws-list-access-keys", "aws-credential-report", "grants", "inventory",
                     "trufflehog-analyze", "github-tokens", "slack-tokens"]
    assert list(formats().columns) == ["format", "provider", "description"]


def test_public_api_is_lazy_and_registered():
    assert leaklab.load_inventory is leaklab.inventory.load_inventory
    assert "inventory" in dir(leaklab) and "load_inventory" in leaklab.__all__


def test_unknown_format_name_lists_supported():
    with pytest.raises(UnknownFormatError, match="aws-iam-gaad.*slack-tokens"):
        load("gaad.json", format="cloudtrail")


@pytest.mark.parametrize("name, fmt", [
    ("gaad.json", "aws-iam-gaad"),
    ("gaad-api.json", "aws-iam-gaad"),
    ("list-access-keys.json", "aws-list-access-keys"),
    ("credential-report.csv", "aws-credential-report"),
    ("credential-report.json", "aws-credential-report"),
    ("trufflehog-github.json", "trufflehog-analyze"),
    ("trufflehog-slack-snake.json", "trufflehog-analyze"),
    ("trufflehog-flat.json", "trufflehog-analyze"),
    ("github-org-pats.json", "github-tokens"),
    ("github-tokens.yaml", "github-tokens"),
    ("slack-auth-test.json", "slack-tokens"),
    ("slack-tokens.yaml", "slack-tokens"),
    ("inventory.yaml", "inventory"),
    ("inventory.csv", "inventory"),
])
def test_sniff(name, fmt):
    assert sniff(INV / name).name == fmt


def test_file_named_directly_must_be_an_inventory(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("hello\n")
    with pytest.raises(UnknownFormatError, match="notes.txt.*supported formats"):
        leaklab.load_inventory(p)


def test_directory_reads_every_file_and_skips_strangers(tmp_path):
    for n in ("gaad.json", "list-access-keys.json"):
        (tmp_path / n).write_bytes((INV / n).read_bytes())
    (tmp_path / "README.txt").write_text("not an inventory\n")
    with warned("skipped 1"):
        df = leaklab.load_inventory(tmp_path)
    assert df.attrs["skipped"][0]["file"].endswith("README.txt")
    assert one(df, "authenticates_as", source="AKIALEAKLABFAKE00001")["target"] == DEPLOY_BOT


def test_empty_file_is_an_empty_frame(tmp_path):
    p = tmp_path / "empty.json"
    p.write_text("")
    df = leaklab.load_inventory(p)
    assert len(df) == 0
    schema.validate(df, "grants")


# --------------------------------------------------------------------------- GAAD


@pytest.fixture(scope="module")
def g():
    return load("gaad.json")


def test_gaad_frame_is_valid(g):
    schema.validate(g, "grants")
    assert set(g["relation"]) <= set(leaklab.inventory.RELATIONS)
    assert (g["provider"] == "aws").all() and (g["source_file"] == str(INV / "gaad.json")).all()


def test_gaad_membership_and_attached_policies(g):
    m = one(g, "member_of", source=DEPLOY_BOT)
    assert (m["target"], m["target_type"], m["source_record"]) == (arn("group/Developers"), "group",
                                                                    "UserDetailList[0].GroupList[0]")
    assert m["since"] == pd.Timestamp("2023-01-05T10:12:44Z")
    assert one(g, "has_policy", source=DEPLOY_BOT, detail="ReadOnlyAccess")["target"] == \
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    # The AWS CLI's own example prints AttachedManagedPolicies as a bare object for groups.
    admins = one(g, "has_policy", source=arn("group/Admins"))
    assert admins["target"] == "arn:aws:iam::aws:policy/AdministratorAccess"
    assert admins["source_record"] == "GroupDetailList[1].AttachedManagedPolicies[0]"


def test_gaad_inline_policy_statements(g):
    inline = f"{DEPLOY_BOT}#inline/DeployInline"
    assert one(g, "has_policy", source=DEPLOY_BOT, target=inline)["source_type"] == "user"
    s1 = edges(g, "allow", source=inline, source_record="UserDetailList[0].UserPolicyList[0].PolicyDocument.Statement[1]")
    # two actions x two resources: one row each
    assert sorted(zip(s1["action"], s1["target"], strict=True)) == sorted(
        (a, r) for a in ("s3:GetObject", "s3:PutObject")
        for r in ("arn:aws:s3:::leaklab-artifacts/*", "arn:aws:s3:::leaklab-builds/*"))
    assert set(s1["condition"]) == {'{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}'}
    assert s1["detail"].isna().all() and not s1["not_action"].any()
    s0 = one(g, "allow", source=inline, action="sts:AssumeRole")
    assert (s0["target"], s0["detail"]) == (arn("role/deploy"), "AssumeDeploy")


def test_gaad_not_action_and_not_resource_are_one_row(g):
    d = one(g, "deny", source=f"{DEPLOY_BOT}#inline/DeployInline")
    assert d["action"] == "iam:Get*,iam:List*" and d["not_action"] == True  # noqa: E712 - pandas boolean
    assert d["target"] == f"{DEPLOY_BOT},{arn('role/deploy')}" and d["not_resource"] == True  # noqa: E712
    assert d["detail"] == "NoIamWrites"
    assert d["source_record"] == "UserDetailList[0].UserPolicyList[0].PolicyDocument.Statement[2]"


def test_gaad_single_statement_object_and_unknown_keys(g):
    s = one(g, "allow", source=arn("user/alice") + "#inline/BillingView")
    assert (s["action"], s["target"]) == ("aws-portal:View*", "*")
    assert s["source_record"] == "UserDetailList[1].UserPolicyList[0].PolicyDocument.Statement"


def test_gaad_managed_policy_uses_default_version(g):
    dev = edges(g, "allow", source=arn("policy/DevS3Access"))
    assert "s3:*" not in set(dev["action"])  # v1, not the default
    assert set(dev["source_record"].str.slice(0, 32)) == {"Policies[0].PolicyVersionList[1]"}
    assert (dev["since"] == pd.Timestamp("2023-02-10T08:00:00Z")).all()
    # no IsDefaultVersion on the only version: DefaultVersionId picks it
    b = one(g, "allow", source=arn("policy/DevBoundary"))
    assert (b["action"], b["not_action"]) == ("iam:*", True)


def test_gaad_boundary(g):
    b = edges(g, "has_boundary")
    assert sorted(b["source"]) == sorted([DEPLOY_BOT, arn("role/github-actions")])
    assert set(b["target"]) == {arn("policy/DevBoundary")}


def test_gaad_trust_policy(g):
    ca = edges(g, "can_assume", target=arn("role/deploy"))
    got = dict(zip(ca["source"], ca["source_type"], strict=True))
    assert got == {DEPLOY_BOT: "user", "arn:aws:iam::444455556666:root": "account", arn("root"): "account",
                   "service:codebuild.amazonaws.com": "service"}
    partner = one(ca, source="arn:aws:iam::444455556666:root")
    assert partner["condition"] == '{"StringEquals":{"sts:ExternalId":"leaklab-fake-external-id"}}'
    assert partner["detail"] == "Partner" and partner["action"] == "sts:AssumeRole"
    assert one(ca, source="service:codebuild.amazonaws.com")["action"] == "sts:AssumeRole,sts:TagSession"
    # The trust policy's Deny is a deny edge: blast_radius applies it like any explicit deny.
    deny = one(g, "deny", source="arn:aws:iam::999988887777:root")
    assert (deny["target"], deny["action"], deny["detail"]) == (arn("role/deploy"), "sts:AssumeRole", "NoGuests")
    fed = one(g, "can_assume", target=arn("role/github-actions"))
    assert fed["source"] == f"federated:{arn('oidc-provider/token.actions.githubusercontent.com')}"
    assert fed["action"] == "sts:AssumeRoleWithWebIdentity"
    star = one(g, "can_assume", target=arn("role/anyone"))
    assert (star["source"], star["source_type"]) == ("*", "any")
    assert star["since"] == pd.Timestamp("2023-04-01T12:00:00Z")


def test_gaad_url_encoded_api_form():
    df = load("gaad-api.json")
    s = one(df, "allow", source=arn("user/bob") + "#inline/TeamBucket")
    assert (s["action"], s["target"], s["detail"]) == ("s3:*", "arn:aws:s3:::leaklab-team/*", "Team")
    # decoded exactly once: a literal % in a condition survives
    assert s["condition"] == '{"StringLike":{"s3:prefix":["home/bob/%","shared/*"]}}'
    assert one(df, "can_assume", target=arn("role/audit"))["source"] == arn("user/bob")


def test_gaad_decoded_and_encoded_give_the_same_edges(tmp_path):
    doc = gaad()
    for user in doc["UserDetailList"]:
        for p in user["UserPolicyList"]:
            from urllib.parse import quote

            p["PolicyDocument"] = quote(json.dumps(p["PolicyDocument"]), safe="")
    a = load("gaad.json")
    b = leaklab.load_inventory(write_json(tmp_path, "gaad.json", doc))
    cols = [c for c in a.columns if c != "source_file"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_gaad_truncated_page_warns(tmp_path):
    doc = gaad()
    doc["IsTruncated"] = True
    doc["Marker"] = "LEAKLABFAKEMARKER"
    with warned("IsTruncated: this is one page"):
        leaklab.load_inventory(write_json(tmp_path, "page.json", doc))


# --------------------------------------------------------------------------- malformed GAAD


def _set(doc, path, value):
    *parents, last = path
    node = doc
    for k in parents:
        node = node[k]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value


_DELETE = object()
_STMTS = ["UserDetailList", 0, "UserPolicyList", 0, "PolicyDocument", "Statement"]
_S1 = "UserDetailList[0].UserPolicyList[0].PolicyDocument.Statement[1]"


@pytest.mark.parametrize("path, value, where, why", [
    (_STMTS, "LEAKLAB-NOT-A-STATEMENT", "UserDetailList[0].UserPolicyList[0].PolicyDocument.Statement",
     "Statement must be an object or a list"),
    (_STMTS + [1, "Effect"], _DELETE, _S1, "statement has no Effect"),
    (_STMTS + [1, "Effect"], "LEAKLAB-Maybe", _S1, "Effect must be Allow or Deny"),
    (_STMTS + [1, "Action"], 42, _S1, "Action must be a string or a list of strings"),
    (_STMTS + [1, "Action"], ["s3:GetObject", {"LEAKLAB": "x"}], _S1, "Action must be a string or a list"),
    (_STMTS + [1], "LEAKLAB-TEXT", _S1, "a statement must be a JSON object"),
    (["RoleDetailList", 0, "AssumeRolePolicyDocument", "Statement", 0, "Effect"], _DELETE,
     "RoleDetailList[0].AssumeRolePolicyDocument.Statement[0]", "statement has no Effect"),
    (["Policies", 0, "PolicyVersionList", 1, "Document", "Statement", 1, "Action"], 7,
     "Policies[0].PolicyVersionList[1].Document.Statement[1]", "Action must be"),
    (["UserDetailList", 1, "Arn"], _DELETE, "UserDetailList[1]", "missing required field 'Arn'"),
])
def test_gaad_malformed_names_file_and_json_path(tmp_path, path, value, where, why):
    doc = gaad()
    _set(doc, path, value)
    p = write_json(tmp_path, "bad-gaad.json", doc)
    with pytest.raises(RecordError) as e:
        leaklab.load_inventory(p)
    assert e.value.file == str(p)
    assert e.value.record == where
    assert why in e.value.reason
    assert "LEAKLAB" not in str(e.value)  # values are never quoted


def test_gaad_url_encoded_garbage_names_path(tmp_path):
    doc = gaad()
    doc["UserDetailList"][0]["UserPolicyList"][0]["PolicyDocument"] = "%7B%22Statement%22%3A"
    with pytest.raises(RecordError, match=r"UserPolicyList\[0\]\.PolicyDocument: policy document is neither"):
        leaklab.load_inventory(write_json(tmp_path, "bad.json", doc))


def test_gaad_lenient_skips_and_lists(tmp_path):
    doc = gaad()
    _set(doc, _STMTS + [1, "Effect"], "LEAKLAB-Maybe")
    _set(doc, ["UserDetailList", 1, "Arn"], _DELETE)
    p = write_json(tmp_path, "bad-gaad.json", doc)
    with warned() as rec:
        df = leaklab.load_inventory(p, lenient=True)
    assert any("skipped 2 record(s)" in str(w.message) for w in rec)
    skipped = df.attrs["skipped"]
    assert [(s["file"], s["record"]) for s in skipped] == [(str(p), _S1), (str(p), "UserDetailList[1]")]
    # only the bad statement and the bad user are gone
    inline = f"{DEPLOY_BOT}#inline/DeployInline"
    assert _S1 not in set(df["source_record"])
    assert len(edges(df, "allow", source=inline)) == 1 and len(edges(df, "deny", source=inline)) == 1
    assert arn("user/alice") not in set(df["source"])
    assert one(df, "member_of", source=DEPLOY_BOT)["target"] == arn("group/Developers")


def test_lenient_skips_a_file_that_is_not_json(tmp_path):
    p = tmp_path / "broken.json"
    p.write_text('{"UserDetailList": [')
    with pytest.raises(RecordError, match="broken.json, record line 1"):
        leaklab.load_inventory(p)
    with warned("skipped 1"):
        df = leaklab.load_inventory([p, INV / "slack-tokens.yaml"], lenient=True)
    assert len(df) == 3


# --------------------------------------------------------------------------- access keys, credential report, resolution


def test_list_access_keys_alone_keeps_the_name_and_warns():
    with warned(r"AccessKeyMetadata\[0\]: the IAM user name is unknown"):
        df = load("list-access-keys.json")
    k = one(df, source="AKIALEAKLABFAKE00002")
    assert (k["relation"], k["target"], k["source_type"], k["detail"]) == ("authenticates_as", "deploy-bot",
                                                                            "credential", "status=Inactive")
    assert k["since"] == pd.Timestamp("2023-06-01T00:00:00Z")


def test_access_keys_resolve_against_gaad():
    df = load("gaad.json", "list-access-keys.json")
    keys = edges(df, "authenticates_as")
    assert dict(zip(keys["source"], keys["target"], strict=True)) == {"AKIALEAKLABFAKE00001": DEPLOY_BOT,
                                                         "AKIALEAKLABFAKE00002": DEPLOY_BOT}


def test_ambiguous_user_name_is_kept(tmp_path):
    other = gaad()
    other["UserDetailList"] = [dict(other["UserDetailList"][0], Arn="arn:aws:iam::444455556666:user/deploy-bot",
                                    UserPolicyList=[], PermissionsBoundary=None)]
    for k in ("GroupDetailList", "RoleDetailList", "Policies"):
        other[k] = []
    p = write_json(tmp_path, "other-account.json", other)
    with warned("ambiguous"):
        df = leaklab.load_inventory([INV / "gaad.json", p, INV / "list-access-keys.json"])
    assert set(edges(df, "authenticates_as", source_type="credential")["target"]) == {"deploy-bot"}


@pytest.mark.parametrize("name, prefix", [("credential-report.csv", ""), ("credential-report.json", "Content ")])
def test_credential_report(name, prefix):
    df = load(name)
    assert set(df["relation"]) == {"authenticates_as"}
    slots = dict(zip(df["source"], df["target"], strict=True))
    assert slots == {f"{DEPLOY_BOT}#access_key_1": DEPLOY_BOT, f"{DEPLOY_BOT}#access_key_2": DEPLOY_BOT,
                     arn("user/alice") + "#access_key_1": arn("user/alice")}  # root and charlie have no keys
    k1 = one(df, source=f"{DEPLOY_BOT}#access_key_1")
    assert k1["detail"] == ("slot=access_key_1; active=true; last_used=2024-05-01T10:02:00+00:00; "
                            "last_used_service=s3; last_used_region=us-east-1")
    assert k1["since"] == pd.Timestamp("2023-02-01T09:30:00Z") and k1["source_record"] == f"{prefix}line 3"
    # "no_information" and "N/A" are nulls
    assert one(df, source=arn("user/alice") + "#access_key_1")["detail"] == "slot=access_key_1; active=true; last_used=never"


def test_credential_report_slots_resolve_to_key_ids():
    df = load("credential-report.csv", "list-access-keys.json")
    rep = edges(df, source_file=str(INV / "credential-report.csv"))
    assert dict(zip(rep["source"], rep["target"], strict=True)) == {
        "AKIALEAKLABFAKE00001": DEPLOY_BOT, "AKIALEAKLABFAKE00002": DEPLOY_BOT,
        arn("user/alice") + "#access_key_1": arn("user/alice")}
    # list-access-keys names resolved by the report alone (no GAAD in this load)
    keys = edges(df, source_file=str(INV / "list-access-keys.json"))
    assert set(keys["target"]) == {DEPLOY_BOT}


def test_credential_report_slot_needs_the_same_second(tmp_path):
    keys = json.loads((INV / "list-access-keys.json").read_text())
    keys["AccessKeyMetadata"][0]["CreateDate"] = "2023-02-01T09:30:01+00:00"
    p = write_json(tmp_path, "keys.json", keys)
    with warned("line 3: a credential-report key slot matches no single access key"):
        df = leaklab.load_inventory([INV / "credential-report.csv", p])
    rep = edges(df, source_file=str(INV / "credential-report.csv"))
    assert f"{DEPLOY_BOT}#access_key_1" in set(rep["source"]) and "AKIALEAKLABFAKE00002" in set(rep["source"])


def test_credential_report_bad_row_and_header(tmp_path):
    text = (INV / "credential-report.csv").read_text().replace("2022-11-12T09:00:00+00:00", "LEAKLAB-someday")
    p = tmp_path / "report.csv"
    p.write_text(text)
    with pytest.raises(RecordError, match=r"report.csv, record line 4: field 'access_key_1_last_rotated'"):
        leaklab.load_inventory(p)
    bad = {"Content": base64.b64encode(b"user,arn,x\nbob,arn:aws:iam::1:user/bob,1\n").decode(), "ReportFormat": "text/csv"}
    with pytest.raises(RecordError, match=r"record Content line 1: .*not a credential report header"):
        leaklab.load_inventory(write_json(tmp_path, "r.json", bad), format="aws-credential-report")


# --------------------------------------------------------------------------- trufflehog analyze


def test_trufflehog_go_marshalled_result():
    df = load("trufflehog-github.json")
    assert set(df["provider"]) == {"github"}  # AnalyzerType 7
    allow = edges(df, "allow")
    assert set(allow["source"]) == {GH_FP} and set(allow["source_type"]) == {"credential"}
    assert sorted(edges(allow, target="github.com/acme/api")["action"]) == ["read:org", "repo"]
    assert one(allow, action="gist")["target_type"] == "gist"
    decl = edges(df, "has_resource")
    assert dict(zip(decl["target"], decl["target_type"], strict=True)) == {
        "github.com/octocat": "user", "github.com/acme/api": "repository", "github.com/acme": "organization",
        "github.com/octocat/dotfiles": "repository", "gist.github.com/octocat/0123456789abcdef": "gist"}
    cont = edges(df, "contains")
    assert sorted(zip(cont["source"], cont["target"], strict=True)) == [
        ("github.com/acme", "github.com/acme/api"), ("github.com/octocat", "gist.github.com/octocat/0123456789abcdef"),
        ("github.com/octocat", "github.com/octocat/dotfiles")]
    assert one(cont, target="github.com/acme/api")["source_record"] == "Bindings[2].Resource.Parent"


def test_trufflehog_snake_case_and_credential_argument(tmp_path):
    df = load("trufflehog-slack-snake.json")
    assert set(edges(df, "allow")["action"]) == {"channels:history", "files:read"}
    assert set(df["provider"]) == {"slack"}
    doc = json.loads((INV / "trufflehog-github.json").read_text())
    del doc["credential"]
    p = write_json(tmp_path, "th.json", doc)
    with pytest.raises(RecordError, match="pass credential="):
        leaklab.load_inventory(p)
    df = leaklab.load_inventory(p, credential="leaked-gh-token")
    assert set(edges(df, "allow")["source"]) == {"leaked-gh-token"}


def test_trufflehog_flat_bindings():
    with pytest.raises(RecordError, match=r"trufflehog-flat.json, record \[0\]: .*credential="):
        load("trufflehog-flat.json")
    df = load("trufflehog-flat.json", credential="pg-cred")
    db = "postgres://db.internal:5432/payroll"
    assert sorted(edges(df, "allow", target=db)["action"]) == ["insert", "select"]
    assert one(df, "contains")["source"] == "postgres://db.internal:5432"
    assert one(df, "has_resource", target=db)["target_type"] == "database"


# --------------------------------------------------------------------------- GitHub


def test_github_org_pat_list_without_org_warns():
    with warned("named by its numeric id"):
        df = load("github-org-pats.json")
    a = one(df, "authenticates_as", source="github-pat:98716")
    assert a["target"] == "github:octocat" and a["since"] == pd.Timestamp("2023-05-16T15:47:09Z")
    assert "token_name=deploy script" in a["detail"] and "expires_at=2023-11-16T08:47:09.000-07:00" in a["detail"]
    assert set(edges(df, "allow", source="github-pat:98716")["target"]) == {"github-org-id:652551"}


def test_github_org_pat_list_wrapped_with_org_and_repositories(tmp_path):
    pats = json.loads((INV / "github-org-pats.json").read_text())
    pats[1]["repositories"] = [{"full_name": "acme/api", "private": True}]
    df = leaklab.load_inventory(write_json(tmp_path, "pats.json", {"org": "acme", "personal_access_tokens": pats}))
    all_sel = edges(df, "allow", source="github-pat:98716")
    assert dict(zip(all_sel["action"], all_sel["target"], strict=True)) == {
        "members:read": "github.com/acme", "metadata:read": "github.com/acme", "contents:write": "github.com/acme"}
    sub = one(df, "allow", source="github-pat:98717")
    assert (sub["target"], sub["target_type"], sub["action"]) == ("github.com/acme/api", "repository", "secrets:read")
    assert one(df, "contains")["source"] == "github.com/acme"


def test_github_org_pat_pages_back_to_back(tmp_path):
    pats = json.loads((INV / "github-org-pats.json").read_text())
    for p in pats:
        p["org"] = "acme"
    path = tmp_path / "paged.json"
    path.write_text(json.dumps(pats[:1], indent=2) + "\n" + json.dumps(pats[1:], indent=2) + "\n")
    df = leaklab.load_inventory(path, format="github-tokens")
    assert set(edges(df, "authenticates_as")["source"]) == {"github-pat:98716", "github-pat:98717"}
    assert set(edges(df, "allow", source="github-pat:98717")["target_type"]) == {"repository-selection"}


def test_github_analyst_yaml():
    df = load("github-tokens.yaml")
    assert one(df, "authenticates_as", source=GH_FP)["target"] == "github:octocat"
    classic = edges(df, "allow", source="github:octocat")
    assert sorted(classic["action"]) == ["read:org", "repo"]  # the header split on ","
    assert set(classic["target"]) == {"github.com/acme"}
    assert set(classic["since"]) == {pd.Timestamp("2023-01-05T10:00:00Z")}
    fine = edges(df, "allow", source="ci-fine-grained-token")
    assert sorted(zip(fine["action"], fine["target"], strict=True)) == [
        ("actions:read", "github.com/acme/api"), ("actions:read", "github.com/acme/web"),
        ("contents:write", "github.com/acme/api"), ("contents:write", "github.com/acme/web"),
        ("members:read", "github.com/acme")]
    assert set(edges(df, "contains")["target"]) == {"github.com/acme/api", "github.com/acme/web"}


# --------------------------------------------------------------------------- Slack


def test_slack_auth_test():
    df = load("slack-auth-test.json")
    a = one(df, "authenticates_as")
    assert (a["target"], a["target_type"]) == ("slack:T0LEAKLAB1/U0LEAKLAB1", "app")  # a bot token
    assert a["source"].startswith("sha1:") and "team=Acme" in a["detail"]
    assert sorted(edges(df, "allow")["action"]) == ["channels:history", "chat:write", "files:read"]
    assert set(edges(df, "allow")["target"]) == {"slack:T0LEAKLAB1"}


def test_slack_yaml_and_failed_auth_test(tmp_path):
    df = load("slack-tokens.yaml")
    assert one(df, "authenticates_as")["target"] == "slack:T0LEAKLAB1/U0LEAKLAB2"
    assert set(edges(df, "allow")["action"]) == {"channels:history", "users:read.email"}
    doc = json.loads((INV / "slack-auth-test.json").read_text())
    doc["ok"] = False
    with pytest.raises(RecordError, match=r"record top level: auth.test failed"):
        leaklab.load_inventory(write_json(tmp_path, "auth.json", doc))


# --------------------------------------------------------------------------- analyst inventory and grants


def test_inventory_yaml():
    df = load("inventory.yaml")
    legacy = arn("user/legacy")
    c = one(df, "authenticates_as")
    assert (c["source"], c["target"], c["provider"], c["detail"]) == ("AKIALEAKLABFAKE00003", legacy, "aws",
                                                                      "found in the wiki")
    assert c["since"] == pd.Timestamp("2021-03-04", tz="UTC")
    g = edges(df, "allow", source=legacy)
    assert sorted(g["action"]) == ["ssm:GetParameter", "ssm:GetParameters"]
    assert set(g["condition"]) == {'{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}'}
    assert one(df, "deny")["action"] == "s3:DeleteObject"
    assert one(df, "member_of")["target"] == arn("group/Developers")
    param = f"arn:aws:ssm:us-east-1:{ACCT}:parameter/prod/db-password"
    r = one(df, "has_resource", target=param)
    assert (r["source"], r["target_type"], r["data_class"]) == ("aws", "ssm-parameter", "secret")
    h = one(df, "holds_secret")
    assert (h["source"], h["target"][:5], h["source_record"]) == (param, "sha1:", "resources[0]")
    assert h["since"] == pd.Timestamp("2022-01-10T12:00:00Z")
    assert one(df, "contains")["target"] == "github.com/acme/api"


def test_inventory_csv():
    df = load("inventory.csv")
    assert one(df, "authenticates_as")["target"] == arn("user/batch")
    table = f"arn:aws:dynamodb:us-east-1:{ACCT}:table/customers"
    assert one(df, "allow", target=table)["action"] == "dynamodb:Scan"
    assert one(df, "has_resource", target=table, data_class="confidential")["source_record"] == "line 4"
    held = edges(df, "holds_secret")
    assert sorted(held["target"]) == sorted(["actions-secret-NPM_TOKEN", GH_FP])
    ci = one(df, "allow", source="ci-token")
    assert (ci["source_type"], ci["target"]) == ("credential", "github.com/acme/web")


@pytest.mark.parametrize("text, where, why", [
    ("resources:\n  - id: x\n    data_class: LEAKLAB-top-secret\n", "resources[0]", "data_class must be one of"),
    ("grants:\n  - principal: p\n    resource: r\n", "grants[0]", "missing required field 'permission'"),
    ("credentials:\n  - principal: p\n", "credentials[0]", "missing required field 'id'"),
    ("grants:\n  - {principal: p, permission: x, resource: r, effect: LEAKLAB-maybe}\n", "grants[0]",
     "effect must be allow or deny"),
])
def test_inventory_yaml_errors_name_the_record(tmp_path, text, where, why):
    p = tmp_path / "inv.yaml"
    p.write_text(text)
    with pytest.raises(RecordError) as e:
        leaklab.load_inventory(p)
    assert (e.value.file, e.value.record) == (str(p), where) and why in e.value.reason
    assert "LEAKLAB" not in str(e.value)


def test_inventory_csv_errors_name_the_line(tmp_path):
    p = tmp_path / "inv.csv"
    p.write_text("credential,principal,resource,data_class\nk,p,,\n,,r,LEAKLAB-classified\n,p,,\n")
    with pytest.raises(RecordError, match=r"inv.csv, record line 3: data_class must be one of"):
        leaklab.load_inventory(p)
    with warned("skipped 2"):
        df = leaklab.load_inventory(p, lenient=True)
    assert [s["record"] for s in df.attrs["skipped"]] == ["line 3", "line 4"]
    assert "makes no edge" in df.attrs["skipped"][1]["reason"]
    assert len(df) == 1


def test_yaml_is_loaded_safely(tmp_path):
    p = tmp_path / "inv.yaml"
    p.write_text("credentials:\n  - id: !!python/object/apply:os.system ['true']\n    principal: p\n")
    with pytest.raises(RecordError, match="not valid YAML"):
        leaklab.load_inventory(p, format="inventory")


@pytest.fixture(scope="module")
def everything():
    paths = [p for p in sorted(INV.iterdir()) if p.name != "trufflehog-flat.json"]
    with warned():
        return leaklab.load_inventory(paths)


@pytest.mark.parametrize("how", ["csv", "json", "jsonl"])
def test_grants_frame_round_trips(tmp_path, everything, how):
    p = tmp_path / f"grants.{how}"
    if how == "csv":
        everything.to_csv(p, index=False)
    elif how == "json":
        everything.to_json(p, orient="records", date_format="iso")
    else:
        everything.to_json(p, orient="records", lines=True, date_format="iso")
    assert sniff(p).name == "grants"
    back = leaklab.load_inventory(p)
    pd.testing.assert_frame_equal(back, everything, check_like=False)


def test_grants_json_epoch_milliseconds(tmp_path):
    # DataFrame.to_json's old default writes times as epoch milliseconds
    p = tmp_path / "g.json"
    p.write_text('[{"source":"k","relation":"authenticates_as","target":"u","since":1675243800000,"not_action":null}]')
    r = leaklab.load_inventory(p).iloc[0]
    assert r["since"] == pd.Timestamp("2023-02-01T09:30:00Z") and r["source_record"] == "[0]"


def test_grants_csv_with_index_and_bad_relation(tmp_path, everything):
    p = tmp_path / "g.csv"
    everything.head(3).to_csv(p)  # with the index column
    assert len(leaklab.load_inventory(p)) == 3
    bad = everything.head(2).copy()
    bad.loc[1, "relation"] = "LEAKLAB-owns"
    bad.to_csv(p, index=False)
    with pytest.raises(RecordError, match=r"g.csv, record line 3: relation must be one of"):
        leaklab.load_inventory(p)


# --------------------------------------------------------------------------- hostile input and secrets


HOSTILE = 'eve"\'<script>alert(1)</script>\nline2'


def test_hostile_names_pass_through_as_data(tmp_path):
    doc = gaad()
    u = doc["UserDetailList"][1]
    u["UserName"] = HOSTILE
    u["Arn"] = arn(f"user/{HOSTILE}")
    u["GroupList"] = [HOSTILE]
    u["UserPolicyList"][0]["PolicyName"] = HOSTILE
    df = leaklab.load_inventory([write_json(tmp_path, "gaad.json", doc), INV / "list-access-keys.json"])
    m = one(df, "member_of", source=arn(f"user/{HOSTILE}"))
    assert m["target"] == arn(f"group/{HOSTILE}")
    assert one(df, "has_policy", source=arn(f"user/{HOSTILE}"))["target"] == arn(f"user/{HOSTILE}") + f"#inline/{HOSTILE}"
    p = tmp_path / "inv.yaml"
    p.write_text("resources:\n  - id: " + json.dumps(HOSTILE) + "\n    type: " + json.dumps(HOSTILE) + "\n")
    r = one(leaklab.load_inventory(p), "has_resource")
    assert r["target"] == HOSTILE and r["target_type"] == HOSTILE


def test_no_raw_token_value_in_any_frame(everything):
    text = everything.astype(str).to_csv()
    for prefix in ("ghp_", "github_pat_", "xoxb-", "xoxp-", "LEAKLABFAKE0000000"):
        assert prefix not in text
    assert GH_FP in set(everything["source"])  # tokens travel as fingerprints


def test_a_raw_token_given_as_credential_becomes_its_fingerprint(tmp_path):
    token = "ghp_" + "LEAKLABFAKE" + "1" * 25
    p = tmp_path / "gh.yaml"
    p.write_text(f"github_tokens:\n  - {{credential: {token}, owner: octocat, scopes: repo}}\n")
    with warned("looks like a raw token") as rec:
        df = leaklab.load_inventory(p)
    assert token not in df.astype(str).to_csv() and token not in str(rec[0].message)
    assert one(df, "authenticates_as")["source"] == sha256(token)
