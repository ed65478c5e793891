"""TruffleHog v3 ``--json`` lines, and TruffleHog v2 (and v3 ``--json-legacy``) JSON lines.

Shapes: shared reference scanner-formats §2.1, §2.4 and §2.5.

``trufflehog-jsonl`` reads every v3 release: the location comes from the one-key
``SourceMetadata.Data`` object (Git, Github, Gitlab, Filesystem, Docker, S3, CI, Slack,
...), whose key decides ``source_kind``. The secret is ``Raw``: the detector's
identifier, which is what other tools capture (for AWS the access key id). ``RawV2``
(``id:secret`` for multi-part credentials) is not read; ``Redacted`` is not trusted as
a mask. Files from before v3.14 carry ``Raw`` base64-encoded (pitfall 2); it is decoded
when the record has no ``DecoderName`` (added in v3.15) and the base64 decodes to
printable text that agrees with ``Redacted`` (equal, a prefix of it, or the same text
with ``*`` masks), or to printable text when ``Redacted`` is empty. ``verified`` is
True for ``Verified``, NA when ``VerificationError`` is set, else False; ``validity``
uses TruffleHog's ``--results`` words (verified / unknown / unverified). TruffleHog has
no finding id, so ``tool_fingerprint`` is the SHA-256 of detector, SHA-256 of the
secret, file, commit and line. ``commit_time`` is read only for the git-hosting
variants, whose ``timestamp`` formats are known. JSON log lines captured with
``2>&1`` (``level``/``msg``/``logger``/``ts``) are skipped.

``trufflehog2-jsonl`` reads the v2 Python tool's lines (also v3's ``--json-legacy``,
which has the same keys): one row per ``stringsFound`` entry, ``commitHash`` as the
commit, no line numbers. Its ``date`` has no zone and is the scanning machine's local
time (``--json-legacy``: the committer's), which cannot be known: it is read as UTC.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from functools import lru_cache

from .. import fingerprint
from ._common import Format, Source, blank, checked, iter_json_lines, want

# --------------------------------------------------------------------------- v3

_KINDS = {
    "git": "git",
    "github": "git",
    "gitlab": "git",
    "azurerepos": "git",
    "bitbucket": "git",
    "gerrit": "git",
    "huggingface": "git",
    "filesystem": "filesystem",
    "docker": "container",
    "ecr": "container",
    "s3": "object-store",
    "gcs": "object-store",
    "azure": "object-store",
    "circleci": "ci-log",
    "travisci": "ci-log",
    "buildkite": "ci-log",
    "jenkins": "ci-log",
    "slack": "chat",
    "slackcontinuous": "chat",
    "teams": "chat",
    "jira": "ticket",
}
# Variants whose "timestamp" is a commit date in a format the reference documents.
_GIT_HOSTS = {"git", "github", "gitlab", "azurerepos", "bitbucket", "gerrit", "huggingface"}
_GITHUB_LINKS = (
    ("gist.github", "gist"),
    ("/issues/", "github-issue"),
    ("/pull/", "github-pr"),
    ("/discussions/", "github-discussion"),
    ("/wiki", "github-wiki"),
)


def _v3_sniff(src: Source) -> bool:
    head = src.head()
    if not head.lstrip().startswith("{"):
        return False
    if re.search(r'(?m)^\{\s*"SourceMetadata"\s*:', head):
        return True
    # Only TruffleHog's own log lines so far (a scan that found nothing, captured 2>&1).
    first = head.lstrip().split("\n", 1)[0]
    return '"logger":"trufflehog' in first and '"msg":' in first


def _is_result(obj) -> bool:
    """False for TruffleHog's JSON log lines, which are not findings."""
    return not (isinstance(obj, dict) and "SourceMetadata" not in obj and "msg" in obj and ("level" in obj or "logger" in obj or "ts" in obj))


def _v3_records(src: Source):
    return iter_json_lines(src, keep=_is_result)


def _metadata(rec: dict) -> tuple[str, dict]:
    """The ``Data`` variant's key (lower-cased) and its fields."""
    if not isinstance(rec, dict) or "SourceMetadata" not in rec:
        raise ValueError("not a TruffleHog v3 result: no 'SourceMetadata'")
    meta = rec["SourceMetadata"] or {}
    data = meta.get("Data") if type(meta) is dict else meta
    if type(data) is not dict:
        data = want(meta, "Data", dict, {}, where=" in SourceMetadata")  # raises with the reason
    for _ in range(3):  # Forager (and Webhook) wrap one more oneof: {"Forager": {"Metadata": {"Github": {...}}}}
        if not data:
            return "", {}
        key = next(iter(data))
        inner = data[key]
        if type(inner) is not dict:
            inner = want(data, key, dict, {}, where=" in SourceMetadata.Data")
        if len(inner) == 1:
            nested = inner.get("Metadata") or inner.get("Data")
            if type(nested) is dict:
                data = nested
                continue
        return key.lower(), inner
    return "", {}


