"""Reading access logs, and finding the uses inside exposure windows, each against a baseline.

1. Reading. Writes (once, reused if present) N CloudTrail events in the real nested
   delivery shape (``AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_...json.gz``,
   each ``{"Records": [...]}`` of --per-file events) with realistic cardinalities: a few
   hundred access keys (long-term AKIA and temporary ASIA), a few thousand source IPs and
   service names, user agents, errors, resources, sessionContext and STS responses. Then
   times, each in a fresh process so peak memory is its own:

   - baseline: ``for f in files: json.load(gzip.open(f))`` (parsing only: no columns, no frame);
   - leaklab: ``leaklab.load_access_logs(dir)`` (sniffed, normalized, typed, duplicates marked),
     with pandas and leaklab imported before the clock starts.

   Prints seconds, the ratio leaklab / baseline (target <= 1.5) and peak RSS.

2. Matching. N uses of 2 x --windows keys against --windows exposure windows:
   ``leaklab.usage_in_windows`` (the uses inside each window, with new-source flags) against
   the same answer computed the straightforward pandas way (``merge``, filter, set lookups
   for the flags), on the same frames (target: at least 10x faster).

    python benchmarks/bench_usage.py [--n 5000000] [--per-file 1000] [--windows 100000] [--dir benchmarks/out]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import string
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ACCOUNT = "111122223333"
REGION = "us-east-1"
CALLS = [  # (eventSource, eventName, readOnly, weight)
    ("s3.amazonaws.com", "GetObject", True, 30), ("s3.amazonaws.com", "PutObject", False, 8),
    ("s3.amazonaws.com", "ListObjects", True, 8), ("s3.amazonaws.com", "ListBuckets", True, 3),
    ("ec2.amazonaws.com", "DescribeInstances", True, 10), ("ec2.amazonaws.com", "RunInstances", False, 1),
    ("iam.amazonaws.com", "ListUsers", True, 3), ("iam.amazonaws.com", "CreateAccessKey", False, 1),
    ("sts.amazonaws.com", "GetCallerIdentity", True, 6), ("sts.amazonaws.com", "AssumeRole", False, 4),
    ("sts.amazonaws.com", "GetSessionToken", False, 1), ("ssm.amazonaws.com", "GetParameters", True, 4),
    ("logs.amazonaws.com", "CreateLogStream", False, 6), ("kms.amazonaws.com", "Decrypt", True, 6),
    ("lambda.amazonaws.com", "Invoke", False, 5), ("dynamodb.amazonaws.com", "GetItem", True, 4),
]
AGENTS = [
    "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64.ubuntu.22 prompt/off command/s3.cp",
    "Boto3/1.34.14 md/Botocore#1.34.14 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.12.1 cfg/retry-mode#legacy",
    "aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.47.7",
    "[Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36]",
    "console.amazonaws.com", "lambda.amazonaws.com", "AWS Internal",
]


def _key(rnd: random.Random, prefix: str) -> str:
    return prefix + "LEAKLABFAKE" + "".join(rnd.choice(string.ascii_uppercase + string.digits) for _ in range(5))


def _record(rnd: random.Random, t: datetime, keys: list, ips: list) -> dict:
    source, name, read_only = rnd.choices([c[:3] for c in CALLS], weights=[c[3] for c in CALLS])[0]
    key, user = rnd.choice(keys)
    temp = key.startswith("ASIA")
    if temp:
        identity = {"type": "AssumedRole", "principalId": f"AROALEAKLABFAKEROLE01:{user}",
                    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/{user}", "accountId": ACCOUNT, "accessKeyId": key,
                    "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROALEAKLABFAKEROLE01",
                                                         "arn": f"arn:aws:iam::{ACCOUNT}:role/app-role",
                                                         "accountId": ACCOUNT, "userName": "app-role"},
                                       "webIdFederationData": {},
                                       "attributes": {"creationDate": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                                      "mfaAuthenticated": "false"}}}
    else:
        identity = {"type": "IAMUser", "principalId": "AIDALEAKLABFAKEUSER01", "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
                    "accountId": ACCOUNT, "accessKeyId": key, "userName": user}
    bucket = f"bucket-{rnd.randrange(40)}"
    request = {"bucketName": bucket, "key": f"data/{rnd.randrange(10000)}.csv", "Host": f"{bucket}.s3.amazonaws.com"} \
        if source == "s3.amazonaws.com" else {"maxResults": 100} if read_only else {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/app-role",
                                                                                   "roleSessionName": user}
    response = None
    if name in ("AssumeRole", "GetSessionToken"):
        exp = t + timedelta(hours=1)
        response = {"credentials": {"accessKeyId": _key(rnd, "ASIA"), "sessionToken": "FAKE" + "x" * 300,
                                    "expiration": f"{exp:%b} {exp.day}, {exp.year}, {exp:%I:%M:%S %p}"},
                    "assumedRoleUser": {"assumedRoleId": f"AROALEAKLABFAKEROLE01:{user}",
                                        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/{user}"}}
    elif name == "CreateAccessKey":
        response = {"accessKey": {"accessKeyId": _key(rnd, "AKIA"), "status": "Active", "userName": user,
                                  "createDate": f"{t:%b} {t.day}, {t.year}, {t:%I:%M:%S %p}"}}
    rec = {
        "eventVersion": "1.09", "userIdentity": identity, "eventTime": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source, "eventName": name, "awsRegion": REGION, "sourceIPAddress": rnd.choice(ips),
        "userAgent": rnd.choice(AGENTS),
    }
    if rnd.random() < 0.05:
        rec["errorCode"] = "AccessDenied"
        rec["errorMessage"] = f"User: {identity['arn']} is not authorized to perform: {source.split('.')[0]}:{name}"
    rec.update({
        "requestParameters": request, "responseElements": response,
        "additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0},
        "requestID": uuid.UUID(int=rnd.getrandbits(128)).hex[:20].upper(), "eventID": str(uuid.UUID(int=rnd.getrandbits(128))),
        "readOnly": read_only, "eventType": "AwsApiCall", "managementEvent": source != "s3.amazonaws.com",
        "recipientAccountId": ACCOUNT, "eventCategory": "Management" if source != "s3.amazonaws.com" else "Data",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": source},
    })
    if source == "s3.amazonaws.com":
        rec["resources"] = [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{request['key']}"},
                            {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}]
    return rec


def write(out: Path, n: int, per_file: int) -> list[Path]:
    rnd = random.Random(5)
    keys = [(_key(rnd, "AKIA"), f"user-{i}") for i in range(200)] + [(_key(rnd, "ASIA"), f"session-{i}") for i in range(300)]
    ips = [f"{rnd.randrange(1, 224)}.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}" for _ in range(3000)]
    ips += ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "AWS Internal", "2001:db8::1f"]
    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    files = []
    for f in range((n + per_file - 1) // per_file):
        t0 = start + timedelta(minutes=5 * f)
        recs = [_record(rnd, t0 + timedelta(seconds=rnd.randrange(600)), keys, ips) for _ in range(min(per_file, n - f * per_file))]
        folder = out / "AWSLogs" / ACCOUNT / "CloudTrail" / REGION / f"{t0:%Y/%m/%d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{ACCOUNT}_CloudTrail_{REGION}_{t0:%Y%m%dT%H%MZ}_{f:08d}.json.gz"
        with gzip.open(path, "wb", compresslevel=6) as gz:
            gz.write(json.dumps({"Records": recs}, separators=(",", ":")).encode())
        files.append(path)
    return files


CHILD = r"""
import gzip, json, resource, sys, time
from pathlib import Path
kind, root = sys.argv[1], sys.argv[2]
files = sorted(str(p) for p in Path(root).rglob("*.json.gz"))
if kind == "leaklab":  # import cost (pandas, pyarrow) is not reading cost: paid before the clock starts
    import leaklab, leaklab.logs.aws, pandas, pyarrow
