"""The seeded demo incident: a small repository with fake secrets and what scanners say of it.

``build(out, seed)`` writes, deterministically for a seed:

- ``<out>/demo-repo``: a git repository built with GitPython from fixed authors and dates,
  so commit ids are the same on every machine. Its history plants the situations an
  analyst meets: keys committed then deleted, a key only on an unmerged branch, a key
  that arrived through a merge, a file moved with ``git mv``, a key copied to a second
  file, keys still at HEAD, and documentation examples that are not secrets at all.
- ``<out>/reports/``: the findings five real scanners would report for that repository,
  each in the tool's own file format (gitleaks v8 JSON, TruffleHog v3 JSON lines,
  detect-secrets 1.x baseline, Nosey Parker 0.22 JSON lines, GitHub secret-scanning
  alerts), with the realistic gaps: each tool sees only some secrets.
- ``<out>/logs/cloudtrail/`` and ``<out>/timeline.csv``: the leaked key's use and the milestones.
- ``<out>/inventory/``: IAM (get-account-authorization-details, list-access-keys, the credential
  report) and the analyst's notes on where secrets live and which token scopes exist: the key's
  blast radius, with a two-hop pivot (AWS key -> GitHub token -> Slack token).
- ``<out>/ground_truth.json``: what was planted where, by fingerprint (never the value), the
  usage and the blast radius an analyst should find.

Every secret is obviously fake (it says ``LEAKLAB`` or ``FAKE``); none was ever live.

    >>> import tempfile, leaklab
    >>> truth = leaklab.demo.build(tempfile.mkdtemp())
    >>> len(truth["secrets"]), truth["repository"]
    (9, 'github.com/leaklab-demo/payments-api')
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import shutil
import string
from dataclasses import dataclass, field
from pathlib import Path

from . import fingerprint

SEED = 7
REPO_URL = "https://github.com/leaklab-demo/payments-api"
REPO = "github.com/leaklab-demo/payments-api"

PEOPLE = {
    "alice": ("Alice Moreau", "alice@payments.example"),
    "bob": ("Bob Okafor", "bob@payments.example"),
    "carol": ("Carol Lindqvist", "carol@payments.example"),
    "dave": ("Dave Iyer", "dave@contractor.example"),
    "erin": ("Erin Walsh", "erin@payments.example"),
}


# --------------------------------------------------------------------------- the secrets


@dataclass
class Planted:
    """One planted value and everything the generator knows about it."""

    id: str
    type: str
    value: str
    decoy: bool = False
    # (commit sha, path, line) of every commit that added a line holding the value
    added: list = field(default_factory=list)

    def truth(self) -> dict:
        return {
            "id": self.id,
            "type": self.type,
            "decoy": self.decoy,
            "secret_sha256": fingerprint.sha256(self.value),
            "secret_sha1": fingerprint.sha1(self.value),
            "redacted": fingerprint.redact(self.value),
        }


def _secrets(seed: int) -> dict[str, Planted]:
    rnd = random.Random(seed)

    def pick(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(rnd.choice(alphabet) for _ in range(n))

    upper = string.ascii_uppercase + string.digits
    pem_body = "\n".join(
        base64.b64encode(("LEAKLAB-FAKE-KEY-" + pick(31)).encode()).decode() for _ in range(4)
    )
    found = [
        Planted("aws-key-id", "aws-access-key", "AKIA" + ("LEAKLABFAKE" + pick(5, upper))),
        Planted("aws-secret", "aws-secret-key", "FAKE" + pick(36, string.ascii_letters + string.digits + "/+")),
        Planted("stripe-live", "stripe-key", "sk_live_LEAKLABFAKE" + pick(13)),
        Planted("slack-webhook", "slack-webhook", f"https://hooks.slack.com/services/T0LEAKLAB/B0FAKE{pick(3, upper)}/{pick(24)}"),
        Planted("github-pat", "github-token", "ghp_LEAKLABFAKE" + pick(25)),
        Planted("db-url", "connection-string", f"postgres://billing:FakeLeakLab{pick(8)}@db.internal:5432"),
        Planted(
            "deploy-key",
            "private-key",
            f"-----BEGIN OPENSSH PRIVATE KEY-----\n{pem_body}\n-----END OPENSSH PRIVATE KEY-----",
        ),
        Planted("aws-doc-example", "aws-access-key", "AKIAIOSFODNN7EXAMPLE", decoy=True),
        Planted("placeholder-password", "password", "changeme", decoy=True),
    ]
    return {s.id: s for s in found}


# --------------------------------------------------------------------------- the repository


class _RepoBuilder:
    """Writes commits with fixed identities and dates; never runs hooks."""

    def __init__(self, path: Path):
        import git

        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        self.path = path
        self.repo = git.Repo.init(path, initial_branch="main")
        with self.repo.config_writer() as cw:
            cw.set_value("remote \"origin\"", "url", REPO_URL)
            cw.set_value("remote \"origin\"", "fetch", "+refs/heads/*:refs/remotes/origin/*")
        self.tips: dict[str, object] = {}
        self.log: list[dict] = []

    def commit(self, branch: str, who: str, when: str, message: str, files: dict, parents: list | None = None):
        """Set ``files`` (path -> text, None deletes) on top of ``branch`` and commit there."""
        import git

        base = self.tips.get(branch)
        if parents is None:
            parents = [base] if base is not None else []
        idx = self.repo.index
        if parents:
            idx.reset(parents[0])
        for rel, text in files.items():
            full = self.path / rel
            if text is None:
                idx.remove([rel], working_tree=False)
                continue
            full.parent.mkdir(parents=True, exist_ok=True)
            full.write_text(text)
            idx.add([rel])
        name, email = PEOPLE[who]
        actor = git.Actor(name, email)
        stamp = _git_date(when)
        c = idx.commit(
            message,
            parent_commits=parents,
            head=False,
            author=actor,
            committer=actor,
            author_date=stamp,
            commit_date=stamp,
            skip_hooks=True,
        )
        self.tips[branch] = c
        self.log.append({"sha": c.hexsha, "branch": branch, "author": name, "email": email, "date": when, "message": message})
        return c

    def finish(self, head: str):
        import git

        for branch, c in self.tips.items():
            git.Head.create(self.repo, branch, c, force=True)
        self.repo.head.reference = self.repo.heads[head]
        self.repo.head.reset(index=True, working_tree=True)
        # Leave the working tree exactly as HEAD: files of other branches must not linger.
        for p in self.repo.untracked_files:
            (self.path / p).unlink()


def _git_date(iso: str) -> str:
    """ISO 8601 with offset to git's internal "<epoch> <+HHMM>", which GitPython takes as is."""
    import datetime as dt

    t = dt.datetime.fromisoformat(iso)
    off = int(t.utcoffset().total_seconds()) // 60
    return f"{int(t.timestamp())} {'+' if off >= 0 else '-'}{abs(off) // 60:02d}{abs(off) % 60:02d}"


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def _line_of(text: str, value: str) -> int:
    first = value.splitlines()[0]
    for i, line in enumerate(text.splitlines(), 1):
        if first in line:
            return i
    raise AssertionError(f"value not in text: {first[:8]}")


