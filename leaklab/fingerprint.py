"""Fingerprints and redacted previews: the only forms in which a secret travels.

One hashing rule for every reader (shared reference, scanner-formats §0): take the value
exactly as the tool reported it, strip one trailing ``\\n`` and then one trailing ``\\r``,
encode as UTF-8 and hash. SHA-256 is the cross-tool join key; SHA-1 is kept because
detect-secrets stores nothing else.

    >>> sha256("AKIAFAKEFAKEFAKEFAKE\\n") == sha256("AKIAFAKEFAKEFAKEFAKE")
    True
    >>> redact("ghp_FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE0000")
    'ghp_…00'
"""

from __future__ import annotations

import hashlib
import re

ELLIPSIS = "…"


def normalize(raw: str) -> str:
    """Apply the shared strip rule (one trailing newline, then one carriage return)."""
    if raw.endswith("\n"):
        raw = raw[:-1]
    if raw.endswith("\r"):
        raw = raw[:-1]
    return raw


def _encode(raw: str) -> bytes:
    # surrogateescape keeps undecodable input bytes hashable exactly as they were read;
    # surrogatepass covers lone surrogates that came from JSON escapes.
    raw = normalize(raw)
    try:
        return raw.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return raw.encode("utf-8", "surrogatepass")


def sha256(raw: str) -> str:
    """SHA-256 hex of a raw secret under the shared rule."""
    return hashlib.sha256(_encode(raw)).hexdigest()


def sha1(raw: str) -> str:
    """SHA-1 hex of a raw secret (the detect-secrets join key)."""
    return hashlib.sha1(_encode(raw)).hexdigest()


def redact(raw: str) -> str:
    """A short preview that cannot be used as the secret.

    Long values keep the first 4 and last 2 characters, medium ones the first 2,
    short ones nothing, so that a preview never reveals more than a third of a value.

        >>> redact("hunter2"), redact("s3cr3t-pass"), redact("sk_live_FAKEFAKEFAKE")
        ('…', 's3…', 'sk_l…KE')
    """
    raw = normalize(raw)
    n = len(raw)
    if n >= 18:
        return raw[:4] + ELLIPSIS + raw[-2:]
    if n >= 8:
        return raw[:2] + ELLIPSIS
    return ELLIPSIS


def fingerprint_all(values: list) -> tuple[list, list, list]:
    """Hash and redact a column of raw values (``None`` stays ``None``).

    Returns ``(sha256s, sha1s, previews)``. Repeated values are hashed once: scanner
    reports repeat the same secret across commits and rules.
    """
    cache: dict[str, tuple[str, str, str]] = {}
    s256, s1, prev = [], [], []
    for v in values:
        if v is None:
            s256.append(None)
            s1.append(None)
            prev.append(None)
            continue
        hit = cache.get(v)
        if hit is None:
            b = _encode(v)
            hit = (hashlib.sha256(b).hexdigest(), hashlib.sha1(b).hexdigest(), redact(v))
            cache[v] = hit
        s256.append(hit[0])
        s1.append(hit[1])
        prev.append(hit[2])
    return s256, s1, prev


class Secret:
    """A raw secret the analyst asked for, which renders redacted.

    ``repr``, ``str`` and HTML show only the preview, so a frame holding these objects
    is safe to display; ``reveal()`` is the one explicit way to the value.

        >>> s = Secret("sk_live_FAKEFAKEFAKEFAKE")
        >>> s, str(s)
        (Secret('sk_l…KE'), 'sk_l…KE')
        >>> s.reveal()
        'sk_live_FAKEFAKEFAKEFAKE'
    """

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return redact(self._value)

    def __repr__(self) -> str:
        return f"Secret({redact(self._value)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("leaklab.Secret", self._value))

    def __reduce__(self):
        # Pickling would write the raw value to disk; refuse rather than leak quietly.
        raise TypeError("leaklab.Secret is not picklable; store secret_sha256 instead")


ID_COLUMNS = ("credential", "credential_id", "parent", "issued_credential", "derived_from", "acting_credential",
              "reached_credential", "secret_id", "secret_sha256", "secret_sha1")

# Identifier-shaped: 16+ characters of letters, digits, ``+/=_`` and the separators token ids
# and fingerprints carry (``xoxb-...``, ``sha1:<hex>``, ``a.b.c``). Human names such as
# "stripe-live" or "github-pat" are shorter, and so stay readable.
_ID_LIKE = re.compile(r"[A-Za-z0-9+/=_.:-]{16,}")


