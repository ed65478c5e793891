"""The built-in scanner's rules and matcher.

Rules live in one data file, ``rules.toml`` next to this module (its header documents every
key); an analyst adds or overrides rules with files of the same shape::

    >>> rs = RuleSet.load()
    >>> [(h.rule_id, h.status, h.line, h.column) for h in rs.find("x = 1\\nkey_id: AKIAIOSFODNN7EXAMPLE")]
    [('aws-access-key-id', 'example', 2, 9)]

:meth:`RuleSet.find` takes the text of a whole file, or of a commit's added lines joined with
``"\\n"``, and returns :class:`Hit` records whose ``start``/``end`` are the offsets of the
secret itself. Documentation examples and placeholders are marked in ``status``, never
dropped.

Specificity, when two rules report overlapping text (``find`` keeps one of them):

* Each rule has a tier from its type: provider rules (every type not listed next) are tier 0;
  ``private-key``, ``jwt`` and ``connection-string`` tier 1; ``password`` tier 2;
  ``generic-api-key`` tier 3.
* Hits are taken in order of tier, then rule order in the files, then offset; a hit is dropped
  when its secret span overlaps one already kept of a lower tier, or has the very same span as
  one already kept (the earlier rule wins a tie). So ``token = "ghp_..."`` is a GitHub token,
  not a generic key, and a PEM inside a service-account file is the service-account key.
* Exception: a ``connection-string`` hit that strictly contains a provider hit is kept as well
  (``https://user:ghp_...@host`` gives the URL and the token): it reports a different secret,
  the credential with the host it opens.
* Overlapping hits of the same tier with different spans are both kept.
"""

from __future__ import annotations

import math
import re
import tomllib
import zlib
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from leaklab.errors import LeakLabError
from leaklab.fingerprint import redact
from leaklab.taxonomy import VOCABULARY

DEFAULT_RULES = Path(__file__).with_name("rules.toml")

STATUSES = (None, "example", "placeholder", "checksum-valid", "checksum-invalid")

# Lower is more specific; every other type is a provider type (tier 0).
TIERS = {"private-key": 1, "jwt": 1, "connection-string": 1, "password": 2, "generic-api-key": 3}

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_RULE_KEYS = {"id", "type", "description", "regex", "secret_group", "keywords", "entropy", "check", "scope", "enabled"}
_SCOPES = ("text", "line")
_ALLOW_KEYS = ("examples", "example_patterns", "placeholders", "placeholder_patterns")


# --------------------------------------------------------------------------- helpers


def entropy(s: str) -> float:
    """Shannon entropy of ``s`` in bits per character (0.0 for the empty string).

    >>> entropy("aaaa"), entropy("abcd"), round(entropy("aab"), 3)
    (0.0, 2.0, 0.918)
    """
    n = len(s)
    if n == 0:
        return 0.0
    h = -sum(c / n * math.log2(c / n) for c in Counter(s).values())
    return h + 0.0  # never -0.0


def base62(n: int, width: int = 6) -> str:
    """``n`` in base 62 (digits, A-Z, a-z), left-padded with ``0`` to ``width``."""
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = _BASE62[r] + out
    return out.rjust(width, "0")


def github_checksum_ok(token: str) -> bool:
    """Whether a classic GitHub token (``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_``) carries a
    valid checksum.

    The part after the prefix is 30 random base62 characters followed by 6 checksum characters:
    the CRC32 of those 30 characters (the prefix is not included), in base 62 (``0-9A-Za-z``),
    left-padded with ``0``. A random string passes with odds of about 1 in 57 billion.

    >>> body = "LEAKLABFAKE" + "0" * 19
    >>> github_checksum_ok("ghp_" + body + base62(zlib.crc32(body.encode())))
    True
    >>> github_checksum_ok("ghp_" + body + "000000")
    False
    """
    prefix, sep, rest = token.partition("_")
    if not sep or len(rest) <= 6 or not rest.isascii() or not rest.isalnum():
        return False
    body, check = rest[:-6], rest[-6:]
    return base62(zlib.crc32(body.encode("ascii"))) == check


CHECKS: dict[str, Callable[[str], bool]] = {
    "github-checksum": github_checksum_ok,
}


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Rule:
    """One compiled rule; see ``rules.toml`` for the meaning of each field."""

    id: str
    type: str
    description: str
    regex: re.Pattern
    secret_group: int | str = 0
    keywords: tuple[str, ...] = ()
    entropy: float | None = None
    check: str | None = None
    scope: str = "text"

    @property
    def tier(self) -> int:
        """Specificity tier (lower wins an overlap): see the module docstring."""
        return TIERS.get(self.type, 0)


