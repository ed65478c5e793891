"""CloudTrail in every shape: delivery files (plain, gzip, directories, tar, zip), Stratus
Red Team arrays, Event history, Athena and CloudTrail Lake CSV; the real files in ../shared."""

import gzip
import io
import json
import tarfile
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import leaklab
from leaklab.errors import LeakLabError, LeakLabWarning, RecordError
from leaklab.logs import aws

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "logs" / "aws_cloudtrail"
DELIVERY = FIX / "111122223333_CloudTrail_us-east-1_20240501T1010Z_LeakLabFake01.json.gz"
LATE = FIX / "111122223333_CloudTrail_us-east-1_20240501T1015Z_LeakLabFake02.json"
KEY1, TMP1, NEWKEY = "AKIA" + "LEAKLABFAKE00001", "ASIA" + "LEAKLABFAKE00002", "AKIA" + "LEAKLABFAKE00003"
TOKEN = "FAKE-LEAKLAB-SESSION-TOKEN-" + "Q" * 40


def utc(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


def records() -> list[dict]:
    return json.loads(gzip.decompress(DELIVERY.read_bytes()))["Records"]


def write_delivery(path: Path, recs: list, gz: bool = True) -> Path:
    data = json.dumps({"Records": recs}).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


# --------------------------------------------------------------------------- delivery files


def test_gzipped_delivery_file():
    df = leaklab.load_access_logs(DELIVERY)
    leaklab.validate(df, "usage")
    assert len(df) == 8 and set(df["provider"]) == {"aws"}
    assert list(df["source_record"]) == [f"Records[{i}]" for i in range(8)]
    first = df.iloc[0]
    assert first["time"] == utc("2024-05-01T10:02:11Z")
    assert (first["credential_id"], first["credential_kind"]) == (KEY1, "access-key")
    assert first["principal"] == "arn:aws:iam::111122223333:user/ci-deployer"
    assert (first["account"], first["action"]) == ("111122223333", "s3.amazonaws.com:ListBuckets")
    assert (first["outcome"], first["event_id"]) == ("success", "00000000-1eaf-4ab0-8000-000000000001")
    denied = df[df["outcome"] == "failure"]
    assert list(denied["action"]) == ["iam.amazonaws.com:ListUsers"] and list(denied["error"]) == ["AccessDenied"]
    assert str(df["time"].dtype) == "datetime64[ns, UTC]"


def test_odd_source_addresses_are_kept_verbatim():
    df = leaklab.load_access_logs(DELIVERY)
    assert {"2001:db8::1f", "lambda.amazonaws.com", "AWS Internal", "203.0.113.10"} == set(df["source_ip"])
    svc = df[df["source_ip"] == "lambda.amazonaws.com"].iloc[0]
    assert svc["principal"] == "lambda.amazonaws.com" and pd.isna(svc["credential_id"]) and pd.isna(svc["credential_kind"])
    stratus = leaklab.load_access_logs(FIX / "stratus_aws.persistence.sts-federation-token.json")
    assert set(stratus["source_ip"]) == {"198.051.100.7"}  # not a valid dotted quad: kept as logged


def test_minted_credentials_and_their_parents():
    df = leaklab.load_access_logs([DELIVERY, LATE])
    minted = df[df["issued_credential"].notna()].set_index("issued_credential")
    assert minted.loc[TMP1, "action"] == "sts.amazonaws.com:AssumeRole"
    assert minted.loc[TMP1, "issued_expires"] == utc("2024-05-01T11:05:00Z")  # "May 1, 2024, 11:05:00 AM"
    assert minted.loc[NEWKEY, "action"] == "iam.amazonaws.com:CreateAccessKey" and pd.isna(minted.loc[NEWKEY, "issued_expires"])
    parents = df.dropna(subset=["derived_from"]).groupby("credential_id")["derived_from"].first().to_dict()
    assert parents == {TMP1: KEY1, NEWKEY: TMP1}
    assert df.loc[df["credential_id"] == KEY1, "derived_from"].isna().all()


def test_resource_falls_back_to_request_parameters():
    df = leaklab.load_access_logs(DELIVERY)
    by_action = dict(zip(df["action"], df["resource"]))
    assert by_action["s3.amazonaws.com:GetObject"] == \
        "arn:aws:s3:::payments-exports/exports/2024-04.csv, arn:aws:s3:::payments-exports"
    assert by_action["iam.amazonaws.com:CreateAccessKey"] == "backup-bot"  # no resources[]: requestParameters.userName


def test_duplicate_deliveries_are_kept_and_marked(tmp_path):
    df = leaklab.load_access_logs([DELIVERY, LATE])
    assert len(df) == 10
    dup = df[df["duplicate"]]
    assert list(dup["event_id"]) == ["00000000-1eaf-4ab0-8000-000000000001"]
    assert df["event_id"].duplicated().sum() == df["duplicate"].sum() == 1
    # the same file read twice: every event of the second copy is a duplicate
    twice = leaklab.load_access_logs([DELIVERY, write_delivery(tmp_path / "copy.json.gz", records())])
    assert twice["duplicate"].sum() == 8 and not twice["duplicate"].iloc[:8].any()


def test_late_events_keep_their_own_time():
    df = leaklab.load_access_logs([DELIVERY, LATE])
    late = df[df["source_file"] == str(LATE)]
    assert late["time"].max() > df[df["source_file"] == str(DELIVERY)]["time"].max()
    assert df.sort_values("time", kind="stable").iloc[0]["time"] == utc("2024-05-01T10:02:11Z")


def test_directories_tar_and_zip_name_the_member(tmp_path):
    root = tmp_path / "AWSLogs" / "111122223333" / "CloudTrail" / "us-east-1" / "2024" / "05" / "01"
    root.mkdir(parents=True)
    (root / DELIVERY.name).write_bytes(DELIVERY.read_bytes())
    (root / (LATE.name + ".gz")).write_bytes(gzip.compress(LATE.read_bytes()))
    from_dir = leaklab.load_access_logs(tmp_path)
    assert len(from_dir) == 10 and from_dir["source_file"].nunique() == 2

    tar_path = tmp_path / "trail.tar"
    with tarfile.open(tar_path, "w") as tar:
        tar.add(tmp_path / "AWSLogs", arcname="AWSLogs")
    df = leaklab.load_access_logs(tar_path)
    member = f"AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/{DELIVERY.name}"
    assert len(df) == 10 and set(df["source_file"]) == {str(tar_path)}
    assert df["source_record"].iloc[3] == f"{member} Records[3]"

    tgz = tmp_path / "trail.tar.gz"
    with tarfile.open(tgz, "w:gz") as tar:
        tar.add(tmp_path / "AWSLogs", arcname="AWSLogs")
    assert len(leaklab.load_access_logs(tgz)) == 10

    zpath = tmp_path / "trail.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        z.write(root / DELIVERY.name, DELIVERY.name)
        z.writestr("CloudTrail-Digest/" + FIX.joinpath("111122223333_CloudTrail-Digest_us-east-1_leaklab_us-east-1_20240501T102000Z.json").name,
                   FIX.joinpath("111122223333_CloudTrail-Digest_us-east-1_leaklab_us-east-1_20240501T102000Z.json").read_bytes())
    z_df = leaklab.load_access_logs(zpath)
    assert len(z_df) == 8 and z_df["source_record"].iloc[0] == f"{DELIVERY.name} Records[0]"
    assert z_df.attrs["skipped"] == []  # the digest file is read as empty, silently


def test_bad_record_in_an_archive_names_member_and_record(tmp_path):
    recs = records()
    del recs[3]["eventTime"]
    buf = io.BytesIO(gzip.compress(json.dumps({"Records": recs}).encode()))
    tar_path = tmp_path / "trail.tar"
    with tarfile.open(tar_path, "w") as tar:
        info = tarfile.TarInfo("AWSLogs/x/member.json.gz")
        info.size = len(buf.getvalue())
        tar.addfile(info, buf)
    with pytest.raises(RecordError) as e:
        leaklab.load_access_logs(tar_path)
    assert e.value.file == str(tar_path) and e.value.record == "AWSLogs/x/member.json.gz Records[3]"
    assert "eventTime" in e.value.reason


# --------------------------------------------------------------------------- bad records


@pytest.mark.parametrize("breakage, field", [
    (lambda r: r.pop("eventTime"), "eventTime"),
    (lambda r: r.__setitem__("eventName", ["x"]), "eventName"),
    (lambda r: r["userIdentity"].__setitem__("accessKeyId", 12345), "accessKeyId"),
    (lambda r: r.__setitem__("userIdentity", "IAMUser"), "userIdentity"),
    (lambda r: r.__setitem__("sourceIPAddress", 7), "sourceIPAddress"),
    (lambda r: r.__setitem__("eventTime", "yesterday at noon"), "eventTime"),
    (lambda r: r.__setitem__("resources", [{"ARN": 5}]), "resources[0]"),
])
def test_bad_record_is_named_and_lenient_skips_it(tmp_path, breakage, field):
    recs = records()
    breakage(recs[3])
    path = write_delivery(tmp_path / "d.json.gz", recs)
    with pytest.raises(RecordError) as e:
        leaklab.load_access_logs(path)
    assert e.value.record == "Records[3]" and field in e.value.reason and str(path) in str(e.value)
    with pytest.warns(LeakLabWarning, match="skipped 1"):
        df = leaklab.load_access_logs(path, lenient=True)
    assert len(df) == 7 and "Records[3]" not in set(df["source_record"])
    assert df.attrs["skipped"][0]["record"] == "Records[3]"


def test_bad_line_in_json_lines(tmp_path):
    lines = [json.dumps(r) for r in records()[:3]]
    lines[1] = lines[1][:40]
    path = tmp_path / "trail.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(RecordError, match="line 2"):
        leaklab.load_access_logs(path)
    with pytest.warns(LeakLabWarning):
        assert len(leaklab.load_access_logs(path, lenient=True)) == 2


def test_truncated_file_is_one_error_and_skipped_whole_when_lenient(tmp_path):
    path = tmp_path / "cut.json"
    path.write_bytes(gzip.decompress(DELIVERY.read_bytes())[:500])
    with pytest.raises(RecordError, match="not valid JSON"):
        leaklab.load_access_logs(path)
    bad_gz = tmp_path / "cut.json.gz"
    bad_gz.write_bytes(DELIVERY.read_bytes()[:100])
    with pytest.raises(LeakLabError, match="gzip"):
        leaklab.load_access_logs(bad_gz)
    with pytest.warns(LeakLabWarning, match="skipped 2"):
        df = leaklab.load_access_logs([path, bad_gz, DELIVERY], lenient=True)
    assert len(df) == 8


def test_unparseable_expiry_names_the_record_or_is_left_empty(tmp_path):
    recs = records()
    recs[3]["responseElements"]["credentials"]["expiration"] = "the day after tomorrow"
    path = write_delivery(tmp_path / "d.json.gz", recs)
    with pytest.raises(RecordError, match=r"Records\[3\].*expiration"):
        leaklab.load_access_logs(path)
    with pytest.warns(LeakLabWarning):
        df = leaklab.load_access_logs(path, lenient=True)
    row = df[df["issued_credential"] == TMP1].iloc[0]
    assert pd.isna(row["issued_expires"]) and len(df) == 8


# --------------------------------------------------------------------------- secrets never kept


SECRET = "FAKE/LEAKLAB/SECRET/ACCESS/KEY/" + "Z" * 9


@pytest.mark.parametrize("breakage", [
    None,
    lambda r: r.pop("eventTime"),
    lambda r: r["responseElements"]["credentials"].__setitem__("expiration", "sometime " + TOKEN),
    lambda r: r["responseElements"]["credentials"].__setitem__("accessKeyId", {"value": TOKEN}),
    lambda r: r.__setitem__("userAgent", {"token": TOKEN}),
    lambda r: r.__setitem__("eventTime", TOKEN),
])
def test_session_tokens_and_secret_keys_never_reach_the_frame_or_an_error(tmp_path, breakage):
    recs = records()
    creds = recs[3]["responseElements"]["credentials"]
    assert creds["sessionToken"] == TOKEN
    creds["secretAccessKey"] = SECRET  # some exports carry it; CloudTrail itself omits it
    if breakage:
        breakage(recs[3])
    paths = [write_delivery(tmp_path / "d.json.gz", recs), tmp_path / "events.jsonl", tmp_path / "athena.csv"]
    paths[1].write_text("".join(json.dumps({"EventId": r.get("eventID"), "EventTime": "2024-05-01 20:05:00+10:00",
                                            "CloudTrailEvent": json.dumps(r)}) + "\n" for r in recs))
    athena = (FIX / "athena_cloudtrail_logs.csv").read_text()
    athena = athena.replace('""sessionToken"":""', '""secretAccessKey"":""' + SECRET + '"",""sessionToken"":""')
    assert SECRET in athena and TOKEN in athena
    paths[2].write_text(athena)
    for path in paths:
        for lenient in (False, True):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", LeakLabWarning)
                    df = leaklab.load_access_logs(path, lenient=lenient)
                text = df.to_csv() + repr(df.attrs)
            except LeakLabError as e:
                text = str(e) + repr(e.args) + repr(vars(e))
            assert TOKEN not in text and SECRET not in text and "Q" * 40 not in text


# --------------------------------------------------------------------------- other shapes


def test_stratus_detonation_array():
    df = leaklab.load_access_logs(FIX / "stratus_aws.persistence.sts-federation-token.json")
    assert list(df["source_record"]) == ["[0]", "[1]"]
    fed, used = df.iloc[0], df.iloc[1]
    assert fed["action"] == "sts.amazonaws.com:GetFederationToken" and fed["issued_credential"] == "ASIALEAKLABFAKE00004"
    assert fed["issued_expires"] == utc("2024-05-02T20:43:17Z")  # "May 2, 2024, 8:43:17 PM"
    assert used["credential_kind"] == "session" and used["derived_from"] == "AKIALEAKLABFAKE00005"
    assert used["principal"] == "arn:aws:sts::111122223333:federated-user/leaklab_fed"


def test_lookup_events_with_local_offsets():
    df = leaklab.load_access_logs(FIX / "lookup_events.jsonl")
    assert list(df["time"]) == [utc("2024-05-01T10:02:11Z"), utc("2024-05-01T03:30:00Z"), utc("2024-05-01T03:31:05Z")]
    assert list(df["source_record"]) == ["line 1", "line 2", "line 3"]
    assert df.iloc[1]["resource"] == "i-0123456789abcdef0" and df.iloc[1]["credential_id"] == KEY1
    svc = df.iloc[2]
    assert pd.isna(svc["credential_id"]) and svc["principal"] == "ec2.amazonaws.com"
    cli = leaklab.load_access_logs(FIX / "lookup_events_cli.json")
    assert cli.iloc[0]["time"] == utc("2024-05-01T10:05:00Z") and cli.iloc[0]["source_record"] == "Events[0]"
    assert cli.iloc[0]["issued_credential"] == TMP1  # read from the CloudTrailEvent string


def test_lookup_event_without_the_inner_record():
    ev = {"EventId": "e-1", "EventName": "ListBuckets", "EventSource": "s3.amazonaws.com", "AccessKeyId": KEY1,
          "Username": "ci-deployer", "EventTime": 1714557731.0, "Resources": []}
    row = aws.FORMATS[1].convert(ev)[0]
    assert row["credential_id"] == KEY1 and row["action"] == "s3.amazonaws.com:ListBuckets"
    assert row["time"] == utc("2024-05-01T10:02:11Z") and row["principal"] == "ci-deployer"


def test_athena_csv_with_struct_text():
    df = leaklab.load_access_logs(FIX / "athena_cloudtrail_logs.csv")
    assert list(df["source_record"]) == ["line 2", "line 3", "line 4"]
    assume, get, denied = df.iloc[0], df.iloc[1], df.iloc[2]
    assert (assume["credential_id"], assume["issued_credential"]) == (KEY1, TMP1)
    assert assume["issued_expires"] == utc("2024-05-01T11:05:00Z")
    assert assume["resource"] == "arn:aws:iam::111122223333:role/deploy-role"
    assert (get["credential_id"], get["credential_kind"], get["source_ip"]) == (TMP1, "session", "2001:db8::1f")
    assert get["principal"] == "arn:aws:sts::111122223333:assumed-role/deploy-role/leaklab-session"
    assert (denied["outcome"], denied["error"]) == ("failure", "AccessDenied")


def test_cloudtrail_lake_csv_with_flat_columns():
    df = leaklab.load_access_logs(FIX / "lake_query_results.csv")
    assert df.iloc[0]["time"] == utc("2024-05-01T10:12:30Z")  # Lake prints UTC without a zone
    assert df.iloc[0]["credential_id"] == NEWKEY and df.iloc[0]["principal"] == "arn:aws:iam::111122223333:user/backup-bot"
    assert df.iloc[1]["source_ip"] == "lambda.amazonaws.com" and pd.isna(df.iloc[1]["credential_id"])


def test_athena_struct_parser():
    assert aws.parse_struct("{a=1, b={c=x, d=null}, e=[{f=arn:aws:s3:::b/k=v}]}") == \
        {"a": "1", "b": {"c": "x", "d": None}, "e": [{"f": "arn:aws:s3:::b/k=v"}]}
    assert aws.parse_struct('{"type": "IAMUser"}') == {"type": "IAMUser"}
    for bad in ("{a=1", "{=1}", "[1, 2", "{a=1}}"):
        with pytest.raises(ValueError):
            aws.parse_struct(bad)


def test_batch_and_record_paths_agree():
    recs = records() + json.loads(LATE.read_text())["Records"] + \
        json.loads((FIX / "stratus_aws.persistence.sts-federation-token.json").read_text())
    cols = aws.records_batch(recs)
    for i, rec in enumerate(recs):
        assert aws.record(rec)[0] == {k: v[i] for k, v in cols.items()}


def test_empty_and_digest_files(tmp_path):
    (tmp_path / "empty.json").write_text('{"Records": []}')
    (tmp_path / "blank.json").write_text("")
    df = leaklab.load_access_logs([tmp_path / "empty.json", tmp_path / "blank.json",
                                   FIX / "111122223333_CloudTrail-Digest_us-east-1_leaklab_us-east-1_20240501T102000Z.json"])
    assert len(df) == 0
    leaklab.validate(df, "usage")


# --------------------------------------------------------------------------- the real files


def test_flaws2_tar_of_gzipped_delivery_files(shared_logs):
    tar_path = shared_logs / "aws_cloudtrail" / "flaws2_cloudtrail_logs.tar"
    df = leaklab.load_access_logs(tar_path)
    leaklab.validate(df, "usage")
    assert len(df) == 37 and df["source_file"].unique().tolist() == [str(tar_path)]
    assert df["source_record"].str.match(r"AWSLogs/653711331788/CloudTrail/us-east-1/2018/11/28/\S+\.json\.gz Records\[\d+\]$").all()
    assert df["time"].min() == utc("2018-11-28T22:31:59Z") and df["time"].max() == utc("2018-11-28T23:09:36Z")
    assert not df["duplicate"].any() and df["event_id"].notna().all()
    minted = df.dropna(subset=["issued_credential"]).set_index("issued_credential")
    assert len(minted) == 3 and minted.loc["ASIAZQNB3KHGIGYQXVVG", "principal"] == "lambda.amazonaws.com"
    assert minted.loc["ASIAZQNB3KHGIGYQXVVG", "issued_expires"] == utc("2018-11-29T11:03:12Z")  # "Nov 29, 2018 11:03:12 AM"
    level1 = df[df["credential_id"] == "ASIAZQNB3KHGIGYQXVVG"]
    assert set(level1["source_ip"]) == {"34.234.236.212", "104.102.221.250"}  # the Lambda, then the attacker
    assert set(level1["derived_from"]) == {"lambda.amazonaws.com"}
    assert (df["error"] == "AccessDenied").sum() == 5 and (df["error"] == "NoSuchKey").sum() == 2
    assert {"ecs-tasks.amazonaws.com", "lambda.amazonaws.com", "apigateway.amazonaws.com"} <= set(df["source_ip"])
    assert set(df.loc[df["principal"] == "ANONYMOUS_PRINCIPAL", "action"]) == {"s3.amazonaws.com:GetObject"}
    assert not df.astype(str).apply(lambda c: c.str.contains("FQoGZXIvYXdzE")).any().any()  # the expired session tokens


def test_stratus_real_files(shared_logs):
    d = shared_logs / "aws_cloudtrail"
    fed = leaklab.load_access_logs(d / "stratus_aws.persistence.sts-federation-token.json")
    assert len(fed) == 2
    assert fed.iloc[0]["issued_credential"] == "ASIASTJKC5GCM7ZE6LUP"
    assert fed.iloc[0]["issued_expires"] == utc("2024-11-30T20:43:17Z")  # "Nov 30, 2024, 8:43:17 PM"
    assert fed.iloc[1]["derived_from"] == "AKIA6V1GNZTT65XQH36M" and fed.iloc[1]["source_ip"] == "255.090.254.5"
    admin = leaklab.load_access_logs(d / "stratus_aws.persistence.iam-create-admin-user.json")
    assert len(admin) == 3 and admin.dropna(subset=["issued_credential"])["issued_credential"].tolist() == ["AKIAXAFZN8JEPF6L682H"]
    assert set(admin["source_ip"]) == {"075.050.255.67"}
    ssm = leaklab.load_access_logs(d / "stratus_aws.credential-access.ssm-retrieve-securestring-parameters.json")
    assert len(ssm) == 10 and set(ssm["credential_id"]) == {"AKIAY964QRZ7YSGWGVUH"}
    gets = ssm[ssm["action"] == "ssm.amazonaws.com:GetParameters"]
    assert gets["resource"].str.count("arn:aws:ssm:cn-west-3r:933175858973:parameter/").sum() == 42


def test_plaso_lookup_events(shared_logs):
    path = shared_logs / "aws_cloudtrail" / "plaso_aws_cloudtrail_lookup_events.jsonl"
    df = leaklab.load_access_logs(path)
    assert len(df) == 6
    inner = [json.loads(json.loads(line)["CloudTrailEvent"])["eventTime"] for line in path.read_text().splitlines()]
    assert list(df["time"]) == [utc(t) for t in inner]  # "+11:00" local times, converted
    assert df.iloc[0]["time"] == utc("2022-02-07T22:23:37Z")
    assert df["credential_id"].isna().sum() == 1 and df["credential_kind"].dropna().unique().tolist() == ["session"]


def test_whole_shared_aws_folder(shared_logs):
    df = leaklab.load_access_logs(shared_logs / "aws_cloudtrail")
    assert len(df) == 58 and df.attrs["skipped"] == []
    assert df["source_file"].value_counts().to_dict() == {
        str(shared_logs / "aws_cloudtrail" / n): c for n, c in [
            ("flaws2_cloudtrail_logs.tar", 37), ("stratus_aws.credential-access.ssm-retrieve-securestring-parameters.json", 10),
            ("plaso_aws_cloudtrail_lookup_events.jsonl", 6), ("stratus_aws.persistence.iam-create-admin-user.json", 3),
            ("stratus_aws.persistence.sts-federation-token.json", 2)]}


def test_failed_console_sign_in_has_no_error_code(tmp_path):
    rec = {"eventVersion": "1.08", "userIdentity": {"type": "IAMUser", "principalId": "AIDALEAKLABFAKEUSER01",
           "accountId": "111122223333", "accessKeyId": "", "userName": "ci-deployer"},
           "eventTime": "2024-05-01T09:00:00Z", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
           "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.66", "userAgent": "Mozilla/5.0",
           "errorMessage": "Failed authentication", "requestParameters": None,
           "responseElements": {"ConsoleLogin": "Failure"},
           "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "No"},
           "eventID": "00000000-1eaf-4ab0-8000-000000000099", "readOnly": False, "eventType": "AwsConsoleSignIn",
           "managementEvent": True, "recipientAccountId": "111122223333", "eventCategory": "Management"}
    row = leaklab.load_access_logs(write_delivery(tmp_path / "d.json", [rec], gz=False)).iloc[0]
    assert (row["outcome"], row["error"], row["principal"]) == ("failure", "Failed authentication", "ci-deployer")
    assert pd.isna(row["credential_id"])  # an empty accessKeyId is no key
