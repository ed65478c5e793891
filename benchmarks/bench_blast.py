"""leaklab.blast_radius against plain graph reachability (networkx.descendants), in one run.

Generates a grants edge list shaped like a mid-size AWS account plus its secret stores:
1,000 leaked access keys, each authenticating as its own user; users in groups; managed,
inline and role policies granting concrete and wildcard resources; explicit denies; roles
assumable through trust policies; secret stores holding further keys (pivots). About
100,000 edges in all.

Measures, on the same edges:

- baseline: build a ``networkx.DiGraph`` of every edge and call ``networkx.descendants``
  once per credential (what "reach" is without any IAM semantics);
- ``leaklab.blast_radius(grants)`` for all 1,000 credentials: IAM evaluation (groups,
  wildcards, denies, role assumption), pivots, paths and the output frame.

Prints both, the row counts, and the ratio blast_radius / baseline (target: at most 1.0).
Median of --repeat rounds, after one warm-up run each; the two sides alternate within a
round so drift in the machine's speed hits both alike.

    python benchmarks/bench_blast.py [--edges 100000] [--credentials 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

ACCT = "arn:aws:iam::111122223333:"


def generate(n_edges: int = 100_000, n_creds: int = 1_000, seed: int = 5):
    """The grants frame (about ``n_edges`` rows) and the credential ids."""
    from leaklab import schema

    rnd = random.Random(seed)
    rows: list[tuple] = []

    def edge(src, src_type, rel, tgt, tgt_type, action=None, **kw):
        rows.append((src, src_type, rel, tgt, tgt_type, action, kw.get("not_action", False),
                     kw.get("not_resource", False), kw.get("condition"), kw.get("data_class")))

    creds = [f"AKIALEAKLABFAKE{i:05d}" for i in range(n_creds)]
    n_groups, n_roles, n_managed = n_creds // 10, n_creds // 10, n_creds * 2 // 5
    groups = [f"{ACCT}group/g{i}" for i in range(n_groups)]
    roles = [f"{ACCT}role/r{i}" for i in range(n_roles)]
    managed = [f"{ACCT}policy/p{i}" for i in range(n_managed)]
    services = ["s3", "dynamodb", "sqs", "sns", "lambda", "kms"]
    n_resources = max(1_000, n_edges // 5)
    resources = []
    for i in range(n_resources):
        svc = services[i % len(services)]
        arn = (f"arn:aws:s3:::bucket-{i}" if svc == "s3" else
               f"arn:aws:{svc}:us-east-1:111122223333:{'table/' if svc == 'dynamodb' else ''}res-{i}")
        resources.append(arn)
        edge("111122223333", "account", "has_resource", arn, svc,
             data_class=rnd.choice(["public", "internal", "confidential", "restricted"]))
    stores = [f"arn:aws:secretsmanager:us-east-1:111122223333:secret:store-{i}" for i in range(n_creds // 20)]
    for s in stores:
        edge("111122223333", "account", "has_resource", s, "secret", data_class="secret")
        for c in rnd.sample(creds, 2):  # each store holds two other keys: the pivots
            edge(s, "resource", "holds_secret", c, "credential")
    for i, c in enumerate(creds):
        user = f"{ACCT}user/u{i}"
        edge(c, "credential", "authenticates_as", user, "user")
        for g in rnd.sample(groups, 2):
            edge(user, "user", "member_of", g, "group")
        edge(user, "user", "has_policy", f"{user}#inline/own", "policy")
        if rnd.random() < 0.3:
            edge(user, "user", "has_policy", rnd.choice(managed), "policy")
    for g in groups:
        for p in rnd.sample(managed, 3):
            edge(g, "group", "has_policy", p, "policy")
    for r in roles:
        for p in rnd.sample(managed, 2):
            edge(r, "role", "has_policy", p, "policy")
        for _ in range(2):  # trust: a named user, or the account (then the user needs sts:AssumeRole)
            if rnd.random() < 0.5:
                edge(f"{ACCT}user/u{rnd.randrange(n_creds)}", "user", "can_assume", r, "role", "sts:AssumeRole")
            else:
                edge(f"{ACCT}root", "account", "can_assume", r, "role", "sts:AssumeRole")
    policies = managed + [f"{ACCT}user/u{i}#inline/own" for i in range(n_creds)]
    actions = {"s3": ["s3:GetObject", "s3:PutObject", "s3:Get*"], "dynamodb": ["dynamodb:Query", "dynamodb:*"],
               "sqs": ["sqs:SendMessage"], "sns": ["sns:Publish"], "lambda": ["lambda:InvokeFunction"],
               "kms": ["kms:Decrypt"]}
    # A few users may read a secret store (about 0.3 stores per key): each read is a pivot to two
    # more keys, so reach stays a tree of a few hops, as in real accounts, not one giant component.
    for i in rnd.sample(range(n_creds), n_creds * 3 // 10):
        edge(f"{ACCT}user/u{i}#inline/own", "policy", "allow", rnd.choice(stores), "secret",
             "secretsmanager:GetSecretValue")
    while len(rows) < n_edges:
        p = rnd.choice(policies)
        x = rnd.random()
        if x < 0.006:
            edge(p, "policy", "allow", f"arn:aws:s3:::bucket-{rnd.randrange(10)}*", "resource", "s3:GetObject")
        elif x < 0.016:
            edge(p, "policy", "deny", rnd.choice(resources), "resource", "s3:DeleteObject")
        elif x < 0.020:
            edge(p, "policy", "allow", rnd.choice(roles), "role", "sts:AssumeRole")
        else:
            r = rnd.choice(resources)
            svc = r.split(":")[2]
            edge(p, "policy", "allow", r, "resource", rnd.choice(actions[svc]))
    cols = ["source", "source_type", "relation", "target", "target_type", "action", "not_action", "not_resource",
            "condition", "data_class"]
    data = {c: [r[i] for r in rows] for i, c in enumerate(cols)}
    return schema.build("grants", data), creds


def baseline(grants, creds) -> int:
    import networkx as nx

    g = nx.DiGraph()
    g.add_edges_from(zip(grants["source"], grants["target"]))
    return sum(len(nx.descendants(g, c)) for c in creds)


def timed(fns: dict, repeat: int) -> dict:
    """Median wall time of each function over ``repeat`` rounds, after one warm-up call each.

    The functions alternate within a round, so drift in the machine's speed hits all alike,
    and each previous result is freed before the next call.
    """
    results = {name: fn() for name, fn in fns.items()}
    times: dict = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            results[name] = None
            t0 = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t0)
    return {name: (statistics.median(times[name]), results[name]) for name in fns}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--edges", type=int, default=100_000)
    ap.add_argument("--credentials", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)

    import leaklab

    grants, creds = generate(args.edges, args.credentials)
    print(f"graph: {len(grants):,} edges, {len(creds):,} credentials", flush=True)
    got = timed({"baseline": lambda: baseline(grants, creds), "blast": lambda: leaklab.blast_radius(grants)},
                args.repeat)
    (t_base, n_nodes), (t_blast, reach) = got["baseline"], got["blast"]
    print(f"baseline  networkx.descendants x {len(creds):,}: {t_base:6.2f} s  ({n_nodes:,} nodes reached in all)")
    pivots = int((reach["hops"] > 0).sum())
    print(f"leaklab   blast_radius (all credentials):  {t_blast:6.2f} s  ({len(reach):,} rows, "
          f"{pivots:,} through pivots, max {int(reach['hops'].max())} hops)")
    ratio = t_blast / t_base
    print(f"ratio blast_radius / baseline: {ratio:.2f}  (target <= 1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
