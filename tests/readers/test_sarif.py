import hashlib
import json

import pandas as pd
import pytest

import leaklab
from leaklab import schema
from leaklab.errors import LeakLabWarning, RecordError
from leaklab.readers import sniff
from leaklab.readers._common import Source
from leaklab.readers.sarif import FORMATS

SARIF = FORMATS[0]

# Every raw fake value the hand fixtures carry; none may ever be rendered.
RAW = (
    "ghp_FAKELEAKLAB00000000000000000000000000",
    "AKIALEAKLABFAKE00000",
    "AKIALEAKLABFAKE11111",
    "xoxb-LEAKLAB-FAKE-0000000000",
    "-----BEGIN RSA PRIVATE KEY----- LEAKLAB FAKE",
    'API_KEY = "leaklabfake0123456789abcdef0000000"',
    "ghp_FAKELEAKLAB1111111111111111111111111",
    "FAKELEAKLABsecret00000000000000000000000",
    "sk_live_LEAKLABFAKE00000000000000",
    "LEAKLAB-FAKE-snippet-pw",
    "LEAKLAB-FAKE-custom-snippet",
)


def sha256(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def utc(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


@pytest.fixture
def d(fixtures):
    return fixtures / "sarif"


# --------------------------------------------------------------------------- gitleaks / Betterleaks


@pytest.mark.parametrize("name,tool", [("gitleaks_v8.sarif", "gitleaks"), ("betterleaks_v1_7.sarif", "betterleaks")])
def test_gitleaks_v8_fields(d, name, tool):
    df = leaklab.load(d / name)
    leaklab.validate(df, "findings")
    assert len(df) == 2 and set(df.tool) == {tool}
    assert df.tool_version.isna().all()  # semanticVersion is the constant "v8.0.0"
    a, b = df.iloc[0], df.iloc[1]
    assert (a.rule_id, a.secret_type) == ("github-pat", "github-token")
    assert a.tool_secret_type.startswith("Uncovered a GitHub Personal Access Token")
    assert a.secret_sha256 == sha256("ghp_FAKELEAKLAB00000000000000000000000000")
    assert a.secret_sha1 == hashlib.sha1(b"ghp_FAKELEAKLAB00000000000000000000000000").hexdigest()
    assert a.redacted == "ghp_…00"
    assert (a.file, a.line, a.column) == ("src/config.py", 12, 16)
    assert a.commit == "1b6da43b82b22e4eaa10bcf8ee591e91abbfc587"
    assert (a.author_name, a.author_email) == ("Jane Fake", "jane.fake@example.com")
    assert a.commit_time == utc("2024-03-05 14:22:10")
    assert a.source_kind == "git" and pd.isna(a.verified) and pd.isna(a.validity)
    assert a.tool_fingerprint == "1b6da43b82b22e4eaa10bcf8ee591e91abbfc587:src/config.py:github-pat:12"
    assert (a.source_record, a.source_file) == ("runs[0].results[0]", str(d / name))
    # a directory scan: the metadata bag is all empty strings
    assert (b.rule_id, b.secret_type, b.file, b.line, b.column) == ("aws-access-token", "aws-access-key", "deploy/.env", 3, 19)
    assert b.secret_sha256 == sha256("AKIALEAKLABFAKE00000")
    assert pd.isna(b.commit) and pd.isna(b.author_name) and pd.isna(b.commit_time)
    assert b.source_kind == "filesystem" and b.tool_fingerprint == "deploy/.env:aws-access-token:3"


def test_gitleaks_v8_redacted(d):
    df = leaklab.load(d / "gitleaks_v8_redacted.sarif")
    assert len(df) == 2
    assert df.secret_sha256.isna().all() and df.secret_sha1.isna().all()
    assert set(df.redacted) == {"(redacted by tool)"}


def test_gitleaks_v7_fields(d):
    df = leaklab.load(d / "gitleaks_v7.sarif")
    assert len(df) == 3 and set(df.tool) == {"gitleaks7"}
    assert set(df.tool_version) == {"v7.6.1"}  # v7 wrote its real build version
    a, b, c = df.iloc[0], df.iloc[1], df.iloc[2]
    # no ruleId in v7: the rule comes from "<rule> secret detected"
    assert (a.rule_id, a.tool_secret_type, a.secret_type) == ("AWS Access Key", "AWS Access Key", "aws-access-key")
    assert a.secret_sha256 == sha256("AKIALEAKLABFAKE11111")  # the offender, not the snippet line
    assert (a.file, a.line) == ("app/settings.py", 8) and pd.isna(a.column)
    assert a.commit == "6d127980966808f7413935678e079dcd7fedf9c2"
    assert (a.author_name, a.author_email) == ("Fake Author", "fake.author@example.com")
    assert a.commit_time == utc("2021-07-15 15:00:32")  # +07:00 converted to UTC
    assert pd.isna(a.repo) and a.source_kind == "git"  # repo "." is no information
    # with a remote, the uri is the leak URL
    assert b.url == "https://github.com/leaklab/fake-repo/blob/9f1c1d2e3a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9/config/prod.yml#L3"
    assert (b.file, b.repo, b.rule_id, b.secret_type) == ("config/prod.yml", "github.com/leaklab/fake-repo", "Slack", "slack-token")
    assert b.commit_time == utc("2021-03-02 14:15:00")
    assert b.secret_sha256 == sha256("xoxb-LEAKLAB-FAKE-0000000000")
    # --no-git: placeholder date and empty commit
    assert pd.isna(c.commit) and pd.isna(c.commit_time) and c.source_kind == "filesystem"
    assert c.secret_sha256 == sha256("-----BEGIN RSA PRIVATE KEY----- LEAKLAB FAKE")


def test_gitleaks_v7_filename_rule_is_not_a_secret(d, tmp_path):
    doc = json.loads((d / "gitleaks_v7.sarif").read_text())
    res = doc["runs"][0]["results"][2]
    res["properties"]["offender"] = "Filename/path offender: id_rsa"
    res["locations"][0]["physicalLocation"]["region"] = {"startLine": -1, "snippet": {"text": "N/A"}}
    p = tmp_path / "v7.sarif"
    p.write_text(json.dumps(doc, indent=1))
    c = leaklab.load(p).iloc[2]
    assert pd.isna(c.secret_sha256) and pd.isna(c.redacted) and pd.isna(c.line)


# --------------------------------------------------------------------------- Nosey Parker


def test_noseyparker_v0_16_one_row_per_location(d):
    df = leaklab.load(d / "noseyparker_v0_16.sarif")
    assert len(df) == 4 and set(df.tool) == {"noseyparker"} and set(df.tool_version) == {"0.16.0"}
    assert list(df.source_record) == [
        "runs[0].results[0].locations[0]",
        "runs[0].results[0].locations[1]",
        "runs[0].results[1].locations[0]",
        "runs[0].results[1].locations[1]",
    ]
    f, g = df.iloc[0], df.iloc[1]  # one match seen as a file and in git history
    for r in (f, g):
        assert (r.rule_id, r.tool_secret_type, r.secret_type) == ("Generic API Key", "Generic API Key", "generic-api-key")
        assert r.secret_sha256 == sha256('API_KEY = "leaklabfake0123456789abcdef0000000"')  # the plaintext match
        assert (r.file, r.line, r.column) == ("app/schema/config.py", 16, 17)
        assert r.tool_fingerprint == "8e1bde3c3d303163521522cf1d62f21f0d4d5e9c"
        assert pd.isna(r.verified)
    assert pd.isna(f.commit) and pd.isna(f.repo) and pd.isna(f.source_kind)
    assert g.commit == "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678" and g.repo == "./.git" and g.source_kind == "git"
    assert (g.author_name, g.author_email) == ("Princess Fake", "fake.leia@example.com")
    assert g.commit_time == utc("2023-05-31 01:07:36")  # "1685495256 +0000"
    h, i = df.iloc[2], df.iloc[3]
    assert (h.file, h.line, h.column, h.commit_time) == ("ci/deploy.sh", 2, 9, utc("2023-03-09 22:33:36"))
    assert (i.file, i.line, i.column, i.commit_time) == ("docs/setup.md", 5, 1, utc("2023-03-10 22:33:36"))
    assert h.secret_sha256 == i.secret_sha256 == sha256("ghp_FAKELEAKLAB1111111111111111111111111")
    assert h.secret_type == "github-token"


def test_noseyparker_v0_17_first_commit(d, tmp_path):
    """v0.17 to v0.2x named the bag entry ``first_commit`` (no ``commit_kind``); the uri is still the repo."""

    def rename(doc):
        for res in doc["runs"][0]["results"]:
            for loc in res["locations"]:
                props = loc["logicalLocations"][0]["properties"]
                if "commit_provenance" in props:
                    prov = props.pop("commit_provenance")
                    del prov["commit_kind"]
                    props["first_commit"] = prov

    df = leaklab.load(_edit(d, tmp_path, "noseyparker_v0_16.sarif", rename))
    g = df.iloc[1]
    assert (g.file, g.repo, g.commit) == ("app/schema/config.py", "./.git", "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678")
    assert g.commit_time == utc("2023-05-31 01:07:36") and g.author_name == "Princess Fake"


def test_noseyparker_v0_24_blob_path_uri(d):
    df = leaklab.load(d / "noseyparker_v0_24.sarif")
    assert len(df) == 2 and set(df.tool_version) == {"0.24.0"}
    a, b = df.iloc[0], df.iloc[1]
    assert (a.rule_id, a.file, a.line, a.column) == ("AWS API Key", "src/main/resources/application.properties", 25, 19)
    assert a.tool_fingerprint == "84d871b9aec92b82245f7b687d7bf64048d3c68e"  # finding_id
    # a multi-line match: one trailing newline is stripped before hashing
    assert a.secret_sha256 == sha256("AKIALEAKLABFAKE22222\naws_secret_access_key=FAKELEAKLABsecret00000000000000000000000")
    assert pd.isna(a.commit) and pd.isna(a.commit_time) and pd.isna(a.source_kind)
    assert pd.isna(b.file) and b.line == 2  # extended provenance has no uri


# --------------------------------------------------------------------------- ggshield


def test_ggshield_commit_range(d):
    df = leaklab.load(d / "ggshield_commit_range.sarif")
    assert len(df) == 2 and set(df.tool) == {"ggshield"} and set(df.tool_version) == {"1.54.0"}
    a, b = df.iloc[0], df.iloc[1]
    assert (a.rule_id, a.tool_secret_type, a.file, a.line, a.column) == (
        "Django Secret Key",
        "Django Secret Key",
        "wapf/settings.py",
        23,
        15,
    )
    assert a.commit == "03a2bf6cba491559f8b760a2c9bf8dd9f53916a0" and a.source_kind == "git"
    assert a.tool_fingerprint == "06b15f1d5e6b0a9c1f1d0c3e7a2b4d8e9f00112233445566778899aabbccddee"
    assert pd.isna(a.url) and pd.isna(a.verified) and pd.isna(a.commit_time) and pd.isna(a.author_name)
    # commit URLs carry the raw path: a space stays a space, nothing is decoded
    assert (b.file, b.commit) == ("config/my settings.yml", "5e1c0a9b8d7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d")
    assert (b.line, b.column) == (4, 14)  # the region spans both matches
    assert b.url == "https://dashboard.gitguardian.com/workspace/1/incidents/4242"
    assert df.secret_sha256.isna().all() and df.redacted.isna().all()  # ggshield SARIF has no value


def test_ggshield_pre_commit(d):
    r = leaklab.load(d / "ggshield_pre_commit.sarif").iloc[0]
    assert (r.file, r.line, r.column, r.source_kind) == (".env", 2, 12, "git")
    assert pd.isna(r.commit)  # commit://staged/ is no commit


def test_ggshield_path_scan(d):
    df = leaklab.load(d / "ggshield_path.sarif")
    a, b = df.iloc[0], df.iloc[1]
    assert (a.file, a.source_kind) == ("src/my app/config%prod.py", "filesystem")  # percent-decoded
    assert (a.validity, a.verified) == ("valid", True)  # from --with-incident-details
    assert a.url == "https://dashboard.gitguardian.com/workspace/1/incidents/77"
    assert b.file == "/home/fake/proj/deploy/.env" and pd.isna(b.verified) and pd.isna(b.validity)
    assert (b.rule_id, b.secret_type) == ("AWS Keys", "aws-access-key")


# --------------------------------------------------------------------------- TruffleHog


def test_trufflehog(d):
    df = leaklab.load(d / "trufflehog_v3_97.sarif")
    assert len(df) == 3 and set(df.tool) == {"trufflehog"} and set(df.tool_version) == {"3.97.0"}
    a, b, c = df.iloc[0], df.iloc[1], df.iloc[2]
    assert (a.rule_id, a.tool_secret_type, a.secret_type, a.file, a.line) == ("AWS", "AWS", "aws-access-key", "config/aws.yml", 12)
    assert (a.verified, a.validity) == (True, "verified")
    assert a.tool_fingerprint == "4f1d0b6a0e3c2d9b8a7f6e5d4c3b2a1908f7e6d5c4b3a2918070605040302010"
    assert (b.file, b.line, b.verified, b.validity) == ("/tmp/scan/app/.env", 3, False, "unverified")
    # a source without files: no region, the source name is kept as the place
    assert pd.isna(c.file) and pd.isna(c.line) and (c.repo, c.source_kind) == ("prod-logs", "other")
    assert df.secret_sha256.isna().all() and df.commit.isna().all() and df.column.isna().all()


# --------------------------------------------------------------------------- other tools


def test_generic_tool_never_takes_the_snippet(d):
    df = leaklab.load(d / "semgrep.sarif")
    assert len(df) == 2 and set(df.tool) == {"semgrep oss"} and set(df.tool_version) == {"1.50.0"}
    a, b = df.iloc[0], df.iloc[1]
    assert a.rule_id == "python.lang.security.audit.hardcoded-password-default-argument"
    assert (a.file, a.line, a.column) == ("app/db.py", 14, 5)
    assert (b.file, b.line, b.column) == ("web/views.py", 40, 9)
    assert df.secret_sha256.isna().all() and df.redacted.isna().all() and df.tool_fingerprint.isna().all()
    everything = df.astype(str).to_string() + df.to_html()
    assert "LEAKLAB-FAKE-snippet-pw" not in everything and "eval(request" not in everything


def test_all_runs_are_read(d):
    df = leaklab.load(d / "merged_runs.sarif")
    assert list(df.tool) == ["gitleaks", "leaklab custom scanner"]
    assert list(df.source_record) == ["runs[0].results[0]", "runs[1].results[0]"]
    g, c = df.iloc[0], df.iloc[1]
    assert g.secret_sha256 == sha256("sk_live_LEAKLABFAKE00000000000000") and g.secret_type == "stripe-key"
    assert (c.rule_id, c.tool_secret_type, c.tool_version) == ("LLC001", "HardcodedCredential", "0.9.1")  # via ruleIndex
    assert c.file == "/work/repo/web/views.py"  # file:// dropped
    # versionControlProvenance fills repo and commit
    assert (c.repo, c.commit) == ("github.com/leaklab/fake-app", "7d2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0")
    assert pd.isna(c.secret_sha256)


def test_empty_report(d):
    df = leaklab.load(d / "gitleaks_v8_empty.sarif")
    assert len(df) == 0 and list(df.columns) == schema.columns("findings")
    leaklab.validate(df, "findings")


def test_no_raw_secret_in_any_rendering(d):
    df = leaklab.load(d)
    assert len(df) == 27
    rendered = df.to_string() + df.to_html() + df.to_csv()
    for raw in RAW:
        assert raw not in rendered
    assert not set(RAW) & set(df.redacted.dropna())


# --------------------------------------------------------------------------- sniffing


def test_every_fixture_sniffs_as_sarif(d):
    for p in sorted(d.iterdir()):
        assert sniff(p) is SARIF, p


def test_sniff_needs_runs_and_2_1_0():
    assert SARIF.sniff(Source("x", b'{"version": "2.1.0", "runs": []}'))
    assert SARIF.sniff(Source("x", b'\xef\xbb\xbf{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","runs":[]}'))
    assert not SARIF.sniff(Source("x", b'{"version": "2.0.0", "runs": []}'))
    assert not SARIF.sniff(Source("x", b'{"version": "2.1.0", "scans": []}'))
    assert not SARIF.sniff(Source("x", b'[{"version": "2.1.0", "runs": []}]'))


def test_sniffer_claims_no_other_fixture(fixtures):
    for p in sorted(fixtures.rglob("*")):
        if p.is_file() and p.parent.name != "sarif":
            assert not SARIF.sniff(Source(p)), p


# --------------------------------------------------------------------------- real files


REAL = {
    "gitleaks/sarif_simple.sarif": ("gitleaks", 1),
    "gitleaks/gitleaks_7.5.0.sarif": ("gitleaks7", 8),
    "betterleaks/sarif_simple.sarif": ("betterleaks", 1),
}


def test_real_files(shared_formats):
    assert {str(p.relative_to(shared_formats)) for p in shared_formats.rglob("*.sarif")} == set(REAL)
    for name, (tool, n) in REAL.items():
        p = shared_formats / name
        assert sniff(p) is SARIF, name
        df = leaklab.load(p)
        assert len(df) == n and set(df.tool) == {tool}, name
        leaklab.validate(df, "findings")
    gl = leaklab.load(shared_formats / "gitleaks/sarif_simple.sarif").iloc[0]
    assert (gl.rule_id, gl.file, gl.line, gl.column) == ("test-rule", "auth.py", 1, 1)
    assert gl.secret_sha256 == sha256("a secret") and pd.isna(gl.tool_version)
    assert pd.isna(gl.commit)  # the all-zero placeholder
    assert gl.tool_fingerprint == "0000000000000000:auth.py:test-rule:1"
    assert (gl.author_name, gl.author_email) == ("John Doe", "johndoe@gmail.com")
    assert gl.commit_time == utc("2003-10-19")  # the golden file's fake "10-19-2003"
    v7 = leaklab.load(shared_formats / "gitleaks/gitleaks_7.5.0.sarif")
    assert set(v7.tool_version) == {"v7.4.0"}
    assert set(v7.rule_id) == {"AWS Access Key", "Asymmetric Private Key"}
    assert v7.commit.notna().all() and v7.commit_time.notna().all() and v7.repo.isna().all()
    assert (v7.iloc[0].commit_time, v7.iloc[0].line) == (utc("2021-07-15 15:00:32"), 13)
    assert v7.iloc[0].secret_sha256 == sha256("AKIAIOSFODNN7EXAMPLE")


def test_no_other_real_file_sniffs_as_sarif(shared_formats):
    for p in sorted(shared_formats.rglob("*")):
        if p.is_file() and p.suffix != ".sarif":
            assert not SARIF.sniff(Source(p)), p


# --------------------------------------------------------------------------- malformed input


def _edit(d, tmp_path, name, change):
    doc = json.loads((d / name).read_text())
    change(doc)
    p = tmp_path / name
    p.write_text(json.dumps(doc, indent=1))
    return p


def test_malformed_result_names_file_and_record(d, tmp_path):
    def bad_line(doc):
        doc["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] = "three"

    p = _edit(d, tmp_path, "gitleaks_v8.sarif", bad_line)
    with pytest.raises(RecordError, match=r"gitleaks_v8\.sarif, record runs\[0\]\.results\[1\]: .*'startLine'.* must be int"):
        leaklab.load(p)
    with pytest.warns(LeakLabWarning, match="skipped 1"):
        df = leaklab.load(p, lenient=True)
    assert len(df) == 1 and df.iloc[0].rule_id == "github-pat"
    assert [(s["file"], s["record"]) for s in df.attrs["skipped"]] == [(str(p), "runs[0].results[1]")]


def test_malformed_run_and_location(d, tmp_path):
    def bad_driver(doc):
        doc["runs"].append({"tool": {}, "results": [{}]})

    p = _edit(d, tmp_path, "trufflehog_v3_97.sarif", bad_driver)
    with pytest.raises(RecordError, match=r"record runs\[1\]: .*'driver'"):
        leaklab.load(p)
    with pytest.warns(LeakLabWarning):
        df = leaklab.load(p, lenient=True)
    assert len(df) == 3 and df.attrs["skipped"][0]["record"] == "runs[1]"

    def bad_location(doc):
        doc["runs"][0]["results"][1]["locations"][1] = "not an object"

    p = _edit(d, tmp_path, "noseyparker_v0_16.sarif", bad_location)
    with pytest.raises(RecordError, match=r"record runs\[0\]\.results\[1\]\.locations\[1\]"):
        leaklab.load(p)


@pytest.mark.parametrize(
    "name,change,reason",
    [
        ("gitleaks_v7.sarif", lambda r: r["message"].update(text="AWS Access Key"), "does not end with"),
        ("merged_runs.sarif", lambda r: r.update(ruleIndex=5), "ruleIndex 5 is outside"),
        ("ggshield_path.sarif", lambda r: r.update(partialFingerprints=["x"]), "'partialFingerprints' must be dict"),
    ],
)
def test_malformed_per_tool(d, tmp_path, name, change, reason):
    p = _edit(d, tmp_path, name, lambda doc: change(doc["runs"][-1]["results"][0]))
    with pytest.raises(RecordError, match=reason):
        leaklab.load(p)


def test_not_a_sarif_object(tmp_path):
    p = tmp_path / "x.sarif"
    p.write_text('{"version": "2.1.0", "runs": {}}')
    with pytest.raises(RecordError, match="top level"):
        leaklab.load(p, format="sarif")
