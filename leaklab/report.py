"""The post-incident report: one self-contained HTML file and its Markdown twin.

:func:`report` turns the frames an investigation produced into ``<stem>.html`` (figures
embedded as PNG data URIs, no script, a strict Content-Security-Policy) and ``<stem>.md``
(figures written next to it as ``<stem>-<figure>.png``). Sections appear only for the
frames given, and each says which data it rests on:

- **Summary**: counts, and whether the incident is ready to close;
- **What leaked**: the secrets, fingerprints shortened, values only as redacted previews;
- **Timeline** (``events``): the incident timeline chart and the events;
- **Exposure windows** (``windows``): the Gantt chart and a table with day counts;
- **Usage found** (``uses`` / ``usage``): uses per credential inside its window, suspicious uses;
- **Blast radius** (``reach``): reach per credential, sensitive resources, pivots;
- **Triage decisions** (``ledger``): each secret's current decision;
- **Remediation checklist**: :func:`leaklab.triage.remediation`, exported with
  :func:`leaklab.triage.remediation_markdown`;
- **Closure criteria**: computed by :func:`closure`, each PASS or FAIL with the items
  that fail, and one "ready to close" line.

Every value from the data is attacker controlled: in HTML it goes through
:func:`leaklab.widgets.neutralize` (control and bidi characters become visible escapes)
and ``html.escape(quote=True)``; in Markdown through :func:`leaklab.triage.markdown_text`
(``neutralize``, then pipes, brackets, backticks, ``<``... escaped). Credential
identifiers (access key ids, token ids) are shown as :func:`leaklab.fingerprint.redact`
previews (:func:`leaklab.fingerprint.preview_id`, the one rule of what an identifier
looks like), also where they appear inside other text: the identifiers the frames name,
and any :func:`leaklab.fingerprint.scrub_text` recognises (an AWS key id in a timeline
detail, a token in a log's resource). Figures are labelled with the same previews.

Same input, same bytes: no timestamp is written unless ``generated_at`` is given, rows
are sorted, and PNGs are saved at a fixed dpi without the ``Software`` metadata.

    >>> import os, tempfile, leaklab
    >>> s = leaklab.schema.build("secrets", {"secret_id": ["a" * 64], "secret_sha256": ["a" * 64],
    ...     "secret_type": ["github-token"], "redacted": ["ghp_…x1"], "repos": ["github.com/acme/api"],
    ...     "files": ["ci/<release>.py"]})
    >>> r = report(os.path.join(tempfile.mkdtemp(), "incident-42"), title="Incident 42", secrets=s)
    >>> r.html.name, r.markdown.name, r.closure.ready
    ('incident-42.html', 'incident-42.md', False)
    >>> text = r.html.read_text(encoding="utf-8")
    >>> "ci/&lt;release&gt;.py" in text and "<script" not in text
    True
    >>> [c.name for c in r.closure.criteria if not c.passed]
    ['contained', 'documented', 'usage_checked', 'labelled', 'remediated']
"""

from __future__ import annotations

import base64
import html
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from . import schema
from .errors import LeakLabError
from .fingerprint import preview_id, redact, scrub_text, sha1, sha256
from .ledger import SEVERITIES, Ledger
from .schema import isna
from .triage import (
    _all_matches,
    _index_fingerprints,
    _require,
    _secret_keys,
    _strings,
    checklist_details,
    markdown_text,
    remediation,
    remediation_markdown,
)
from .widgets import _short_fp, neutralize

#: The Content-Security-Policy of every report: nothing loads, nothing runs; images only
#: from data: URIs (the embedded figures) and styles only from the document itself.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

#: Labels that confirm a containment the timeline records.
CONFIRMING_LABELS = ("revoked", "rotated")

#: The closure criteria, in the order they are reported.
CRITERIA = {
    "contained": "every exposure window (incident-level ones too) is contained, and each credential's containment confirmed",
    "documented": "every exposure window has a known start (not only a first misuse)",
    "usage_checked": "the access logs were searched for every credential with a window",
    "labelled": "every secret has a triage decision (needs_info does not count)",
    "remediated": "every secret's remediation is done or needs no action",
}

