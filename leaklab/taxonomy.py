"""One secret-type vocabulary for every tool.

Each tool names its rules its own way (``aws-access-token``, ``AWS``, ``np.aws.1``,
``AWS Access Key``, ``aws_access_key_id``). :func:`normalize_type` maps the rule id and
the tool's type name onto a short shared vocabulary; the first pattern that matches wins,
so specific patterns stand before general ones. Unknown names become ``other``, never
a guess.

    >>> normalize_type("aws-access-token", "AWS")
    'aws-access-key'
    >>> normalize_type("np.github.1", "GitHub Personal Access Token")
    'github-token'
    >>> normalize_type("Secret Keyword")
    'password'
    >>> normalize_type("weird-thing")
    'other'
"""

from __future__ import annotations

import re
from functools import lru_cache

# (normalized type, pattern over "rule_id | tool type name", lower-cased)
TYPES: tuple[tuple[str, str], ...] = (
    ("other", r"amazon mws|\bmws\b"),  # Amazon Marketplace Web Service tokens are not AWS keys
    ("aws-secret-key", r"aws.{0,20}secret|secret.access.key"),
    ("aws-access-key", r"\baws|amazon|akia|\bnp\.aws"),
    ("github-token", r"github|\bgh[pousr]\b|\bgh pat"),
    ("gitlab-token", r"gitlab|glpat"),
    ("slack-webhook", r"slack.{0,12}webhook|hooks\.slack"),
    ("slack-token", r"slack|xox[abpors]"),
    ("stripe-key", r"stripe"),
    ("google-service-account", r"service.?account|\bgcp\b(?!.*\bapi\b)"),  # TruffleHog's "GCP" is a service-account key
    ("google-api-key", r"google|gcp|firebase"),
    ("azure-key", r"azure|\bsas\b|storage.?account"),
    ("twilio-key", r"twilio"),
    ("sendgrid-key", r"sendgrid"),
    ("npm-token", r"\bnpm"),
    ("pypi-token", r"pypi"),
    ("heroku-key", r"heroku"),
    ("digitalocean-token", r"digitalocean|digital.ocean"),
    ("openai-key", r"openai"),
    ("anthropic-key", r"anthropic|claude"),
    ("jwt", r"\bjwt|json.web.token"),
    ("private-key", r"private.?key|\brsa\b|\bssh\b|openssh|\bpem\b|pgp|putty|\bpkcs"),
    ("connection-string", r"\buri\b|password.{0,10}(url|uri)|connection.?(string|uri)|postgres|mysql|mongodb|redis|jdbc|(uri|url).{0,20}(credential|password)|basic.?auth|credentials? in url"),
    ("password", r"passw|pwd|secret.?keyword|keyword|credential"),
    ("generic-api-key", r"generic|api.?key|apikey|token|secret|entropy|base64|hex|\bkey\b"),
)

_COMPILED = tuple((name, re.compile(pat)) for name, pat in TYPES)
VOCABULARY: tuple[str, ...] = tuple(dict.fromkeys([n for n, _ in TYPES if n != "other"] + ["other"]))


@lru_cache(maxsize=4096)
def normalize_type(rule_id: str | None, tool_type: str | None = None) -> str:
    """Map a tool's rule id and type name to the shared vocabulary (``VOCABULARY``)."""
    # "-" and "_" read as word separators, so patterns are written with spaces.
    text = " | ".join(s for s in (rule_id, tool_type) if s).lower().replace("_", " ").replace("-", " ")
    for name, rx in _COMPILED:
        if rx.search(text):
            return name
    return "other"
