"""Seeded workshop scenarios, each modelled on a real incident (issue 7).

:func:`build` writes one scenario into a data directory with the demo's layout, so every
notebook and CLI command that takes ``data/`` works on it:

- ``demo-repo/``: a git repository built from fixed authors and dates (the same commit ids
  on every machine); ``travis`` adds ``build-logs/``, the public build logs its reports name;
- ``reports/``: what real scanners report, each in its own format (at least two per scenario);
- ``logs/``: CloudTrail delivery files and/or a GitHub audit-log export;
- ``inventory/``: IAM snapshots and the analyst's notes on where secrets live;
- ``timeline.csv``: the incident's milestones;
- ``answers.json``: the answer key, written by hand from the story (not computed by leaklab):
  the leaked credentials (fingerprints and previews, never values), each exposure window
  with its day counts under :mod:`leaklab.exposure`'s rule, the suspicious uses, the blast
  radius with its pivots, and a short quiz for the workshop.

The stories, with the dates of the reference (``incidents-logs-blast-radius.md`` §1):

    >>> sorted(SCENARIOS)
    ['circleci', 'slack', 'toyota', 'travis']
    >>> import tempfile
    >>> answers = build("toyota", tempfile.mkdtemp())
    >>> answers["windows"][0]["window_days"], answers["windows"][0]["ttc_days"]
    ([1721, 1751], [2, 2])

Every secret is obviously fake (it says ``LEAKLAB`` or ``FAKE``); none was ever live.
Run one from a shell: ``python -m leaklab.scenarios slack out/slack``.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import string
import sys
from pathlib import Path

from . import fingerprint
from .logs.github import hashed_token
from .demo import Planted, _dump, _entropy, _git_date, _line_of, _text

SEED = 7
AS_OF = "2023-07-01T00:00:00Z"  # default as_of for open windows; each scenario states its own

SCENARIOS = {
    "circleci": "CI secret store breached: a CI vendor's engineer session is stolen (malware, 2022-12-16), the "
                "project's environment variables are exfiltrated at once (2022-12-22) and the AWS key is used from "
                "attacker IPs; blast radius through the CI variables. Modelled on CircleCI (exfiltration "
                "2022-12-22, disclosed 2023-01-04, GitHub OAuth tokens rotated 2023-01-07: 16 days).",
    "slack": "Stolen employee GitHub token: private repositories are cloned from a new IP (2022-12-27), the AWS "
             "key and Slack bot token inside them are exposed; the token is revoked on detection (2022-12-29). "
             "Modelled on Slack, December 2022 (first misuse 2022-12-27, detected and revoked 2022-12-29).",
    "toyota": "An access key public in a subcontractor's repository for years (made public 2017-12, reported by "
              "a third party 2022-09-15, key changed 2022-09-17), with only a few uses in the logs. Modelled on "
              "Toyota T-Connect (window 1,721-1,751 days, disclosed 2022-10-07).",
    "travis": "Tokens printed in public CI build logs: five tokens of an open-source project, each exposed from "
              "its log's date until its own rotation; some still live when reported. Modelled on the Travis CI "
              "public build logs (Aqua Nautilus, disclosed 2022-06-13, logs back to 2013).",
}

_UPPER = string.ascii_uppercase + string.digits
_ALNUM = string.ascii_letters + string.digits


def _rng(name: str, seed: int, what: str = "secrets") -> random.Random:
    # A string seed is hashed with SHA-512: the same stream on every machine and Python.
    return random.Random(f"leaklab-scenario:{name}:{what}:{seed}")


def _pick(rnd: random.Random, n: int, alphabet: str = _ALNUM) -> str:
    return "".join(rnd.choice(alphabet) for _ in range(n))


# --------------------------------------------------------------------------- repository


class _Repo:
    """Commits with fixed identities and dates (as :class:`leaklab.demo._RepoBuilder`), for any remote."""

    def __init__(self, path: Path, url: str, people: dict):
        import git

        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        self.path, self.url, self.people = path, url, people
        self.repo = git.Repo.init(path, initial_branch="main")
        with self.repo.config_writer() as cw:
            cw.set_value("remote \"origin\"", "url", url)
            cw.set_value("remote \"origin\"", "fetch", "+refs/heads/*:refs/remotes/origin/*")
        self.tip = None
        self.log: list[dict] = []

    def commit(self, who: str, when: str, message: str, files: dict, plant: dict | None = None):
        """Commit ``files`` (path -> text, None deletes) on main; ``plant`` maps path -> secrets added there."""
        import git

        idx = self.repo.index
        if self.tip is not None:
            idx.reset(self.tip)
        for rel, text in files.items():
            if text is None:
                idx.remove([rel], working_tree=False)
                continue
            full = self.path / rel
            full.parent.mkdir(parents=True, exist_ok=True)
            full.write_text(text)
            idx.add([rel])
        name, email = self.people[who]
        actor = git.Actor(name, email)
        stamp = _git_date(when)
        c = idx.commit(message, parent_commits=[self.tip] if self.tip is not None else [], head=False,
                       author=actor, committer=actor, author_date=stamp, commit_date=stamp, skip_hooks=True)
        self.tip = c
        self.log.append({"sha": c.hexsha, "author": name, "email": email, "date": when, "message": message})
        for path, secrets in (plant or {}).items():
            for p in secrets:
                p.added.append((c.hexsha, path, _line_of(files[path], p.value), c))
        return c

    def finish(self) -> str:
        import git

        git.Head.create(self.repo, "main", self.tip, force=True)
        self.repo.head.reference = self.repo.heads["main"]
        self.repo.head.reset(index=True, working_tree=True)
        return self.tip.hexsha


def _utc(commit) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(commit.authored_date, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- scanner reports

_GITLEAKS_RULES = {
    "aws-access-key": ("aws-access-token", "Identified a pattern that may indicate AWS credentials, risking "
                       "unauthorized cloud resource access and data breaches on AWS platforms."),
    "github-token": ("github-pat", "Uncovered a GitHub Personal Access Token, potentially leading to unauthorized "
                     "repository access and sensitive content exposure."),
    "npm-token": ("npm-access-token", "Uncovered an npm access token, potentially compromising package management "
                  "and code repository access."),
    "slack-token": ("slack-bot-token", "Identified a Slack Bot token, which may compromise bot integrations and "
                    "communication channel security."),
    "slack-webhook": ("slack-webhook-url", "Discovered a Slack Webhook, which could lead to unauthorized message "
                      "posting and data leakage in Slack channels."),
    "pypi-token": ("pypi-upload-token", "Discovered a PyPI upload token, potentially compromising Python package "
                   "distribution and repository integrity."),
}
_TRUFFLEHOG_DETECTORS = {  # type -> (DetectorType, DetectorName)
    "aws-access-key": (2, "AWS"), "github-token": (8, "Github"), "npm-token": (30, "NpmToken"),
    "slack-token": (15, "Slack"), "slack-webhook": (1016, "SlackWebhook"), "pypi-token": (962, "PyPI"),
}


def _gitleaks_git(found: list[Planted], repo_url: str) -> list[dict]:
    """gitleaks v8 ``detect`` (git history) findings: one per commit that added the value."""
    out = []
    for p in found:
        rule, desc = _GITLEAKS_RULES[p.type]
        for sha, path, line, c in p.added:
            src_line = c.tree[path].data_stream.read().decode().splitlines()[line - 1]
            col = src_line.index(p.value) + 1
            out.append({
                "RuleID": rule, "Description": desc, "StartLine": line, "EndLine": line, "StartColumn": col,
                "EndColumn": col + len(p.value) - 1, "Match": p.value, "Secret": p.value, "File": path,
                "SymlinkFile": "", "Commit": sha, "Link": f"{repo_url}/blob/{sha}/{path}#L{line}",
                "Entropy": round(_entropy(p.value), 6), "Author": c.author.name, "Email": c.author.email,
                "Date": _utc(c), "Message": c.message, "Tags": [], "Fingerprint": f"{sha}:{path}:{rule}:{line}",
            })
    out.sort(key=lambda r: (r["Date"], r["File"], r["StartLine"]))
    return out


def _gitleaks_dir(hits: list[tuple[Planted, str, str]]) -> list[dict]:
    """gitleaks v8 ``dir`` (no git) findings over text files: (secret, path, file text)."""
    out = []
    for p, path, text in hits:
        rule, desc = _GITLEAKS_RULES[p.type]
        line = _line_of(text, p.value)
        col = text.splitlines()[line - 1].index(p.value) + 1
        out.append({
            "RuleID": rule, "Description": desc, "StartLine": line, "EndLine": line, "StartColumn": col,
            "EndColumn": col + len(p.value) - 1, "Match": p.value, "Secret": p.value, "File": path, "SymlinkFile": "",
            "Commit": "", "Entropy": round(_entropy(p.value), 6), "Author": "", "Email": "", "Date": "",
            "Message": "", "Tags": [], "Fingerprint": f"{path}:{rule}:{line}",
        })
    out.sort(key=lambda r: (r["File"], r["StartLine"]))
    return out


def _trufflehog_row(p: Planted, data: dict, source: tuple[int, int, str], verified: bool, extra=None,
                    raw_v2: str | None = None, verification_error: str | None = None) -> dict:
    dtype, name = _TRUFFLEHOG_DETECTORS[p.type]
    row = {"SourceMetadata": {"Data": data}, "SourceID": source[0], "SourceType": source[1], "SourceName": source[2],
           "DetectorType": dtype, "DetectorName": name, "DetectorDescription": f"{name} credentials",
           "DecoderName": "PLAIN", "Verified": verified}
    if verification_error:
        row["VerificationError"] = verification_error
    row.update({"VerificationFromCache": False, "Raw": p.value})
    if raw_v2:
        row["RawV2"] = raw_v2
    row.update({"Redacted": p.value if p.type == "aws-access-key" else p.value[:8] + "********",
                "ExtraData": extra, "StructuredData": None})
    return row


def _trufflehog_git(found: list[tuple[Planted, bool]], repo_url: str, pair: dict | None = None) -> list[dict]:
    """TruffleHog v3 ``git`` results: (secret, verified) for every commit that added it."""
    rows = []
    for p, verified in found:
        for sha, path, line, c in p.added:
            meta = {"commit": sha, "file": path, "email": f"{c.author.name} <{c.author.email}>",
                    "repository": repo_url, "timestamp": _utc(c).replace("T", " ").replace("Z", " +0000"), "line": line}
            rows.append(_trufflehog_row(p, {"Git": meta}, (1, 16, "trufflehog - git"), verified,
                                        raw_v2=(pair or {}).get(p.id)))
    rows.sort(key=lambda r: (r["SourceMetadata"]["Data"]["Git"]["timestamp"], r["DetectorName"]))
    return rows


def _detect_secrets(repo_path: Path, checks: list[tuple[Planted, str]], generated_at: str) -> dict:
    """A detect-secrets 1.x baseline of the working tree (no history): (secret, type name) to look for."""
    results: dict[str, list] = {}
    for path in sorted(p.relative_to(repo_path).as_posix() for p in repo_path.rglob("*")
                       if p.is_file() and ".git" not in p.parts):
        text = (repo_path / path).read_text()
        for p, typ in checks:
            if p.value in text:
                results.setdefault(path, []).append({"type": typ, "filename": path,
                                                     "hashed_secret": fingerprint.sha1(p.value),
                                                     "is_verified": False, "line_number": _line_of(text, p.value)})
    return {"version": "1.5.0", "plugins_used": [{"name": "AWSKeyDetector"}, {"name": "KeywordDetector"}],
            "filters_used": [{"path": "detect_secrets.filters.heuristic.is_likely_id_string"}],
            "results": results, "generated_at": generated_at}


# --------------------------------------------------------------------------- access logs


def _uuid(rnd) -> str:
    h = "".join(rnd.choice("0123456789abcdef") for _ in range(32))
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _ct(rnd, account: str, user: str, when: str, source: str, name: str, key: str, ip: str, ua: str, *,
        region: str, error=None, request=None, read_only=True) -> dict:
    """One CloudTrail record (eventVersion 1.08) of an IAM user's access key."""
    rec = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDA" + "LEAKLABFAKE" + user.upper().replace("-", "")[:6],
                         "arn": f"arn:aws:iam::{account}:user/{user}", "accountId": account, "accessKeyId": key,
                         "userName": user},
        "eventTime": when, "eventSource": source, "eventName": name, "awsRegion": region,
        "sourceIPAddress": ip, "userAgent": ua,
    }
    if error:
        rec["errorCode"], rec["errorMessage"] = error
    data = source == "s3.amazonaws.com" and not name.startswith("List")
    rec.update({"requestParameters": request, "responseElements": None, "requestID": _uuid(rnd), "eventID": _uuid(rnd),
                "readOnly": read_only, "eventType": "AwsApiCall", "managementEvent": not data,
                "recipientAccountId": account, "eventCategory": "Data" if data else "Management"})
    return rec