t = time.perf_counter()
if kind == "baseline":
    rows = 0
    for f in files:
        with gzip.open(f) as fh:
            rows += len(json.load(fh)["Records"])
else:
    import leaklab
    rows = len(leaklab.load_access_logs(root))
dt = time.perf_counter() - t
print(dt, rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def measure(kind: str, root: Path) -> tuple[float, int, int]:
    out = subprocess.run([sys.executable, "-c", CHILD, kind, str(root)], capture_output=True, text=True, check=True)
    secs, rows, peak = out.stdout.split()
    return float(secs), int(rows), int(peak)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5_000_000)
    ap.add_argument("--per-file", type=int, default=1_000)
    ap.add_argument("--windows", type=int, default=100_000)
    ap.add_argument("--dir", default=str(Path(__file__).parent / "out"))
    args = ap.parse_args()
    root = Path(args.dir) / f"cloudtrail-{args.n}-{args.per_file}"
    done = root / ".complete"
    if not done.exists():
        print(f"writing {args.n:,} events to {root} ...", flush=True)
        write(root, args.n, args.per_file)
        done.write_text("ok\n")
    size = sum(p.stat().st_size for p in root.rglob("*.json.gz"))
    base_t, base_rows, base_mem = measure("baseline", root)
    ll_t, ll_rows, ll_mem = measure("leaklab", root)
    assert ll_rows == base_rows == args.n, (ll_rows, base_rows, args.n)
    gib = 1 << 30
    ratio = ll_t / base_t
    print(f"{args.n:,} events in {args.n // args.per_file:,} gzipped delivery files ({size / 1e6:.0f} MB gzipped)")
    print(f"  gzip.open + json.load       {base_t:7.2f}s  peak {base_mem / gib:5.2f} GiB")
    print(f"  leaklab.load_access_logs    {ll_t:7.2f}s  peak {ll_mem / gib:5.2f} GiB")
    print(f"  ratio {ratio:.2f} (target <= 1.5){'' if ratio <= 1.5 else '  OVER TARGET'}")
    match(args.n, args.windows)
    return 0