# Figures: fixed size per data, fixed dpi, no 'Software' text chunk: same frames, same bytes.
_DPI = 100
_PNG_METADATA = {"Software": None}
# Long tables are cut here; the rest stays in the frames.
_MAX_USES = 100
_MAX_SENSITIVE = 100
_MAX_RULES = 20

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;
color:#1d1d1f;line-height:1.45}
h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
.meta,.rests{color:#555;font-size:.9em}.rests{font-style:italic}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f4f4f6}td{overflow-wrap:anywhere}
img{max-width:100%;height:auto;border:1px solid #eee}
.pass{color:#116611;font-weight:bold}.fail{color:#b00020;font-weight:bold}
.checklist{list-style:none;padding-left:1em}.note{color:#555;font-size:.85em}
""".strip()


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Criterion:
    """One closure criterion: ``passed``, what it rests on, and the items that fail it
    (plain text, identifiers already redacted; escape before rendering)."""

    name: str
    description: str
    passed: bool
    rests_on: str
    failures: tuple[str, ...] = ()


@dataclass(frozen=True)
class Closure:
    """The closure criteria of an incident; ``ready`` when every one passes."""

    criteria: tuple[Criterion, ...]

    @property
    def ready(self) -> bool:
        return all(c.passed for c in self.criteria)

    def __getitem__(self, name: str) -> Criterion:
        for c in self.criteria:
            if c.name == name:
                return c
        raise KeyError(name)

    def verdict(self) -> str:
        failed = [c.name for c in self.criteria if not c.passed]
        if not failed:
            return f"Ready to close: all {len(self.criteria)} closure criteria pass."
        return f"Not ready to close: {len(failed)} of {len(self.criteria)} closure criteria fail ({', '.join(failed)})."


@dataclass(frozen=True)
class Report:
    """What :func:`report` wrote: the two documents, the figure files the Markdown links
    to, and the closure criteria."""

    html: Path
    markdown: Path
    figures: tuple[Path, ...]
    closure: Closure


# --------------------------------------------------------------------------- formatting


class _Fmt:
    """Turns one value into the plain text a report shows (not yet escaped).

    Known credential identifiers (from windows, events, logs and reach; identifier-shaped
    by :func:`leaklab.fingerprint.preview_id`'s rule, names stay readable) are replaced by
    their preview wherever they appear, so a resource or a pivot path naming a key id
    does not print it whole; so is any identifier :func:`leaklab.fingerprint.scrub_text`
    finds by its shape (an AWS key id no frame names, in a timeline detail).
    """

    def __init__(self, ids=()):
        known = sorted({i for i in ids if isinstance(i, str) and preview_id(i) != i}, key=lambda s: (-len(s), s))
        self._known = re.compile("|".join(map(re.escape, known))) if known else None

    def scrub(self, text: str) -> str:
        if self._known is not None:
            text = self._known.sub(lambda m: redact(m.group()), text)
        return scrub_text(text)

    def __call__(self, v, how: str = "text") -> str:
        if isna(v):
            return ""
        if how == "bool" or isinstance(v, bool) or type(v).__name__ == "bool_":
            return "yes" if bool(v) else "no"
        if hasattr(v, "strftime"):
            return v.strftime("%Y-%m-%d" if how == "date" else "%Y-%m-%d %H:%M:%SZ")
        if isinstance(v, float):
            return f"{v:g}"
        s = str(v)
        if how == "fp":
            s = _short_fp(s)
        elif how == "cred":
            shown = preview_id(s)
            s = shown if shown != s else self.scrub(s)
        else:
            s = self.scrub(s)
        return neutralize(s)


def _days(lo, hi) -> str:
    if isna(lo) and isna(hi):
        return ""
    if isna(lo) or isna(hi) or int(lo) == int(hi):
        return str(int(hi if isna(lo) else lo))
    return f"{int(lo)}–{int(hi)}"


def _utc(value, name: str):
    import pandas as pd

    try:
        t = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise LeakLabError(reason=f"{name} must be a date and time with a timezone") from None
    if t is pd.NaT or t.tzinfo is None:
        raise LeakLabError(reason=f"{name} needs a time zone (e.g. '2023-07-01T00:00:00Z')")
    return t.tz_convert("UTC")


# --------------------------------------------------------------------------- document model


@dataclass
class _Para:
    parts: list  # str, or ("b", str) for emphasis


@dataclass
class _Table:
    columns: list[str]
    rows: list[list[str]]
    note: str | None = None


@dataclass
class _List:
    items: list  # (parts, [sub-item text, ...])


@dataclass
class _Figure:
    key: str
    alt: str
    png: bytes


@dataclass
class _Checklist:
    frame: object  # remediation() output, text already formatted


@dataclass
class _Section:
    id: str
    title: str
    rests_on: str
    blocks: list = field(default_factory=list)


def _table(frame, spec, fmt: _Fmt, note: str | None = None) -> _Table:
    """``spec``: (header, column, how) triples; a missing column shows empty cells."""
    cols = [frame[c].tolist() if c in frame.columns else [None] * len(frame) for _, c, _ in spec]
    rows = [[fmt(v, how) for v, (_, _, how) in zip(vals, spec)] for vals in zip(*cols)] if len(frame) else []
    return _Table([h for h, _, _ in spec], rows, note)


# --------------------------------------------------------------------------- inputs


def _ledger(ledger):
    """(current decisions frame, what to call it, number of entries) or (None, None, 0)."""
    if ledger is None:
        return None, None, 0
    if isinstance(ledger, (str, os.PathLike)):
        if not os.path.isfile(ledger):  # Ledger() on a new path would read (and start) an empty ledger
            raise LeakLabError(ledger, reason="no such ledger file (record decisions with leaklab.Ledger first)")
        ledger = Ledger(ledger)
    if isinstance(ledger, Ledger):
        cur = ledger.current()
        name = f"ledger {Path(ledger.path).name}"
    elif hasattr(ledger, "columns"):
        cur, name = ledger, "ledger decisions"
    else:
        raise LeakLabError(reason="ledger must be a leaklab.Ledger, a ledger file path, or Ledger.current()'s frame")
    _require(cur, "ledger", ("secret_id", "label"))
    n = int(cur["n_entries"].fillna(0).sum()) if "n_entries" in cur.columns else len(cur)
    return cur, name, n


def _decisions(keys_list, cur) -> list:
    """For each tuple of join keys, the row of ``cur`` deciding it (latest line), or None."""
    if cur is None:
        return [None] * len(keys_list)
    idx = _index_fingerprints(cur)
    lines = cur["line"].tolist() if "line" in cur.columns else list(range(len(cur)))
    out = []
    for keys in keys_list:
        rows = _all_matches(keys, idx)
        out.append(max(rows, key=lambda r: lines[r]) if rows else None)
    return out


def _hashed_token_hex(cred: str) -> str | None:
    """The SHA-256 (hex) a GitHub ``hashed_token`` encodes (base64 of the token's SHA-256,
    :func:`leaklab.logs.github.hashed_token`), or None when ``cred`` is not one.

        >>> from leaklab.logs.github import hashed_token
        >>> _hashed_token_hex(hashed_token("ghp_FAKE")) == sha256("ghp_FAKE"), _hashed_token_hex("github-pat")
        (True, None)
    """
    if len(cred) != 44 or not cred.endswith("="):
        return None
    try:
        raw = base64.b64decode(cred, validate=True)
    except ValueError:  # binascii.Error is one
        return None
    return raw.hex() if len(raw) == 32 else None


def _credential_keys(cred: str, links: dict) -> tuple:
    """Join keys of a window's credential: itself, its fingerprints, the SHA-256 a GitHub
    hashed_token stands for, and the secret it is linked to."""
    keys = [cred, cred.lower(), sha256(cred), "sha1:" + sha1(cred)]
    token_sha256 = _hashed_token_hex(cred)
    if token_sha256 is not None:
        keys.append(token_sha256)
    linked = links.get(cred)
    if isinstance(linked, str) and linked:
        keys.append(linked if linked.startswith("unhashed:") else linked.lower())
    return tuple(dict.fromkeys(keys))


def _stem(out) -> Path:
    p = Path(out)
    if p.is_dir():
        return p / "report"
    if p.suffix.lower() in (".html", ".htm", ".md"):
        p = p.with_suffix("")
    if not p.name:
        raise LeakLabError(reason="out must name a file stem or an existing directory")
    return p


def _ids(*pairs) -> list:
    """Every credential identifier in the given (frame, columns) pairs."""
    out: list = []
    for frame, cols in pairs:
        if frame is None:
            continue
        for c in cols:
            if c in frame.columns:
                out.extend(v for v in frame[c].astype(object).dropna().unique() if isinstance(v, str))
    return out


# --------------------------------------------------------------------------- closure


_EMPTY_WINDOWS = "the windows given have no rows: no exposure window to judge"


def closure(secrets, *, windows=None, uses=None, usage=None, ledger=None, links=None) -> Closure:
    """The closure criteria (:data:`CRITERIA`), computed from the data.

    - ``contained``: every window has a ``contained_at`` (incident-level rows, with no
      credential, included: an open incident is not closed), and each credential's
      containment is confirmed: the ledger's current decision for the credential's secret
      is revoked or rotated (:data:`CONFIRMING_LABELS`), or the credential expired
      (``contained_kind == "expired"``). With ``usage``, a call that did not fail after the
      containment (``contained_at_latest``) fails it too. Windows given without a row fail
      it: there is nothing to show contained.
    - ``documented``: every window has an ``exposed_from`` and it is not a lower bound
      (a window that starts at the first misuse only says when exposure began at latest).
    - ``usage_checked``: ``usage`` (the access logs searched) is given and names every
      credential with a window (as ``credential_id`` or ``issued_credential``): a
      credential the logs never mention was not looked up in them (or never used: the
      report cannot tell, so it asks for its provider's logs).
    - ``labelled``: the ledger has a current decision for every secret, other than
      ``needs_info``.
    - ``remediated``: :func:`leaklab.triage.remediation` has no secret still "to do".

    A window's credential is linked to a secret (and so to the ledger) when it is the
    secret's id or its SHA-256/SHA-1 is the secret's (an AWS access key id found by a
    scanner), or it is a GitHub ``hashed_token`` whose decoded SHA-256 is the secret's;
    ``links`` maps other names (``"github-pat"``) to secret ids. Missing inputs fail the
    criteria resting on them.
    """
    schema.validate(secrets, "secrets")
    fmt = _Fmt(_ids((windows, ("credential",)), (usage, ("credential_id", "issued_credential", "derived_from"))))
    cur, name, _ = _ledger(ledger)
    return _closure(secrets, windows, uses, usage, cur, name, dict(links or {}), fmt)


def _closure(secrets, windows, uses, usage, cur, ledger_name, links, fmt, rem=None) -> Closure:
    crit = []
    no_windows = ("no exposure windows given (windows=)",)
    creds = windows[windows["credential"].notna()].sort_values(["credential"], kind="stable") if windows is not None else None

    # contained and confirmed
    if windows is None:
        crit.append(Criterion("contained", CRITERIA["contained"], False, "windows", no_windows))
    elif not len(windows):
        crit.append(Criterion("contained", CRITERIA["contained"], False, "windows",
                              ("the exposure windows given have no rows: nothing shows the exposure contained",)))
    else:
        keys = [_credential_keys(c, links) for c in creds["credential"]]
        decided = _decisions(keys, cur)
        labels = _strings(cur["label"]) if cur is not None else []
        after = _calls_after_containment(creds, usage)
        fails = []
        for (_, w), d in zip(creds.iterrows(), decided):
            who = fmt(w["credential"], "cred")
            if bool(w["open"]) or isna(w["contained_at"]):
                fails.append(f"{who}: still open (exposed since {fmt(w['exposed_from'])}, as of {fmt(w['as_of'])})")
                continue
            kind = fmt(w["contained_kind"]) or "contained"
            label = labels[d] if d is not None else None
            if w["contained_kind"] != "expired" and label not in CONFIRMING_LABELS:
                why = f"the ledger says {label}" if label else ("no ledger given" if cur is None else "no decision in the ledger")
                fails.append(f"{who}: {kind} on {fmt(w['contained_at'])} per the timeline, but not confirmed "
                             f"({why}; record revoked or rotated)")
            n, first = after.get(w["credential"], (0, None))
            if n:
                fails.append(f"{who}: {n} call(s) not failing after containment, first at {fmt(first)}")
        # Incident-level windows (no credential): no ledger decision to confirm, but still open fails.
        incidents = windows[windows["credential"].isna()]
        incidents = incidents.assign(_who=incidents["incident"].astype(object).fillna("")).sort_values("_who", kind="stable")
        for _, w in incidents.iterrows():
            if bool(w["open"]) or isna(w["contained_at"]):
                who = f"incident {fmt(w['incident'])}" if fmt(w["incident"]) else "a window with no credential or incident"
                fails.append(f"{who}: still open (exposed since {fmt(w['exposed_from'])}, as of {fmt(w['as_of'])})")
        rests = "windows" + (f", {ledger_name}" if cur is not None else "") + (", access logs" if usage is not None else "")
        crit.append(Criterion("contained", CRITERIA["contained"], not fails, rests, tuple(fails)))

    # documented
    if windows is None:
        crit.append(Criterion("documented", CRITERIA["documented"], False, "windows", no_windows))
    elif not len(windows):  # nothing documented is not everything documented
        crit.append(Criterion("documented", CRITERIA["documented"], False, "windows", (_EMPTY_WINDOWS,)))
    else:
        fails = []
        order = windows.assign(_who=windows["credential"].fillna(windows["incident"])).sort_values("_who", kind="stable")
        for _, w in order.iterrows():
            who = fmt(w["credential"], "cred") if not isna(w["credential"]) else f"incident {fmt(w['incident'])}"
            if isna(w["exposed_from"]):
                fails.append(f"{who}: start of exposure unknown")
            elif w["lower_bound"] is True or (not isna(w["lower_bound"]) and bool(w["lower_bound"])):
                fails.append(f"{who}: starts at the first misuse ({fmt(w['exposed_from'])}); exposure began no later, "
                             "find when it began")
        crit.append(Criterion("documented", CRITERIA["documented"], not fails, "windows", tuple(fails)))

    # usage checked
    if windows is None or usage is None:
        missing = [m for m, f in (("exposure windows (windows=)", windows), ("access logs (usage=)", usage)) if f is None]
        crit.append(Criterion("usage_checked", CRITERIA["usage_checked"], False, "windows, access logs",
                              tuple(f"no {m} given" for m in missing)))
    elif not len(windows):
        crit.append(Criterion("usage_checked", CRITERIA["usage_checked"], False, "windows, access logs",
                              (_EMPTY_WINDOWS,)))
    else:
        named = set(usage["credential_id"].dropna()) | set(usage["issued_credential"].dropna())
        providers = ", ".join(sorted(set(usage["provider"].dropna()))) or "none"
        fails = [f"{fmt(c, 'cred')}: no event in the access logs given (providers: {providers}); "
                 "search its provider's logs" for c in creds["credential"] if c not in named]
        rests = "windows, access logs" + (", uses inside windows" if uses is not None else "")
        crit.append(Criterion("usage_checked", CRITERIA["usage_checked"], not fails, rests, tuple(fails)))

    # labelled
    order = _secret_order(secrets)
    s = secrets.take(order)
    what = [" ".join(x for x in (fmt(t), fmt(p), f"({fmt(i, 'fp')})") if x)
            for t, p, i in zip(s["secret_type"], s["redacted"], s["secret_id"])]
    if cur is None:
        crit.append(Criterion("labelled", CRITERIA["labelled"], False, "secrets, ledger", ("no ledger given (ledger=)",)))
    else:
        decided = _decisions(_secret_keys(s), cur)
        labels = _strings(cur["label"])
        fails = [f"{w}: " + ("no decision" if d is None else "needs_info (undecided)")
                 for w, d in zip(what, decided) if d is None or labels[d] == "needs_info"]
        crit.append(Criterion("labelled", CRITERIA["labelled"], not fails, f"secrets, {ledger_name}", tuple(fails)))

    # remediated
    if rem is None:
        rem = remediation(secrets, cur)
    todo = rem[rem["status"] == "to do"]
    by_id = dict(zip(_strings(s["secret_id"]), what))
    fails = [f"{by_id.get(i, fmt(i, 'fp'))}: {fmt(a)}" for i, a in zip(_strings(todo["secret_id"]), _strings(todo["action"]))]
    if cur is None:
        fails = ["no ledger given (ledger=)"] + fails
    crit.append(Criterion("remediated", CRITERIA["remediated"], not fails,
                          "secrets" + (f", {ledger_name}" if cur is not None else ""), tuple(fails)))
    return Closure(tuple(crit))


def _calls_after_containment(creds, usage) -> dict:
    """credential -> (calls not failing after its containment, time of the first)."""
    if usage is None or creds is None or not len(creds):
        return {}
    end = creds["contained_at_latest"].fillna(creds["contained_at"])
    ends = {c: e for c, e in zip(creds["credential"], end) if not isna(e)}
    u = usage[usage["credential_id"].isin(set(ends)) & ~usage["duplicate"].fillna(False).astype(bool)
              & (usage["outcome"] != "failure").fillna(True).astype(bool)]
    out = {}
    for c, t in sorted(zip(u["credential_id"], u["time"]), key=lambda ct: (ct[0], ct[1])):
        if t > ends[c]:
            n, first = out.get(c, (0, t))
            out[c] = (n + 1, first)
    return out


def _secret_order(secrets) -> list[int]:
    """Most severe first when scored (severity, then score), then by secret id: a stable order."""
    n = len(secrets)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    sev = _strings(secrets["severity"]) if "severity" in secrets.columns else [None] * n
    pts = secrets["score"].tolist() if "score" in secrets.columns else [0] * n
    ids = _strings(secrets["secret_id"])
    return sorted(range(n), key=lambda i: (rank.get(sev[i], len(rank)), -int(0 if isna(pts[i]) else pts[i]), ids[i] or ""))


# --------------------------------------------------------------------------- figures


def _png(fig) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata=_PNG_METADATA)
    return buf.getvalue()


# --------------------------------------------------------------------------- report


def report(out, *, title, secrets, findings=None, history=None, windows=None, uses=None, usage=None, reach=None,
           pivots=None, ledger=None, events=None, as_of=None, generated_at=None, links=None) -> Report:
    """Write the post-incident report as ``<stem>.html`` and ``<stem>.md``; return a :class:`Report`.

    Parameters
    ----------
    out
        A path stem: ``reports/incident-42`` writes ``reports/incident-42.html``,
        ``reports/incident-42.md`` and the Markdown's figures
        ``reports/incident-42-<figure>.png`` (a trailing ``.html`` or ``.md`` is dropped).
        An existing directory means ``<dir>/report``. Parent directories are created;
        existing files are replaced.
    title
        The report's title (escaped like every other text).
    secrets
        The secrets frame (:func:`leaklab.dedupe`), scored or not (:func:`leaklab.score`).
    findings
        The findings frame it came from: counts and rule ids per tool.
    history
        :func:`leaklab.history` output: who introduced each secret, whether HEAD still holds it.
    windows
        :func:`leaklab.exposure_windows` (plus :func:`leaklab.derived_windows`) output.
    uses
        :func:`leaklab.usage_in_windows` output (``by="use"``); computed from ``windows``
        and ``usage`` when not given.
    usage
        The access logs searched (:func:`leaklab.load_access_logs`): which credentials
        they cover, and calls after containment.
    reach
        :func:`leaklab.blast_radius` output (``by="resource"``: summary, sensitive
        resources and pivots; ``by="credential"`` or ``by="pivot"`` are shown as given).
    pivots
        :func:`leaklab.blast_radius` output with ``by="pivot"`` for the same credentials: the
        pivot counts and table then include credentials reached through a store that have
        no grants of their own (they have no rows in ``reach``).
    ledger
        A :class:`leaklab.Ledger`, the path of its file, or its ``current()`` frame.
    events
        The timeline (:func:`leaklab.load_timeline`): the incident timeline chart and table.
    as_of
        The time the data is as of, shown in the header (default: the windows' ``as_of``).
    generated_at
        A time to print as the generation time; without it, no timestamp is written.
    links
        Maps window credentials named by label (``"github-pat"``) to secret ids, so the
        ledger can confirm their containment (see :func:`closure`).
    """
    schema.validate(secrets, "secrets")
    for frame, kind in ((findings, "findings"), (history, "history"), (windows, "windows"), (events, "events"),
                        (usage, "usage")):
        if frame is not None:
            schema.validate(frame, kind)
    if uses is None and usage is not None and windows is not None:
        from .usage import usage_in_windows

        uses = usage_in_windows(windows, usage)
    if uses is not None:
        _require(uses, "uses", ("time", "credential_id", "outcome", "source_ip", "suspicious"))
    links = dict(links or {})
    if as_of is not None:
        as_of = _utc(as_of, "as_of")
    elif windows is not None and windows["as_of"].notna().any():
        as_of = windows["as_of"].max()
    generated = _utc(generated_at, "generated_at") if generated_at is not None else None

    fmt = _Fmt(_ids((windows, ("credential", "parent")), (events, ("credential",)),
                    (usage, ("credential_id", "issued_credential", "derived_from")),
                    (uses, ("credential_id", "issued_credential", "derived_from")),
                    (reach, ("credential", "acting_credential", "reached_credential", "parent"))))
    cur, ledger_name, n_entries = _ledger(ledger)
    rem = remediation(secrets, cur, history=history)
    verdict = _closure(secrets, windows, uses, usage, cur, ledger_name, links, fmt, rem=rem)

    sections = [_summary(secrets, findings, windows, uses, usage, reach, cur, ledger_name, rem, verdict, fmt, pivots)]
    sections.append(_what_leaked(secrets, findings, history, cur, ledger_name, fmt))
    if events is not None:
        sections.append(_timeline(events, fmt))
    if windows is not None:
        sections.append(_windows(windows, uses, events, fmt))
    if uses is not None or usage is not None:
        sections.append(_usage(windows, uses, usage, fmt))
    if reach is not None:
        sections.append(_blast(reach, fmt, pivots))
    if cur is not None:
        sections.append(_triage(cur, secrets, ledger_name, n_entries, fmt))
    sections.append(_remediation(rem, cur, ledger_name, history, fmt))
    sections.append(_closure_section(verdict))

    stem = _stem(out)
    stem.parent.mkdir(parents=True, exist_ok=True)
    figures = []
    for sec in sections:
        for b in sec.blocks:
            if isinstance(b, _Figure):
                path = stem.with_name(f"{stem.name}-{b.key}.png")
                path.write_bytes(b.png)
                figures.append(path)
    header = []
    if as_of is not None:
        header.append(f"Data as of {fmt(as_of)}.")
    if generated is not None:
        header.append(f"Generated at {fmt(generated)}.")
    html_path, md_path = stem.with_name(stem.name + ".html"), stem.with_name(stem.name + ".md")
    html_path.write_text(_render_html(title, header, sections), encoding="utf-8", newline="\n")
    md_path.write_text(_render_markdown(title, header, sections, stem.name), encoding="utf-8", newline="\n")
    return Report(html_path, md_path, tuple(figures), verdict)


# --------------------------------------------------------------------------- sections


def _count_by(values, order=None) -> str:
    from collections import Counter

    c = Counter(v for v in values if v is not None)
    keys = [k for k in order if k in c] if order else sorted(c)
    return ", ".join(f"{c[k]} {k}" for k in keys)


def _summary(secrets, findings, windows, uses, usage, reach, cur, ledger_name, rem, verdict, fmt, pivots=None) -> _Section:
    items = []
    n = len(secrets)
    live = int(secrets["verified"].fillna(False).astype(bool).sum())
    line = f"{n} distinct secret(s); {live} verified live by a scanner"
    if findings is not None:
        tools = sorted({t for t in _strings(findings["tool"]) if t})
        line += f"; from {len(findings)} finding(s) by {len(tools)} tool(s): {fmt(', '.join(tools))}"
    items.append(([line + "."], []))
    if "severity" in secrets.columns:
        items.append(([f"Severity: {fmt(_count_by(_strings(secrets['severity']), SEVERITIES))}."], []))
    rests = [f"secrets ({n})"] + ([f"findings ({len(findings)})"] if findings is not None else [])
    if windows is not None:
        rests.append(f"windows ({len(windows)})")
        w = windows[windows["exposed_from"].notna()]
        open_ = int(windows["open"].fillna(False).astype(bool).sum())
        text = f"{len(windows)} exposure window(s), {open_} still open"
        if len(w) and w["window_days_max"].notna().any():
            r = w.loc[w["window_days_max"].astype("float").idxmax()]
            who = fmt(r["credential"], "cred") if not isna(r["credential"]) else fmt(r["incident"])
            text += f"; longest: {who}, {_days(r['window_days_min'], r['window_days_max'])} day(s)"
        items.append(([text + "."], []))
    if uses is not None:
        rests.append(f"uses inside windows ({len(uses)})")
        bad = int(uses["suspicious"].fillna(False).astype(bool).sum())
        who = uses["credential_id"].dropna().nunique()
        items.append(([f"{len(uses)} use(s) inside exposure windows by {who} credential(s); ", ("b", f"{bad} suspicious"),
                       "."], []))
    if usage is not None:
        rests.append(f"access logs ({len(usage)} events)")
    if reach is not None:
        rests.append(f"reach ({len(reach)})")
        if "acting_credential" in reach.columns:
            n_res = reach["resource"].astype(object).dropna().nunique()
            piv = (pivots["reached_credential"].astype(object).dropna().nunique() if pivots is not None else
                   reach.loc[reach["hops"].fillna(0) > 0, "acting_credential"].astype(object).dropna().nunique())
            items.append(([f"Blast radius: {reach['credential'].astype(object).dropna().nunique()} credential(s) reach "
                           f"{n_res} resource(s); {piv} further credential(s) through pivots."], []))
    if cur is not None:
        rests.append(ledger_name)
        decided = sum(1 for k in _decisions(_secret_keys(secrets), cur) if k is not None)
        items.append(([f"Triage: {decided} of {n} secret(s) have a decision."], []))
    todo = int((rem["status"] == "to do").sum())
    items.append(([f"Remediation: {todo} item(s) to do, {len(rem) - todo} done or needing no action."], []))
    items.append(([("b", verdict.verdict())], []))
    return _Section("summary", "Summary", ", ".join(rests), [_List(items)])


def _what_leaked(secrets, findings, history, cur, ledger_name, fmt) -> _Section:
    import pandas as pd

    s = secrets.take(_secret_order(secrets)).reset_index(drop=True)
    rests = [f"secrets ({len(s)})"]
    spec = [("secret", "secret_id", "fp"), ("type", "secret_type", "text"), ("preview", "redacted", "text")]
    if "severity" in s.columns:
        spec.append(("severity", "severity", "text"))
    if "score" in s.columns:
        spec.append(("score", "score", "text"))
    spec += [("verified", "verified", "bool"), ("tools", "tools", "text"), ("findings", "n_findings", "text"),
             ("repos", "repos", "text"), ("files", "files", "text"), ("first commit", "first_commit_time", "text")]
    if history is not None:
        rests.append(f"history ({len(history)})")
        rows = _decisions(_secret_keys(s), history.assign(line=range(len(history))))
        for col in ("introduced_author", "still_in_head", "present_refs"):
            vals = history[col].tolist()
            s[f"_h_{col}"] = pd.Series([None if r is None else vals[r] for r in rows], dtype="object")
        spec += [("introduced by", "_h_introduced_author", "text"), ("still in HEAD", "_h_still_in_head", "bool"),
                 ("branch tips holding it", "_h_present_refs", "text")]
    if cur is not None:
        rests.append(ledger_name)
        rows = _decisions(_secret_keys(s), cur)
        labels = cur["label"].tolist()
        s["_decision"] = pd.Series([None if r is None else labels[r] for r in rows], dtype="object")
        spec.append(("decision", "_decision", "text"))
    blocks = [_Para(["One row per distinct secret. Values appear only as redacted previews; fingerprints "
                     "(SHA-256) are shortened."]), _table(s, spec, fmt)]
    if findings is not None:
        rests.append(f"findings ({len(findings)})")
        blocks += [_Para(["Findings by tool (rows reported, and the rules that fired):"]), _tools(findings, fmt)]
    return _Section("what-leaked", "What leaked", ", ".join(rests), blocks)


def _tools(findings, fmt) -> _Table:
    tools = _strings(findings["tool"])
    versions, rules, ids = _strings(findings["tool_version"]), _strings(findings["rule_id"]), _strings(findings["secret_sha256"])
    by: dict = {}
    for t, v, r, i in zip(tools, versions, rules, ids):
        d = by.setdefault(t or "", {"v": set(), "r": set(), "i": set(), "n": 0})
        d["n"] += 1
        for key, val in (("v", v), ("r", r), ("i", i)):
            if val is not None:
                d[key].add(val)
    rows = []
    for t in sorted(by):
        d = by[t]
        rs = sorted(d["r"])
        shown = ", ".join(rs[:_MAX_RULES]) + (f", … {len(rs) - _MAX_RULES} more" if len(rs) > _MAX_RULES else "")
        rows.append([fmt(t), fmt(", ".join(sorted(d["v"]))), str(d["n"]), str(len(d["i"])), fmt(shown)])
    return _Table(["tool", "version", "findings", "distinct fingerprints", "rule ids"], rows)


def _timeline(events, fmt) -> _Section:
    from .plots import incident_timeline

    ev = events.sort_values(["time", "time_latest", "kind", "credential", "detail"], kind="stable",
                            na_position="last").reset_index(drop=True)
    # As objects first: mapping a column of only NA gives an arrow null dtype, whose fillna
    # (incident_timeline's) cannot take strings.
    shown = ev.assign(credential=ev["credential"].astype(object).map(lambda c: fmt(c, "cred") if isinstance(c, str) else c),
                      incident=ev["incident"].astype(object).map(lambda c: fmt(c) if isinstance(c, str) else c))
    png = _png(incident_timeline(shown))
    when = [fmt(t, "date") if p in ("day", "month", "year") else fmt(t) for t, p in zip(ev["time"], ev["precision"])]
    ev = ev.assign(_when=when)
    table = _table(ev, [("time (UTC)", "_when", "text"), ("precision", "precision", "text"), ("kind", "kind", "text"),
                        ("credential", "credential", "cred"), ("incident", "incident", "text"),
                        ("source", "source", "text"), ("detail", "detail", "text")], fmt)
    return _Section("timeline", "Timeline", f"events ({len(events)})",
                    [_Figure("timeline", "Incident timeline: events per credential on a UTC time axis", png), table])


def _windows(windows, uses, events, fmt) -> _Section:
    from .plots import exposure_gantt

    w = windows.assign(_who=windows["credential"].fillna(windows["incident"]))
    w = w.sort_values(["exposed_from", "_who"], kind="stable", na_position="last").reset_index(drop=True)
    labels = {c: fmt(c, "cred") for c in w["credential"].dropna()}
    milestones = events[events["credential"].isna()] if events is not None else None
    blocks = []
    if w["exposed_from"].notna().any():
        fig = exposure_gantt(w, uses=uses, milestones=milestones if milestones is not None and len(milestones) else None,
                             labels=labels)
        blocks.append(_Figure("exposure", "Exposure windows per credential, from exposure to containment", _png(fig)))
    w = w.assign(_days=[_days(a, b) for a, b in zip(w["window_days_min"], w["window_days_max"])],
                 _ttd=[_days(a, b) for a, b in zip(w["ttd_days_min"], w["ttd_days_max"])],
                 _ttc=[_days(a, b) for a, b in zip(w["ttc_days_min"], w["ttc_days_max"])])
    blocks.append(_Para(["Day counts are whole calendar days (UTC), end minus start; a range where an event is "
                         "known only to the day, month or year. Open windows are measured to their as-of time."]))
    blocks.append(_table(w, [
        ("credential", "credential", "cred"), ("incident", "incident", "text"), ("minted by", "parent", "cred"),
        ("starts with", "start_kind", "text"), ("exposed from", "exposed_from", "text"),
        ("start is a lower bound", "lower_bound", "bool"), ("detected", "detected_at", "text"),
        ("contained", "contained_at", "text"), ("how", "contained_kind", "text"), ("open", "open", "bool"),
        ("days exposed", "_days", "text"), ("days to detect", "_ttd", "text"), ("days to contain", "_ttc", "text"),
    ], fmt))
    rests = f"windows ({len(windows)})" + (f", uses inside windows ({len(uses)})" if uses is not None else "") + \
        (f", events ({len(events)})" if events is not None else "")
    return _Section("exposure-windows", "Exposure windows", rests, blocks)


def _usage(windows, uses, usage, fmt) -> _Section:
    import pandas as pd

    blocks, rests = [], []
    counts = {}
    if uses is not None:
        rests.append(f"uses inside windows ({len(uses)}, usage_in_windows)")
        ok = uses["outcome"].astype("string")
        bad = uses["suspicious"].fillna(False).astype(bool)
        for c, g in uses.assign(_ok=ok, _bad=bad).groupby("credential_id", sort=True, dropna=True):
            counts[c] = {"n": len(g), "ok": int((g["_ok"] == "success").fillna(False).sum()),
                         "fail": int((g["_ok"] == "failure").fillna(False).sum()), "bad": int(g["_bad"].sum()),
                         "ips": g["source_ip"].dropna().nunique(), "first": g["time"].min(), "last": g["time"].max()}
    in_logs = {}
    if usage is not None:
        span = usage["time"].dropna()
        providers = ", ".join(sorted(set(usage["provider"].dropna())))
        rests.append(f"access logs ({len(usage)} events" + (f"; {fmt(providers)}" if providers else "") +
                     (f"; {fmt(span.min())} to {fmt(span.max())}" if len(span) else "") + ")")
        in_logs = usage["credential_id"].value_counts().to_dict()
    creds = sorted(set(counts) | (set(windows["credential"].dropna()) if windows is not None else set()))
    rows = []
    for c in creds:
        d = counts.get(c, {})
        rows.append({"credential": c, "in_logs": in_logs.get(c, 0) if usage is not None else None,
                     "n": d.get("n", 0 if uses is not None else None), "ok": d.get("ok"), "fail": d.get("fail"),
                     "bad": d.get("bad"), "ips": d.get("ips"), "first": d.get("first"), "last": d.get("last")})
    frame = pd.DataFrame(rows, columns=["credential", "in_logs", "n", "ok", "fail", "bad", "ips", "first", "last"])
    blocks.append(_Para(["Uses of each credential inside its exposure window (a log delivered twice counts once); "
                         "“events in logs” counts every event naming the credential, in or out of its window."]))
    blocks.append(_table(frame, [("credential", "credential", "cred"), ("events in logs", "in_logs", "text"),
                                 ("uses in window", "n", "text"), ("succeeded", "ok", "text"), ("failed", "fail", "text"),
                                 ("suspicious", "bad", "text"), ("source IPs", "ips", "text"),
                                 ("first use", "first", "text"), ("last use", "last", "text")], fmt))
    if uses is not None:
        bad = uses[uses["suspicious"].fillna(False).astype(bool)].sort_values(["time", "credential_id"], kind="stable")
        blocks.append(_Para(["Suspicious uses: a source IP or user agent the credential had not used before its "
                             "window began, or one outside the known sources."]))
        note = f"First {_MAX_USES} of {len(bad)} suspicious uses shown." if len(bad) > _MAX_USES else None
        blocks.append(_table(bad.head(_MAX_USES), [
            ("time (UTC)", "time", "text"), ("credential", "credential_id", "cred"), ("action", "action", "text"),
            ("resource", "resource", "text"), ("source IP", "source_ip", "text"), ("user agent", "user_agent", "text"),
            ("outcome", "outcome", "text"), ("error", "error", "text"), ("new IP", "new_ip", "bool"),
            ("new user agent", "new_user_agent", "bool"), ("unknown source", "unknown_source", "bool")], fmt, note))
    return _Section("usage", "Usage found", ", ".join(rests), blocks)


_ACCESS_RANK = {"admin": 0, "write": 1, "read": 2, "unknown": 3, "none": 4}


def _blast(reach, fmt, pivots=None) -> _Section:
    import pandas as pd

    cols = set(reach.columns)
    blocks = [_Para(["Permitted reach (approximate: conditions are reported, not evaluated), not proof of access."])]
    r = reach.astype({c: object for c in reach.columns if str(reach[c].dtype) == "category"})
    if {"acting_credential", "hops", "resource", "access"} <= cols:
        from .plots import blast_reach

        blocks.append(_Figure("blast", "Blast radius: distinct resources each credential can reach, by data class",
                              _png(blast_reach(reach))))
        rows = []
        p = None if pivots is None else pivots.astype({c: object for c in pivots.columns if str(pivots[c].dtype) == "category"})
        for c, g in r.groupby("credential", sort=True, dropna=True):
            res = g.drop_duplicates("resource")
            mine = None if p is None else p[p["credential"] == c]
            dc = res["data_class"].fillna("")
            best = min((_ACCESS_RANK.get(a, 5) for a in g["access"].dropna()), default=5)
            rows.append({"credential": c, "n": res["resource"].nunique(),
                         "sensitive": int(dc.isin(["secret", "restricted"]).sum()),
                         "best": {v: k for k, v in _ACCESS_RANK.items()}.get(best),
                         "hops": int(max(g["hops"].max(), mine["hops"].max() if mine is not None and len(mine) else 0)),
                         "pivots": (mine["reached_credential"].nunique() if mine is not None
                                    else g.loc[g["hops"] > 0, "acting_credential"].nunique()),
                         "approx": bool(g["approx"].fillna(False).any()),
                         "used": int(g["used"].fillna(False).astype(bool).sum()) if "used" in g.columns else None})
        summary = pd.DataFrame(rows, columns=["credential", "n", "sensitive", "best", "hops", "pivots", "approx", "used"])
        blocks.append(_table(summary, [("credential", "credential", "cred"), ("resources", "n", "text"),
                                       ("secret or restricted", "sensitive", "text"), ("highest access", "best", "text"),
                                       ("pivot depth", "hops", "text"), ("credentials via pivots", "pivots", "text"),
                                       ("approximate", "approx", "bool"), ("rows used (logs)", "used", "text")], fmt))
        sens = r[r["data_class"].isin(["secret", "restricted", "confidential"])]
        sens = sens.assign(_rank=sens["access"].map(lambda a: _ACCESS_RANK.get(a, 5)))
        sens = sens.sort_values(["credential", "resource", "_rank", "permission"], kind="stable")
        sens = sens.drop_duplicates(["credential", "resource"]).reset_index(drop=True)
        if len(sens):
            note = f"First {_MAX_SENSITIVE} of {len(sens)} shown." if len(sens) > _MAX_SENSITIVE else None
            blocks.append(_Para(["Sensitive resources reached (confidential, restricted or secret):"]))
            blocks.append(_table(sens.head(_MAX_SENSITIVE), [
                ("credential", "credential", "cred"), ("resource", "resource", "text"), ("kind", "resource_type", "text"),
                ("data class", "data_class", "text"), ("access", "access", "text"), ("permission", "permission", "text"),
                ("via", "acting_credential", "cred")], fmt, note))
        if p is not None:  # every credential reached, grants of its own or not
            piv = p.rename(columns={"reached_credential": "acting_credential", "chain": "pivot_path"})
        else:
            piv = r[r["hops"].fillna(0) > 0].drop_duplicates(["credential", "acting_credential"])
        piv = piv.sort_values(["credential", "hops", "acting_credential"], kind="stable")
        blocks.append(_Para(["Pivots: credentials reachable through stores the leaked ones can read."]))
        blocks.append(_table(piv, [("credential", "credential", "cred"), ("reaches credential", "acting_credential", "cred"),
                                   ("hops", "hops", "text"), ("path", "pivot_path", "text")], fmt))
    elif "n_resources" in cols:
        spec = [(c.replace("_", " "), c, "cred" if c == "credential" else "text") for c in r.columns]
        blocks.append(_table(r.sort_values("credential", kind="stable"), spec, fmt))
    elif "reached_credential" in cols:
        spec = [(c.replace("_", " "), c, "cred" if c in ("credential", "reached_credential", "parent") else "text")
                for c in r.columns]
        blocks.append(_table(r.sort_values(["credential", "hops", "reached_credential"], kind="stable"), spec, fmt))
    else:
        raise LeakLabError(reason="reach must be leaklab.blast_radius output (by='resource', 'credential' or 'pivot')")
    return _Section("blast-radius", "Blast radius", f"reach ({len(reach)} rows, blast_radius)", blocks)


def _triage(cur, secrets, ledger_name, n_entries, fmt) -> _Section:
    import pandas as pd

    c = cur.sort_values("line", kind="stable").reset_index(drop=True) if "line" in cur.columns else cur.reset_index(drop=True)
    idx = _index_fingerprints(secrets)
    types, previews = _strings(secrets["secret_type"]), _strings(secrets["redacted"])
    found = [_all_matches(k, idx) for k in _secret_keys(c)]
    c = c.assign(_what=pd.Series([f"{types[m[0]] or ''} {previews[m[0]] or ''}".strip() if m else None for m in found],
                                 dtype="object"))
    spec = [("secret", "secret_id", "fp"), ("what", "_what", "text"), ("decision", "label", "text"),
            ("severity override", "severity", "text"), ("reason", "reason", "text"), ("analyst", "analyst", "text"),
            ("time (UTC)", "time", "text"), ("evidence", "evidence", "text"), ("entries", "n_entries", "text")]
    return _Section("triage", "Triage decisions", f"{ledger_name} ({len(cur)} current decisions, {n_entries} entries)",
                    [_Para(["Each secret's current decision after replaying the ledger (latest entry wins, undos applied)."]),
                     _table(c, spec, fmt)])


def _remediation(rem, cur, ledger_name, history, fmt) -> _Section:
    shown = rem.copy()
    for col in shown.columns:
        if col == "secret_id":
            continue
        if str(shown[col].dtype).startswith("string"):
            shown[col] = shown[col].map(lambda v: fmt(v) if isinstance(v, str) else v).astype("string")
    # No repository is None, not NA: the checklist compares groups, and NA has no truth value.
    shown["group"] = shown["group"].astype(object).where(shown["group"].notna(), None)
    rests = ["secrets"] + ([ledger_name] if cur is not None else []) + ([f"history ({len(history)})"] if history is not None else [])
    return _Section("remediation", "Remediation checklist", ", ".join(rests),
                    [_Para(["What to rotate, by repository: checked when done or when no action is needed."]),
                     _Checklist(shown)])


def _closure_section(verdict: Closure) -> _Section:
    items = []
    for c in verdict.criteria:
        items.append(([("b", "PASS" if c.passed else "FAIL"), f" {c.name}: {c.description} (rests on: {c.rests_on})"],
                      list(c.failures)))
    return _Section("closure", "Closure criteria", "the sections above", [_List(items), _Para([("b", verdict.verdict())])])


# --------------------------------------------------------------------------- HTML


def _h(text: str) -> str:
    """Escaped HTML text; ``text`` is already neutralized (or trusted)."""
    return html.escape(neutralize(text), quote=True)


def _h_parts(parts) -> str:
    out = []
    for p in parts:
        if isinstance(p, tuple):
            cls = ' class="pass"' if p[1] == "PASS" else ' class="fail"' if p[1] == "FAIL" else ""
            out.append(f"<strong{cls}>{_h(p[1])}</strong>")
        else:
            out.append(_h(p))
    return "".join(out)


def _render_html(title, header, sections) -> str:
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',  # a constant, no quote to escape
           '<meta name="referrer" content="no-referrer">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_h(str(title))}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
           f"<h1>{_h(str(title))}</h1>"]
    if header:
        out.append(f'<p class="meta">{_h(" ".join(header))}</p>')
    out.append("<nav><ul>" + "".join(f'<li><a href="#{s.id}">{_h(s.title)}</a></li>' for s in sections) + "</ul></nav>")
    for s in sections:
        out += [f'<section id="{s.id}">', f"<h2>{_h(s.title)}</h2>", f'<p class="rests">Rests on: {_h(s.rests_on)}.</p>']
        for b in s.blocks:
            out.append(_html_block(b))
        out.append("</section>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def _html_block(b) -> str:
    if isinstance(b, _Para):
        return f"<p>{_h_parts(b.parts)}</p>"
    if isinstance(b, _Table):
        if not b.rows:
            return '<p class="note">(no rows)</p>'
        head = "".join(f"<th>{_h(c)}</th>" for c in b.columns)
        body = "\n".join("<tr>" + "".join(f"<td>{_h(v)}</td>" for v in r) + "</tr>" for r in b.rows)
        note = f'\n<p class="note">{_h(b.note)}</p>' if b.note else ""
        return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>{note}"
    if isinstance(b, _List):
        items = []
        for parts, subs in b.items:
            sub = ("<ul>" + "".join(f"<li>{_h(x)}</li>" for x in subs) + "</ul>") if subs else ""
            items.append(f"<li>{_h_parts(parts)}{sub}</li>")
        return "<ul>\n" + "\n".join(items) + "\n</ul>"
    if isinstance(b, _Figure):
        data = base64.b64encode(b.png).decode("ascii")
        return f'<figure><img alt="{_h(b.alt)}" src="data:image/png;base64,{data}"><figcaption>{_h(b.alt)}</figcaption></figure>'
    if isinstance(b, _Checklist):
        return _html_checklist(b.frame)
    raise TypeError(type(b).__name__)  # pragma: no cover


def _html_checklist(frame) -> str:
    if frame.empty:
        return "<p>No secrets to remediate.</p>"
    out, current = [], object()
    for r in frame.to_dict("records"):
        group = r["group"] if isinstance(r["group"], str) else None
        if group != current:
            if out:
                out.append("</ul>")
            current = group
            out += [f"<h3>{_h(group or '(no repository)')}</h3>", '<ul class="checklist">']
        box = "☐" if r["status"] == "to do" else "☑"
        sev = f"<strong>{_h(r['severity'])}</strong> " if not isna(r.get("severity")) else ""
        detail = [f"{name}: {value}" for name, value in checklist_details(r)]
        out.append(f"<li>{box} {sev}{_h(str(r['secret_type'] or ''))} {_h(str(r['redacted'] or ''))}: "
                   f"{_h(str(r['action']))} ({_h('; '.join(detail))})</li>")
    out.append("</ul>")
    return "\n".join(out)


# --------------------------------------------------------------------------- Markdown


def _m(text: str) -> str:
    """Inline Markdown for a (neutralized) value: leaklab.triage's escaping."""
    return markdown_text(text)


def _m_parts(parts) -> str:
    return "".join(f"**{_m(p[1])}**" if isinstance(p, tuple) else _m(p) for p in parts)


def _render_markdown(title, header, sections, stem: str) -> str:
    out = [f"# {_m(str(title))}", ""]
    if header:
        out += [_m(" ".join(header)), ""]
    for s in sections:
        out += [f"## {_m(s.title)}", "", f"_Rests on: {_m(s.rests_on)}._", ""]
        for b in s.blocks:
            out += [_md_block(b, stem), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _md_block(b, stem: str) -> str:
    if isinstance(b, _Para):
        return _m_parts(b.parts)
    if isinstance(b, _Table):
        if not b.rows:
            return "(no rows)"
        lines = ["| " + " | ".join(_m(c) for c in b.columns) + " |", "| " + " | ".join("---" for _ in b.columns) + " |"]
        lines += ["| " + " | ".join(_m(v) for v in r) + " |" for r in b.rows]
        if b.note:
            lines += ["", _m(b.note)]
        return "\n".join(lines)
    if isinstance(b, _List):
        lines = []
        for parts, subs in b.items:
            lines.append(f"- {_m_parts(parts)}")
            lines += [f"  - {_m(x)}" for x in subs]
        return "\n".join(lines)
    if isinstance(b, _Figure):
        return f"![{_m(b.alt)}]({quote(f'{stem}-{b.key}.png')})"
    if isinstance(b, _Checklist):
        text = remediation_markdown(b.frame, title=None).rstrip("\n")
        # One level below the section's heading: groups are "## <group>" in the export.
        return "\n".join("#" + line if line.startswith("## ") else line for line in text.split("\n"))
    raise TypeError(type(b).__name__)  # pragma: no cover
