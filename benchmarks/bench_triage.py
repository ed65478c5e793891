"""The triage board's update (filter + sort + render one page) against rendering the whole frame, in one run.

Generates N secrets rows (the ``secrets`` contract plus ``severity`` and ``score``, as
leaklab.triage adds them) with a ledger of decisions about some of them, then times:

- baseline: rendering the full unfiltered frame to HTML, ``DataFrame.to_html`` (and, for
  reference, leaklab's own escaped ``page_html`` over every row);
- board build: ``leaklab.widgets.prepare`` (ledger join + index), paid once per board;
- board update: ``view`` with a filter and a sort, then ``page_html`` of the page, for a
  cycle of filter/sort combinations. The first use of each sort column computes and
  caches its order (reported separately as "cold"); the median is over all runs;
- widget update: setting a filter on a real ``triage_board`` (ipywidgets, no front end),
  which re-runs the view, the page, the picker and the detail pane;
- ledger: appending 10,000 entries in one ``Ledger.record`` call (one write, one fsync),
  and as single ``record`` calls, each locked, written and fsync'ed on its own.

Prints the medians and the ratio board update / baseline (target < 0.1).

    python benchmarks/bench_triage.py [--n 100000] [--runs 21] [--entries 10000] [--singles 10000]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import warnings

TYPES = ["aws-access-key", "github-token", "stripe-key", "slack-webhook", "private-key", "password",
         "generic-api-key", "gcp-service-account", "connection-string", "slack-token", "npm-token", "jwt"]
TOOLS = ["detect-secrets", "github", "gitleaks", "noseyparker", "trufflehog"]
SEVERITIES = ["critical", "high", "medium", "low", "info"]


def make_secrets(n: int):
    import pandas as pd

    from leaklab import schema

    rnd = random.Random(6)
    ids = [hashlib.sha256(f"bench-{i}".encode()).hexdigest() for i in range(n)]
    sha1 = [hashlib.sha1(f"bench-{i}".encode()).hexdigest() for i in range(n)]
    repos = [f"github.com/org{i % 40}/service-{i}" for i in range(500)]
    t0 = pd.Timestamp("2022-01-01", tz="UTC").value
    first = [t0 + rnd.randrange(0, 2 * 365 * 86400) * 10**9 for _ in range(n)]
    tools = [", ".join(sorted(rnd.sample(TOOLS, rnd.randint(1, 3)))) for _ in range(n)]
    data = {
        "secret_id": ids, "secret_sha256": ids, "secret_sha1": sha1,
        "secret_type": [rnd.choice(TYPES) for _ in range(n)],
        "redacted": [f"FAKE…{i % 100:02d}" for i in range(n)],
        "tools": tools, "n_tools": [t.count(",") + 1 for t in tools],
        "n_findings": [rnd.randint(1, 40) for _ in range(n)], "n_locations": [rnd.randint(1, 10) for _ in range(n)],
        "repos": [", ".join(sorted(set(rnd.sample(repos, rnd.choice((1, 1, 1, 2)))))) for _ in range(n)],
        "files": [f"src/pkg{i % 211}/module_{i % 17}.py, conf/app{i % 7}.env" for i in range(n)],
        "first_commit_time": pd.to_datetime(first, utc=True),
        "last_commit_time": pd.to_datetime([f + rnd.randrange(0, 90 * 86400) * 10**9 for f in first], utc=True),
        "verified": [rnd.choice((True, False, None)) for _ in range(n)],
        "validity": [None] * n, "labels": [None] * n,
    }
    secrets = schema.build("secrets", data)
    secrets["score"] = pd.array([rnd.randint(0, 120) for _ in range(n)], dtype="Int64")
    secrets["severity"] = pd.array([SEVERITIES[min(4, (120 - s) // 25)] for s in secrets["score"]], dtype="string")
    secrets["why"] = pd.array([f"{t} +40; still in HEAD +15" for t in secrets["secret_type"]], dtype="string")
    return secrets


def median_time(fn, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="secrets rows")
    ap.add_argument("--runs", type=int, default=21, help="board updates timed")
    ap.add_argument("--baseline-runs", type=int, default=3, help="full-frame renders timed (slow)")
    ap.add_argument("--entries", type=int, default=10_000, help="ledger entries appended")
    ap.add_argument("--singles", type=int, default=10_000, help="entries appended one record() call each (0: skip)")
    args = ap.parse_args()

    from leaklab import widgets
    from leaklab.ledger import LABELS, Ledger

    warnings.simplefilter("ignore", DeprecationWarning)
    secrets = make_secrets(args.n)
    tmp = tempfile.mkdtemp(prefix="leaklab-bench-triage-")
    try:
        # A ledger that already holds decisions about 1% of the secrets, as a board in use would.
        led = Ledger(os.path.join(tmp, "board.jsonl"), analyst="bench")
        rnd = random.Random(3)
        decided = secrets["secret_id"].sample(frac=0.01, random_state=1).tolist()
        for lab in LABELS:
            led.record([s for s in decided if rnd.choice(LABELS) == lab], lab, "bench")

        base, _ = median_time(lambda: secrets.to_html(), args.baseline_runs)
        base_ll, _ = median_time(lambda: widgets.page_html(secrets), args.baseline_runs)
        build, _ = median_time(lambda: widgets.prepare(secrets, led), 3)

        data = widgets.prepare(secrets, led)
        combos = [
            ({"type": ["aws-access-key", "github-token"], "severity": ["critical", "high"]}, "score", None),
            ({"tool": ["trufflehog"]}, "last_commit_time", None),
            ({"repo": ["github.com/org1/service-1", "github.com/org2/service-42"]}, "severity", None),
            ({"label": ["(none)"], "type": ["stripe-key"]}, "n_findings", True),
            ({}, "secret_type", None),
            ({"severity": ["critical"], "tool": ["gitleaks", "github"]}, "score", True),
            ({"label": ["revoked", "true_positive"]}, None, None),
        ]
        seen, cold, warm, pages = set(), [], [], []
        for i in range(args.runs):
            filters, sort, asc = combos[i % len(combos)]
            t = time.perf_counter()
            page, total = widgets.view(data, filters=filters, sort=sort, ascending=asc, page=i % 3)
            html = widgets.page_html(page)
            dt = time.perf_counter() - t
            (warm if (sort, asc) in seen or sort is None else cold).append(dt)
            seen.add((sort, asc))
            pages.append((total, len(html)))
        board = statistics.median(cold + warm)

        widget_t = []
        try:
            w = widgets.triage_board(data, led, analyst="bench", key=f"bench-{os.getpid()}")
            for i in range(max(5, args.runs // 2)):
                t = time.perf_counter()
                w.filters["type"].value = (TYPES[i % len(TYPES)],)
                widget_t.append(time.perf_counter() - t)
        except ImportError:
            pass

        def bulk():
            path = os.path.join(tmp, f"bulk-{time.perf_counter_ns()}.jsonl")
            Ledger(path, analyst="bench").record(secrets["secret_id"].iloc[: args.entries].tolist(), "needs_info", "bulk")

        bulk_t, _ = median_time(bulk, 5)
        singles_t = None
        if args.singles:
            one = Ledger(os.path.join(tmp, "singles.jsonl"), analyst="bench")
            ids = secrets["secret_id"].iloc[: args.singles].tolist()
            t = time.perf_counter()
            for sid in ids:
                one.record(sid, "needs_info", "single")
            singles_t = time.perf_counter() - t
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    ms = 1000.0
    print(f"secrets {args.n:,} rows; ledger {len(decided):,} decisions")
    print(f"baseline  DataFrame.to_html, full frame      {base * ms:9.1f} ms (median of {args.baseline_runs})")
    print(f"reference page_html, full frame (escaped)    {base_ll * ms:9.1f} ms (median of {args.baseline_runs})")
    print(f"board build (ledger join + index, once)      {build * ms:9.1f} ms (median of 3)")
    print(f"board update filter+sort+page_html           {board * ms:9.2f} ms (median of {len(cold) + len(warm)}; "
          f"cached sorts {statistics.median(warm) * ms if warm else float('nan'):.2f} ms, "
          f"first use of a sort {max(cold) * ms if cold else float('nan'):.2f} ms worst)")
    if widget_t:
        print(f"widget update (set a filter, no front end)   {statistics.median(widget_t) * ms:9.2f} ms "
              f"(median of {len(widget_t)})")
    print(f"ledger append {args.entries:,} entries, one record() {bulk_t * ms:9.1f} ms (median of 5; one write + fsync)")
    if singles_t is not None:
        print(f"ledger append {args.singles:,} entries, one record() each {singles_t:8.2f} s "
              f"({singles_t / args.singles * ms:.2f} ms per entry; each locked, written, fsync'ed; one run)")
    ratio = board / base
    print(f"ratio board update / to_html baseline {ratio:.5f} (target < 0.1)"
          f"{'' if ratio < 0.1 else '  OVER TARGET'}; vs page_html baseline {board / base_ll:.5f}")
    if widget_t:
        print(f"ratio widget update / to_html baseline {statistics.median(widget_t) / base:.5f} (target < 0.1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