def _write_cloudtrail(root: Path, events: list[dict], account: str, region: str) -> None:
    """Delivery files as CloudTrail writes them: gzipped {"Records": [...]}, one per hour (fixed bytes)."""
    import gzip

    by_hour: dict[str, list] = {}
    for e in sorted(events, key=lambda r: r["eventTime"]):
        by_hour.setdefault(e["eventTime"][:13], []).append(e)
    for hour, recs in sorted(by_hour.items()):
        y, m, d, hh = hour[0:4], hour[5:7], hour[8:10], hour[11:13]
        folder = root / "AWSLogs" / account / "CloudTrail" / region / y / m / d
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{account}_CloudTrail_{region}_{y}{m}{d}T{hh}00Z_LeakLabScenario{hh}.json.gz"
        data = json.dumps({"Records": recs}, separators=(",", ":")).encode()
        with open(folder / name, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(data)


def _github_audit(rnd, when: str, action: str, actor: str, ip: str, ua: str, org: str, repo: str, token: str,
                  token_id: int, scopes: str) -> dict:
    """One GitHub audit-log Git event as the export writes it (``@timestamp`` in epoch milliseconds)."""
    import datetime as dt

    ms = int(dt.datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp() * 1000)
    return {
        "@timestamp": ms, "_document_id": _pick(rnd, 22, _ALNUM + "-_"), "action": action, "actor": actor,
        "actor_id": 41000 + sum(map(ord, actor)), "actor_ip": ip, "actor_is_bot": False,
        "actor_location": {"country_code": "US" if ip.startswith("198.51.100.") else "NL"},
        "business": "leaklab-chat-ent", "created_at": ms, "hashed_token": hashed_token(token), "operation_type": "access",
        "org": org, "org_id": 7100001, "programmatic_access_type": "Personal access token (classic)", "repo": repo,
        "repository": repo, "repository_public": False, "token_id": token_id, "token_scopes": scopes,
        "transport_protocol": 1, "transport_protocol_name": "http", "user_agent": ua,
    }


# --------------------------------------------------------------------------- writing


def _timeline(rows: list[tuple], incident: str) -> str:
    """``time,kind,credential,incident,source,detail`` rows, as an analyst writes them down."""
    lines = ["time,kind,credential,incident,source,detail"]
    lines += [f"{t},{k},{c},{incident},{src},{d}" for t, k, c, src, d in rows]
    return "\n".join(lines) + "\n"


def _write_inventory(folder: Path, files: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if isinstance(content, str):
            (folder / name).write_text(content, encoding="utf-8")
        else:
            _dump(folder / name, content, indent=4)


def _gaad(account: str, user: str, statements: list[dict], created: str) -> dict:
    arn = f"arn:aws:iam::{account}:"
    return {"UserDetailList": [{
        "Path": "/", "UserName": user, "UserId": "AIDA" + "LEAKLABFAKE" + user.upper().replace("-", "")[:6],
        "Arn": arn + f"user/{user}", "CreateDate": created,
        "UserPolicyList": [{"PolicyName": f"{user}-inline", "PolicyDocument": {"Version": "2012-10-17",
                                                                              "Statement": statements}}],
        "GroupList": [], "AttachedManagedPolicies": [], "Tags": [],
    }], "GroupDetailList": [], "RoleDetailList": [], "Policies": [], "IsTruncated": False}


def _statement(sid: str, action, resource) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource}


def _access_keys(user: str, key: str, created: str, status: str = "Active") -> dict:
    return {"AccessKeyMetadata": [{"UserName": user, "AccessKeyId": key, "Status": status, "CreateDate": created}]}


def _secret(p: Planted, **extra) -> dict:
    """A leaked credential in the answer key: fingerprints and a preview, never the value."""
    return dict(p.truth(), **extra)


def _window(name: str, credential_ref: dict, exposed_from: str, detected: str | None, contained: str | None,
            window_days, ttd_days, ttc_days, *, open_: bool = False, lower_bound: bool = False) -> dict:
    """One credential's exposure window, by hand: day counts are [min, max] (equal for exact dates)."""
    return dict({"id": name}, **credential_ref, exposed_from=exposed_from, detected=detected, contained=contained,
                open=open_, lower_bound=lower_bound, window_days=window_days, ttd_days=ttd_days, ttc_days=ttc_days)


def _ref(p: Planted, hashed: bool = False) -> dict:
    """How the answer key names a credential's node in timeline, logs and grants (by fingerprint)."""
    out = {"secret_sha256": fingerprint.sha256(p.value)}
    if hashed:
        out["hashed_token"] = hashed_token(p.value)
    return out


# --------------------------------------------------------------------------- circleci


def _circleci(out: Path, seed: int) -> dict:
    rnd = _rng("circleci", seed)
    aws = Planted("aws-key-id", "aws-access-key", "AKIA" + "LEAKLABFAKE" + _pick(rnd, 5, _UPPER))
    aws_secret = "FAKE" + _pick(rnd, 36, _ALNUM + "/+")
    gh = Planted("github-token", "github-token", "ghp_LEAKLABFAKE" + _pick(rnd, 25))
    npm = Planted("npm-token", "npm-token", "npm_LEAKLABFAKE" + _pick(rnd, 25))
    db = Planted("db-password", "password", "FakeLeakLab-db-" + _pick(rnd, 16))  # only in Secrets Manager
    session = "circleci-engineer-session"  # the vendor's stolen SSO session: a name, no value exists here

    org, name = "leaklab-rocket", "launch-api"
    url, repo_id = f"https://github.com/{org}/{name}", f"github.com/{org}/{name}"
    people = {"alice": ("Alice Novak", "alice@rocket.example"), "bob": ("Bob Mensah", "bob@rocket.example"),
              "carol": ("Carol Reyes", "carol@rocket.example")}
    r = _Repo(out / "demo-repo", url, people)
    readme = _text(["# launch-api", "", "Launch scheduling API (leaklab scenario; every key here is fake)."])
    app = _text(["const express = require('express');", "const app = express();",
                 "app.get('/health', (req, res) => res.send('ok'));", "app.listen(8080);"])
    config = _text(["version: 2.1", "jobs:", "  deploy:", "    docker:", "      - image: cimg/node:18.12",
                    "    environment:", "      AWS_REGION: eu-central-1", f"      AWS_ACCESS_KEY_ID: {aws.value}",
                    f"      AWS_SECRET_ACCESS_KEY: {aws_secret}", "    steps:", "      - checkout",
                    "      - run: npm ci && npm publish", "      - run: aws s3 cp dist/ s3://launch-artifacts/ --recursive"])
    npmrc = _text([f"//registry.npmjs.org/:_authToken={npm.value}"])
    config_clean = _text(["version: 2.1", "jobs:", "  deploy:", "    docker:", "      - image: cimg/node:18.12",
                          "    # AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, NPM_TOKEN, GITHUB_TOKEN: project settings",
                          "    steps:", "      - checkout", "      - run: npm ci && npm publish",
                          "      - run: aws s3 cp dist/ s3://launch-artifacts/ --recursive"])
    r.commit("alice", "2022-05-30T09:00:00+02:00", "Initial commit", {"README.md": readme, "src/app.js": app})
    r.commit("bob", "2022-06-08T11:14:00+02:00", "Add CircleCI pipeline",
             {".circleci/config.yml": config, ".npmrc": npmrc}, plant={".circleci/config.yml": [aws], ".npmrc": [npm]})
    r.commit("bob", "2022-06-20T16:40:00+02:00", "Move deploy secrets to CircleCI project environment variables",
             {".circleci/config.yml": config_clean, ".npmrc": _text(["//registry.npmjs.org/:_authToken=${NPM_TOKEN}"])})
    r.commit("carol", "2022-11-02T10:30:00+01:00", "Release 1.4",
             {"src/app.js": app + "app.get('/version', (req, res) => res.send('1.4.0'));\n"})
    head = r.finish()

    reports = out / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    _dump(reports / "gitleaks.json", _gitleaks_git([aws, npm], url))
    # Scanned on 2023-01-05: the AWS key was rotated on 2022-12-30, the npm token not yet.
    _dump(reports / "trufflehog.jsonl", _trufflehog_git([(aws, False), (npm, True)], url,
                                                         pair={aws.id: f"{aws.value}:{aws_secret}"}), lines=True)

    account, region, user = "222233334444", "eu-central-1", "circleci-deployer"
    sm_secret = f"arn:aws:secretsmanager:{region}:{account}:secret:prod/launch-db-Fk3LbQ"
    ci_ip = "198.51.100.30"
    ci_ua = "aws-cli/2.9.8 Python/3.9.11 Linux/5.15.0-1026-aws exe/x86_64.ubuntu.20 prompt/off command/s3.cp"
    bad_ua = "Boto3/1.26.37 Python/3.10.9 Linux/6.0.0-kali6-amd64 Botocore/1.29.37"
    att1, att2 = "203.0.113.201", "192.0.2.140"
    lr = _rng("circleci", seed, "logs")
    ct = lambda *a, **k: _ct(lr, account, user, *a, region=region, **k)  # noqa: E731
    ev = [ct(f"2022-12-{d:02d}T09:{10 + d:02d}:00Z", "s3.amazonaws.com", "PutObject", aws.value, ci_ip, ci_ua,
             read_only=False, request={"bucketName": "launch-artifacts", "key": f"builds/12{d:02d}.tgz"})
          for d in range(1, 30, 2)]
    ev += [
        ct("2022-12-24T03:11:05Z", "sts.amazonaws.com", "GetCallerIdentity", aws.value, att1, bad_ua),
        ct("2022-12-24T03:12:40Z", "s3.amazonaws.com", "ListBuckets", aws.value, att1, bad_ua),
        ct("2022-12-24T03:15:02Z", "secretsmanager.amazonaws.com", "GetSecretValue", aws.value, att1, bad_ua,
           request={"secretId": "prod/launch-db"}),
        ct("2022-12-27T22:40:10Z", "s3.amazonaws.com", "GetObject", aws.value, att2, bad_ua,
           request={"bucketName": "launch-artifacts", "key": "releases/1.4.0.tgz"}),
        ct("2022-12-29T01:05:33Z", "iam.amazonaws.com", "ListUsers", aws.value, att2, bad_ua,
           error=("AccessDenied", f"User: arn:aws:iam::{account}:user/{user} is not authorized to perform: iam:ListUsers")),
        ct("2023-01-02T05:00:00Z", "sts.amazonaws.com", "GetCallerIdentity", aws.value, att2, bad_ua,
           error=("InvalidClientTokenId", "The security token included in the request is invalid.")),
    ]
    _write_cloudtrail(out / "logs" / "cloudtrail", ev, account, region)

    fp_gh, fp_npm, fp_db = (fingerprint.sha256(p.value) for p in (gh, npm, db))
    incident = "circleci-2023"
    (out / "timeline.csv").write_text(_timeline([
        ("2022-12-16", "exposed", session, "vendor report", "Malware on a CircleCI engineer's laptop steals an SSO session"),
        ("2022-12-22", "exfiltrated", aws.value, "vendor report", "Project environment variables exfiltrated"),
        ("2022-12-22", "exfiltrated", fp_gh, "vendor report", "Project environment variables exfiltrated"),
        ("2022-12-22", "exfiltrated", fp_npm, "vendor report", "Project environment variables exfiltrated"),
        ("2022-12-24T03:15:02Z", "exfiltrated", fp_db, "cloudtrail", "GetSecretValue on prod/launch-db from 203.0.113.201"),
        ("2022-12-29", "detected", session, "vendor report", "A customer reports suspicious GitHub OAuth activity"),
        ("2022-12-29T16:20:00Z", "detected", aws.value, "guardduty", "API calls from a known malicious IP"),
        ("2022-12-29T16:20:00Z", "detected", fp_db, "guardduty", "The alert names prod/launch-db as read"),
        ("2022-12-30T10:05:00Z", "rotated", aws.value, "iam", "Access key deactivated and replaced"),
        ("2022-12-31T12:00:00Z", "rotated", fp_db, "rds", "Database password rotated"),
        ("2023-01-04", "detected", fp_gh, "vendor notice", "CircleCI security alert: rotate every stored secret"),
        ("2023-01-04", "detected", fp_npm, "vendor notice", "CircleCI security alert: rotate every stored secret"),
        ("2023-01-04", "revoked", session, "vendor report", "The engineer's access is shut down"),
        ("2023-01-07T07:30:00Z", "revoked", fp_gh, "vendor report", "All GitHub OAuth tokens rotated"),
        ("2023-01-09T14:00:00Z", "rotated", fp_npm, "npm", "npm token replaced"),
    ], incident), encoding="utf-8")

    ci_project = f"circleci:project/gh/{org}/{name}"
    gh_org, infra = f"github.com/{org}", f"github.com/{org}/launch-infra"
    _write_inventory(out / "inventory", {
        "gaad.json": _gaad(account, user, [
            _statement("Artifacts", ["s3:PutObject", "s3:GetObject"], "arn:aws:s3:::launch-artifacts/*"),
            _statement("DbSecret", "secretsmanager:GetSecretValue", sm_secret),
        ], "2022-06-01T08:00:00+00:00"),
        "list-access-keys.json": _access_keys(user, aws.value, "2022-06-08T09:00:00+00:00", "Inactive"),
        "resources.yaml": f"""# The CI store and what it holds, written by the analyst (fingerprints, never values).
credentials:
  - id: {session}
    principal: circleci:support-engineer
    detail: CircleCI engineer's SSO session, stolen by malware (vendor report)
grants:
  - principal: circleci:support-engineer
    permission: read
    resource: {ci_project}
resources:
  - id: {ci_project}
    type: ci-project
    data_class: secret
    provider: circleci
    holds: [{aws.value}, {fp_gh}, {fp_npm}]   # AWS deploy key, GitHub token, npm token
    since: 2022-06-20T14:40:00Z
  - id: arn:aws:s3:::launch-artifacts
    type: s3-bucket
    data_class: internal
    provider: aws
  - id: {sm_secret}
    type: secretsmanager-secret
    data_class: secret
    provider: aws
    holds: [{fp_db}]              # the production database password
    since: 2022-03-01T00:00:00Z
  - id: {gh_org}
    type: organization
    data_class: internal
    provider: github
    contains: [{repo_id}, {infra}]
  - id: {repo_id}
    type: repository
    data_class: internal
    provider: github
  - id: {infra}
    type: repository
    data_class: confidential
    provider: github
""",
        "github-tokens.yaml": f"""# The CI's GitHub token, as its X-OAuth-Scopes header showed it.
github_tokens:
  - credential: {fp_gh}
    owner: launch-ci-bot
    org: {org}
    scopes: "repo, read:org"
    since: 2022-06-20T14:40:00Z
""",
    })

    reach = [(session, session, 0, ci_project, "read")]
    reach += [(session, aws.id, 1, "arn:aws:s3:::launch-artifacts", p) for p in ("s3:PutObject", "s3:GetObject")]
    reach += [(session, aws.id, 1, sm_secret, "secretsmanager:GetSecretValue")]
    reach += [(session, gh.id, 1, res, s) for res in (gh_org, repo_id, infra) for s in ("repo", "read:org")]
    story_start = "2022-12-16T00:00:00Z"  # a pivot is exposed from its root's start (the session's)
    return {
        "repository": repo_id, "head": head, "commits": r.log, "incident": incident, "as_of": "2023-02-01T00:00:00Z",
        "secrets": [
            _secret(aws, found_by=["gitleaks", "trufflehog"], verified=False, where="CI variables; repo history"),
            _secret(gh, found_by=[], verified=None, where="CI variables only"),
            _secret(npm, found_by=["gitleaks", "trufflehog"], verified=True, where="CI variables; repo history"),
            _secret(db, found_by=[], verified=None, where="AWS Secrets Manager prod/launch-db (pivot)"),
        ],
        "windows": [
            _window(session, {"name": session}, "2022-12-16T00:00:00Z", "2022-12-29T00:00:00Z", "2023-01-04T00:00:00Z",
                    [19, 19], [13, 13], [6, 6]),
            _window(aws.id, _ref(aws), "2022-12-22T00:00:00Z", "2022-12-29T16:20:00Z", "2022-12-30T10:05:00Z",
                    [8, 8], [7, 7], [1, 1]),
            _window(gh.id, _ref(gh), "2022-12-22T00:00:00Z", "2023-01-04T00:00:00Z", "2023-01-07T07:30:00Z",
                    [16, 16], [13, 13], [3, 3]),
            _window(npm.id, _ref(npm), "2022-12-22T00:00:00Z", "2023-01-04T00:00:00Z", "2023-01-09T14:00:00Z",
                    [18, 18], [13, 13], [5, 5]),
            _window(db.id, _ref(db), "2022-12-24T03:15:02Z", "2022-12-29T16:20:00Z", "2022-12-31T12:00:00Z",
                    [7, 7], [5, 5], [2, 2]),
        ],
        "usage": [{"id": aws.id, **_ref(aws), "uses_in_window": 9, "suspicious_uses": 5,
                   "suspicious_ips": sorted([att1, att2]), "owner_ips": [ci_ip],
                   "note": "the 2023-01-02 call after rotation failed and lies outside the window"}],
        "blast": {
            "roots": [session],
            "nodes": {session: {"name": session}, aws.id: _ref(aws), gh.id: _ref(gh), npm.id: _ref(npm), db.id: _ref(db)},
            "reach": [{"root": a, "acting": b, "hops": h, "resource": res, "permission": p} for a, b, h, res, p in reach],
            "pivots": [
                {"root": session, "reached": aws.id, "hops": 1, "parent": session, "held_in": ci_project, "exposed_from": story_start},
                {"root": session, "reached": gh.id, "hops": 1, "parent": session, "held_in": ci_project, "exposed_from": story_start},
                {"root": session, "reached": npm.id, "hops": 1, "parent": session, "held_in": ci_project, "exposed_from": story_start},
                {"root": session, "reached": db.id, "hops": 2, "parent": aws.id, "held_in": sm_secret, "exposed_from": story_start},
            ],
        },
        "quiz": [
            {"id": "q1", "question": "How many of the leaked credentials do the scanner reports find?", "answer": 2,
             "hint": "The GitHub token lived only in the CI store; the database password only in Secrets Manager."},
            {"id": "q2", "question": "How many days was the AWS deploy key exposed (exclusive count)?", "answer": 8,
             "hint": "From the exfiltration day to the rotation: end minus start in calendar days."},
            {"id": "q3", "question": "How many attacker calls did the AWS key make inside its window?", "answer": 5,
             "hint": "Filter usage_in_windows to suspicious rows; the CI's own deploys come from an IP seen before."},
            {"id": "q4", "question": "Which further secret did the attacker read with the AWS key?",
             "answer": "prod/launch-db", "also": [db.id, sm_secret, sm_secret.rsplit(":", 1)[-1]],
             "hint": "Look for secretsmanager:GetSecretValue in the CloudTrail uses."},
            {"id": "q5", "question": "How many pivot hops separate the stolen session from the database password?",
             "answer": 2, "hint": "blast_radius(..., by='pivot'): session -> CI variables -> AWS key -> secret."},
        ],
    }


# --------------------------------------------------------------------------- slack


def _slack(out: Path, seed: int) -> dict:
    rnd = _rng("slack", seed)
    gh = Planted("employee-github-token", "github-token", "ghp_LEAKLABFAKE" + _pick(rnd, 25))
    aws = Planted("aws-key-id", "aws-access-key", "AKIA" + "LEAKLABFAKE" + _pick(rnd, 5, _UPPER))
    aws_secret = "FAKE" + _pick(rnd, 36, _ALNUM + "/+")
    bot = Planted("slack-bot-token", "slack-token", "xoxb-LEAKLABFAKE-" + _pick(rnd, 12, string.digits))
    stripe = Planted("stripe-key", "stripe-key", "sk_live_LEAKLABFAKE" + _pick(rnd, 13))  # in chat-billing only

    org = "leaklab-chat"
    url, repo_id = f"https://github.com/{org}/chat-infra", f"github.com/{org}/chat-infra"
    people = {"erin": ("Erin Park", "erin@chat.example"), "frank": ("Frank Osei", "frank@chat.example"),
              "grace": ("Grace Lund", "grace@chat.example")}
    r = _Repo(out / "demo-repo", url, people)
    main_tf = _text(["terraform {", "  backend \"s3\" {", "    bucket = \"chat-tfstate\"", "    key    = \"infra.tfstate\"",
                     "    region = \"us-east-1\"", "  }", "}"])
    providers = _text(["provider \"aws\" {", "  region     = \"us-east-1\"", f"  access_key = \"{aws.value}\"",
                       f"  secret_key = \"{aws_secret}\"", "}"])
    providers_clean = _text(["provider \"aws\" {", "  region = \"us-east-1\"",
                             "  # credentials come from the environment (AWS_PROFILE)", "}"])
    alerts = _text(["import os", "from slack_sdk import WebClient", "",
                    f"client = WebClient(token=os.environ.get(\"SLACK_BOT_TOKEN\", \"{bot.value}\"))", "",
                    "def alert(text):", "    client.chat_postMessage(channel=\"#ops-alerts\", text=text)"])
    r.commit("erin", "2021-03-02T10:00:00-08:00", "Initial infrastructure",
             {"README.md": _text(["# chat-infra", "", "Terraform and ops bots (leaklab scenario; keys are fake)."]),
              "terraform/main.tf": main_tf})
    r.commit("frank", "2021-04-12T15:20:00-07:00", "Add AWS provider for the state bucket",
             {"terraform/providers.tf": providers}, plant={"terraform/providers.tf": [aws]})
    r.commit("grace", "2021-09-01T09:45:00-07:00", "Alerting bot", {"bots/alerts.py": alerts},
             plant={"bots/alerts.py": [bot]})
    r.commit("erin", "2022-02-14T11:00:00-08:00", "Use the environment for AWS credentials",
             {"terraform/providers.tf": providers_clean})
    r.commit("grace", "2022-10-10T14:05:00-07:00", "Alerting: retry on 429",
             {"bots/alerts.py": alerts + "    # retried by slack_sdk's RateLimitErrorRetryHandler\n"})
    head = r.finish()

    reports = out / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    _dump(reports / "gitleaks.json", _gitleaks_git([aws, bot], url))
    # Scanned on 2022-12-30, before the AWS key and the bot token were rotated: both live.
    _dump(reports / "trufflehog.jsonl", _trufflehog_git([(aws, True), (bot, True)], url,
                                                         pair={aws.id: f"{aws.value}:{aws_secret}"}), lines=True)

    lr = _rng("slack", seed, "logs")
    office, office_ua = "198.51.100.44", "git/2.38.1"
    att1, att2, att_ua = "203.0.113.77", "192.0.2.91", "git/2.34.1"
    scopes = "repo,read:org"
    audit = lambda when, ip, ua, repo: _github_audit(lr, when, "git.clone" if ip != office else "git.fetch",  # noqa: E731
                                                     "dana-eng", ip, ua, org, f"{org}/{repo}", gh.value, 88001, scopes)
    gev = [audit(f"2022-12-{d:02d}T16:{d + 10:02d}:00Z", office, office_ua, repo)
           for d, repo in ((1, "chat-desktop"), (5, "chat-infra"), (9, "chat-desktop"), (14, "chat-ops"), (20, "chat-desktop"))]
    gev += [audit("2022-12-27T04:12:00Z", att1, att_ua, "chat-infra"),
            audit("2022-12-27T04:13:30Z", att1, att_ua, "chat-billing"),
            audit("2022-12-27T04:15:10Z", att1, att_ua, "chat-desktop"),
            audit("2022-12-28T02:01:44Z", att2, att_ua, "chat-ops"),
            audit("2022-12-28T09:30:00Z", office, office_ua, "chat-desktop")]
    gev.sort(key=lambda e: e["@timestamp"])
    (out / "logs" / "github").mkdir(parents=True, exist_ok=True)
    _dump(out / "logs" / "github" / f"{org}-audit-log.json", gev, indent=None)

    account, region, user = "333344445555", "us-east-1", "terraform-state"
    tf_ip, tf_ua = "198.51.100.60", "APN/1.0 HashiCorp/1.0 Terraform/1.3.6 (+https://www.terraform.io)"
    bad_ua = "aws-cli/2.9.10 Python/3.9.11 Linux/6.0.0-kali5-amd64 exe/x86_64.kali.2022 prompt/off"
    ct = lambda *a, **k: _ct(lr, account, user, *a, region=region, **k)  # noqa: E731
    ev = [ct(f"2022-12-{d:02d}T18:00:00Z", "s3.amazonaws.com", "GetObject", aws.value, tf_ip, tf_ua,
             request={"bucketName": "chat-tfstate", "key": "infra.tfstate"}) for d in (6, 13, 20, 28)]
    ev += [ct("2022-12-28T03:30:00Z", "sts.amazonaws.com", "GetCallerIdentity", aws.value, att2, bad_ua),
           ct("2022-12-28T03:31:12Z", "s3.amazonaws.com", "ListBuckets", aws.value, att2, bad_ua)]
    _write_cloudtrail(out / "logs" / "cloudtrail", ev, account, region)

    hashed = hashed_token(gh.value)
    fp_bot, fp_stripe = fingerprint.sha256(bot.value), fingerprint.sha256(stripe.value)
    incident = "slack-2022"
    (out / "timeline.csv").write_text(_timeline([
        ("2022-12-27T04:12:00Z", "first_misuse", hashed, "github audit log", "First clone from 203.0.113.77"),
        ("2022-12-27T04:12:00Z", "exfiltrated", aws.value, "github audit log", "chat-infra cloned by the attacker"),
        ("2022-12-27T04:12:00Z", "exfiltrated", fp_bot, "github audit log", "chat-infra cloned by the attacker"),
        ("2022-12-29T10:30:00Z", "detected", hashed, "github", "Suspicious activity on the GitHub organisation"),
        ("2022-12-29T10:30:00Z", "detected", aws.value, "triage", "Key found in a cloned repository"),
        ("2022-12-29", "detected", fp_bot, "triage", "Token found in a cloned repository"),
        ("2022-12-29T11:05:00Z", "revoked", hashed, "github", "Employee tokens invalidated"),
        ("2022-12-30T15:00:00Z", "rotated", aws.value, "iam", "terraform-state key replaced"),
        ("2022-12-31", "disclosed", hashed, "blog", "Public security update"),
        ("2023-01-03T09:00:00Z", "rotated", fp_bot, "slack", "Bot token regenerated"),
    ], incident), encoding="utf-8")

    gh_org = f"github.com/{org}"
    repos = [f"{gh_org}/{n}" for n in ("chat-infra", "chat-billing", "chat-desktop", "chat-ops")]
    _write_inventory(out / "inventory", {
        "gaad.json": _gaad(account, user, [
            _statement("State", ["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::chat-tfstate/*"),
            _statement("Locks", ["dynamodb:GetItem", "dynamodb:PutItem"],
                       f"arn:aws:dynamodb:{region}:{account}:table/tf-locks"),
        ], "2021-04-12T20:00:00+00:00"),
        "list-access-keys.json": _access_keys(user, aws.value, "2021-04-12T20:10:00+00:00", "Inactive"),
        "resources.yaml": f"""# The organisation's repositories and the secrets found in them (fingerprints only).
resources:
  - id: {gh_org}
    type: organization
    data_class: internal
    provider: github
    contains: [{", ".join(repos)}]
  - id: {repos[0]}
    type: repository
    data_class: confidential
    provider: github
    holds: [{aws.value}, {fp_bot}]   # the terraform key and the alerting bot's token
    since: 2021-09-01T16:45:00Z
  - id: {repos[1]}
    type: repository
    data_class: confidential
    provider: github
    holds: [{fp_stripe}]             # the Stripe live key in chat-billing
    since: 2022-03-15T00:00:00Z
  - id: {repos[2]}
    type: repository
    data_class: internal
    provider: github
  - id: {repos[3]}
    type: repository
    data_class: confidential
    provider: github
  - id: arn:aws:s3:::chat-tfstate
    type: s3-bucket
    data_class: secret
    provider: aws
""",
        "github-tokens.yaml": f"""# The employee's token, named by GitHub's hashed_token (base64 of its SHA-256).
github_tokens:
  - credential: "{hashed}"
    owner: dana-eng
    org: {org}
    scopes: "repo, read:org"
""",
        "slack-tokens.yaml": f"""# The alerting bot's token, as auth.test and X-OAuth-Scopes showed it.
slack_tokens:
  - credential: {fp_bot}
    team_id: T0LEAKCHAT
    user_id: U0ALERTBOT
    scopes: "chat:write,channels:read"
""",
    })

    root = gh.id
    reach = [(root, root, 0, res, s) for res in [gh_org] + repos for s in ("repo", "read:org")]
    reach += [(root, aws.id, 1, "arn:aws:s3:::chat-tfstate", p) for p in ("s3:GetObject", "s3:PutObject")]
    reach += [(root, aws.id, 1, f"arn:aws:dynamodb:{region}:{account}:table/tf-locks", p)
              for p in ("dynamodb:GetItem", "dynamodb:PutItem")]
    reach += [(root, bot.id, 1, "slack:T0LEAKCHAT", s) for s in ("chat:write", "channels:read")]
    start = "2022-12-27T04:12:00Z"
    return {
        "repository": repo_id, "head": head, "commits": r.log, "incident": incident, "as_of": "2023-02-01T00:00:00Z",
        "secrets": [
            _secret(gh, found_by=[], verified=None, where="stolen from a third-party vendor", hashed_token=hashed),
            _secret(aws, found_by=["gitleaks", "trufflehog"], verified=True, where="chat-infra history"),
            _secret(bot, found_by=["gitleaks", "trufflehog"], verified=True, where="chat-infra HEAD"),
            _secret(stripe, found_by=[], verified=None, where="chat-billing (not scanned here)"),
        ],
        "windows": [
            _window(gh.id, _ref(gh, hashed=True), start, "2022-12-29T10:30:00Z", "2022-12-29T11:05:00Z",
                    [2, 2], [2, 2], [0, 0], lower_bound=True),
            _window(aws.id, _ref(aws), start, "2022-12-29T10:30:00Z", "2022-12-30T15:00:00Z", [3, 3], [2, 2], [1, 1]),
            _window(bot.id, _ref(bot), start, "2022-12-29T00:00:00Z", "2023-01-03T09:00:00Z", [7, 7], [2, 2], [5, 5]),
        ],
        "usage": [
            {"id": gh.id, **_ref(gh, hashed=True), "uses_in_window": 5, "suspicious_uses": 4,
             "suspicious_ips": sorted([att1, att2]), "owner_ips": [office],
             "note": "git.clone of four private repositories from two new IPs; the owner's fetch is not suspicious"},
            {"id": aws.id, **_ref(aws), "uses_in_window": 3, "suspicious_uses": 2, "suspicious_ips": [att2],
             "owner_ips": [tf_ip]},
        ],
        "blast": {
            "roots": [root],
            "nodes": {gh.id: _ref(gh, hashed=True), aws.id: _ref(aws), bot.id: _ref(bot), stripe.id: _ref(stripe)},
            "reach": [{"root": a, "acting": b, "hops": h, "resource": res, "permission": p} for a, b, h, res, p in reach],
            "pivots": [
                {"root": root, "reached": aws.id, "hops": 1, "parent": root, "held_in": repos[0], "exposed_from": start},
                {"root": root, "reached": bot.id, "hops": 1, "parent": root, "held_in": repos[0], "exposed_from": start},
                {"root": root, "reached": stripe.id, "hops": 1, "parent": root, "held_in": repos[1], "exposed_from": start},
            ],
        },
        "quiz": [
            {"id": "q1", "question": "How do you find the stolen token's events in the GitHub audit log?",
             "answer": "filter hashed_token", "hint": "base64 of the token's SHA-256: leaklab.logs.github.hashed_token."},
            {"id": "q2", "question": "How many private repositories were cloned from new IPs?", "answer": 4,
             "hint": "git.clone events inside the window whose actor_ip the token never used before."},
            {"id": "q3", "question": "Why is the token's window a lower bound?", "answer": "it starts at the first misuse",
             "hint": "The theft date is not known; the first clone proves exposure by then."},
            {"id": "q4", "question": "Which credentials does the stolen token reach through the cloned repositories?",
             "answer": sorted([aws.id, bot.id, stripe.id]), "hint": "blast_radius(..., by='pivot') over the inventory."},
        ],
    }


# --------------------------------------------------------------------------- toyota


def _toyota(out: Path, seed: int) -> dict:
    rnd = _rng("toyota", seed)
    aws = Planted("data-server-key", "aws-access-key", "AKIA" + "LEAKLABFAKE" + _pick(rnd, 5, _UPPER))
    aws_secret = "FAKE" + _pick(rnd, 36, _ALNUM + "/+")
    app_key = "AKIA" + "LEAKLABFAKE" + _pick(rnd, 5, _UPPER)  # the production app's own key: never leaked

    owner = "leaklab-tconnect-sub"
    url, repo_id = f"https://github.com/{owner}/tconnect-web", f"github.com/{owner}/tconnect-web"
    people = {"kenji": ("Kenji Sato", "kenji@subcontractor.example"), "yui": ("Yui Mori", "yui@subcontractor.example")}
    r = _Repo(out / "demo-repo", url, people)
    datasource = _text(["# data server connection (customer records)", "datasource:", "  region: ap-northeast-1",
                        "  bucket: tconnect-customer-data", f"  access_key_id: {aws.value}",
                        f"  secret_access_key: {aws_secret}"])
    r.commit("kenji", "2017-11-20T18:00:00+09:00", "Initial import of the T-Connect site",
             {"README.md": _text(["# tconnect-web", "", "Portal front end (leaklab scenario; every key here is fake)."]),
              "src/index.html": _text(["<!doctype html>", "<title>Connect</title>"])})
    r.commit("kenji", "2017-12-07T10:22:00+09:00", "Add data server configuration",
             {"src/config/datasource.yml": datasource}, plant={"src/config/datasource.yml": [aws]})
    r.commit("yui", "2018-03-14T15:40:00+09:00", "Portal: login page", {"src/login.html": _text(["<form>", "</form>"])})
    head = r.finish()

    reports = out / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    _dump(reports / "gitleaks.json", _gitleaks_git([aws], url))
    # Scanned on 2022-09-20, after the key was changed: TruffleHog finds it dead.
    _dump(reports / "trufflehog.jsonl", _trufflehog_git([(aws, False)], url, pair={aws.id: f"{aws.value}:{aws_secret}"}),
          lines=True)
    _dump(reports / "detect-secrets.baseline",
          _detect_secrets(out / "demo-repo", [(aws, "AWS Access Key")], "2022-09-20T02:00:00Z"), indent=2)

    account, region = "444455556666", "ap-northeast-1"
    lr = _rng("toyota", seed, "logs")
    app_ip, app_ua = "10.20.0.15", "aws-sdk-java/1.12.261 Linux/5.10.130-118.517.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/25.342"
    scan_ip, scan_ua = "198.51.100.200", "Boto3/1.24.28 Python/3.10.6 Linux/5.15.0-46-generic Botocore/1.27.28"
    res_ip, res_ua = "203.0.113.15", "aws-cli/2.7.31 Python/3.9.11 Darwin/21.6.0 exe/x86_64 prompt/off"
    ev = [_ct(lr, account, "tconnect-app", f"2022-{m:02d}-{d:02d}T03:00:00Z", "s3.amazonaws.com", "GetObject", app_key,
              app_ip, app_ua, region=region, request={"bucketName": "tconnect-customer-data", "key": "exports/daily.csv"})
          for m in (6, 7, 8, 9) for d in (1, 15) if (m, d) != (9, 15)]
    ct = lambda *a, **k: _ct(lr, account, "tconnect-datasvc", *a, region=region, **k)  # noqa: E731
    ev += [ct("2022-08-02T19:44:10Z", "s3.amazonaws.com", "ListBuckets", aws.value, scan_ip, scan_ua),
           ct("2022-09-14T08:02:00Z", "sts.amazonaws.com", "GetCallerIdentity", aws.value, res_ip, res_ua),
           ct("2022-09-18T11:00:00Z", "sts.amazonaws.com", "GetCallerIdentity", aws.value, scan_ip, scan_ua,
              error=("InvalidClientTokenId", "The security token included in the request is invalid."))]
    _write_cloudtrail(out / "logs" / "cloudtrail", ev, account, region)

    incident = "tconnect-2022"
    (out / "timeline.csv").write_text(_timeline([
        ("2017-12", "made_public", aws.value, "news report", "Subcontractor pushes the site's code to a public repository"),
        ("2022-09-15", "reported", aws.value, "third party", "An outside party reports the key in the public repository"),
        ("2022-09-15", "note", aws.value, "github", "Repository made private (hiding is not revoking)"),
        ("2022-09-17", "rotated", aws.value, "iam", "Data server access key changed"),
        ("2022-10-07", "disclosed", aws.value, "press release", "Public notice and apology"),
    ], incident), encoding="utf-8")

    bucket = "arn:aws:s3:::tconnect-customer-data"
    _write_inventory(out / "inventory", {
        "gaad.json": _gaad(account, "tconnect-datasvc", [
            _statement("ReadCustomers", "s3:GetObject", bucket + "/*"),
            _statement("ListCustomers", "s3:ListBucket", bucket),
        ], "2017-11-28T01:00:00+00:00"),
        "list-access-keys.json": _access_keys("tconnect-datasvc", aws.value, "2017-11-28T01:05:00+00:00", "Inactive"),
        "resources.yaml": f"""# What the data server key could reach (analyst's notes).
resources:
  - id: {bucket}
    type: s3-bucket
    data_class: restricted   # e-mail addresses and customer management numbers
    provider: aws
""",
    })
    return {
        "repository": repo_id, "head": head, "commits": r.log, "incident": incident, "as_of": "2022-10-31T00:00:00Z",
        "secrets": [_secret(aws, found_by=["detect-secrets", "gitleaks", "trufflehog"], verified=False,
                            where="src/config/datasource.yml, still at HEAD")],
        "windows": [_window(aws.id, _ref(aws), "2017-12-01T00:00:00Z", "2022-09-15T00:00:00Z", "2022-09-17T00:00:00Z",
                            [1721, 1751], [1719, 1749], [2, 2])],
        "usage": [{"id": aws.id, **_ref(aws), "uses_in_window": 2, "suspicious_uses": 2,
                   "suspicious_ips": sorted([res_ip, scan_ip]), "owner_ips": [],
                   "note": "logs only reach back to 2022-06-01; the 2022-09-18 call came after the key was changed"}],
        "blast": {
            "roots": [aws.id],
            "nodes": {aws.id: _ref(aws)},
            "reach": [{"root": aws.id, "acting": aws.id, "hops": 0, "resource": bucket, "permission": p}
                      for p in ("s3:GetObject", "s3:ListBucket")],
            "pivots": [],
        },
        "quiz": [
            {"id": "q1", "question": "The exposure start is known only to the month. What range of window days follows?",
             "answer": [1721, 1751], "hint": "1 Dec and 31 Dec 2017 to 17 Sep 2022, exclusive count."},
            {"id": "q2", "question": "Did making the repository private end the exposure?", "answer": False,
             "hint": "Compare when the repository went private with what ends the window in exposure_windows."},
            {"id": "q3", "question": "How many uses of the leaked key fall inside the window?", "answer": 2,
             "hint": "The logs start in June 2022: no uses before that does not mean none happened."},
            {"id": "q4", "question": "What data class does the key reach?", "answer": "restricted",
             "hint": "blast_radius(..., by='credential')."},
        ],
    }


# --------------------------------------------------------------------------- travis


def _travis(out: Path, seed: int) -> dict:
    rnd = _rng("travis", seed)
    pypi = Planted("pypi-token", "pypi-token", "pypi-AgEIcHlwaS5vcmc" + "LEAKLABFAKE" + _pick(rnd, 60, _ALNUM + "-_"))
    gh = Planted("github-token", "github-token", "ghp_LEAKLABFAKE" + _pick(rnd, 25))
    npm = Planted("npm-token", "npm-token", "npm_LEAKLABFAKE" + _pick(rnd, 25))
    aws = Planted("aws-key-id", "aws-access-key", "AKIA" + "LEAKLABFAKE" + _pick(rnd, 5, _UPPER))
    aws_secret = "FAKE" + _pick(rnd, 36, _ALNUM + "/+")
    hook = Planted("slack-webhook", "slack-webhook", "https://hooks.slack.com/services/T0LEAKLAB/B0FAKE"
                   f"{_pick(rnd, 3, _UPPER)}/{_pick(rnd, 24)}")

    org = "leaklab-oss"
    url, repo_id = f"https://github.com/{org}/fastparse", f"github.com/{org}/fastparse"
    people = {"mara": ("Mara Lindgren", "mara@fastparse.example"), "tom": ("Tom Achebe", "tom@fastparse.example")}
    r = _Repo(out / "demo-repo", url, people)
    travis_yml = _text(["language: python", "python: ['3.7']", "script: pytest", "deploy:",
                        "  provider: script", "  script: bash -x ci/publish.sh", "  on: {tags: true}"])
    publish = _text(["#!/bin/bash", "# -x prints every command, secrets included: that is the leak",
                     "twine upload -u __token__ -p \"$PYPI_TOKEN\" dist/*",
                     "curl -H \"Authorization: token $GITHUB_TOKEN\" https://api.github.com/repos/leaklab-oss/fastparse/releases",
                     "echo \"//registry.npmjs.org/:_authToken=$NPM_TOKEN\" > ~/.npmrc && npm publish",
                     "AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID aws s3 cp dist/ s3://fastparse-releases/ --recursive",
                     "curl -X POST -d '{\"text\": \"released\"}' \"$SLACK_WEBHOOK\""])
    r.commit("mara", "2018-10-01T20:00:00+02:00", "Initial commit",
             {"README.md": _text(["# fastparse", "", "A fast parser (leaklab scenario; every key here is fake)."]),
              "fastparse/__init__.py": _text(["__version__ = '0.1.0'"])})
    r.commit("mara", "2018-10-15T21:10:00+02:00", "Build and publish on Travis CI",
             {".travis.yml": travis_yml, "ci/publish.sh": publish})
    r.commit("tom", "2020-06-30T09:00:00+02:00", "Publish the JS bindings to npm too",
             {"fastparse/__init__.py": _text(["__version__ = '2.0.0'"])})
    head = r.finish()

    # The public job logs (what the Travis API served), each printing one token under `bash -x`.
    jobs = [  # (job, build, when, secret, printed line)
        ("213.1", "213", "2018-11-05T14:20:11Z", pypi, f"+ twine upload -u __token__ -p {pypi.value} dist/fastparse-0.3.0.tar.gz"),
        ("388.2", "388", "2019-03-14T10:02:31Z", gh, f"+ curl -H 'Authorization: token {gh.value}' https://api.github.com/repos/leaklab-oss/fastparse/releases"),
        ("702.1", "702", "2020-07-02T18:45:09Z", npm, f"+ echo //registry.npmjs.org/:_authToken={npm.value}"),
        ("951.3", "951", "2021-01-19T07:31:44Z", aws, f"+ AWS_ACCESS_KEY_ID={aws.value} aws s3 cp dist/ s3://fastparse-releases/ --recursive"),
        ("1104.1", "1104", "2021-09-30T12:00:05Z", hook, f"+ curl -X POST -d '{{\"text\": \"released\"}}' {hook.value}"),
    ]
    logs_dir = out / "build-logs"
    if logs_dir.exists():
        shutil.rmtree(logs_dir)
    logs_dir.mkdir(parents=True)
    hits, th = [], []
    for job, build_no, when, p, printed in jobs:
        text = _text(["travis_fold:start:worker_info", "Worker information", "travis_fold:end:worker_info",
                      f"$ git clone --depth=50 {url}.git {org}/fastparse", "Setting environment variables from repository settings",
                      "$ export SECRET_VALUES=[secure]", f"$ bash -x ci/publish.sh   # job {job}, finished {when}",
                      printed, "Done. Your build exited with 0."])
        path = f"build-logs/{job}.log"
        (out / path).write_text(text, encoding="utf-8")
        hits.append((p, path, text))
        meta = {"username": org, "repository": "fastparse", "build_number": build_no, "job_number": job,
                "link": f"https://app.travis-ci.com/github/{org}/fastparse/jobs/{job.replace('.', '0')}", "public": True}
        live = p.id in ("github-token", "npm-token", "aws-key-id")  # TruffleHog verified these on 2022-06-10
        th.append(_trufflehog_row(p, {"TravisCI": meta}, (3, 32, "trufflehog - travisci"), live,
                                  raw_v2=f"{aws.value}:{aws_secret}" if p is aws else None))

    reports = out / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    _dump(reports / "gitleaks.json", _gitleaks_dir(hits))
    _dump(reports / "trufflehog.jsonl", th, lines=True)

    account, region, user = "555566667777", "us-east-1", "fastparse-release-upload"
    lr = _rng("travis", seed, "logs")
    ci_ip = "198.51.100.120"
    ci_ua = "aws-cli/1.18.69 Python/3.7.1 Linux/4.15.0-1077-gcp botocore/1.16.19"
    bad_ua = "Boto3/1.21.10 Python/3.9.10 Linux/5.16.0-kali7-amd64 Botocore/1.24.10"
    att, res_ip = "203.0.113.88", "192.0.2.200"
    ct = lambda *a, **k: _ct(lr, account, user, *a, region=region, **k)  # noqa: E731
    months = [(2020, 12), (2021, 1)] + [(y, m) for y in (2021, 2022) for m in range(1, 13)
                                        if (2021, 2) <= (y, m) <= (2022, 6)]
    ev = [ct(f"{y}-{m:02d}-05T12:00:00Z", "s3.amazonaws.com", "PutObject", aws.value, ci_ip, ci_ua, read_only=False,
             request={"bucketName": "fastparse-releases", "key": f"fastparse-{y}.{m}.tar.gz"}) for y, m in months]
    ev += [ct("2022-03-03T02:10:00Z", "s3.amazonaws.com", "ListBuckets", aws.value, att, bad_ua),
           ct("2022-05-21T16:45:12Z", "s3.amazonaws.com", "GetObject", aws.value, att, bad_ua,
              request={"bucketName": "fastparse-releases", "key": "fastparse-2022.5.tar.gz"}),
           ct("2022-06-10T09:00:00Z", "sts.amazonaws.com", "GetCallerIdentity", aws.value, res_ip, bad_ua)]
    _write_cloudtrail(out / "logs" / "cloudtrail", ev, account, region)

    fp = {p.id: fingerprint.sha256(p.value) for p in (pypi, gh, npm, hook)}
    incident = "travis-logs-2022"
    (out / "timeline.csv").write_text(_timeline([
        ("2018-11-05T14:20:11Z", "exposed", fp["pypi-token"], "travis job 213.1", "Token printed in a public build log"),
        ("2019-01-09", "detected", fp["pypi-token"], "maintainer", "A maintainer notices the token in the log"),
        ("2019-01-10", "revoked", fp["pypi-token"], "pypi", "Token removed on PyPI"),
        ("2019-03-14T10:02:31Z", "exposed", fp["github-token"], "travis job 388.2", "Token printed in a public build log"),
        ("2020-07-02T18:45:09Z", "exposed", fp["npm-token"], "travis job 702.1", "Token printed in a public build log"),
        ("2021-01-19T07:31:44Z", "exposed", aws.value, "travis job 951.3", "Key printed in a public build log"),
        ("2021-09-30T12:00:05Z", "exposed", fp["slack-webhook"], "travis job 1104.1", "Webhook printed in a public build log"),
        ("2022-06-13", "reported", fp["github-token"], "aqua nautilus", "Tokens in public Travis CI logs"),
        ("2022-06-13", "reported", fp["npm-token"], "aqua nautilus", "Tokens in public Travis CI logs"),
        ("2022-06-13", "reported", aws.value, "aqua nautilus", "Tokens in public Travis CI logs"),
        ("2022-06-13", "reported", fp["slack-webhook"], "aqua nautilus", "Tokens in public Travis CI logs"),
        ("2022-06-13T16:00:00Z", "rotated", aws.value, "iam", "Upload key replaced"),
        ("2022-06-14T09:00:00Z", "revoked", fp["github-token"], "github", "Token revoked by its owner"),
        ("2022-06-15T12:00:00Z", "rotated", fp["npm-token"], "npm", "Token replaced"),
    ], incident), encoding="utf-8")

    bucket = "arn:aws:s3:::fastparse-releases"
    gh_org = f"github.com/{org}"
    docs = f"{gh_org}/fastparse-docs"
    _write_inventory(out / "inventory", {
        "gaad.json": _gaad(account, user, [_statement("Releases", ["s3:PutObject", "s3:GetObject"], bucket + "/*")],
                           "2020-12-01T10:00:00+00:00"),
        "list-access-keys.json": _access_keys(user, aws.value, "2020-12-01T10:05:00+00:00", "Inactive"),
        "resources.yaml": f"""# The project's resources (analyst's notes).
resources:
  - id: {bucket}
    type: s3-bucket
    data_class: public
    provider: aws
  - id: {gh_org}
    type: organization
    data_class: public
    provider: github
    contains: [{repo_id}, {docs}]
""",
        "github-tokens.yaml": f"""# The maintainer's release token, as its X-OAuth-Scopes header showed it.
github_tokens:
  - credential: {fp["github-token"]}
    owner: mara-maintainer
    org: {org}
    scopes: "public_repo"
""",
    })
    reach = [(aws.id, aws.id, 0, bucket, p) for p in ("s3:PutObject", "s3:GetObject")]
    reach += [(gh.id, gh.id, 0, res, "public_repo") for res in (gh_org, repo_id, docs)]
    return {
        "repository": repo_id, "head": head, "commits": r.log, "incident": incident, "as_of": "2022-07-01T00:00:00Z",
        "build_logs": [{"job": j, "file": f"build-logs/{j}.log", "time": t, "secret": p.id} for j, _, t, p, _ in jobs],
        "secrets": [
            _secret(pypi, found_by=["gitleaks", "trufflehog"], verified=False, where="build-logs/213.1.log"),
            _secret(gh, found_by=["gitleaks", "trufflehog"], verified=True, where="build-logs/388.2.log"),
            _secret(npm, found_by=["gitleaks", "trufflehog"], verified=True, where="build-logs/702.1.log"),
            _secret(aws, found_by=["gitleaks", "trufflehog"], verified=True, where="build-logs/951.3.log"),
            _secret(hook, found_by=["gitleaks", "trufflehog"], verified=False, where="build-logs/1104.1.log"),
        ],
        "windows": [
            _window(pypi.id, _ref(pypi), "2018-11-05T14:20:11Z", "2019-01-09T00:00:00Z", "2019-01-10T00:00:00Z",
                    [66, 66], [65, 65], [1, 1]),
            _window(gh.id, _ref(gh), "2019-03-14T10:02:31Z", "2022-06-13T00:00:00Z", "2022-06-14T09:00:00Z",
                    [1188, 1188], [1187, 1187], [1, 1]),
            _window(npm.id, _ref(npm), "2020-07-02T18:45:09Z", "2022-06-13T00:00:00Z", "2022-06-15T12:00:00Z",
                    [713, 713], [711, 711], [2, 2]),
            _window(aws.id, _ref(aws), "2021-01-19T07:31:44Z", "2022-06-13T00:00:00Z", "2022-06-13T16:00:00Z",
                    [510, 510], [510, 510], [0, 0]),
            _window(hook.id, _ref(hook), "2021-09-30T12:00:05Z", "2022-06-13T00:00:00Z", None,
                    [274, 274], [256, 256], None, open_=True),
        ],
        "usage": [{"id": aws.id, **_ref(aws), "uses_in_window": 20, "suspicious_uses": 3,
                   "suspicious_ips": sorted([att, res_ip]), "owner_ips": [ci_ip],
                   "note": "17 monthly uploads by the CI inside the window come from the IP it used before"}],
        "blast": {
            "roots": [aws.id, gh.id],
            "nodes": {aws.id: _ref(aws), gh.id: _ref(gh)},
            "reach": [{"root": a, "acting": b, "hops": h, "resource": res, "permission": p} for a, b, h, res, p in reach],
            "pivots": [],
        },
        "quiz": [
            {"id": "q1", "question": "How many distinct tokens were printed in the public build logs?", "answer": 5,
             "hint": "dedupe the gitleaks and TruffleHog findings; source_kind ci-log marks the TruffleHog ones."},
            {"id": "q2", "question": "Which token was exposed longest before it was contained?", "answer": gh.id,
             "hint": "exposure_windows: the largest window_days among contained windows."},
            {"id": "q3", "question": "Which window is still open on the as_of date, and why?", "answer": hook.id,
             "hint": "Look for the window with no revoke, rotate or expire event; think about how a webhook URL dies."},
            {"id": "q4", "question": "How many suspicious uses did the AWS key have inside its window?", "answer": 3,
             "hint": "usage_in_windows: the CI uploads come from an IP seen before the leak."},
        ],
    }


# --------------------------------------------------------------------------- entry points

_BUILDERS = {"circleci": _circleci, "slack": _slack, "toyota": _toyota, "travis": _travis}


def build(name: str, out: str | os.PathLike, seed: int = SEED) -> dict:
    """Write scenario ``name`` under ``out`` and return its answer key (also ``answers.json``).

    The same seed gives byte-identical files, commit ids included.
    """
    if name not in _BUILDERS:
        raise ValueError(f"unknown scenario {name!r}; choose one of {', '.join(sorted(_BUILDERS))}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("reports", "logs", "inventory"):  # a rebuild never keeps files of an older build
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    story = _BUILDERS[name](out, seed)
    answers = {"scenario": name, "seed": seed, "description": SCENARIOS[name],
               "day_rule": "whole calendar days, end minus start, exclusive (UTC); [min, max] for coarse dates"}
    answers.update(story)
    _dump(out / "answers.json", answers, indent=2)
    return answers


def build_all(out: str | os.PathLike, seed: int = SEED) -> dict:
    """Every scenario under ``out/<name>/``; returns name -> answer key."""
    return {name: build(name, Path(out) / name, seed) for name in SCENARIOS}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3) or (args[0] not in SCENARIOS and args[0] != "all"):
        print(f"usage: python -m leaklab.scenarios {{{','.join(SCENARIOS)},all}} OUT [SEED]", file=sys.stderr)
        return 2
    seed = int(args[2]) if len(args) == 3 else SEED
    if args[0] == "all":  # OUT/<name>/ for each
        built = build_all(args[1], seed)
        print(f"{len(built)} workshop scenarios written to {args[1]}: {', '.join(built)}")
        return 0
    answers = build(args[0], args[1], seed)
    print(f"{args[0]}: {len(answers['secrets'])} leaked credentials written to {args[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