@lru_cache(maxsize=65_536)
def _author(value: str) -> tuple[str | None, str | None]:
    """``"Name <addr>"`` as git writes it, into name and address."""
    m = re.fullmatch(r"\s*(.*?)\s*<([^<>]*)>\s*", value)
    if m:
        return blank(m.group(1)), blank(m.group(2).strip())
    return (None, value.strip()) if "@" in value else (blank(value.strip()), None)


_B64 = re.compile(r"(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?|[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=")


def _printable(text: str) -> bool:
    return bool(text) and text.replace("\n", "").replace("\r", "").replace("\t", "").isprintable()


def _agrees(text: str, redacted: str) -> bool:
    if text == redacted or text.startswith(redacted):
        return True
    if "*" in redacted:  # URI detector masks user and password: https://*****:*****@host/
        masked = ".*?".join(re.escape(part) for part in re.split(r"\*+", redacted))
        return re.fullmatch(masked, text, re.S) is not None
    return False


def _pre_314_raw(raw: str, redacted: str) -> str:
    """Decode a base64 ``Raw`` from TruffleHog < v3.14 (Go marshalled ``[]byte``)."""
    if not _B64.fullmatch(raw):
        return raw
    try:
        text = base64.b64decode(raw, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return raw
    if not _printable(text) or (redacted and not _agrees(text, redacted)):
        return raw
    return text




def _text(d: dict, key: str) -> str | None:
    """``want(d, key, str)`` with "" as missing, inlined: this runs ~15 times per line.

    The message never quotes the value: the field may be ``Raw``.
    """
    v = d.get(key)
    if v is None or v == "":
        return None
    if type(v) is not str:
        raise ValueError(f"field {key!r} must be str, got {type(v).__name__}")
    return v


def _v3(rec: dict) -> list[dict]:
    kind, meta = _metadata(rec)
    detector = want(rec, "DetectorName")
    raw = _text(rec, "Raw")
    redacted = _text(rec, "Redacted")
    if raw and "DecoderName" not in rec:
        raw = _pre_314_raw(raw, redacted or "")

    file = _text(meta, "file") or _text(meta, "filename") or _text(meta, "path")
    line = want(meta, "line", int, None) or None  # omitempty: a missing line means 0, i.e. unknown
    commit = _text(meta, "commit")
    link = _text(meta, "link")
    email = _text(meta, "email")
    name, email = _author(email) if email else (None, None)
    name = name or _text(meta, "author")  # Jira, SharePoint
    repo = _text(meta, "repository") or _text(meta, "project") or _text(meta, "bucket") or _text(meta, "image") or _text(meta, "container")
    source_kind = _KINDS.get(kind, "other")
    if kind == "github" and link:
        source_kind = next((k for frag, k in _GITHUB_LINKS if frag in link), "git")

    if want(rec, "Verified", bool, False):
        verified, validity = True, "verified"
    elif _text(rec, "VerificationError"):
        verified, validity = None, "unknown"
    else:
        verified, validity = False, "unverified"

    key = f"{detector}|{fingerprint.sha256(raw) if raw else ''}|{file or ''}|{commit or ''}|{line or ''}"
    row = {
        "rule_id": detector,
        "tool_secret_type": detector,
        "file": file,
        "line": line,
        "commit": commit,
        "author_name": name,
        "author_email": email,
        "commit_time": _text(meta, "timestamp") if kind in _GIT_HOSTS else None,
        "repo": repo,
        "source_kind": source_kind,
        "verified": verified,
        "validity": validity,
        "tool_fingerprint": hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest(),
        "url": link,
    }
    if raw:
        row["secret"] = raw
    elif redacted:
        row["redacted"] = fingerprint.redact(redacted)
    return [row]


_FAST_KINDS = _GIT_HOSTS - {"github"}  # github needs its link to pick the source kind
# Metadata keys the fast path reads or may ignore; any other key takes the record path.
_FAST_KEYS = frozenset({"commit", "file", "email", "repository", "timestamp", "line", "link", "repository_local_path",
                        "project", "project_id", "project_name", "project_owner", "visibility", "username", "organization"})


def _v3_batch(recs: list) -> dict:
    """Column-wise :func:`_v3` for the common line: a v3.15+ result from a git source.

    Anything else (older base64 ``Raw``, other sources, odd shapes) raises, and the
    collector converts that batch record by record with :func:`_v3`.
    """
    out: dict = {k: [] for k in ("rule_id", "file", "line", "commit", "email", "commit_time", "repo", "url",
                                   "verified", "validity", "secret", "redacted", "tool_fingerprint")}
    rule, file, line, commit, email, when = out["rule_id"], out["file"], out["line"], out["commit"], out["email"], out["commit_time"]
    repo, url, verified, validity, secret = out["repo"], out["url"], out["verified"], out["validity"], out["secret"]
    for r in recs:
        if "DecoderName" not in r:
            raise ValueError("pre-3.15 line: Raw may be base64")
        ((kind, meta),) = r["SourceMetadata"]["Data"].items()
        if kind.lower() not in _FAST_KINDS or not _FAST_KEYS.issuperset(meta):
            raise ValueError("source variant outside the fast path")
        rule.append(r["DetectorName"])
        file.append(meta.get("file") or None)
        line.append(meta.get("line") or None)
        commit.append(meta.get("commit") or None)
        email.append(meta.get("email") or None)
        when.append(meta.get("timestamp") or None)
        repo.append(meta.get("repository") or meta.get("project") or None)
        url.append(meta.get("link") or None)
        if r.get("Verified") is True:
            verified.append(True)
            validity.append("verified")
        elif r.get("VerificationError"):
            verified.append(None)
            validity.append("unknown")
        else:
            verified.append(False)
            validity.append("unverified")
        secret.append(r.get("Raw") or None)
    for col in ("rule_id", "file", "commit", "email", "commit_time", "repo", "url", "secret"):
        checked(out[col], str)
    checked(line, int)
    if not all(type(v) is bool for v in (r.get("Verified", False) for r in recs)):
        raise ValueError("'Verified' must be a boolean")
    if any(not isinstance(r.get("VerificationError", ""), str) for r in recs):
        raise ValueError("'VerificationError' must be a string")
    if None in rule or any(not r.get("Raw") and r.get("Redacted") for r in recs):
        raise ValueError("no detector or no Raw: the record path explains or previews")
    authors = [_author(e) if e else (None, None) for e in out.pop("email")]
    out["author_name"] = [a for a, _ in authors]
    out["author_email"] = [b for _, b in authors]
    out["tool_secret_type"] = rule
    out["source_kind"] = ["git"] * len(recs)
    # The same secret repeats across commits: hash each once. The cache dies with the batch,
    # so no raw value outlives the load.
    digests = {x: fingerprint.sha256(x) for x in set(secret) if x}
    out["tool_fingerprint"] = [
        hashlib.sha256(f"{d}|{digests[x] if x else ''}|{f or ''}|{c or ''}|{n or ''}".encode("utf-8", "surrogateescape")).hexdigest()
        for d, x, f, c, n in zip(rule, secret, file, commit, line)
    ]
    del out["redacted"]
    return out


# --------------------------------------------------------------------------- v2 and --json-legacy


def _v2_sniff(src: Source) -> bool:
    head = src.head().lstrip()
    return re.match(r'\{\s*"branch"\s*:', head) is not None and '"commitHash"' in head


def _v2(rec: dict) -> list[dict]:
    found = rec.get("stringsFound") if isinstance(rec, dict) else None
    if not isinstance(found, list):  # not want(): its message would quote a secret
        raise ValueError(f"field 'stringsFound' must be a list, got {type(found).__name__}")
    base = {
        "rule_id": want(rec, "reason"),
        "tool_secret_type": want(rec, "reason"),
        "file": blank(want(rec, "path", str, "")),
        "commit": blank(want(rec, "commitHash", str, "")),
        "commit_time": blank(want(rec, "date", str, "")),
        "source_kind": "git",
    }
    rows = []
    for i, s in enumerate(found):
        if not isinstance(s, str):
            raise ValueError(f"stringsFound[{i}] must be str, got {type(s).__name__}")
        rows.append({**base, "secret": s} if s else dict(base))
    return rows


FORMATS = [
    Format("trufflehog-jsonl", "trufflehog", "TruffleHog v3 JSON lines", _v3_sniff, _v3_records, _v3, convert_batch=_v3_batch),
    Format(
        "trufflehog2-jsonl",
        "trufflehog2",
        "TruffleHog v2 / --json-legacy JSON lines",
        _v2_sniff,
        iter_json_lines,
        _v2,
        naive_utc=True,
    ),
]