def _looks_like_id(v) -> bool:
    """Key ids, token ids and fingerprints, not names: long, and holding a digit, a base64
    character or no lower-case letter (a name such as ``circleci-engineer-session`` has none)."""
    return (isinstance(v, str) and _ID_LIKE.fullmatch(v) is not None
            and (any(ch.isdigit() or ch in "+/=" for ch in v) or v.upper() == v))


def preview_id(value):
    """``value`` as a display would show it: a credential id or fingerprint (identifier-shaped,
    see :func:`redacted`) as its :func:`redact` preview, a name (or anything else) unchanged.

        >>> [preview_id(v) for v in ("AKIAFAKEFAKEFAKEFAKE", "xoxb-1234567890-FAKEFAKE", "sha1:" + "0" * 40,
        ...                          "stripe-live", "circleci-engineer-session", None)]
        ['AKIA…KE', 'xoxb…KE', 'sha1…00', 'stripe-live', 'circleci-engineer-session', None]
    """
    return redact(value) if _looks_like_id(value) else value


# Identifiers whose shape is known well enough to find inside free text (a timeline detail, a
# log's resource, a pivot path) without catching ordinary words. A longer run of the same
# alphabet is shortened whole: better too much than a key id.
_IDS_IN_TEXT = re.compile(
    # AWS unique ids: access keys (AKIA long-term, ASIA temporary, ...), users, groups, roles, ...
    r"(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA|A3T[A-Z0-9])[A-Z0-9]{16,}"
    r"|xox[a-z]-[A-Za-z0-9-]{10,}"  # Slack tokens
    r"|(?:gh[pousr]_|github_pat_)[A-Za-z0-9_]{20,}"  # GitHub tokens
    r"|glpat-[A-Za-z0-9_-]{20,}"  # GitLab tokens
    r"|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}"  # Stripe keys
    r"|sha1:[0-9a-fA-F]{40}"  # fingerprints: SHA-1 as leaklab writes it, SHA-256 hex
    r"|(?<![0-9A-Za-z])[0-9a-fA-F]{64}(?![0-9A-Za-z])"
    # GitHub's hashed_token (base64 of a SHA-256): kept only if it holds a digit or '+' (below)
    r"|(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=(?![A-Za-z0-9+/=])")


def _shorten(m) -> str:
    v = m.group()
    if v.endswith("=") and not any(ch.isdigit() or ch == "+" for ch in v):
        return v  # 43 letters and slashes then '=': a path or a word, not a hash
    return redact(v)


def scrub_text(text):
    """``text`` with the identifiers in it (AWS key and principal ids, Slack, GitHub, GitLab and
    Stripe tokens, SHA-1/SHA-256 fingerprints, GitHub hashed tokens) replaced by their
    :func:`redact` previews; anything not a string is returned unchanged.

        >>> scrub_text("key replaced by AKIALEAKLABFAKENEW12; bot xoxb-1234567890-FAKEFAKE revoked")
        'key replaced by AKIA…12; bot xoxb…KE revoked'
        >>> scrub_text("role circleci-engineer-session assumed")
        'role circleci-engineer-session assumed'
    """
    if not isinstance(text, str):
        return text
    return _IDS_IN_TEXT.sub(_shorten, text)


def redacted(df, columns=ID_COLUMNS):
    """A copy of ``df`` for display, with credential identifiers and fingerprints shown as previews.

    Access key ids and token ids are identifiers, not secrets, and frames keep them so
    windows and logs can be joined; but a report or a committed notebook should not print
    them whole (scanners flag them, and they help an attacker). Nor should it print whole
    fingerprints (``secret_id``, ``secret_sha256``, ``secret_sha1``): the SHA-1 of a password
    is a dictionary attack away from the password. Values that look like identifiers (16+
    letters, digits, ``+/=_`` and ``-``, ``:``, ``.``, with at least one digit) become
    :func:`redact` previews; names such as ``stripe-live`` or ``circleci-engineer-session``
    stay readable.

        >>> import pandas as pd
        >>> redacted(pd.DataFrame({"credential": ["AKIAFAKEFAKEFAKEFAKE", "xoxb-1234567890-FAKEFAKE", "stripe-live",
        ...                                       "circleci-engineer-session"],
        ...                        "secret_id": ["a5b9" + "0" * 58 + "21", "sha1:" + "f" * 39 + "1", "e" * 63 + "1", "-"]}))
                          credential secret_id
        0                    AKIA…KE   a5b9…21
        1                    xoxb…KE   sha1…f1
        2                stripe-live   eeee…e1
        3  circleci-engineer-session         -
    """
    out = df.copy()
    for c in columns:
        if c in out.columns:
            out[c] = out[c].map(lambda v: redact(v) if _looks_like_id(v) else v)
    return out