def match(n: int, n_windows: int) -> None:
    """usage_in_windows against a plain merge-and-filter on the same frames, in this process."""
    import time

    import numpy as np
    import pandas as pd

    import leaklab
    from leaklab import schema

    rng = np.random.default_rng(1)
    keys = np.array([f"AKIA{i:016d}" for i in range(n_windows * 2)])  # half the keys used have a window
    t0 = np.datetime64("2023-01-01T00:00:00", "ns").astype(np.int64)
    second = 1_000_000_000
    usage = schema.build("usage", {
        "time": pd.to_datetime(t0 + rng.integers(0, 365 * 86400, n) * second, utc=True),
        "provider": pd.array(np.full(n, "aws"), dtype="string"),
        "credential_id": pd.array(keys[rng.integers(0, len(keys), n)], dtype="string"),
        "source_ip": pd.array(np.array([f"198.51.100.{i}" for i in range(256)])[rng.integers(0, 256, n)], dtype="string"),
        "user_agent": pd.array(np.array(["aws-cli/2.9", "Boto3/1.26", "console", "terraform/1.5"])[rng.integers(0, 4, n)], dtype="string"),
        "outcome": pd.array(np.where(rng.random(n) < 0.9, "success", "failure"), dtype="string"),
    }, n)
    start = t0 + rng.integers(0, 300 * 86400, n_windows) * second
    windows = schema.build("windows", {
        "credential": pd.array(keys[:n_windows], dtype="string"),
        "exposed_from": pd.to_datetime(start, utc=True),
        "contained_at": pd.to_datetime(start + rng.integers(1, 60 * 86400, n_windows) * second, utc=True),
        "as_of": pd.to_datetime(np.full(n_windows, t0 + 400 * 86400 * second), utc=True),
    }, n_windows)

    def baseline():
        """The same answer the straightforward pandas way: merge, filter, then flag each use
        whose (credential, IP) or (credential, user agent) pair was not seen before the window."""
        m = usage.merge(windows[["credential", "exposed_from", "contained_at", "as_of"]], left_on="credential_id", right_on="credential")
        end = m["contained_at"].fillna(m["as_of"])
        inside = m[(m["time"] >= m["exposed_from"]) & (m["time"] <= end)].copy()
        before = m[m["time"] < m["exposed_from"]]
        for col, flag in (("source_ip", "new_ip"), ("user_agent", "new_user_agent")):
            seen = set(zip(before["credential_id"], before[col]))
            inside[flag] = [(c, v) not in seen for c, v in zip(inside["credential_id"], inside[col])]
        inside["suspicious"] = inside["new_ip"] | inside["new_user_agent"]
        return inside.sort_values(["credential_id", "time"])

    def leaklab_way():
        return leaklab.usage_in_windows(windows, usage)

    def best(fn):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            rows = len(fn())
            times.append(time.perf_counter() - t)
        return min(times), rows

    base_t, base_rows = best(baseline)
    ll_t, ll_rows = best(leaklab_way)
    assert base_rows == ll_rows, (base_rows, ll_rows)
    speedup = base_t / ll_t
    print(f"{n:,} uses against {n_windows:,} windows ({ll_rows:,} inside)")
    print(f"  merge-and-filter + flags    {base_t:7.2f}s  (plain pandas: merge, filter, set lookups)")
    print(f"  leaklab.usage_in_windows    {ll_t:7.2f}s  (the same uses and flags)")
    print(f"  speed-up {speedup:.1f}x (target >= 10){'' if speedup >= 10 else '  UNDER TARGET'}")


if __name__ == "__main__":
    sys.exit(main())
