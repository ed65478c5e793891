"""Was the key used? The demo's CloudTrail logs against its timeline's windows."""

import pandas as pd
import pytest

import leaklab
from leaklab import fingerprint as fp
from leaklab import schema


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    truth = leaklab.demo.build(out)
    windows = leaklab.exposure_windows(leaklab.load_timeline(out / "timeline.csv"), as_of="2023-07-01T00:00:00Z")
    usage = leaklab.load_access_logs(out / "logs")
    return truth, windows, usage


def _key(windows, truth):
    want = truth["usage"]["leaked_key"]["secret_sha256"]
    return next(c for c in windows["credential"] if fp.sha256(c) == want)


def test_window_of_the_leaked_key(demo):
    truth, windows, _ = demo
    w = windows.set_index("credential").loc[_key(windows, truth)]
    t = truth["usage"]["window"]
    assert w.exposed_from == pd.Timestamp(t["exposed_from"]) and w.contained_at == pd.Timestamp(t["contained"])
    assert (w.window_days_min, w.ttd_days_min, w.ttc_days_min) == (t["window_days"], t["ttd_days"], t["ttc_days"])


def test_uses_from_new_addresses_are_flagged(demo):
    truth, windows, usage = demo
    uses = leaklab.usage_in_windows(windows, usage)
    key = _key(windows, truth)
    mine = uses[uses.credential_id == key]
    assert (mine.time >= windows.set_index("credential").loc[key, "exposed_from"]).all()
    bad = mine[mine.suspicious]
    assert set(bad.source_ip) == set(truth["usage"]["leaked_key"]["suspicious_ips"])
    assert len(bad) == truth["usage"]["attacker_uses_in_window"]
    assert not mine.loc[mine.source_ip == truth["usage"]["leaked_key"]["owner_ip"], "suspicious"].any()
    # the failed attempt after the rotation is outside the window
    assert (mine.time <= pd.Timestamp(truth["usage"]["window"]["contained"])).all()


def test_known_sources_and_window_summary(demo):
    truth, windows, usage = demo
    s = leaklab.usage_in_windows(windows, usage, known_sources=["198.51.100.0/24"], by="window").set_index("credential")
    row = s.loc[_key(windows, truth)]
    assert row.n_suspicious == truth["usage"]["attacker_uses_in_window"] and row.n_failure == 1 and row.n_ips == 3
    uses = leaklab.usage_in_windows(windows, usage, known_sources=["198.51.100.0/24"])
    assert set(uses.loc[uses.unknown_source.fillna(False), "source_ip"]) == set(truth["usage"]["leaked_key"]["suspicious_ips"])


def test_derived_temporary_credential(demo):
    truth, windows, usage = demo
    d = leaklab.derived_windows(windows, usage)
    schema.validate(d, "windows")
    want = truth["usage"]["derived"]
    row = d[d.credential.map(fp.sha256) == want["credential_sha256"]].iloc[0]
    assert row.parent == _key(windows, truth)
    assert row.exposed_from == pd.Timestamp(want["issued"]) and row.contained_at == pd.Timestamp(want["expires"])
    uses = leaklab.usage_in_windows(pd.concat([windows, d], ignore_index=True), usage)
    assert (uses.credential_id == row.credential).sum() == want["uses"]


def test_matching_is_vectorized_and_inputs_untouched(demo):
    _, windows, usage = demo
    before_w, before_u = windows.copy(), usage.copy()
    leaklab.usage_in_windows(windows, usage)
    pd.testing.assert_frame_equal(windows, before_w)
    pd.testing.assert_frame_equal(usage, before_u)
    empty = leaklab.usage_in_windows(windows, usage.iloc[0:0])
    assert empty.empty


def test_flaws2_lambda_key_used_from_an_address_the_lambda_never_used(shared_logs):
    """The real flaws2 trail: the Lambda's temporary key, stolen, is used from elsewhere."""
    usage = leaklab.load_access_logs(shared_logs / "aws_cloudtrail" / "flaws2_cloudtrail_logs.tar")
    issued = leaklab.issued_windows(usage)
    lam = issued[issued.parent == "lambda.amazonaws.com"]
    assert len(lam) == 1
    key = lam.credential.iloc[0]
    own = set(usage.loc[(usage.credential_id == key) & (usage.user_agent == "awslambda-worker"), "source_ip"])
    uses = leaklab.usage_in_windows(issued, usage, known_sources=own)
    stolen = uses[(uses.credential_id == key) & uses.unknown_source]
    assert set(stolen.source_ip) == {"104.102.221.250"} and len(stolen) == 4
    assert not set(stolen.source_ip) & own


