"""leaklab.load against pandas.read_json on the same 1,000,000-finding files, in one run.

Writes (once, reused if present) a gitleaks v8 JSON report and a TruffleHog v3 JSONL file
of N findings each in the tools' real shapes, then times, each in a fresh process so peak
memory is its own:

- baseline: ``pandas.read_json`` of the file (plain: no normalizing, no hashing);
- leaklab: ``leaklab.load`` (format sniffed, normalized, fingerprinted, redacted).

Prints seconds, the ratio leaklab / pandas (target <= 1.0) and peak RSS (target < 2 GiB).

    python benchmarks/bench_load.py [--n 1000000] [--dir benchmarks/out]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

RULES = [
    ("aws-access-token", "AWS Access Key", "AKIA", 16),
    ("github-pat", "GitHub Personal Access Token", "ghp_", 36),
    ("stripe-access-token", "Stripe Access Token", "sk_live_", 24),
    ("generic-api-key", "Generic API Key", "", 32),
    ("slack-bot-token", "Slack Bot Token", "xoxb-", 40),
]
DETECTORS = ["AWS", "Github", "Stripe", "Slack", "URI", "PrivateKey"]


def _secret(rnd: random.Random, prefix: str, n: int) -> str:
    # FAKE marker: benchmark data must never look like a live key.
    body = "FAKE" + "".join(rnd.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(n - 4))
    return prefix + body


def write_gitleaks(path: Path, n: int) -> None:
    rnd = random.Random(1)
    secrets = [(r, _secret(rnd, r[2], r[3])) for r in (rnd.choice(RULES) for _ in range(max(n // 5, 1)))]
    commits = [hashlib.sha1(str(i).encode()).hexdigest() for i in range(max(n // 10, 1))]
    with open(path, "w") as f:
        f.write("[\n")
        for i in range(n):
            (rule, desc, _, _), secret = secrets[rnd.randrange(len(secrets))]
            c = commits[i // 10]
            file = f"src/pkg{i % 211}/module_{i % 17}.py"
            line = 1 + i % 400
            rec = {
                "RuleID": rule, "Description": desc, "StartLine": line, "EndLine": line, "StartColumn": 9,
                "EndColumn": 9 + len(secret), "Match": f'key = "{secret}"', "Secret": secret, "File": file,
                "SymlinkFile": "", "Commit": c, "Entropy": 4.2, "Author": f"Dev {i % 97}",
                "Email": f"dev{i % 97}@example.com", "Date": f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
                "Message": f"Change {i // 10}\n\nDetails of the change", "Tags": [],
                "Fingerprint": f"{c}:{file}:{rule}:{line}",
            }
            # Go's json.MarshalIndent(findings, "", " "): elements at a one-space indent
            f.write(("" if i == 0 else ",\n") + " " + json.dumps(rec, indent=1).replace("\n", "\n "))
        f.write("\n]\n")


def write_trufflehog(path: Path, n: int) -> None:
    rnd = random.Random(2)
    secrets = [(d, _secret(rnd, "", 32)) for d in (rnd.choice(DETECTORS) for _ in range(max(n // 5, 1)))]
    commits = [hashlib.sha1(str(i).encode()).hexdigest() for i in range(max(n // 10, 1))]
    with open(path, "w") as f:
        for i in range(n):
            det, secret = secrets[rnd.randrange(len(secrets))]
            meta = {"commit": commits[i // 10], "file": f"src/pkg{i % 211}/module_{i % 17}.py",
                    "email": f"Dev {i % 97} <dev{i % 97}@example.com>", "repository": "https://github.com/example/bench",
                    "timestamp": f"2023-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00 +0000", "line": 1 + i % 400}
            rec = {"SourceMetadata": {"Data": {"Git": meta}}, "SourceID": 1, "SourceType": 16, "SourceName": "trufflehog - git",
                   "DetectorType": 2, "DetectorName": det, "DecoderName": "PLAIN", "Verified": i % 7 == 0, "Raw": secret,
                   "RawV2": "", "Redacted": secret[:6] + "****", "ExtraData": None, "StructuredData": None}
            f.write(json.dumps(rec, separators=(",", ":")) + "\n")


CHILD = r"""
import resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
t = time.perf_counter()
if kind == "pandas":
    import pandas as pd
    df = pd.read_json(path, lines=path.endswith(".jsonl"))
else:
    import leaklab
    df = leaklab.load(path)
dt = time.perf_counter() - t
print(dt, len(df), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def measure(kind: str, path: Path) -> tuple[float, int, int]:
    out = subprocess.run([sys.executable, "-c", CHILD, kind, str(path)], capture_output=True, text=True, check=True)
    secs, rows, peak = out.stdout.split()
    return float(secs), int(rows), int(peak)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dir", default=str(Path(__file__).parent / "out"))
    args = ap.parse_args()
    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    gib = 1 << 30
    worst = 0.0
    for name, writer in (("gitleaks.json", write_gitleaks), ("trufflehog.jsonl", write_trufflehog)):
        path = out / f"{args.n}-{name}"
        if not path.exists():
            writer(path, args.n)
        base_t, base_rows, base_mem = measure("pandas", path)
        ll_t, ll_rows, ll_mem = measure("leaklab", path)
        assert ll_rows == base_rows == args.n, (ll_rows, base_rows)
        ratio = ll_t / base_t
        worst = max(worst, ratio)
        print(f"{name:18s} {os.path.getsize(path) / 1e6:7.0f} MB  pandas.read_json {base_t:6.1f}s peak {base_mem / gib:4.2f} GiB"
              f" | leaklab.load {ll_t:6.1f}s peak {ll_mem / gib:4.2f} GiB | ratio {ratio:.2f} (target <= 1.0)"
              f"{'' if ll_mem < 2 * gib else '  PEAK OVER 2 GiB'}")
    print(f"worst ratio {worst:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
