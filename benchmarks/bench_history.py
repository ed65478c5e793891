"""leaklab.scan and leaklab.history against the cost of reading every diff, in one run.

Builds (or takes with --repo) a repository of 5,000 commits of Python-like source with
1,000 planted fake secrets, then measures:

- floor: ``git log -p --all`` to /dev/null (the cost of producing every diff);
- ``leaklab.scan(repo, history=True)``: working tree plus every commit;
- ``leaklab.history(repo, ...)`` for 10 and for 1,000 secrets.

Prints scan / floor (target <= 2.0) and history(1,000) / history(10) (target <= 1.2).

    python benchmarks/bench_history.py [--commits 5000] [--secrets 1000] [--repo PATH]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

WORDS = ("user order payment invoice account session token cache queue worker request response config "
         "client server handler result value item index count total amount status error retry timeout").split()


def _line(rnd: random.Random) -> str:
    a, b, c = rnd.choice(WORDS), rnd.choice(WORDS), rnd.choice(WORDS)
    return rnd.choice([
        f"    {a}_{b} = self.{c}.get('{a}', {rnd.randint(0, 999)})",
        f"    if {a} is None or {b}.{c}():",
        f"        return {a}_{b}({c}, retries={rnd.randint(1, 9)})",
        f"def {a}_{b}_{c}({a}, {b}=None):",
        f"    # {a} {b} {c}: keep the {c} in sync with the {a}",
        f"    log.info('{a} %s {b} %s', {a}, {c})",
        f"    {a}s = [{b} for {b} in {c}s if {b}.{a}]",
        "",
    ])


def _secret(i: int) -> str:
    # FAKE marker: shaped like a GitHub token, never a live one.
    return "ghp_" + f"LEAKLABFAKE{i:08d}".ljust(36, "Q")


def build(path: Path, n_commits: int, n_secrets: int, seed: int = 3) -> list[str]:
    """A repository written with git fast-import; returns the planted secret values."""
    rnd = random.Random(seed)
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    files = {f"src/pkg{i % 20}/mod{i}.py": [_line(rnd) for _ in range(rnd.randint(80, 250))] for i in range(200)}
    secrets = [_secret(i) for i in range(n_secrets)]
    plant_at = dict(zip(rnd.sample(range(1, n_commits + 1), n_secrets), secrets))
    out = []
    t0 = 1_600_000_000
    for n in range(1, n_commits + 1):
        changed = rnd.sample(sorted(files), rnd.randint(1, 3))
        for f in changed:
            lines = files[f]
            for _ in range(rnd.randint(3, 30)):
                i = rnd.randrange(len(lines) + 1)
                if rnd.random() < 0.3 and lines:
                    del lines[min(i, len(lines) - 1)]
                else:
                    lines.insert(i, _line(rnd))
        if n in plant_at:
            f = changed[0]
            files[f].insert(rnd.randrange(len(files[f]) + 1), f'    api_token = "{plant_at[n]}"')
        msg = f"change {n}: {rnd.choice(WORDS)} {rnd.choice(WORDS)}\n".encode()
        who = f"Dev {n % 17} <dev{n % 17}@example.com> {t0 + n * 3600} +0000"
        out.append(f"commit refs/heads/main\nmark :{n}\nauthor {who}\ncommitter {who}\ndata {len(msg)}\n".encode() + msg)
        if n > 1:
            out.append(f"from :{n - 1}\n".encode())
        for f in changed:
            body = ("\n".join(files[f]) + "\n").encode()
            out.append(f"M 100644 inline {f}\ndata {len(body)}\n".encode() + body + b"\n")
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input=b"".join(out), check=True)
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "-f", "main"], check=True)
    return secrets


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--commits", type=int, default=5000)
    ap.add_argument("--secrets", type=int, default=1000)
    ap.add_argument("--repo", help="use this repository instead of generating one")
    ap.add_argument("--dir", default=str(Path(__file__).parent / "out"))
    args = ap.parse_args()

    import leaklab
    from leaklab import fingerprint, schema

    if args.repo:
        repo, planted = Path(args.repo), []
    else:
        repo = Path(args.dir) / f"history-{args.commits}"
        if not repo.exists():
            t = time.perf_counter()
            build(repo, args.commits, args.secrets)
            print(f"built {repo} in {time.perf_counter() - t:.1f}s")
        planted = [_secret(i) for i in range(args.secrets)]
    n = int(subprocess.run(["git", "-C", str(repo), "rev-list", "--all", "--count"], capture_output=True, text=True).stdout)

    def floor():
        with open(os.devnull, "wb") as null:
            subprocess.run(["git", "-C", str(repo), "log", "-p", "--all"], stdout=null, check=True)

    def frame(values):
        return schema.build("findings", {"tool": ["bench"] * len(values), "secret_sha256": [fingerprint.sha256(v) for v in values]})

    few, many = frame(planted[:10]), frame(planted[: args.secrets])
    floor_t = timed(floor)
    scan_t = timed(lambda: leaklab.scan(repo, history=True, progress=False), repeat=2)
    h10 = timed(lambda: leaklab.history(repo, few), repeat=2)
    h1000 = timed(lambda: leaklab.history(repo, many), repeat=2)
    found = leaklab.history(repo, many)["in_history"].sum()
    print(f"repository: {n} commits, {len(planted)} planted secrets ({found} found by history)")
    print(f"floor  git log -p --all      {floor_t:6.2f}s")
    print(f"scan   leaklab.scan(history) {scan_t:6.2f}s  ratio to floor {scan_t / floor_t:.2f} (target <= 2.0)")
    print(f"history for 10 secrets       {h10:6.2f}s")
    print(f"history for {len(planted):,} secrets    {h1000:6.2f}s  ratio {h1000 / h10:.2f} (target <= 1.2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