def _build_repo(path: Path, s: dict[str, Planted]) -> _RepoBuilder:
    b = _RepoBuilder(path)
    v = {k: p.value for k, p in s.items()}
    readme = _text(["# payments-api", "", "Card payments for the Acme shop (leaklab demo repository; every key here is fake)."])
    server = _text(["from flask import Flask", "", "app = Flask(__name__)", "", "@app.get('/health')", "def health():", "    return 'ok'"])
    deploy_env = _text(["# deploy settings", "AWS_REGION=eu-west-1", f"AWS_ACCESS_KEY_ID={v['aws-key-id']}", f"AWS_SECRET_ACCESS_KEY={v['aws-secret']}"])
    billing = _text(["import stripe", "", f'stripe.api_key = "{v["stripe-live"]}"', "", "def charge(cents, token):", "    return stripe.Charge.create(amount=cents, currency='eur', source=token)"])
    example_env = _text(["# Example only: copy to .env and fill in", f"AWS_ACCESS_KEY_ID={v['aws-doc-example']}", f"DB_PASSWORD={v['placeholder-password']}"])
    notify = _text(["#!/bin/sh", "# post a deploy notice", f"curl -s -X POST -d '{{\"text\": \"deployed\"}}' {v['slack-webhook']}"])
    release = _text(["import requests", "", f'TOKEN = "{v["github-pat"]}"', "", "def release(tag):", "    requests.post('https://api.github.com/repos/leaklab-demo/payments-api/releases', json={'tag_name': tag}, headers={'Authorization': 'token ' + TOKEN})"])
    db = _text(["import os", "", f'DATABASE_URL = os.environ.get("DATABASE_URL", "{v["db-url"]}/billing")'])
    worker = _text(["from services.billing import charge", "", f'FALLBACK_KEY = "{v["stripe-live"]}"  # TODO remove', "", "def nightly():", "    pass"])
    deploy_key = v["deploy-key"] + "\n"
    notify_clean = _text(["#!/bin/sh", "# post a deploy notice", 'curl -s -X POST -d \'{"text": "deployed"}\' "$SLACK_WEBHOOK_URL"'])
    deploy_env_clean = _text(["# deploy settings", "AWS_REGION=eu-west-1", "# keys come from the CI secret store"])

    def plant(commit, path, text, *ids):
        for i in ids:
            s[i].added.append((commit.hexsha, path, _line_of(text, s[i].value), commit))

    c = b.commit("main", "alice", "2023-01-09T09:12:00+01:00", "Initial commit", {"README.md": readme, "app/server.py": server})
    c = b.commit("main", "bob", "2023-01-16T17:40:00+01:00", "Add AWS deploy config", {"config/deploy.env": deploy_env})
    plant(c, "config/deploy.env", deploy_env, "aws-key-id", "aws-secret")
    c = b.commit("main", "alice", "2023-02-02T11:05:00+01:00", "Add billing client", {"app/billing.py": billing})
    plant(c, "app/billing.py", billing, "stripe-live")
    c = b.commit("main", "carol", "2023-02-20T14:30:00+01:00", "docs: example environment", {"docs/example.env": example_env})
    plant(c, "docs/example.env", example_env, "aws-doc-example", "placeholder-password")
    c = b.commit("main", "bob", "2023-03-06T08:55:00+01:00", "Notify Slack on deploy", {"scripts/notify.sh": notify})
    plant(c, "scripts/notify.sh", notify, "slack-webhook")
    b.commit("main", "bob", "2023-03-20T16:20:00+01:00", "Remove AWS keys from the repository", {"config/deploy.env": deploy_env_clean})
    b.tips["feature/release-bot"] = b.tips["main"]
    c = b.commit("feature/release-bot", "dave", "2023-04-03T22:47:00+05:30", "WIP: release bot", {"ci/release.py": release})
    plant(c, "ci/release.py", release, "github-pat")
    b.commit("main", "alice", "2023-04-10T10:00:00+02:00", "Move billing into services", {"app/billing.py": None, "services/billing.py": billing})
    b.tips["feature/db"] = b.tips["main"]
    c = b.commit("feature/db", "carol", "2023-05-01T13:15:00+02:00", "Add database settings", {"settings/db.py": db})
    plant(c, "settings/db.py", db, "db-url")
    b.commit(
        "main", "alice", "2023-05-08T09:30:00+02:00", "Merge branch 'feature/db'", {"settings/db.py": db},
        parents=[b.tips["main"], b.tips["feature/db"]],
    )
    c = b.commit("main", "alice", "2023-05-15T15:45:00+02:00", "Nightly billing worker", {"worker/jobs.py": worker})
    plant(c, "worker/jobs.py", worker, "stripe-live")
    c = b.commit("main", "erin", "2023-06-01T12:00:00+01:00", "Add deploy key for the release host", {"keys/deploy_id_ed25519": deploy_key})
    plant(c, "keys/deploy_id_ed25519", deploy_key, "deploy-key")
    b.commit("main", "bob", "2023-06-12T18:02:00+01:00", "Read the Slack webhook from the environment", {"scripts/notify.sh": notify_clean})
    b.finish("main")
    return b


