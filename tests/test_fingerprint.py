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