@dataclass(frozen=True)
class Hit:
    """One secret found by one rule.

    ``start``/``end`` are offsets of the secret in the scanned text (``text[start:end] ==
    secret``); ``line`` and ``column`` (1-based, characters) are those of ``start``. The raw
    ``secret`` stays out of ``repr``; ``redacted`` is a safe preview.
    """

    rule_id: str
    type: str
    description: str
    secret: str = field(repr=False)
    start: int
    end: int
    line: int
    column: int
    status: str | None = None

    @property
    def redacted(self) -> str:
        return redact(self.secret)


@dataclass
class Allowlist:
    examples: set = field(default_factory=set)
    example_patterns: list = field(default_factory=list)
    placeholders: set = field(default_factory=set)  # lower-cased
    placeholder_patterns: list = field(default_factory=list)

    def status(self, secret: str, value: str) -> str | None:
        if secret in self.examples or value in self.examples:
            return "example"
        for p in self.example_patterns:
            if p.search(secret) or (value is not secret and p.search(value)):
                return "example"
        if value.lower() in self.placeholders:
            return "placeholder"
        for p in self.placeholder_patterns:
            if p.search(value):
                return "placeholder"
        return None


# --------------------------------------------------------------------------- loading


def _compile(pattern: object, file: str, record: str, what: str = "regex") -> re.Pattern:
    if not isinstance(pattern, str) or not pattern:
        raise LeakLabError(file, record, f"{what} must be a non-empty string")
    try:
        return re.compile(pattern, re.ASCII)
    except re.error as e:
        raise LeakLabError(file, record, f"bad {what}: {e}") from None


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise LeakLabError(path, None, f"cannot read rules file: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise LeakLabError(path, None, f"not valid TOML: {e}") from None


def _build_rule(raw: dict, file: str, record: str) -> Rule | None:
    """A Rule from a complete raw table, or None when ``enabled = false``."""
    for key in ("id", "type", "regex"):
        if key not in raw:
            raise LeakLabError(file, record, f"missing key {key!r}")
    rid = raw["id"]
    if not isinstance(rid, str) or not _ID.match(rid):
        raise LeakLabError(file, record, "id must be lower-kebab (a-z, 0-9 and single dashes)")
    rtype = raw["type"]
    if rtype not in VOCABULARY:
        raise LeakLabError(file, record, f"unknown type {rtype!r}; use one of leaklab.taxonomy.VOCABULARY ('other' when none fits)")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise LeakLabError(file, record, "description must be a string")
    regex = _compile(raw["regex"], file, record)

    group = raw.get("secret_group", 0)
    if isinstance(group, bool) or not isinstance(group, (int, str)):
        raise LeakLabError(file, record, "secret_group must be a group number or name")
    if isinstance(group, int) and not 0 <= group <= regex.groups:
        raise LeakLabError(file, record, f"secret_group {group} but the regex has {regex.groups} group(s)")
    if isinstance(group, str) and group not in regex.groupindex:
        raise LeakLabError(file, record, f"secret_group {group!r} is not a named group of the regex")

    keywords = raw.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
        raise LeakLabError(file, record, "keywords must be a list of non-empty strings")

    ent = raw.get("entropy")
    if ent is not None and (isinstance(ent, bool) or not isinstance(ent, (int, float)) or not 0 <= ent <= 16):
        raise LeakLabError(file, record, "entropy must be a number of bits per character (0 to 16)")

    check = raw.get("check")
    if check is not None and check not in CHECKS:
        raise LeakLabError(file, record, f"unknown check {check!r}; known: {', '.join(sorted(CHECKS))}")

    scope = raw.get("scope", "text")
    if scope not in _SCOPES:
        raise LeakLabError(file, record, f"scope must be one of {', '.join(map(repr, _SCOPES))}")
    if scope == "line" and not keywords:
        raise LeakLabError(file, record, 'scope = "line" needs keywords (the lines to scan are those holding one)')

    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise LeakLabError(file, record, "enabled must be true or false")
    if not enabled:
        return None
    return Rule(
        id=rid,
        type=rtype,
        description=description,
        regex=regex,
        secret_group=group,
        keywords=tuple(dict.fromkeys(k.lower() for k in keywords)),
        entropy=None if ent is None else float(ent),
        check=check,
        scope=scope,
    )


# --------------------------------------------------------------------------- the rule set


class RuleSet:
    """Compiled rules plus the allowlist; build with :meth:`load`."""

    def __init__(self, rules: list[Rule], allowlist: Allowlist, sources: tuple[str, ...] = ()):
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.allowlist = allowlist
        self.sources = sources
        # Rule order in the files breaks ties between rules of one tier.
        self._order = {r.id: i for i, r in enumerate(self.rules)}
        self._value_group = {r.id: "value" in r.regex.groupindex for r in self.rules}
        self._keywords = tuple(dict.fromkeys(k for r in self.rules for k in r.keywords))

    def __repr__(self) -> str:
        return f"RuleSet({len(self.rules)} rules from {', '.join(self.sources) or 'nowhere'})"

    def __len__(self) -> int:
        return len(self.rules)

    def __getitem__(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.rules]

    # ------------------------------------------------------------------ load

    @classmethod
    def load(cls, *extra_paths: str | Path, defaults: bool = True) -> "RuleSet":
        """The bundled ``rules.toml`` (unless ``defaults=False``), then each extra file in order.

        An extra file may add rules, override a rule by id (only the keys it gives change;
        ``enabled = false`` removes the rule) and extend the ``[allowlist]`` lists. A bad file
        raises :class:`~leaklab.errors.LeakLabError` naming the file, the rule and the fault.
        """
        paths = ([DEFAULT_RULES] if defaults else []) + [Path(p) for p in extra_paths]
        raws: dict[str, dict] = {}  # id -> merged raw table, in first-seen order
        where: dict[str, tuple[str, str]] = {}  # id -> (file, record) that last touched it
        allow_raw: dict[str, list] = {k: [] for k in _ALLOW_KEYS}
        allow_where: dict[str, list] = {k: [] for k in _ALLOW_KEYS}

        for path in paths:
            file = str(path)
            doc = _read(path)
            unknown = set(doc) - {"rule", "allowlist"}
            if unknown:
                raise LeakLabError(file, None, f"unknown top-level key(s): {', '.join(sorted(unknown))} (expected [[rule]] and [allowlist])")
            rules = doc.get("rule", [])
            if not isinstance(rules, list):
                raise LeakLabError(file, None, "'rule' must be an array of tables ([[rule]])")
            seen_here: set[str] = set()
            for i, raw in enumerate(rules, 1):
                record = f"rule #{i}"
                if not isinstance(raw, dict):
                    raise LeakLabError(file, record, "must be a table")
                rid = raw.get("id")
                if rid is None:
                    raise LeakLabError(file, record, "missing key 'id'")
                if isinstance(rid, str):
                    record = f"rule {rid!r}"
                extra = set(raw) - _RULE_KEYS
                if extra:
                    raise LeakLabError(file, record, f"unknown key(s): {', '.join(sorted(extra))}; known: {', '.join(sorted(_RULE_KEYS))}")
                if not isinstance(rid, str):
                    raise LeakLabError(file, record, "id must be a string")
                if rid in seen_here:
                    raise LeakLabError(file, record, "duplicate id in this file")
                seen_here.add(rid)
                merged = {**raws[rid], **raw} if rid in raws else dict(raw)
                # Validate now, so the error names the file that broke the rule.
                _build_rule(merged, file, record)
                raws[rid] = merged
                where[rid] = (file, record)

            allow = doc.get("allowlist", {})
            if not isinstance(allow, dict):
                raise LeakLabError(file, "allowlist", "must be a table ([allowlist])")
            extra = set(allow) - set(_ALLOW_KEYS)
            if extra:
                raise LeakLabError(file, "allowlist", f"unknown key(s): {', '.join(sorted(extra))}; known: {', '.join(_ALLOW_KEYS)}")
            for key in _ALLOW_KEYS:
                values = allow.get(key, [])
                if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
                    raise LeakLabError(file, f"allowlist.{key}", "must be a list of non-empty strings")
                for j, v in enumerate(values):
                    allow_raw[key].append(v)
                    allow_where[key].append((file, f"allowlist.{key}[{j}]"))

        rules_out = []
        for rid, raw in raws.items():
            rule = _build_rule(raw, *where[rid])
            if rule is not None:
                rules_out.append(rule)

        al = Allowlist()
        al.examples = set(allow_raw["examples"])
        al.placeholders = {v.lower() for v in allow_raw["placeholders"]}
        for key in ("example_patterns", "placeholder_patterns"):
            getattr(al, key).extend(
                _compile(p, f, rec, "pattern") for p, (f, rec) in zip(allow_raw[key], allow_where[key])
            )
        return cls(rules_out, al, tuple(str(p) for p in paths))

    # ------------------------------------------------------------------ find

    def find(self, text: str) -> list[Hit]:
        """Every secret in ``text``, ordered by offset (then rule order).

        Rules run only where one of their keywords occurs in the lower-cased text; hits of
        different rules on overlapping text are resolved by specificity (module docstring).
        """
        if not text:
            return []
        low = text.lower()
        present = {k for k in self._keywords if k in low}
        # str.lower() keeps offsets except for a few characters (İ); windows need them equal.
        windows_ok = len(low) == len(text)
        allow = self.allowlist
        found = []  # (tier, order, start, end, rule, secret, status)
        for order, rule in enumerate(self.rules):
            if rule.keywords and present.isdisjoint(rule.keywords):
                continue
            group = rule.secret_group
            has_value = self._value_group[rule.id]
            if rule.scope == "line" and windows_ok:
                spans = _line_windows(text, low, [k for k in rule.keywords if k in present])
                matches = (m for ls, le in spans for m in rule.regex.finditer(text, ls, le))
            else:
                matches = rule.regex.finditer(text)
            for m in matches:
                start, end = m.span(group)
                if start < 0 or start == end:
                    continue
                secret = text[start:end]
                value = secret
                if has_value:
                    v = m.group("value")
                    if v:
                        value = v
                status = allow.status(secret, value)
                if status is None:
                    if rule.entropy is not None and entropy(value) < rule.entropy:
                        continue
                    if rule.check is not None:
                        status = "checksum-valid" if CHECKS[rule.check](secret) else "checksum-invalid"
                found.append((rule.tier, order, start, end, rule, secret, status))
        if not found:
            return []
        if len(found) > 1:
            found = _resolve(found)
        return _to_hits(text, found)


def _line_windows(text: str, low: str, keywords: list[str]) -> list[tuple[int, int]]:
    """(start, end) of every line of ``text`` holding one of ``keywords``, merged and sorted.

    A window ends before its newline, so ``$`` and look-aheads see the line end as they do in
    the whole text, and ``^`` and look-behinds still see the text before the window.
    When the lines cover most of the text, one window over the whole text is cheaper.
    """
    n = len(text)
    spans = []
    for k in keywords:
        i = low.find(k)
        while i >= 0:
            ls = text.rfind("\n", 0, i) + 1
            le = text.find("\n", i)
            if le < 0:
                le = n
            spans.append((ls, le))
            i = low.find(k, le)
    if len(keywords) > 1:
        spans.sort()
        merged = []
        for ls, le in spans:
            if merged and ls <= merged[-1][1]:
                if le > merged[-1][1]:
                    merged[-1] = (merged[-1][0], le)
            else:
                merged.append((ls, le))
        spans = merged
    if len(spans) > 64 and sum(le - ls for ls, le in spans) > n // 2:
        return [(0, n)]
    return spans


def _resolve(found: list) -> list:
    """Drop the less specific of overlapping hits (policy in the module docstring)."""
    found.sort(key=lambda h: (h[2], h[3]))
    # Split into clusters of transitively overlapping spans; most are single hits.
    out, cluster, reach = [], [], -1
    for h in found:
        if cluster and h[2] >= reach:
            out.extend(_resolve_cluster(cluster))
            cluster, reach = [], -1
        cluster.append(h)
        reach = max(reach, h[3])
    out.extend(_resolve_cluster(cluster))
    return out


def _resolve_cluster(cluster: list) -> list:
    if len(cluster) == 1:
        return cluster
    kept: list = []
    for h in sorted(cluster, key=lambda h: (h[0], h[1], h[2])):
        tier, _, s, e, rule, _, _ = h
        drop = False
        for k in kept:
            ks, ke = k[2], k[3]
            if ks >= e or s >= ke:
                continue  # no overlap
            if (ks, ke) == (s, e):
                drop = True
                break
            if k[0] < tier:
                if rule.type == "connection-string" and s <= ks and ke <= e:
                    continue  # the URL around a token is a different secret
                drop = True
                break
        if not drop:
            kept.append(h)
    return kept


def _to_hits(text: str, found: list) -> list[Hit]:
    found.sort(key=lambda h: (h[2], h[3], h[1]))
    hits = []
    if len(found) <= 8:
        for _, _, s, e, rule, secret, status in found:
            line = text.count("\n", 0, s) + 1
            column = s - text.rfind("\n", 0, s)
            hits.append(Hit(rule.id, rule.type, rule.description, secret, s, e, line, column, status))
        return hits
    newlines = [m.start() for m in re.finditer("\n", text)]
    for _, _, s, e, rule, secret, status in found:
        i = bisect_right(newlines, s - 1)  # newlines before offset s
        column = s - newlines[i - 1] if i else s + 1
        hits.append(Hit(rule.id, rule.type, rule.description, secret, s, e, i + 1, column, status))
    return hits
