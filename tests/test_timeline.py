import io

import pandas as pd
import pytest

import leaklab
from leaklab.errors import LeakLabError, RecordError


def load(text, fmt="csv", **kw):
    return leaklab.load_timeline(io.StringIO(text), format=fmt, **kw)


def test_formats_agree():
    csv = load("time,kind,credential,detail\n2022-09-17,rotated,key,changed\n")
    js = load('[{"time": "2022-09-17", "kind": "rotated", "credential": "key", "detail": "changed"}]', "json")
    jl = load('{"time": "2022-09-17", "kind": "rotated", "credential": "key", "detail": "changed"}\n', "jsonl")
    ym = load("events:\n  - {time: 2022-09-17, kind: rotated, credential: key, detail: changed}\n", "yaml")
    for other in (js, jl, ym):
        pd.testing.assert_frame_equal(csv.drop(columns="origin"), other.drop(columns="origin"))


def test_unknown_kind_lists_the_vocabulary():
    with pytest.raises(RecordError, match=r"<stream>, record line 2: kind is an unknown kind; expected one of: introduced, pushed"):
        load("time,kind,credential\n2022-09-17,leaked-ish,key\n")


def test_mapping_renames_columns_and_kinds():
    ev = load("When,What,Key\n2022-09-17,key rotated,k1\n", mapping={"columns": {"When": "time", "What": "kind", "Key": "credential"},
                                                                       "kinds": {"key rotated": "rotated"}})
    assert ev[["kind", "credential"]].values.tolist() == [["rotated", "k1"]]


def test_naive_times_need_a_zone():
    with pytest.raises(RecordError, match="no time zone; add one"):
        load("time,kind,credential\n2022-09-17 10:00:00,rotated,k\n")
    ev = load("time,kind,credential\n2022-09-17 10:00:00,rotated,k\n", tz="Europe/Berlin")
    assert ev.loc[0, "time"] == pd.Timestamp("2022-09-17 08:00:00", tz="UTC") and ev.loc[0, "precision"] == "second"


def test_precision_ranges():
    ev = load("time,kind,credential\n2017,exposed,a\n2017-12,exposed,b\n2017-12-05,exposed,c\n2017-12-05T10:00:00+02:00,exposed,d\n")
    got = dict(zip(ev.credential, zip(ev.precision, ev.time_latest - ev.time)))
    assert got["a"] == ("year", pd.Timedelta(days=365) - pd.Timedelta(seconds=1))
    assert got["b"] == ("month", pd.Timedelta(days=31) - pd.Timedelta(seconds=1))
    assert got["c"] == ("day", pd.Timedelta(days=1) - pd.Timedelta(seconds=1))
    assert got["d"] == ("second", pd.Timedelta(0))


def test_bad_rows_name_file_and_record(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("time,kind,credential\n2022-13,rotated,k\n")
    with pytest.raises(RecordError, match=r"t\.csv, record line 2: month must be 01-12"):
        leaklab.load_timeline(p)
    p.write_text("time,kind\n2022-01-01,rotated\n")
    with pytest.raises(RecordError, match="needs a credential or an incident"):
        leaklab.load_timeline(p)
    with pytest.raises(LeakLabError, match="unknown timeline format 'txt'; use csv"):
        leaklab.load_timeline(tmp_path / "t.txt")


def test_yaml_is_loaded_safely(tmp_path):
    p = tmp_path / "evil.yaml"
    p.write_text("!!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(RecordError, match="not valid YAML"):
        leaklab.load_timeline(p)


def test_missing_file(tmp_path):
    with pytest.raises(LeakLabError, match="cannot read"):
        leaklab.load_timeline(tmp_path / "none.csv")


def test_events_from_history(tmp_path):
    truth = leaklab.demo.build(tmp_path)
    secrets = leaklab.dedupe(leaklab.load(tmp_path / "reports"))
    h = leaklab.history(tmp_path / "demo-repo", secrets)
    ev = leaklab.timeline.from_history(h)
    leaklab.validate(ev, "events")
    key = next(s for s in truth["secrets"] if s["id"] == "aws-key-id")
    mine = ev[ev.credential == key["secret_sha256"]]
    assert mine.kind.tolist() == ["introduced", "removed"]
    assert mine.time.iloc[0] == pd.Timestamp(key["history"]["introduced_time"]).tz_convert("UTC")
    w = leaklab.exposure_windows(pd.concat([ev, mine.assign(kind="rotated")[1:]]), as_of="2024-01-01T00:00:00Z")
    assert not w.set_index("credential").loc[key["secret_sha256"], "open"]


def test_events_from_findings_and_usage(tmp_path):
    truth = leaklab.demo.build(tmp_path)
    det = leaklab.timeline.from_findings(leaklab.load(tmp_path / "reports"))
    leaklab.validate(det, "events")
    stripe = next(s for s in truth["secrets"] if s["id"] == "stripe-live")
    row = det[det.credential == stripe["secret_sha256"]].iloc[0]
    assert row.kind == "detected" and row.time == pd.Timestamp("2023-06-13T07:41:02Z") and row.source == "github alert"
    used = leaklab.timeline.from_usage(leaklab.load_access_logs(tmp_path / "logs"))
    assert set(used.kind) == {"used"} and len(used) == 30 and used.time.is_monotonic_increasing


@pytest.mark.parametrize("text, match", [
    ("time,kind,credential\nnow,pushed,k\n", "not a date"),
    ("time,kind,credential\nNaT,pushed,k\n", "not a date"),
    ("time,kind,credential\n1500-01-01,pushed,k\n", "outside the years"),
    ("time,date,kind,credential\n2022-01-01,2022-01-02,pushed,k\n", "two fields mean 'time'"),
])
def test_bad_times_and_columns_are_record_errors(text, match):
    with pytest.raises(RecordError, match=match):
        load(text)


def test_bad_zone_and_shapes_are_leaklab_errors(tmp_path):
    with pytest.raises(RecordError, match="cannot place the time in zone"):
        load("time,kind,credential\n2022-01-01 10:00,pushed,k\n", tz="Mars/Base")
    for doc in ("5", "null", '{"events": 5}'):
        with pytest.raises(RecordError, match="expected a list of events"):
            load(doc, "json")
    with pytest.raises(RecordError, match="record line 3: not valid JSON"):
        load('{"time": "2022-01-01", "kind": "pushed", "credential": "k"}\n\n{oops\n', "jsonl")
    with pytest.raises(RecordError, match="unknown kind"):
        load('[{"time": "2022-01-01", "kind": ["pushed"], "credential": "k"}]', "json")
    p = tmp_path / "latin.csv"
    p.write_bytes("time,kind,credential\n2022-01-01,pushed,caf\xe9\n".encode("latin-1"))
    with pytest.raises(LeakLabError, match="not UTF-8"):
        leaklab.load_timeline(p)


def test_from_findings_uses_the_secrets_frame_keys(tmp_path):
    leaklab.demo.build(tmp_path)
    f = leaklab.load(tmp_path / "reports")
    det = leaklab.timeline.from_findings(f)
    assert set(det.credential) <= set(leaklab.dedupe(f).secret_id)