# --------------------------------------------------------------------------- the reports


def _utc(commit) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(commit.authored_date, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _gitleaks(s: dict[str, Planted]) -> list[dict]:
    rules = {
        "aws-key-id": ("aws-access-token", "Identified a pattern that may indicate AWS credentials, risking unauthorized cloud resource access and data breaches on AWS platforms."),
        "stripe-live": ("stripe-access-token", "Found a Stripe Access Token, posing a risk to payment processing services and sensitive financial data."),
        "slack-webhook": ("slack-webhook-url", "Discovered a Slack Webhook, which could lead to unauthorized message posting and data leakage in Slack channels."),
        "github-pat": ("github-pat", "Uncovered a GitHub Personal Access Token, potentially leading to unauthorized repository access and sensitive content exposure."),
        "deploy-key": ("private-key", "Identified a Private Key, which may compromise cryptographic security and sensitive data encryption."),
    }
    out = []
    for sid, (rule, desc) in rules.items():
        p = s[sid]
        for sha, path, line, c in p.added:
            first = p.value.splitlines()[0]
            text = c.tree[path].data_stream.read().decode()
            src_line = text.splitlines()[line - 1]
            col = src_line.index(first) + 1
            out.append({
                "RuleID": rule, "Description": desc, "StartLine": line,
                "EndLine": line + p.value.count("\n"), "StartColumn": col,
                "EndColumn": col + len(p.value.splitlines()[-1]) - 1 if "\n" in p.value else col + len(p.value) - 1,
                "Match": p.value, "Secret": p.value, "File": path, "SymlinkFile": "", "Commit": sha,
                "Link": f"{REPO_URL}/blob/{sha}/{path}#L{line}",
                "Entropy": round(_entropy(p.value), 6), "Author": c.author.name, "Email": c.author.email,
                "Date": _utc(c), "Message": c.message, "Tags": [],
                "Fingerprint": f"{sha}:{path}:{rule}:{line}",
            })
    out.sort(key=lambda r: (r["Date"], r["File"], r["StartLine"]))
    return out


def _entropy(v: str) -> float:
    import math
    from collections import Counter

    n = len(v)
    return -sum(k / n * math.log2(k / n) for k in Counter(v).values())


def _trufflehog(s: dict[str, Planted]) -> list[dict]:
    det = {  # id -> (DetectorType, DetectorName, Verified, VerificationError, extra)
        "aws-key-id": (2, "AWS", True, "", {"account": "000000000000", "arn": "arn:aws:iam::000000000000:user/deploy-bot", "resource_type": "Access key"}),
        "stripe-live": (3, "Stripe", True, "", None),
        "slack-webhook": (1016, "SlackWebhook", False, "", None),
        "github-pat": (8, "Github", False, "", None),
        "db-url": (17, "URI", False, "dial tcp: lookup db.internal: no such host", None),
        "deploy-key": (1, "PrivateKey", False, "", None),
        "aws-doc-example": (2, "AWS", False, "", None),
    }
    rows = []
    for sid, (dtype, name, verified, verr, extra) in det.items():
        p = s[sid]
        for sha, path, line, c in p.added:
            raw_v2 = f"{p.value}:{s['aws-secret'].value}" if sid == "aws-key-id" else ""
            meta = {"commit": sha, "file": path, "email": f"{c.author.name} <{c.author.email}>", "repository": REPO_URL,
                    "timestamp": _utc(c).replace("T", " ").replace("Z", " +0000"), "line": line}
            row = {"SourceMetadata": {"Data": {"Git": meta}}, "SourceID": 1, "SourceType": 16, "SourceName": "trufflehog - git",
                   "DetectorType": dtype, "DetectorName": name, "DetectorDescription": f"{name} credentials", "DecoderName": "PLAIN",
                   "Verified": verified}
            if verr:
                row["VerificationError"] = verr
            row.update({"VerificationFromCache": False, "Raw": p.value})
            if raw_v2:
                row["RawV2"] = raw_v2
            row.update({"Redacted": p.value[:8] + "********" if sid != "aws-key-id" else p.value, "ExtraData": extra, "StructuredData": None})
            rows.append(row)
    rows.sort(key=lambda r: (r["SourceMetadata"]["Data"]["Git"]["timestamp"], r["DetectorName"]))
    return rows


def _detect_secrets(s: dict[str, Planted], repo_path: Path) -> dict:
    """A baseline of the working tree at HEAD (detect-secrets has no history)."""
    plugins = ["AWSKeyDetector", "KeywordDetector", "PrivateKeyDetector", "StripeDetector"]
    checks = {  # id -> type name
        "stripe-live": "Stripe Access Key",
        "aws-doc-example": "AWS Access Key",
        "placeholder-password": "Secret Keyword",
    }
    results: dict[str, list] = {}
    for path in sorted(p.relative_to(repo_path).as_posix() for p in repo_path.rglob("*") if p.is_file() and ".git" not in p.parts):
        text = (repo_path / path).read_text()
        for sid, typ in checks.items():
            if s[sid].value in text:
                results.setdefault(path, []).append({
                    "type": typ, "filename": path, "hashed_secret": fingerprint.sha1(s[sid].value),
                    "is_verified": False, "line_number": _line_of(text, s[sid].value),
                })
    for path, entries in results.items():
        entries.sort(key=lambda e: (e["line_number"], e["hashed_secret"]))
        if path == "docs/example.env":
            for e in entries:
                e["is_secret"] = False  # an analyst already audited the documentation examples
    return {
        "version": "1.5.0",
        "plugins_used": [{"name": n} for n in plugins],
        "filters_used": [{"path": "detect_secrets.filters.heuristic.is_likely_id_string"}],
        "results": results,
        "generated_at": "2023-06-15T08:00:00Z",
    }


def _noseyparker(s: dict[str, Planted]) -> list[dict]:
    specs = {  # id -> (rule name, rule text id, groups)
        "aws-key-id": ("AWS API Credentials", "np.aws.6", [s["aws-key-id"].value, s["aws-secret"].value]),
        "slack-webhook": ("Slack Webhook", "np.slack.3", [s["slack-webhook"].value]),
        "deploy-key": ("PEM-Encoded Private Key", "np.pem.1", [s["deploy-key"].value]),
    }
    out = []
    for sid, (rule, rule_id, groups) in specs.items():
        sha, path, line, c = s[sid].added[0]
        enc = [base64.b64encode(g.encode()).decode() for g in groups]
        fid = hashlib.sha1((rule_id + "\0" + "\0".join(groups)).encode()).hexdigest()
        meta = {"commit_id": sha, "committer_name": c.committer.name, "committer_email": c.committer.email,
                "committer_timestamp": f"{c.committed_date} {_offset(c.committer_tz_offset)}",
                "author_name": c.author.name, "author_email": c.author.email,
                "author_timestamp": f"{c.authored_date} {_offset(c.author_tz_offset)}", "message": c.message}
        blob = c.tree[path]
        text = blob.data_stream.read().decode()
        start = text.index(groups[0].splitlines()[0])
        col = start - (text.rfind("\n", 0, start) + 1) + 1
        match = {
            "provenance": [{"kind": "git_repo", "repo_path": "./.git", "first_commit": {"commit_metadata": meta, "blob_path": path}}],
            "blob_metadata": {"id": blob.hexsha, "num_bytes": blob.size, "mime_essence": "text/plain", "charset": None},
            "blob_id": blob.hexsha,
            "location": {"offset_span": {"start": start, "end": start + len(groups[0])},
                         "source_span": {"start": {"line": line, "column": col}, "end": {"line": line + groups[0].count("\n"), "column": col + len(groups[0].splitlines()[-1]) - 1}}},
            "groups": enc,
            "snippet": {"before": "", "matching": "(snippet omitted by the leaklab demo)", "after": ""},
            "structural_id": hashlib.sha1((fid + sha + path).encode()).hexdigest(),
            "rule_structural_id": hashlib.sha1(rule_id.encode()).hexdigest(),
            "rule_text_id": rule_id, "rule_name": rule, "score": None, "comment": None, "status": None, "redundant_to": [],
        }
        out.append({"finding_id": fid, "rule_name": rule, "rule_text_id": rule_id, "rule_structural_id": match["rule_structural_id"],
                    "groups": enc, "num_matches": 1, "num_redundant_matches": 0, "statuses": [], "comment": None,
                    "mean_score": None, "matches": [match]})
    return out


def _offset(tz_offset: int) -> str:
    # GitPython stores seconds *west* of UTC; git writes +HHMM east.
    east = -tz_offset
    sign = "+" if east >= 0 else "-"
    return f"{sign}{abs(east) // 3600:02d}{abs(east) % 3600 // 60:02d}"


def _github(s: dict[str, Planted]) -> list[dict]:
    specs = [  # number, id, slug, display, validity, state, resolution, resolved_at
        (1, "aws-key-id", "aws_access_key_id", "AWS Access Key ID", "active", "open", None, None),
        (2, "stripe-live", "stripe_api_key", "Stripe API Key", "active", "open", None, None),
        (3, "github-pat", "github_personal_access_token", "GitHub Personal Access Token", "inactive", "resolved", "revoked", "2023-06-14T10:05:00Z"),
    ]
    api = "https://api.github.com/repos/leaklab-demo/payments-api"
    out = []
    for number, sid, slug, display, validity, state, resolution, resolved_at in specs:
        sha, path, line, c = s[sid].added[0]
        text = c.tree[path].data_stream.read().decode()
        col = text.splitlines()[line - 1].index(s[sid].value) + 1
        out.append({
            "number": number, "created_at": "2023-06-13T07:41:0%dZ" % number, "updated_at": resolved_at or "2023-06-13T07:41:0%dZ" % number,
            "url": f"{api}/secret-scanning/alerts/{number}",
            "html_url": f"{REPO_URL}/security/secret-scanning/{number}",
            "locations_url": f"{api}/secret-scanning/alerts/{number}/locations",
            "state": state, "resolution": resolution, "resolved_at": resolved_at,
            "resolved_by": {"login": "erin-sec", "id": 1001, "type": "User", "site_admin": False} if resolved_at else None,
            "resolution_comment": "Token revoked by its owner" if resolved_at else None,
            "secret_type": slug, "secret_type_display_name": display, "secret": s[sid].value, "validity": validity,
            "publicly_leaked": False, "multi_repo": False,
            "push_protection_bypassed": False, "push_protection_bypassed_by": None, "push_protection_bypassed_at": None,
            "first_location_detected": {
                "path": path, "start_line": line, "end_line": line, "start_column": col, "end_column": col + len(s[sid].value),
                "blob_sha": c.tree[path].hexsha, "blob_url": f"{api}/git/blobs/{c.tree[path].hexsha}",
                "commit_sha": sha, "commit_url": f"{api}/git/commits/{sha}",
            },
            "has_more_locations": len(s[sid].added) > 1,
        })
    return out


# --------------------------------------------------------------------------- access logs and timeline

ACCOUNT = "111122223333"
CI_IP, CI_UA = "198.51.100.10", "aws-cli/2.9.19 Python/3.9.11 Linux/5.15.0-1028-aws exe/x86_64.ubuntu.22 prompt/off command/s3.cp"
ATTACKER_IP = "203.0.113.66"
ATTACKER_UA = "Boto3/1.26.54 Python/3.11.1 Linux/6.1.0-kali5-amd64 Botocore/1.29.54"
ATTACKER_IP2 = "192.0.2.45"


def _ct(rnd, when: str, source: str, name: str, key: str, ip: str, ua: str, *, error=None, request=None,
        response=None, identity_type="IAMUser", read_only=True):
    """One CloudTrail record in the shape CloudTrail delivers it (eventVersion 1.08)."""
    user = {"type": identity_type, "principalId": "AIDAEXAMPLEDEPLOYBOT1", "arn": f"arn:aws:iam::{ACCOUNT}:user/deploy-bot",
            "accountId": ACCOUNT, "accessKeyId": key, "userName": "deploy-bot"}
    if identity_type == "AssumedRole":
        user = {"type": "IAMUser", "principalId": "AIDAEXAMPLEDEPLOYBOT1", "arn": f"arn:aws:iam::{ACCOUNT}:user/deploy-bot",
                "accountId": ACCOUNT, "accessKeyId": key, "userName": "deploy-bot",
                "sessionContext": {"sessionIssuer": {}, "webIdFederationData": {},
                                   "attributes": {"creationDate": when, "mfaAuthenticated": "false"}}}
    rec = {
        "eventVersion": "1.08", "userIdentity": user, "eventTime": when, "eventSource": source, "eventName": name,
        "awsRegion": "eu-west-1", "sourceIPAddress": ip, "userAgent": ua,
    }
    if error:
        rec["errorCode"], rec["errorMessage"] = error
    rec.update({
        "requestParameters": request, "responseElements": response,
        "requestID": _uuid(rnd), "eventID": _uuid(rnd), "readOnly": read_only, "eventType": "AwsApiCall",
        "managementEvent": source != "s3.amazonaws.com" or name.startswith("List"), "recipientAccountId": ACCOUNT,
        "eventCategory": "Management" if source != "s3.amazonaws.com" or name.startswith("List") else "Data",
    })
    return rec


def _uuid(rnd) -> str:
    h = "".join(rnd.choice("0123456789abcdef") for _ in range(32))
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def temp_key(seed: int = SEED) -> str:
    """The temporary key the attacker mints with GetSessionToken (fake, as all demo keys)."""
    rnd = random.Random(seed * 31 + 1)
    return "ASIA" + "LEAKLABTMP" + "".join(rnd.choice(string.ascii_uppercase + string.digits) for _ in range(6))


def _access_logs(s: dict[str, Planted], seed: int) -> list[dict]:
    """CloudTrail events for the deploy key: the owner's CI before and during the leak, an
    attacker from an address the key never used, a temporary key minted and used, and a
    failed attempt after rotation."""
    rnd = random.Random(seed * 31)
    key, tmp = s["aws-key-id"].value, temp_key(seed)
    ev = []
    for day in range(9, 32, 2):  # CI deploys every other day, January and February
        for month in ("01", "02"):
            if month == "02" and day > 28:
                continue
            t = f"2023-{month}-{day:02d}T06:{10 + day:02d}:00Z"
            ev.append(_ct(rnd, t, "s3.amazonaws.com", "PutObject", key, CI_IP, CI_UA, read_only=False,
                          request={"bucketName": "payments-releases", "key": f"builds/{month}{day:02d}.tar.gz"}))
    ev += [
        _ct(rnd, "2023-02-03T02:14:07Z", "sts.amazonaws.com", "GetCallerIdentity", key, ATTACKER_IP, ATTACKER_UA),
        _ct(rnd, "2023-02-03T02:14:30Z", "iam.amazonaws.com", "ListUsers", key, ATTACKER_IP, ATTACKER_UA,
            error=("AccessDenied", "User: arn:aws:iam::111122223333:user/deploy-bot is not authorized to perform: iam:ListUsers")),
        _ct(rnd, "2023-02-03T02:15:02Z", "s3.amazonaws.com", "ListBuckets", key, ATTACKER_IP, ATTACKER_UA),
        _ct(rnd, "2023-02-03T02:16:40Z", "sts.amazonaws.com", "GetSessionToken", key, ATTACKER_IP, ATTACKER_UA,
            request={"durationSeconds": 43200},
            response={"credentials": {"accessKeyId": tmp, "sessionToken": "FAKE-LEAKLAB-SESSION-TOKEN-" + "x" * 40,
                                      "expiration": "Feb 3, 2023, 2:16:40 PM"}}),
        _ct(rnd, "2023-02-03T02:20:11Z", "s3.amazonaws.com", "GetObject", tmp, ATTACKER_IP, ATTACKER_UA, identity_type="AssumedRole",
            request={"bucketName": "payments-customer-exports", "key": "exports/2023-01.csv"}),
        _ct(rnd, "2023-02-03T02:21:45Z", "s3.amazonaws.com", "GetObject", tmp, ATTACKER_IP, ATTACKER_UA, identity_type="AssumedRole",
            request={"bucketName": "payments-customer-exports", "key": "exports/2023-02.csv"}),
        _ct(rnd, "2023-02-17T23:02:10Z", "s3.amazonaws.com", "ListBuckets", key, ATTACKER_IP2, ATTACKER_UA),
        _ct(rnd, "2023-03-22T04:00:00Z", "sts.amazonaws.com", "GetCallerIdentity", key, ATTACKER_IP2, ATTACKER_UA,
            error=("InvalidClientTokenId", "The security token included in the request is invalid.")),
    ]
    ev.sort(key=lambda r: r["eventTime"])
    return ev


def _timeline(s: dict[str, Planted], log: list[dict]) -> str:
    """The incident's milestones as an analyst would write them down (CSV)."""
    by_subject = {c["message"]: c for c in log}
    key = s["aws-key-id"].value
    rows = [
        ("2023-01-16T16:45:00Z", "pushed", key, "Pushed with commit " + by_subject["Add AWS deploy config"]["sha"][:12]),
        ("2023-02-01", "made_public", key, "payments-api repository made public"),
        ("2023-03-14T08:30:00Z", "detected", key, "Anomalous S3 reads flagged by the cloud team"),
        ("2023-03-21T09:00:00Z", "revoked", key, "Access key deactivated and deleted"),
        ("2023-04-03T17:20:00Z", "pushed", "github-pat", "WIP branch feature/release-bot pushed"),
        ("2023-06-13", "detected", "github-pat", "GitHub secret scanning alert 3"),
        ("2023-06-14T10:05:00Z", "revoked", "github-pat", "Token revoked by its owner"),
        ("2023-02-02T10:10:00Z", "pushed", "stripe-live", "Billing client pushed"),
        ("2023-06-13", "detected", "stripe-live", "GitHub secret scanning alert 2"),
    ]
    lines = ["time,kind,credential,incident,source,detail"]
    lines += [f"{t},{k},{c},payments-api-2023,demo,{d}" for t, k, c, d in rows]
    return "\n".join(lines) + "\n"


ACCOUNT = "111122223333"
_ARN = f"arn:aws:iam::{ACCOUNT}:"
_SM_SECRET = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:ci/github-release-token-Xy12Ab"
_SSM_PARAM = f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/prod/stripe-key"
_KMS_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0f1e2d3c-4b5a-4c6d-8e7f-1eaf1ab0fa4e"
_ORG, _OPS_REPO, _WORKSPACE = "github.com/leaklab-demo", "github.com/leaklab-demo/ops-config", "slack:T0LEAKLAB"


def slack_bot_token(seed: int = SEED) -> str:
    """A Slack bot token stored in another repository: never written anywhere, only its fingerprint."""
    rnd = random.Random(seed * 31 + 5)
    return "xoxb-LEAKLABFAKE-" + "".join(rnd.choice(string.digits) for _ in range(12))


def _statement(sid: str, effect: str, action, resource) -> dict:
    return {"Sid": sid, "Effect": effect, "Action": action, "Resource": resource}


def _inventory(s: dict[str, Planted], seed: int) -> dict[str, object]:
    """What the cloud and SaaS inventories say the leaked AWS key can reach (files by name).

    The story: deploy-bot's key (leaked in the repo) may read a Secrets Manager secret that
    holds the release bot's GitHub token; that token reads every repository of the org,
    ops-config among them, which holds a Slack bot token: a two-hop pivot. The key may also
    assume the release-signer role, which reads the Stripe key from SSM.
    """
    doc = {"Version": "2012-10-17"}
    user = {
        "Path": "/", "UserName": "deploy-bot", "UserId": "AIDALEAKLABFAKE0DEMO1", "Arn": _ARN + "user/deploy-bot",
        "CreateDate": "2022-11-20T09:00:00+00:00",
        "UserPolicyList": [{"PolicyName": "ci-secrets", "PolicyDocument": dict(doc, Statement=[
            _statement("ReadReleaseToken", "Allow", "secretsmanager:GetSecretValue", _SM_SECRET),
            _statement("AssumeSigner", "Allow", "sts:AssumeRole", _ARN + "role/release-signer"),
        ])}],
        "GroupList": ["deployers"], "AttachedManagedPolicies": [], "Tags": [{"Key": "team", "Value": "payments"}],
    }
    group = {"Path": "/", "GroupName": "deployers", "GroupId": "AGPALEAKLABFAKE0DEMO1", "Arn": _ARN + "group/deployers",
             "CreateDate": "2022-11-20T09:00:00+00:00", "GroupPolicyList": [],
             "AttachedManagedPolicies": [{"PolicyName": "DeployReleases", "PolicyArn": _ARN + "policy/DeployReleases"}]}
    role = {
        "Path": "/", "RoleName": "release-signer", "RoleId": "AROALEAKLABFAKE0DEMO1", "Arn": _ARN + "role/release-signer",
        "CreateDate": "2022-10-01T08:00:00+00:00",
        "AssumeRolePolicyDocument": dict(doc, Statement=[{"Effect": "Allow", "Principal": {"AWS": _ARN + "root"},
                                                          "Action": "sts:AssumeRole"}]),
        "InstanceProfileList": [],
        "RolePolicyList": [{"PolicyName": "sign-and-pay", "PolicyDocument": dict(doc, Statement=[
            _statement("StripeKey", "Allow", "ssm:GetParameter", _SSM_PARAM),
            _statement("Sign", "Allow", "kms:Sign", _KMS_KEY),
        ])}],
        "AttachedManagedPolicies": [], "RoleLastUsed": {"LastUsedDate": "2023-03-01T12:00:00+00:00", "Region": "eu-west-1"},
        "Tags": [],
    }
    policy = {
        "PolicyName": "DeployReleases", "PolicyId": "ANPALEAKLABFAKE0DEMO1", "Arn": _ARN + "policy/DeployReleases",
        "Path": "/", "DefaultVersionId": "v1", "AttachmentCount": 1, "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": True, "CreateDate": "2022-11-20T09:00:00+00:00", "UpdateDate": "2022-11-20T09:00:00+00:00",
        "PolicyVersionList": [{"Document": dict(doc, Statement=[
            _statement("Releases", "Allow", "s3:*", ["arn:aws:s3:::payments-releases", "arn:aws:s3:::payments-releases/*"]),
            _statement("ListBuckets", "Allow", "s3:ListAllMyBuckets", "*"),
            _statement("Exports", "Allow", "s3:GetObject", "arn:aws:s3:::payments-customer-exports/*"),
            _statement("NoDeletes", "Deny", ["s3:DeleteObject", "s3:DeleteBucket"], "*"),
        ]), "VersionId": "v1", "IsDefaultVersion": True, "CreateDate": "2022-11-20T09:00:00+00:00"}],
    }
    gaad = {"UserDetailList": [user], "GroupDetailList": [group], "RoleDetailList": [role], "Policies": [policy],
            "IsTruncated": False}
    keys = {"AccessKeyMetadata": [
        {"UserName": "deploy-bot", "AccessKeyId": s["aws-key-id"].value, "Status": "Active",
         "CreateDate": "2023-01-10T08:00:00+00:00"},
    ]}
    report = ("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
              "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,"
              "access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,"
              "access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
              "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
              f"<root_account>,{_ARN}root,2022-09-01T00:00:00+00:00,not_supported,2023-01-02T03:04:05+00:00,not_supported,"
              "not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
              f"deploy-bot,{_ARN}user/deploy-bot,2022-11-20T09:00:00+00:00,false,N/A,N/A,N/A,false,true,"
              "2023-01-10T08:00:00+00:00,2023-03-14T07:55:00+00:00,eu-west-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n")
    pat, stripe, slack = (fingerprint.sha256(v) for v in (s["github-pat"].value, s["stripe-live"].value,
                                                          slack_bot_token(seed)))
    analyst = f"""# Where the payments team keeps secrets, and what those resources hold (by fingerprint).
# Written by the incident analyst from the AWS and GitHub consoles; no secret value here.
resources:
  - id: arn:aws:s3:::payments-releases
    type: s3-bucket
    data_class: internal
    provider: aws
  - id: arn:aws:s3:::payments-customer-exports
    type: s3-bucket
    data_class: restricted
    provider: aws
  - id: {_SM_SECRET}
    type: secretsmanager-secret
    data_class: secret
    provider: aws
    holds: [{pat}]              # the release bot's GitHub token
    since: 2022-12-01T10:00:00Z
  - id: {_SSM_PARAM}
    type: ssm-parameter
    data_class: secret
    provider: aws
    holds: [{stripe}]           # the Stripe live key
    since: 2022-10-05T12:00:00Z
  - id: {_KMS_KEY}
    type: kms-key
    data_class: restricted
    provider: aws
  - id: {_ORG}
    type: organization
    data_class: internal
    provider: github
    contains: [{REPO}, {_OPS_REPO}]
  - id: {REPO}
    type: repository
    data_class: internal
    provider: github
  - id: {_OPS_REPO}
    type: repository
    data_class: confidential
    provider: github
    holds: [{slack}]            # the ops Slack bot token, in ops-config/.env
    since: 2023-02-10T00:00:00Z
  - id: {_WORKSPACE}
    type: workspace
    data_class: confidential
    provider: slack
"""
    github = f"""# The release bot's token, as its X-OAuth-Scopes header showed it (verbatim).
github_tokens:
  - credential: {pat}
    owner: release-bot
    org: leaklab-demo
    scopes: "repo, read:org"
    since: 2022-12-01T10:00:00Z
"""
    slack_scopes = f"""# The ops bot's token, as auth.test and its X-OAuth-Scopes header showed it.
slack_tokens:
  - credential: {slack}
    team_id: T0LEAKLAB
    user_id: U0RELEASEBOT
    scopes: "channels:history,chat:write,files:read"
"""
    return {"gaad.json": gaad, "list-access-keys.json": keys, "credential-report.csv": report,
            "resources.yaml": analyst, "github-tokens.yaml": github, "slack-tokens.yaml": slack_scopes}


def _blast_truth(s: dict[str, Planted], seed: int) -> dict:
    """What the leaked AWS key reaches, written by hand from the story in :func:`_inventory`."""
    key = "aws-key-id"
    r = [
        (key, 0, "arn:aws:s3:::payments-releases", "s3:*"),
        (key, 0, "arn:aws:s3:::payments-releases", "s3:ListAllMyBuckets"),
        (key, 0, "arn:aws:s3:::payments-customer-exports", "s3:GetObject"),
        (key, 0, "arn:aws:s3:::payments-customer-exports", "s3:ListAllMyBuckets"),
        (key, 0, _SM_SECRET, "secretsmanager:GetSecretValue"),
        (key, 0, _ARN + "role/release-signer", "sts:AssumeRole"),
        (key, 0, _SSM_PARAM, "ssm:GetParameter"),
        (key, 0, _KMS_KEY, "kms:Sign"),
    ]
    for res in (_ORG, REPO, _OPS_REPO):
        r += [("github-pat", 1, res, "repo"), ("github-pat", 1, res, "read:org")]
    r += [("slack-bot", 2, _WORKSPACE, scope) for scope in ("channels:history", "chat:write", "files:read")]
    fp = {"aws-key-id": fingerprint.sha256(s["aws-key-id"].value), "github-pat": fingerprint.sha256(s["github-pat"].value),
          "stripe-live": fingerprint.sha256(s["stripe-live"].value), "slack-bot": fingerprint.sha256(slack_bot_token(seed))}
    return {
        "root": key,
        "fingerprints": fp,
        "reach": [{"acting": a, "hops": h, "resource": res, "permission": p} for a, h, res, p in r],
        "partly_denied": [{"resource": "arn:aws:s3:::payments-releases", "permission": "s3:*", "by": "NoDeletes"}],
        "pivots": [
            {"reached": "github-pat", "hops": 1, "parent": key, "held_in": _SM_SECRET,
             "exposed_from": "2023-01-16T16:45:00Z"},
            {"reached": "stripe-live", "hops": 1, "parent": key, "held_in": _SSM_PARAM,
             "exposed_from": "2023-01-16T16:45:00Z"},
            {"reached": "slack-bot", "hops": 2, "parent": "github-pat", "held_in": _OPS_REPO,
             "exposed_from": "2023-02-10T00:00:00Z"},
        ],
    }


def _write_cloudtrail(root: Path, events: list[dict]) -> None:
    """Delivery files as CloudTrail writes them: gzipped {"Records": [...]}, one per hour."""
    import gzip

    by_hour: dict[str, list] = {}
    for e in events:
        by_hour.setdefault(e["eventTime"][:13], []).append(e)
    for hour, recs in sorted(by_hour.items()):
        y, m, d, hh = hour[0:4], hour[5:7], hour[8:10], hour[11:13]
        folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / "eu-west-1" / y / m / d
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{ACCOUNT}_CloudTrail_eu-west-1_{y}{m}{d}T{hh}00Z_LeakLabDemo{hh}.json.gz"
        data = json.dumps({"Records": recs}, separators=(",", ":")).encode()
        with open(folder / name, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(data)  # mtime=0 and no name: the same bytes on every machine


# --------------------------------------------------------------------------- the answer key

# The story the repository tells, written down by hand (not computed by leaklab), so the
# history tests compare leaklab's provenance with what was actually done. Commits are
# named by their subject; ``removed`` is the commit on main's first-parent line after
# which the value is gone.
ALL_BRANCHES = ["feature/db", "feature/release-bot", "main"]
PROVENANCE = {
    "aws-key-id": dict(introduced="Add AWS deploy config", files=["config/deploy.env"], refs=ALL_BRANCHES,
                       present_refs=[], removed="Remove AWS keys from the repository"),
    "aws-secret": dict(introduced="Add AWS deploy config", files=["config/deploy.env"], refs=ALL_BRANCHES,
                       present_refs=[], removed="Remove AWS keys from the repository"),
    "stripe-live": dict(introduced="Add billing client", files=["app/billing.py", "services/billing.py", "worker/jobs.py"],
                        refs=ALL_BRANCHES, present_refs=ALL_BRANCHES, removed=None),
    "slack-webhook": dict(introduced="Notify Slack on deploy", files=["scripts/notify.sh"], refs=ALL_BRANCHES,
                          present_refs=["feature/db", "feature/release-bot"], removed="Read the Slack webhook from the environment"),
    "github-pat": dict(introduced="WIP: release bot", files=["ci/release.py"], refs=["feature/release-bot"],
                       present_refs=["feature/release-bot"], removed=None),
    "db-url": dict(introduced="Add database settings", files=["settings/db.py"], refs=["feature/db", "main"],
                   present_refs=["feature/db", "main"], removed=None, entered_main="Merge branch 'feature/db'"),
    "deploy-key": dict(introduced="Add deploy key for the release host", files=["keys/deploy_id_ed25519"], refs=["main"],
                       present_refs=["main"], removed=None),
    "aws-doc-example": dict(introduced="docs: example environment", files=["docs/example.env"], refs=ALL_BRANCHES,
                            present_refs=ALL_BRANCHES, removed=None),
    "placeholder-password": dict(introduced="docs: example environment", files=["docs/example.env"], refs=ALL_BRANCHES,
                                 present_refs=ALL_BRANCHES, removed=None),
}


def _provenance(sid: str, log: list[dict]) -> dict:
    by_subject = {c["message"]: c for c in log}
    p = PROVENANCE[sid]
    intro = by_subject[p["introduced"]]
    out = {
        "introduced_commit": intro["sha"], "introduced_author": intro["author"], "introduced_time": intro["date"],
        "introduced_file": p["files"][0], "files": p["files"], "refs": p["refs"], "present_refs": p["present_refs"],
        "still_in_head": "main" in p["present_refs"],
        "removed_commit": by_subject[p["removed"]]["sha"] if p["removed"] else None,
        "removed_time": by_subject[p["removed"]]["date"] if p["removed"] else None,
    }
    if "entered_main" in p:
        out["entered_main_commit"] = by_subject[p["entered_main"]]["sha"]
    return out


# --------------------------------------------------------------------------- entry point


def _dump(path: Path, obj, lines: bool = False, indent: int | None = 1) -> None:
    if lines:
        text = "".join(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n" for r in obj)
    else:
        text = json.dumps(obj, indent=indent, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")


def build(out: str | os.PathLike = "data", seed: int = SEED) -> dict:
    """Write the demo repository, the scanner reports and the ground truth under ``out``.

    Returns the ground truth (also written to ``ground_truth.json``). The same seed gives
    byte-identical files.
    """
    out = Path(out)
    s = _secrets(seed)
    b = _build_repo(out / "demo-repo", s)
    reports = out / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    _dump(reports / "gitleaks.json", _gitleaks(s))
    _dump(reports / "trufflehog.jsonl", _trufflehog(s), lines=True)
    _dump(reports / "detect-secrets.baseline", _detect_secrets(s, out / "demo-repo"), indent=2)
    _dump(reports / "noseyparker.jsonl", _noseyparker(s), lines=True)
    _dump(reports / "github-secret-scanning.json", _github(s), indent=2)
    logs = out / "logs" / "cloudtrail"
    if logs.exists():
        shutil.rmtree(logs)
    _write_cloudtrail(logs, _access_logs(s, seed))
    (out / "timeline.csv").write_text(_timeline(s, b.log), encoding="utf-8")
    inventory = out / "inventory"
    inventory.mkdir(parents=True, exist_ok=True)
    for name, content in _inventory(s, seed).items():
        if isinstance(content, str):
            (inventory / name).write_text(content, encoding="utf-8")
        else:
            _dump(inventory / name, content, indent=4)
    truth = {
        "seed": seed,
        "as_of": "2023-07-01T00:00:00Z",  # the day the notebooks and `leaklab report --case data` measure to
        "repository": REPO,
        "head": b.repo.head.commit.hexsha,
        "branches": {name: c.hexsha for name, c in sorted(b.tips.items())},
        "commits": b.log,
        "usage": {
            "leaked_key": {"secret_sha256": fingerprint.sha256(s["aws-key-id"].value), "suspicious_ips": [ATTACKER_IP, ATTACKER_IP2],
                           "owner_ip": CI_IP},
            "derived": {"credential_sha256": fingerprint.sha256(temp_key(seed)), "minted_by": "GetSessionToken",
                        "issued": "2023-02-03T02:16:40Z", "expires": "2023-02-03T14:16:40Z", "uses": 2},
            "attacker_uses_in_window": 5,
            "window": {"exposed_from": "2023-01-16T16:45:00Z", "detected": "2023-03-14T08:30:00Z",
                       "contained": "2023-03-21T09:00:00Z", "window_days": 64, "ttd_days": 57, "ttc_days": 7},
        },
        "blast": _blast_truth(s, seed),
        "secrets": [
            dict(p.truth(), locations=[{"commit": sha, "file": path, "line": line} for sha, path, line, _ in p.added],
                 history=_provenance(p.id, b.log))
            for p in s.values()
        ],
    }
    _dump(out / "ground_truth.json", truth, indent=2)
    return truth