def test_out_of_core_answer_equals_in_memory(demo, tmp_path_factory):
    """DuckDB over the raw files gives the same uses and flags as the in-memory path."""
    truth, windows, usage = demo
    logs = next(tmp_path_factory.getbasetemp().glob("demo*")) / "logs"
    cols = ["time", "credential_id", "action", "source_ip", "user_agent", "outcome", "new_ip", "new_user_agent", "suspicious"]
    mem = leaklab.usage_in_windows(windows, usage)[cols].reset_index(drop=True)
    ooc = leaklab.usage_in_windows(windows, str(logs))[cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(mem, ooc, check_dtype=False)
    from leaklab.outofcore import cloudtrail_usage

    minted = cloudtrail_usage(logs, [windows.credential.iloc[0]])
    assert minted.credential_id.str.startswith("ASIA").sum() == truth["usage"]["derived"]["uses"]  # followed the minted key
    assert "FAKE-LEAKLAB-SESSION-TOKEN" not in minted.to_csv()


def test_bitmap_and_sorted_paths_agree(demo, monkeypatch):
    from leaklab import usage as usage_mod

    _, windows, usage = demo
    fast = leaklab.usage_in_windows(windows, usage)
    monkeypatch.setattr(usage_mod, "_BITMAP_LIMIT", 0)
    slow = leaklab.usage_in_windows(windows, usage)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["new_ip"].any() and not fast["new_ip"].all()  # both outcomes occur


# --------------------------------------------------------------------------- edge cases (review findings)

def _ev(text):
    import io

    return leaklab.load_timeline(io.StringIO("time,kind,credential,incident\n" + text), format="csv")


def _usage(rows):
    n = len(rows)
    return schema.build("usage", {
        "time": [pd.Timestamp(r[0]) for r in rows], "provider": ["aws"] * n, "credential_id": [r[1] for r in rows],
        "source_ip": [r[2] for r in rows], "user_agent": ["ua"] * n, "outcome": ["success"] * n,
        "event_id": [r[3] if len(r) > 3 else None for r in rows],
        "duplicate": pd.array([r[4] if len(r) > 4 else False for r in rows], dtype="boolean"),
    }, n)


def test_a_use_on_the_containment_day_counts():
    w = leaklab.exposure_windows(_ev("2022-01-01T10:00:00Z,pushed,K,\n2022-01-05,revoked,K,\n"), as_of="2023-01-01T00:00:00Z")
    u = _usage([("2022-01-05T09:00:00Z", "K", "198.51.100.1")])
    assert len(leaklab.usage_in_windows(w, u)) == 1
    same_day = leaklab.exposure_windows(_ev("2022-01-01T10:00:00Z,pushed,K,\n2022-01-01,revoked,K,\n"), as_of="2023-01-01T00:00:00Z")
    assert same_day.duration.iloc[0] >= pd.Timedelta(0)
    assert len(leaklab.usage_in_windows(same_day, _usage([("2022-01-01T12:00:00Z", "K", "198.51.100.1")]))) == 1


def test_duplicates_and_missing_ids():
    w = leaklab.exposure_windows(_ev("2022-01-01,pushed,K,\n2022-01-01,exposed,,INC\n"), as_of="2023-01-01T00:00:00Z")
    u = _usage([("2022-02-01T00:00:00Z", "K", "198.51.100.1", "e1"), ("2022-02-01T00:00:00Z", "K", "198.51.100.1", "e1", True),
                ("2022-02-02T00:00:00Z", None, "198.51.100.2")])
    s = leaklab.usage_in_windows(w, u, by="window").set_index(w["credential"].fillna("INC"))
    assert s.loc["K", "n_uses"] == 1 and s.loc["INC", "n_uses"] == 0


def test_one_window_per_credential():
    w = leaklab.exposure_windows(_ev("2022-01-01,pushed,K,A\n"), as_of="2023-01-01T00:00:00Z")
    with pytest.raises(leaklab.LeakLabError, match="several rows"):
        leaklab.usage_in_windows(pd.concat([w, w], ignore_index=True), _usage([("2022-02-01T00:00:00Z", "K", "x")]))


def test_an_earlier_misuse_starts_the_window_as_a_lower_bound():
    w = leaklab.exposure_windows(_ev("2022-01-01,used,K,\n2022-02-01,pushed,K,\n"), as_of="2023-01-01T00:00:00Z").iloc[0]
    assert w.exposed_from == pd.Timestamp("2022-01-01", tz="UTC") and w.lower_bound


def test_known_sources_may_be_one_string():
    w = leaklab.exposure_windows(_ev("2022-01-01,pushed,K,\n"), as_of="2023-01-01T00:00:00Z")
    uses = leaklab.usage_in_windows(w, _usage([("2022-02-01T00:00:00Z", "K", "198.51.100.1")]), known_sources="198.51.100.1")
    assert not uses.unknown_source.iloc[0]
