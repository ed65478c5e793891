"""Rules and matcher of the built-in scanner (leaklab.scan.rules).

Every secret here is built at run time from a fixed-seed generator plus an obvious marker
(LEAKLAB, FAKE); none was ever live, and no literal in this file looks like a live key.
"""

from __future__ import annotations

import base64
import json
import random
import string
import zlib
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leaklab.errors import LeakLabError
from leaklab.scan.rules import (
    DEFAULT_RULES,
    Hit,
    RuleSet,
    base62,
    entropy,
    github_checksum_ok,
)
from leaklab.taxonomy import VOCABULARY

RS = RuleSet.load()

_R = random.Random(20240607)
UP, LO, DIG = string.ascii_uppercase, string.ascii_lowercase, string.digits
ALNUM = UP + LO + DIG
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "_-"


def r(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_R.choice(alphabet) for _ in range(n))


def uuid4ish() -> str:
    return f"{r(8, HEX)}-{r(4, HEX)}-4{r(3, HEX)}-a{r(3, HEX)}-{r(12, HEX)}"


def gh_token(prefix: str) -> str:
    body = "LEAKLABFAKE" + r(19)
    return f"{prefix}_{body}{base62(zlib.crc32(body.encode()))}"


def flip_last(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def b64url(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def pem_body(lines: int = 6) -> str:
    return "\n".join(base64.b64encode(("LEAKLAB-FAKE-KEY-" + r(31)).encode()).decode() for _ in range(lines))


def pem(kind: str = "RSA ", headers: str = "") -> str:
    return f"-----BEGIN {kind}PRIVATE KEY-----\n{headers}{pem_body()}\n-----END {kind}PRIVATE KEY-----"


def putty(version: int = 2) -> str:
    pub = "\n".join(r(64, B64) for _ in range(3))
    priv = "\n".join(r(64, B64) for _ in range(4))
    kdf = "Key-Derivation: Argon2id\nArgon2-Memory: 8192\n" if version == 3 else ""
    return (
        f"PuTTY-User-Key-File-{version}: ssh-rsa\nEncryption: none\n{kdf}Comment: rsa-key-leaklabfake\n"
        f"Public-Lines: 3\n{pub}\nPrivate-Lines: 4\n{priv}\nPrivate-MAC: {r(40, HEX)}"
    )


GHP, GHO, GHU, GHS = (gh_token(p) for p in ("ghp", "gho", "ghu", "ghs"))
PEM_RSA = pem()
SA_KEY = pem("").replace("\n", "\\n") + "\\n"
SERVICE_ACCOUNT = json.dumps(
    {"type": "service_account", "project_id": "leaklab-fake", "private_key_id": r(40, HEX)}, indent=2
)[:-2] + f',\n  "private_key": "{SA_KEY}",\n  "client_email": "fake@leaklab-fake.iam.gserviceaccount.com"\n}}'
JWT = ".".join([b64url({"alg": "HS256", "typ": "JWT"}), b64url({"sub": "leaklab-fake", "iat": 1700000000}), r(43, URLSAFE)])
TW_SID, TW_TOKEN = "AC" + r(32, HEX), r(32, HEX)
AZ_KEY = r(86, B64) + "=="
SAS_SIG = r(40) + "%2B" + r(3) + "%3D"
SAS_URL = f"https://leaklabfake.blob.core.windows.net/c/b.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&spr=https&sig={SAS_SIG}"
DB_PW = "LeakLab" + r(9)
WEBHOOK = f"https://hooks.slack.com/services/T{r(8, UP + DIG)}/B{r(8, UP + DIG)}/{r(24)}"

# rule id -> (text, secret, status): one positive sample per rule, at least
POSITIVE = [
    ("aws-access-key-id", "aws_access_key_id = {s}\n", "AKIA" + "LEAKLABFAKE" + r(5, UP + "234567"), None),
    ("aws-access-key-id", "id: {s}", "ASIA" + "LEAKLABFAKE" + r(5, UP + "234567"), None),
    ("aws-secret-access-key", 'AWS_SECRET_ACCESS_KEY="{s}"', "LEAKLABFAKE" + r(29, B64), None),
    ("aws-secret-access-key", "aws_secret_access_key: {s}\n", "LEAKLABFAKE" + r(29, B64), None),
    ("github-pat", 'TOKEN = "{s}"', GHP, "checksum-valid"),
    ("github-pat", "token {s}", flip_last(GHP), "checksum-invalid"),
    ("github-oauth-token", "{s}", GHO, "checksum-valid"),
    ("github-user-to-server-token", "{s}", GHU, "checksum-valid"),
    ("github-app-token", "x-access-token:{s}", GHS, "checksum-valid"),
    ("github-refresh-token", "{s}", "ghr_" + "LEAKLABFAKE" + r(65), None),
    ("github-fine-grained-pat", "{s}", "github_pat_11" + "LEAKLABFAKE" + r(9) + "_" + r(59), None),
    ("gitlab-pat", "PRIVATE-TOKEN: {s}", "glpat-" + "LEAKLABFAKE" + r(9, URLSAFE), None),
    ("gitlab-deploy-token", "{s}", "gldt-" + "LEAKLABFAKE" + r(9, URLSAFE), None),
    ("gitlab-runner-token", "token = '{s}'", "glrt-" + "LEAKLABFAKE" + r(9, URLSAFE), None),
    ("gitlab-runner-registration-token", "{s}", "GR1348941" + "LEAKLABFAKE" + r(9, URLSAFE), None),
    ("gitlab-pipeline-trigger-token", "{s}", "glptt-" + r(40, HEX), None),
    ("gitlab-feed-token", "{s}", "glft-" + "LEAKLABFAKE" + r(9, URLSAFE), None),
    ("gitlab-oauth-app-secret", "{s}", "gloas-" + "LEAKLABFAKE" + r(53, URLSAFE), None),
    ("gitlab-cicd-job-token", "{s}", "glcbt-" + "64_" + "LEAKLABFAKE" + r(9, URLSAFE), None),
    ("slack-bot-token", "SLACK_BOT_TOKEN={s}", f"xoxb-{r(11, DIG)}-{r(13, DIG)}-LEAKLABFAKE{r(13)}", None),
    ("slack-user-token", "{s}", f"xoxp-{r(11, DIG)}-{r(11, DIG)}-{r(12, DIG)}-{r(32, HEX)}", None),
    ("slack-legacy-token", "{s}", f"xoxa-2-{r(11, DIG)}-LEAKLABFAKE{r(13)}", None),
    ("slack-config-token", "{s}", f"xoxe.xoxp-1-LEAKLABFAKE{r(150)}", None),
    ("slack-app-token", "{s}", f"xapp-1-A{r(10, UP + DIG)}-{r(13, DIG)}-{r(64, HEX)}", None),
    ("slack-webhook-url", "curl -X POST {s}", WEBHOOK, None),
    ("stripe-secret-key", 'stripe.api_key = "{s}"', "sk_live_" + "LEAKLABFAKE" + r(13), None),
    ("stripe-restricted-key", "{s}", "rk_live_" + "LEAKLABFAKE" + r(13), None),
    ("stripe-test-key", "{s}", "sk_test_" + "LEAKLABFAKE" + r(13), None),
    ("stripe-webhook-secret", "{s}", "whsec_" + "LEAKLABFAKE" + r(21), None),
    ("google-api-key", "key={s}&q=1", "AIzaSy" + "LEAKLABFAKE" + r(22, URLSAFE), None),
    ("gcp-service-account-key", SERVICE_ACCOUNT.replace("{", "{{").replace("}", "}}").replace(SA_KEY, "{s}"), SA_KEY, None),
    ("azure-storage-account-key", "DefaultEndpointsProtocol=https;AccountName=leaklabfake;AccountKey={s};EndpointSuffix=core.windows.net", AZ_KEY, None),
    ("azure-sas-token", "url = '" + SAS_URL.replace(SAS_SIG, "{s}") + "'", SAS_SIG, None),
    ("twilio-api-key", "{s}", "SK" + r(32, HEX), None),
    ("twilio-auth-token", f'TWILIO_ACCOUNT_SID = "{TW_SID}"\nTWILIO_AUTH_TOKEN = "{{s}}"', TW_TOKEN, None),
    ("twilio-auth-token", f'client = Client("{TW_SID}", "{{s}}")  # twilio', r(32, HEX), None),
    ("sendgrid-api-key", "{s}", f"SG.{r(22, URLSAFE)}.LEAKLABFAKE{r(32, URLSAFE)}", None),
    ("npm-access-token", "//registry.npmjs.org/:_authToken={s}", "npm_" + "LEAKLABFAKE" + r(25), None),
    ("npm-legacy-auth-token", "//registry.npmjs.org/:_authToken={s}", uuid4ish(), None),
    ("pypi-upload-token", "password = {s}", "pypi-AgEIcHlwaS5vcmc" + "LEAKLABFAKE" + r(60, URLSAFE), None),
    ("heroku-api-key", "HEROKU_API_KEY={s}", uuid4ish(), None),
    ("heroku-api-key-v2", "{s}", "HRKU-AA" + "LEAKLABFAKE" + r(47, URLSAFE), None),
    ("digitalocean-pat", "{s}", "dop_v1_" + r(64, HEX), None),
    ("digitalocean-oauth-token", "{s}", "doo_v1_" + r(64, HEX), None),
    ("digitalocean-refresh-token", "{s}", "dor_v1_" + r(64, HEX), None),
    ("openai-api-key", "{s}", "sk-" + "LEAKLABFAKE" + r(9) + "T3BlbkFJ" + r(20), None),
    ("openai-api-key", "{s}", "sk-proj-" + "LEAKLABFAKE" + r(63, URLSAFE) + "T3BlbkFJ" + r(74, URLSAFE), None),
    ("openai-project-key", "{s}", "sk-proj-" + "LEAKLABFAKE" + r(60, URLSAFE), None),
    ("anthropic-api-key", "{s}", "sk-ant-api03-" + "LEAKLABFAKE" + r(82, URLSAFE) + "AA", None),
    ("jwt", "Authorization: Bearer {s}\n", JWT, None),
    ("private-key", "{s}\n", PEM_RSA, None),
    ("private-key", "{s}", pem("OPENSSH "), None),
    ("private-key", "{s}", pem("EC "), None),
    ("private-key", "{s}", pem("DSA "), None),
    ("private-key", "{s}", pem(""), None),
    ("private-key", "{s}", pem("ENCRYPTED "), None),
    ("private-key", "{s}", pem("RSA ", "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0F0E0D0C0B0A09080706050403020100\n\n"), None),
    ("private-key", "{s}", f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{pem_body()}\n=AbCd\n-----END PGP PRIVATE KEY BLOCK-----", None),
    ("private-key", 'KEY = "{s}"', pem().replace("\n", "\\n"), None),
    ("putty-private-key", "{s}\n", putty(2), None),
    ("putty-private-key", "{s}", putty(3).replace("\n", "\r\n"), None),
    ("uri-with-credentials", 'DATABASE_URL = "{s}/billing"', f"postgres://billing:{DB_PW}@db.internal:5432", None),
    ("uri-with-credentials", "{s}/app?retryWrites=true", f"mongodb+srv://app:{DB_PW}@cluster0.leaklab.example", None),
    ("uri-with-credentials", "REDIS_URL={s}/0", f"redis://:{DB_PW}@cache.internal:6379", None),
    ("uri-with-credentials", "{s}", f"mysql+pymysql://root:{DB_PW}@127.0.0.1:3306", None),
    ("uri-with-credentials", "{s}/vhost", f"amqp://guest:{DB_PW}@mq.internal", None),
    ("uri-with-credentials", "{s}/pub/file", f"ftp://deploy:{DB_PW}@ftp.internal", None),
    ("uri-with-credentials", "pip install {s}/org/repo.git", f"git+https://ci:{DB_PW}@git.internal", None),
    ("password-assignment", 'DB_PASSWORD = "{s}"', DB_PW, None),
    ("password-assignment", "db:\n  password: {s}\n", DB_PW, None),
    ("password-assignment", "export MYSQL_PWD={s}\n", DB_PW, None),
    ("password-assignment", '{{"user": "app", "password": "{s}"}}', DB_PW, None),
    ("password-assignment", "Server=db;User Id=app;Password={s};", DB_PW, None),
    ("password-assignment", "const cfg = {{ dbPassword: '{s}' }}", DB_PW, None),
    ("password-assignment", "client_secret: '{s}'", DB_PW, None),
    ("generic-api-key", 'MAPS_API_KEY = "{s}"', "LeakLab" + r(24) + "7", None),
    ("generic-api-key", "auth_token: {s}\n", "LeakLab" + r(24, HEX) + "7", None),
]

# rule id -> texts where that rule must not fire (near misses)
NEGATIVE = [
    ("aws-access-key-id", "AKIA" + "LEAKLABFAKE" + "2345"),  # 15 characters after the prefix
    ("aws-access-key-id", "XAKIA" + "LEAKLABFAKE" + "23456"),
    ("aws-secret-access-key", 'AWS_SESSION_NAME="' + "LEAKLABFAKE" + r(29, B64) + '"'),
    ("aws-secret-access-key", 'AWS_SECRET_ACCESS_KEY="' + "LEAKLABFAKE" + r(28, B64) + '"'),
    ("github-pat", GHP[:-1]),
    ("github-pat", "x" + GHP),
    ("github-oauth-token", GHO + "Z"),
    ("github-user-to-server-token", GHU[:-2]),
    ("github-app-token", "ghs_" + r(20)),
    ("github-refresh-token", "ghr_" + r(20)),
    ("github-fine-grained-pat", "github_pat_" + r(30)),
    ("gitlab-pat", "glpat-" + r(10)),
    ("gitlab-deploy-token", "gldt-" + r(10)),
    ("gitlab-runner-token", "glrt-" + r(10)),
    ("gitlab-runner-registration-token", "GR1348941" + r(8)),
    ("gitlab-pipeline-trigger-token", "glptt-" + r(39, HEX)),
    ("gitlab-feed-token", "glft-" + r(8)),
    ("gitlab-oauth-app-secret", "gloas-" + r(40)),
    ("gitlab-cicd-job-token", "glcbt-" + r(20)),
    ("slack-bot-token", "xoxb-" + r(11, DIG)),
    ("slack-user-token", "xoxp-" + r(11, DIG)),
    ("slack-legacy-token", "xoxa-2"),
    ("slack-config-token", "xoxe.xoxp-1-" + r(40)),
    ("slack-app-token", "xapp-1-" + r(10)),
    ("slack-webhook-url", "https://hooks.slack.com/services/T123/B456/short"),
    ("stripe-secret-key", "pk_live_" + "LEAKLABFAKE" + r(13)),  # publishable, not secret
    ("stripe-restricted-key", "rk_live_" + r(5)),
    ("stripe-test-key", "pk_test_" + "LEAKLABFAKE" + r(13)),
    ("stripe-webhook-secret", "whsec_" + r(10)),
    ("google-api-key", "AIza" + r(20)),
    ("gcp-service-account-key", SERVICE_ACCOUNT.replace("service_account", "authorized_user")),
    ("azure-storage-account-key", "AccountKey=" + r(40, B64) + "=="),
    ("azure-sas-token", "https://leaklabfake.blob.core.windows.net/c?comp=list&sig=" + r(44)),
    ("twilio-api-key", "SK" + r(31, HEX)),
    ("twilio-api-key", "SK" + r(32, UP)),
    ("twilio-auth-token", f'TWILIO_ACCOUNT_SID = "{TW_SID}"\nTWILIO_AUTH_TOKEN = "{r(31, HEX)}"'),
    ("twilio-auth-token", f'AUTH_TOKEN = "{r(32, HEX)}"'),  # no account SID, no twilio name
    ("sendgrid-api-key", "SG." + r(10) + "." + r(10)),
    ("npm-access-token", "npm_" + r(20)),
    ("npm-legacy-auth-token", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}"),
    ("pypi-upload-token", "pypi-" + r(60)),
    ("heroku-api-key", "APP_ID=" + uuid4ish()),
    ("heroku-api-key-v2", "HRKU-AA" + r(20)),
    ("digitalocean-pat", "dop_v1_" + r(63, HEX)),
    ("digitalocean-oauth-token", "doo_v2_" + r(64, HEX)),
    ("digitalocean-refresh-token", "dor_v1_" + r(64, UP)),
    ("openai-api-key", "sk-" + r(48)),
    ("openai-project-key", "sk-proj-" + r(20)),
    ("anthropic-api-key", "sk-ant-api03-" + r(20)),
    ("jwt", JWT.rsplit(".", 1)[0]),  # no signature
    ("jwt", "eyJhbGciOi.eyJzdWIi.sig"),
    ("private-key", PEM_RSA.replace("PRIVATE", "PUBLIC")),
    ("private-key", PEM_RSA.split("-----END")[0]),  # no END line
    ("private-key", PEM_RSA.replace("END RSA", "END EC")),  # END does not close BEGIN
    ("private-key", "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----"),
    ("putty-private-key", putty(2).split("Private-Lines")[0]),
    ("uri-with-credentials", "postgres://billing@db.internal:5432/billing"),
    ("uri-with-credentials", "https://example.org:8080/path?q=1"),
    ("uri-with-credentials", "mailto:someone@example.org"),
    ("password-assignment", "password = get_password()"),
    ("password-assignment", 'password = os.environ["DB_PASSWORD"]'),
    ("password-assignment", 'if password == "hunter2hunter":'),
    ("password-assignment", "password = db_credentials_from_vault"),  # code: a variable, unquoted
    ("password-assignment", 'password_hash = "' + r(20) + '"'),
    ("password-assignment", 'password = "abc"'),  # too short
    ("password-assignment", 'password = "aaaaaaaaaaab"'),  # below the entropy floor, no placeholder
    ("password-assignment", 'help = "Password:", required'),
    ("generic-api-key", 'api_key = "short1"'),
    ("generic-api-key", 'api_key = "aaaaaaaaaaaaaaaaaaaa1"'),
    ("generic-api-key", "sort_key = make_sort_key(column_name_1)"),
    ("generic-api-key", 'token_path = "arrow-datasets/nyc-taxi/year=2019/month=6"'),
]


def hits_of(text: str, rule_id: str, rs: RuleSet = RS) -> list[Hit]:
    return [h for h in rs.find(text) if h.rule_id == rule_id]


def check_offsets(text: str, hits: list[Hit]) -> None:
    for h in hits:
        assert text[h.start : h.end] == h.secret
        assert h.line == text.count("\n", 0, h.start) + 1
        assert h.column == h.start - text.rfind("\n", 0, h.start)


# --------------------------------------------------------------------------- the rule file


def test_every_rule_has_positive_and_negative_samples():
    assert {p[0] for p in POSITIVE} == set(RS.ids)
    assert {n[0] for n in NEGATIVE} == set(RS.ids)


def test_rules_are_well_formed():
    assert len(RS) >= 40
    assert len(set(RS.ids)) == len(RS.ids)
    for rule in RS.rules:
        assert rule.type in VOCABULARY
        assert rule.keywords and all(k == k.lower() for k in rule.keywords)
        assert rule.description


# --------------------------------------------------------------------------- per rule


@pytest.mark.parametrize("rule_id, template, secret, status", POSITIVE, ids=[f"{p[0]}-{i}" for i, p in enumerate(POSITIVE)])
def test_positive(rule_id, template, secret, status):
    text = "# leaklab test fixture\n" + template.format(s=secret) + "\nnext line\n"
    hits = RS.find(text)
    check_offsets(text, hits)
    mine = [h for h in hits if h.rule_id == rule_id]
    assert [h.secret for h in mine] == [secret], [(h.rule_id, h.status) for h in hits]
    h = mine[0]
    assert h.status == status
    assert h.type == RS[rule_id].type
    # No other rule reports the same text (specificity keeps one), except a URL around a token.
    assert not [g for g in hits if g is not h and g.start < h.end and h.start < g.end and g.type != "connection-string"]


@pytest.mark.parametrize("rule_id, text", NEGATIVE, ids=[f"{n[0]}-{i}" for i, n in enumerate(NEGATIVE)])
def test_near_miss(rule_id, text):
    hits = RS.find(text)
    check_offsets(text, hits)
    assert not [h for h in hits if h.rule_id == rule_id]


def test_line_and_column_of_multiline_secrets():
    text = "first\n\n  key = '''\n" + PEM_RSA + "\n'''\n" + putty(2) + "\n"
    hits = RS.find(text)
    check_offsets(text, hits)
    (p,) = [h for h in hits if h.rule_id == "private-key"]
    (q,) = [h for h in hits if h.rule_id == "putty-private-key"]
    assert (p.line, p.column) == (4, 1) and p.secret == PEM_RSA
    assert q.line == 4 + PEM_RSA.count("\n") + 2 and q.column == 1
    # Non-ASCII text before a hit: columns count characters, not bytes.
    text = "é💥 ключ: " + GHP
    (h,) = RS.find(text)
    assert (h.line, h.column) == (1, 10) and text[h.start : h.end] == GHP


def test_many_hits_use_the_same_offsets():
    lines = [f"k{i} = {gh_token('ghp')}" for i in range(30)]
    text = "\n".join(lines)
    hits = RS.find(text)
    assert len(hits) == 30
    check_offsets(text, hits)
    assert [h.line for h in hits] == list(range(1, 31)) and {h.column for h in hits} == {len("k0 = ") + 1} | {len("k10 = ") + 1}


def test_empty_and_hitless_text():
    assert RS.find("") == []
    assert RS.find("nothing to see\n" * 100) == []


def test_hit_repr_hides_the_secret():
    (h,) = RS.find("x " + GHP)
    assert GHP not in repr(h) and h.redacted.startswith("ghp_")


# --------------------------------------------------------------------------- allowlist


@pytest.mark.parametrize(
    "text, rule_id, status",
    [
        ("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "aws-access-key-id", "example"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws-secret-access-key", "example"),
        ("key AKIAI44QH8DHBEXAMPLE", "aws-access-key-id", "example"),
        ("stripe.api_key = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'", "stripe-test-key", "example"),
        ("token: xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy", "slack-bot-token", "example"),
        ("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", "slack-webhook-url", "example"),
        ("Authorization: token ghp_16C7e42F292c6912E7710c838347Ae178B4a", "github-pat", "example"),
        ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ." + "LEAKLABFAKE" + "x" * 3 + "sig", "jwt", "example"),
        ("DB_PASSWORD=changeme", "password-assignment", "placeholder"),
        ("password: CHANGEME\n", "password-assignment", "placeholder"),
        ('password = "your_password_here"', "password-assignment", "placeholder"),
        ('password = "<password>"', "password-assignment", "placeholder"),
        ('password = "${DB_PASSWORD}"', "password-assignment", "placeholder"),
        ("password: '{{ vault_db_password }}'", "password-assignment", "placeholder"),
        ('"password": "REPLACE_ME"', "password-assignment", "placeholder"),
        ('password = "xxxxxxxx"', "password-assignment", "placeholder"),
        ('password = "********"', "password-assignment", "placeholder"),
        ('password = "%(db_password)s"', "password-assignment", "placeholder"),
        ('secret = "dummy-secret-1"', "password-assignment", "placeholder"),
        ("postgres://user:password@localhost:5432/db", "uri-with-credentials", "placeholder"),
        ("redis://:${REDIS_PASSWORD}@cache:6379", "uri-with-credentials", "placeholder"),
        ("AKIA" + "FAKE" * 4, "aws-access-key-id", "placeholder"),
        ("ghp_" + "x" * 36, "github-pat", "placeholder"),
        ("sk_live_" + "X" * 24, "stripe-secret-key", "placeholder"),
        ("api_key = 'sk-proj-...'", "openai-project-key", None),  # too short to match at all
    ],
)
def test_allowlist(text, rule_id, status):
    hits = hits_of(text, rule_id)
    if status is None:
        assert hits == []
    else:
        assert [h.status for h in hits] == [status]


def test_low_entropy_is_dropped_but_placeholders_are_kept():
    # "changeme" is below no floor, "aaaaaaaa" is below the password rule's floor and no placeholder
    assert hits_of('password = "aaaaaaab"', "password-assignment") == []
    assert [h.status for h in hits_of('password = "changeme"', "password-assignment")] == ["placeholder"]


# --------------------------------------------------------------------------- checksum


def test_github_checksum():
    assert github_checksum_ok(GHP) and github_checksum_ok(GHS)
    assert not github_checksum_ok(flip_last(GHP))
    assert not github_checksum_ok("ghp_" + GHP[4:-1] + "/")
    assert not github_checksum_ok("ghp" + GHP[4:])  # no separator
    assert not github_checksum_ok("ghp_abc")
    # The CRC covers the 30 characters after the prefix, not the prefix.
    body = GHP[4:-6]
    assert GHP[-6:] == base62(zlib.crc32(body.encode()))
    assert not github_checksum_ok("ghp_" + body + base62(zlib.crc32(("ghp_" + body).encode())))


def test_base62_and_entropy():
    assert base62(0) == "000000" and base62(61) == "00000z" and base62(62) == "000010"
    assert base62(2**32 - 1) == "4gfFC3"
    assert entropy("") == 0.0 and entropy("aaaa") == 0.0 and entropy("ab") == 1.0
    assert abs(entropy(HEX) - 4.0) < 1e-9


# --------------------------------------------------------------------------- specificity


def test_provider_beats_generic_and_password():
    for text in (f'GITHUB_TOKEN = "{GHP}"', f"password: {GHP}\n", f"api_key={GHP}\n"):
        assert [h.rule_id for h in RS.find(text)] == ["github-pat"]


def test_service_account_beats_pem():
    ids = [h.rule_id for h in RS.find(SERVICE_ACCOUNT)]
    assert "gcp-service-account-key" in ids and "private-key" not in ids


def test_jwt_beats_generic():
    assert [h.rule_id for h in RS.find(f'access_token = "{JWT}"')] == ["jwt"]


def test_url_around_a_token_keeps_both():
    text = f"git clone https://x-access-token:{GHS}@github.com/org/repo.git"
    hits = RS.find(text)
    assert [h.rule_id for h in hits] == ["uri-with-credentials", "github-app-token"]
    assert hits[0].secret == f"https://x-access-token:{GHS}@github.com"


def test_same_tier_same_span_keeps_the_earlier_rule():
    key = "sk-proj-" + "LEAKLABFAKE" + r(40) + "T3BlbkFJ" + r(40)
    assert [h.rule_id for h in RS.find(key)] == ["openai-api-key"]


# --------------------------------------------------------------------------- loading


def write(tmp_path, text: str, name: str = "extra.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_override_by_id_changes_only_given_keys(tmp_path):
    text = f'MAPS_API_KEY = "LeakLab{r(24)}7"'
    assert hits_of(text, "generic-api-key")
    p = write(tmp_path, '[[rule]]\nid = "generic-api-key"\nentropy = 6.5\n')
    rs = RuleSet.load(p)
    assert rs.ids == RS.ids
    assert rs["generic-api-key"].entropy == 6.5 and rs["generic-api-key"].regex.pattern == RS["generic-api-key"].regex.pattern
    assert hits_of(text, "generic-api-key", rs) == []


def test_disable_and_add_rules(tmp_path):
    p = write(
        tmp_path,
        "[[rule]]\nid = \"twilio-api-key\"\nenabled = false\n\n"
        "[[rule]]\nid = \"leaklab-internal-token\"\ntype = \"other\"\ndescription = \"Acme internal token\"\n"
        "regex = '''\\b(llk_[a-z0-9]{20})\\b'''\nsecret_group = 1\nkeywords = [\"LLK_\"]\n",
    )
    rs = RuleSet.load(p)
    assert "twilio-api-key" not in rs.ids and rs.ids[-1] == "leaklab-internal-token"
    tok = "llk_" + r(20, LO + DIG)
    assert [(h.rule_id, h.secret, h.type) for h in rs.find(f"t = {tok}")] == [("leaklab-internal-token", tok, "other")]
    assert rs["leaklab-internal-token"].keywords == ("llk_",)


def test_extend_allowlist(tmp_path):
    tok = "sk_live_" + "LEAKLABFAKE" + r(13)
    p = write(tmp_path, f'[allowlist]\nexamples = ["{tok}"]\nplaceholder_patterns = ["^LeakLabDemo"]\n')
    rs = RuleSet.load(p)
    assert [h.status for h in rs.find(tok)] == ["example"]
    assert [h.status for h in rs.find('password = "LeakLabDemo-1x"')] == ["placeholder"]
    assert [h.status for h in RS.find(tok)] == [None]
    # the bundled allowlist is still there
    assert [h.status for h in rs.find("AKIAIOSFODNN7EXAMPLE")] == ["example"]


def test_defaults_false(tmp_path):
    p = write(tmp_path, "[[rule]]\nid = \"only\"\ntype = \"other\"\nregex = 'only_[0-9]{4}'\nkeywords = [\"only_\"]\n")
    rs = RuleSet.load(p, defaults=False)
    assert rs.ids == ["only"]
    assert [h.secret for h in rs.find("x only_1234 AKIAIOSFODNN7EXAMPLE")] == ["only_1234"]


@pytest.mark.parametrize(
    "body, fragments",
    [
        ("[[rule]]\nid = \"broken\"\ntype = \"other\"\nregex = '(unclosed'\n", ["rule 'broken'", "bad regex"]),
        ("[[rule]]\nid = \"broken\"\ntype = \"other\"\n", ["rule 'broken'", "missing key 'regex'"]),
        ("[[rule]]\ntype = \"other\"\nregex = 'x'\n", ["rule #1", "missing key 'id'"]),
        ("[[rule]]\nid = \"broken\"\ntype = \"other\"\nregex = 'x'\ncheck = \"luhn\"\n", ["rule 'broken'", "unknown check 'luhn'"]),
        ("[[rule]]\nid = \"broken\"\ntype = \"secret-thing\"\nregex = 'x'\n", ["rule 'broken'", "unknown type"]),
        ("[[rule]]\nid = \"broken\"\ntype = \"other\"\nregex = 'x(y)'\nsecret_group = 2\n", ["rule 'broken'", "secret_group 2"]),
        ("[[rule]]\nid = \"broken\"\ntype = \"other\"\nregex = 'x'\nsecret_group = \"value\"\n", ["rule 'broken'", "not a named group"]),
        ("[[rule]]\nid = \"broken\"\ntype = \"other\"\nregex = 'x'\nkeyword = [\"x\"]\n", ["rule 'broken'", "unknown key(s): keyword"]),
        ("[[rule]]\nid = \"Bad_Id\"\ntype = \"other\"\nregex = 'x'\n", ["rule 'Bad_Id'", "lower-kebab"]),
        ("[[rule]]\nid = \"broken\"\ntype = \"other\"\nregex = 'x'\nentropy = \"high\"\n", ["rule 'broken'", "entropy"]),
        ("[[rule]]\nid = \"broken\"\ntype = \"other\"\nregex = 'x'\nscope = \"line\"\n", ["rule 'broken'", "needs keywords"]),
        ("[[rule]]\nid = \"github-pat\"\nregex = '(unclosed'\n", ["rule 'github-pat'", "bad regex"]),  # an override
        ("[[rule]]\nid = \"github-pat\"\ncheck = \"nope\"\n", ["rule 'github-pat'", "unknown check"]),
        ("[[rule]]\nid = \"a\"\ntype = \"other\"\nregex = 'x'\n[[rule]]\nid = \"a\"\ntype = \"other\"\nregex = 'y'\n", ["rule 'a'", "duplicate id"]),
        ("[allowlist]\nplaceholder_patterns = ['(bad']\n", ["allowlist.placeholder_patterns[0]", "bad pattern"]),
        ("[allowlist]\nexample = ['x']\n", ["allowlist", "unknown key"]),
        ("[rules]\nid = 1\n", ["unknown top-level key"]),
        ("[[rule]\nid = 'x'\n", ["not valid TOML"]),
    ],
)
def test_bad_files_name_the_file_and_the_rule(tmp_path, body, fragments):
    p = write(tmp_path, body, "analyst-rules.toml")
    with pytest.raises(LeakLabError) as e:
        RuleSet.load(p)
    msg = str(e.value)
    assert "analyst-rules.toml" in msg
    for f in fragments:
        assert f in msg, msg


def test_missing_file(tmp_path):
    with pytest.raises(LeakLabError, match="cannot read"):
        RuleSet.load(tmp_path / "nope.toml")


def test_bundled_file_is_plain_toml():
    import tomllib

    doc = tomllib.loads(DEFAULT_RULES.read_text(encoding="utf-8"))
    assert len(doc["rule"]) == len(RS) and set(doc["allowlist"]) >= {"examples", "placeholder_patterns"}


# --------------------------------------------------------------------------- properties

FRAGMENTS = [
    "\n", "\r\n", " ", '"', "'", "=", ": ", "password", "PASSWORD=", "api_key = ", "token: ", "://", "@", ":",
    "postgres://u:", "AKIA", "ghp_", "sk_live_", "xoxb-", "eyJ", ".", "-----BEGIN RSA PRIVATE KEY-----",
    "-----END RSA PRIVATE KEY-----", "PuTTY-User-Key-File-2: ", "Private-Lines: 1\n", "Private-MAC: ",
    "İ", "é", "💥", "\x00", "${X}", "changeme", "sig=", "sv=2020-01-01&", '"type": "service_account"',
] + [s for _, _, s, _ in POSITIVE[:40:3]] + [t.format(s=s) for _, t, s, _ in POSITIVE[40::4]]

texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=40).map("".join),
)
RS_TEXT_SCOPE = RuleSet([replace(rule, scope="text") for rule in RS.rules], RS.allowlist)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_find_never_raises_and_offsets_agree(text):
    hits = RS.find(text)
    check_offsets(text, hits)
    assert hits == sorted(hits, key=lambda h: (h.start, h.end))
    for h in hits:
        assert h.status in (None, "example", "placeholder", "checksum-valid", "checksum-invalid")
        assert h.end > h.start
    # Scanning only the lines that hold a keyword finds what a whole-text scan finds.
    assert hits == RS_TEXT_SCOPE.find(text)
