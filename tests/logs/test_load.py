"""leaklab.load_access_logs as a whole: sniffing, mixed inputs, forced formats, the contract."""

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import leaklab
from leaklab import schema
from leaklab.errors import LeakLabWarning, UnknownFormatError
from leaklab.logs import formats, registry

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "logs"


def test_lazy_export_and_listing():
    code = "import leaklab, sys; f = leaklab.load_access_logs; print('pandas' in sys.modules, 'logs' in dir(leaklab))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]  # the verb resolves without loading pandas until it runs
    assert callable(leaklab.load_access_logs) and leaklab.logs.load_access_logs is leaklab.load_access_logs
    f = formats()
    assert list(f.columns) == ["format", "provider", "description"]
    assert set(f["provider"]) == {"aws", "github", "gcp", "azure", "slack", "okta"}
    assert f["format"].is_unique


def test_usage_contract():
    cols = schema.columns("usage")
    assert cols[:3] == ["time", "provider", "credential_id"] and cols[-2:] == ["source_file", "source_record"]
    assert {"issued_credential", "issued_expires", "derived_from", "duplicate"} <= set(cols)
    d = leaklab.describe("usage").set_index("column")["dtype"]
    assert d["time"] == d["issued_expires"] == "datetime64[ns, UTC]" and d["duplicate"] == "boolean"
    leaklab.validate(schema.empty("usage"), "usage")


def test_every_fixture_is_sniffed_to_its_provider():
    expected = {"aws_cloudtrail": "aws", "github_audit": "github", "gcp_audit": "gcp", "azure_activity": "azure",
                "slack_audit": "slack", "okta_system": "okta"}
    df = leaklab.load_access_logs(FIX)
    leaklab.validate(df, "usage")
    assert df.attrs["skipped"] == []
    folder = df["source_file"].map(lambda p: Path(p).parent.name)
    assert (folder.map(expected) == df["provider"]).all()
    assert set(folder) == set(expected)


def test_all_times_are_utc_whatever_the_offset():
    df = leaklab.load_access_logs(FIX)
    assert str(df["time"].dtype) == "datetime64[ns, UTC]" and df["time"].notna().all()
    assert df["time"].between(pd.Timestamp("2024-04-30", tz="UTC"), pd.Timestamp("2024-05-03", tz="UTC")).all()


def test_duplicates_are_counted_per_provider(tmp_path):
    df = leaklab.load_access_logs(FIX)
    per = df.groupby("provider")["duplicate"].sum().to_dict()
    assert per["aws"] > 0 and per["github"] > 0 and per["okta"] == 0
    same_id = tmp_path / "okta.json"
    events = json.loads((FIX / "okta_system" / "system_log.json").read_text())
    events[0]["uuid"] = "00000000-1eaf-4ab0-8000-000000000001"  # an AWS eventID, in another provider
    same_id.write_text(json.dumps(events))
    both = leaklab.load_access_logs([FIX / "aws_cloudtrail" / "lookup_events.jsonl", same_id])
    assert not both["duplicate"].any()


def test_forced_format_and_unknown_files(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a log\n")
    with pytest.raises(UnknownFormatError, match="not a supported access log"):
        leaklab.load_access_logs(notes)
    (tmp_path / "trail.json").write_bytes(gzip.decompress(
        (FIX / "aws_cloudtrail" / "111122223333_CloudTrail_us-east-1_20240501T1010Z_LeakLabFake01.json.gz").read_bytes()))
    with pytest.warns(LeakLabWarning, match="notes.txt"):
        df = leaklab.load_access_logs(tmp_path)  # files beside the logs are skipped and listed
    assert len(df) == 8 and df.attrs["skipped"][0]["file"] == str(notes)
    forced = leaklab.load_access_logs(tmp_path / "trail.json", format="aws-cloudtrail")
    assert len(forced) == 8
    with pytest.raises(UnknownFormatError, match="unknown access-log format"):
        leaklab.load_access_logs(tmp_path / "trail.json", format="nope")
    with pytest.raises(leaklab.LeakLabError, match="no such file"):
        leaklab.load_access_logs(tmp_path / "missing.json")


def test_registry_order_puts_specific_shapes_first():
    names = [f.name for f in registry()]
    assert names.index("aws-lookup-events") < names.index("aws-cloudtrail")
    assert names.index("slack-audit") < names.index("github-audit-json")


def test_utf8_bom_and_crlf(tmp_path):
    src = (FIX / "github_audit" / "stream-leaklab-org.ndjson").read_text()
    p = tmp_path / "bom.ndjson"
    p.write_bytes(b"\xef\xbb\xbf" + src.replace("\n", "\r\n").encode())
    df = leaklab.load_access_logs(p)
    assert len(df) == 2 and list(df["source_record"]) == ["line 1", "line 2"]


def test_lenient_archive_keeps_members_after_a_corrupt_one(tmp_path, fixtures):
    import gzip
    import io
    import tarfile
    import warnings

    import leaklab

    good = fixtures / "logs" / "aws_cloudtrail" / "111122223333_CloudTrail_us-east-1_20240501T1015Z_LeakLabFake02.json"
    data = gzip.compress(good.read_bytes(), mtime=0)
    tar = tmp_path / "trail.tar"
    with tarfile.open(tar, "w") as t:
        for name, payload in (("a.json.gz", data[:40]), ("b.json.gz", data)):  # a is cut short
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            t.addfile(info, io.BytesIO(payload))
    with pytest.raises(leaklab.LeakLabError):
        leaklab.load_access_logs(tar)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        df = leaklab.load_access_logs(tar, lenient=True)
    assert len(df) > 0 and df["source_record"].str.startswith("b.json.gz").all()
    assert len(df.attrs["skipped"]) == 1 and "a.json.gz" in str(df.attrs["skipped"][0])
