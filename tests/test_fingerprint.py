import hashlib
import pickle

import pytest

from leaklab import fingerprint as fp


def test_hash_rule_strips_one_trailing_newline_and_cr():
    base = hashlib.sha256(b"FAKEsecret").hexdigest()
    assert fp.sha256("FAKEsecret") == base
    assert fp.sha256("FAKEsecret\n") == base
    assert fp.sha256("FAKEsecret\r\n") == base
    assert fp.sha256("FAKEsecret\n\n") != base  # only one newline is noise
    assert fp.sha1("FAKEsecret") == hashlib.sha1(b"FAKEsecret").hexdigest()


def test_redact_never_reveals_more_than_a_third():
    for n in range(0, 80):
        raw = "".join(chr(65 + i % 26) for i in range(n))
        shown = fp.redact(raw).replace(fp.ELLIPSIS, "")
        assert len(shown) * 3 <= max(n, 1), (n, fp.redact(raw))
        assert fp.redact(raw) != raw


def test_fingerprint_all_matches_single_calls_and_keeps_none():
    vals = ["FAKE-a", None, "FAKE-a", "FAKE-bbbbbbbbbbbbbbbbbbbbbbbb"]
    s256, s1, prev = fp.fingerprint_all(vals)
    assert s256 == [fp.sha256("FAKE-a"), None, fp.sha256("FAKE-a"), fp.sha256(vals[3])]
    assert s1[1] is None and prev[1] is None and prev[3] == fp.redact(vals[3])


def test_secret_renders_redacted_and_refuses_pickle():
    s = fp.Secret("sk_live_LEAKLABFAKE0000000000001")
    assert "LEAKLABFAKE0000000000001" not in repr(s) + str(s) + format(s)
    assert s.reveal() == "sk_live_LEAKLABFAKE0000000000001"
    with pytest.raises(TypeError):
        pickle.dumps(s)


def test_undecodable_and_lone_surrogates_hash_and_render():
    import leaklab

    assert fp.sha256("FAKE\udc80") == hashlib.sha256(b"FAKE\x80").hexdigest()  # the bytes as read
    assert len(fp.sha256("FAKE\ud800")) == 64  # a JSON "\ud800" escape still hashes
    df = leaklab.schema.build("findings", {"file": ["bad\udc80name.py", "lone\ud800.py"]})
    assert df["file"].tolist() == ["bad\ufffdname.py", "lone?.py"]


@pytest.mark.parametrize("value,shortened", [
    ("AKIALEAKLABFAKE53EFR", True), ("AKIAIOSFODNNEXAMPLEX", True),  # all capitals: an id even without digits
    ("sFkJZQZdmV1xmrxkxZS+ayHOVGLqC5KNNnLyxlqB+84=", True), ("xoxb-1234567890-FAKEFAKE", True),
    ("a" * 63 + "1", True), ("sha1:" + "0" * 40, True),
    ("stripe-live", False), ("github-pat", False), ("circleci-engineer-session", False), ("deploy-key", False),
])
def test_redacted_shortens_ids_and_keeps_names(value, shortened):
    import pandas as pd

    from leaklab.fingerprint import redacted

    shown = redacted(pd.DataFrame({"credential": [value], "secret_id": [value]}))
    for col in ("credential", "secret_id"):
        assert (shown[col].iloc[0] != value) is shortened, (col, shown[col].iloc[0])


@pytest.mark.parametrize("value,shown", [
    ("AKIALEAKLABFAKE53EFR", "AKIA…FR"), ("xoxb-1234567890-LEAKLABFAKE", "xoxb…KE"), ("sha1:" + "0" * 39 + "1", "sha1…01"),
    ("github-pat", "github-pat"), ("circleci-engineer-session", "circleci-engineer-session"), (None, None), (42, 42),
])
def test_preview_id_uses_the_one_id_rule(value, shown):
    assert fp.preview_id(value) == shown


@pytest.mark.parametrize("text,gone,shown", [
    ("key replaced by AKIALEAKLABFAKENEW12", "AKIALEAKLABFAKENEW12", "AKIA…12"),
    ("role AROALEAKLABFAKEROLE01:session", "AROALEAKLABFAKEROLE01", "AROA…01"),
    ("user AIDALEAKLABFAKEUSER01 and group AGPALEAKLABFAKEGRP001", "AIDALEAKLABFAKEUSER01", "AIDA…01"),
    ("bot xoxb-1234567890-LEAKLABFAKE revoked", "xoxb-1234567890-LEAKLABFAKE", "xoxb…KE"),
    ("token ghp_LEAKLABFAKE0000000000000000000000000 revoked", "ghp_LEAKLABFAKE0000000000000000000000000", "ghp_…00"),
    ("secret sha1:" + "ab" * 20 + " seen", "sha1:" + "ab" * 20, "sha1…ab"),
    ("fingerprint " + "c" * 63 + "1.", "c" * 63 + "1", "cccc…c1"),
    ("hashed sFkJZQZdmV1xmrxkxZS+ayHOVGLqC5KNNnLyxlqB+84= cloned", "sFkJZQZdmV1xmrxkxZS+ayHOVGLqC5KNNnLyxlqB+84=", "sFkJ…4="),
])
def test_scrub_text_shortens_ids_inside_text(text, gone, shown):
    out = fp.scrub_text(text)
    assert gone not in out and shown in out


@pytest.mark.parametrize("text", [
    "role circleci-engineer-session assumed", "commit 9a34dd16e9947bb372232a3565c63faff78310a9 removed it",
    "arn:aws:s3:::payments-releases/exports/2023", "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/ab=", "AKIA short",
])
def test_scrub_text_keeps_ordinary_text(text):
    assert fp.scrub_text(text) == text
