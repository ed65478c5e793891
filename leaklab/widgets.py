"""The triage board: filter, sort, page, inspect and label secrets, in a notebook or without one.

Everything the board does is a plain function first, so scripts and tests triage with no
front end:

- :func:`prepare` indexes a secrets frame once (categorical codes per filter, cached sort
  orders), so a filter + sort + page at 100,000 secrets costs milliseconds;
- :func:`view` -> ``(page frame, total matching)``;
- :func:`page_html` and :func:`detail_html` render one page / one secret as HTML in which
  every value is escaped and control or bidi characters are shown as visible escapes;
- :func:`label` and :func:`undo` write decisions through :class:`~leaklab.ledger.Ledger`
  (:func:`undo` with ``secrets=`` also takes back decisions keyed by a secret's SHA-1).

:func:`triage_board` wraps them in ipywidgets (imported only there) and keeps its values in
a module registry, so re-running the cell brings back the filters, page and selection.

    >>> import leaklab
    >>> s = leaklab.schema.build("secrets", {
    ...     "secret_id": ["a" * 64, "b" * 64, "c" * 64],
    ...     "secret_type": ["aws-access-key", "github-token", "aws-access-key"],
    ...     "tools": ["gitleaks, trufflehog", "gitleaks", "detect-secrets"],
    ...     "redacted": ["AKIA…AA", "ghp_…BB", "AKIA…CC"]})
    >>> page, total = view(s, filters={"tool": ["trufflehog", "detect-secrets"]}, sort="secret_id", ascending=False)
    >>> total, list(page["redacted"])
    (2, ['AKIA…CC', 'AKIA…AA'])
    >>> "<script>" in page_html(s.assign(secret_type="<script>"))
    False
"""

from __future__ import annotations

import html
import math
import os
import re

from .errors import LeakLabError
from .ledger import LABELS, Ledger
from .schema import isna

#: The value a filter uses for "no value" (an undecided secret, a row without a repo).
NONE = "(none)"

#: Board filter name -> the column it filters. ``tools`` and ``repos`` hold comma-separated
#: lists; a row matches when any of its listed values is selected.
FILTERS = {"type": "secret_type", "severity": "severity", "tool": "tools", "repo": "repos", "label": "triage_label"}
_LIST_COLUMNS = {"tools", "repos"}

#: Severities from leaklab.triage, most severe first (sorting by severity uses this order).
SEVERITIES = ("critical", "high", "medium", "low", "info")

#: Columns a page shows, in order, when present.
PAGE_COLUMNS = ("secret_id", "severity", "score", "secret_type", "redacted", "verified", "tools", "repos", "files",
                "n_findings", "last_commit_time", "triage_label")

#: Columns the board offers to sort by, when present.
SORTABLE = ("score", "severity", "secret_type", "n_findings", "n_tools", "n_locations", "first_commit_time",
            "last_commit_time", "triage_label", "triage_time", "secret_id")

# Sorted biggest (or most severe) first unless asked otherwise; text and times sort ascending.
_DESCENDING = {"score", "severity", "n_findings", "n_tools", "n_locations", "verified"}

# Fingerprints are shown shortened; credential identifiers as previews (fingerprint.redact).
_FINGERPRINTS = {"secret_id", "secret_sha256", "secret_sha1", "entry_id", "undoes", "introduced_commit",
                 "removed_commit"}
_CREDENTIALS = {"credential", "credential_id", "parent", "issued_credential", "derived_from", "acting_credential",
                "reached_credential"}
# A fingerprint standing in a credential column (a window keyed by secret id): shortened like one.
_FINGERPRINT_LIKE = re.compile(r"(?:sha1:)?[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")

# C0/C1 controls (newlines included), bidi embeddings/overrides/isolates and marks, zero-width
# and invisible formatting characters, line/paragraph separators, interlinear annotations,
# lone surrogates and tag characters: each is shown as a visible escape instead, so a file
# name cannot reorder or hide what an analyst reads.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff"
                     "\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

_STYLE = ("<style>.leaklab-board{border-collapse:collapse;font-size:12px}"
          ".leaklab-board th,.leaklab-board td{border:1px solid #ddd;padding:2px 6px;text-align:left;"
          "vertical-align:top;white-space:nowrap}.leaklab-board tr.leaklab-selected{background:#fff3c4}"
          ".leaklab-detail h4{margin:8px 0 2px}.leaklab-detail table{border-collapse:collapse;font-size:12px}"
          ".leaklab-detail th,.leaklab-detail td{border:1px solid #eee;padding:1px 6px;text-align:left;"
          "vertical-align:top}</style>")


# ---------------------------------------------------------------------- text


def neutralize(text: str) -> str:
    """``text`` with control, bidi and invisible characters replaced by visible escapes.

        >>> neutralize("invoice\\u202egpj.exe\\nline2")
        'invoice\\\\u202egpj.exe\\\\nline2'
    """
    return _UNSAFE.sub(lambda m: _NAMED.get(m.group(), f"\\u{ord(m.group()):04x}" if ord(m.group()) < 0x10000
                                            else f"\\U{ord(m.group()):08x}"), text)


def _short_fp(v: str, n: int = 12) -> str:
    if v.startswith("sha1:"):
        return "sha1:" + _short_fp(v[5:], n)
    if v.startswith("unhashed:"):
        return v if len(v) <= 40 else v[:39] + "…"
    return v if len(v) <= n else v[:n] + "…"


def _display(col: str | None, v, limit: int | None = 80, fp: int = 12) -> str:
    """The plain text shown for one value (not yet escaped)."""
    if isna(v):
        return ""
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return "yes" if v else "no"
    if hasattr(v, "strftime") and hasattr(v, "tzinfo"):
        return v.strftime("%Y-%m-%d %H:%M") + ("Z" if v.tzinfo is not None else "")
    if isinstance(v, float):
        return f"{v:g}"
    s = str(v)
    if col in _FINGERPRINTS:
        s = _short_fp(s, fp)
    elif col in _CREDENTIALS:
        from .fingerprint import redact

        # Credential ids (AWS key ids, Slack and GitHub token ids, token hashes) are joined on,
        # never displayed whole, whatever their alphabet: a fingerprint shortened, anything else
        # as a preview.
        s = _short_fp(s, fp) if _FINGERPRINT_LIKE.fullmatch(s) else redact(s)
    else:  # free text (file names, details, resources) may quote a key id: show it as a preview
        from .fingerprint import scrub_text

        s = scrub_text(s)
    s = neutralize(s)
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "…"
    return s


def _esc(text: str) -> str:
    return html.escape(neutralize(text), quote=True)


def _cell(col: str | None, v, limit: int | None = 80, fp: int = 12) -> str:
    return html.escape(_display(col, v, limit, fp), quote=True)


def _split(v) -> list[str]:
    if isna(v):
        return []
    return [p.strip() for p in str(v).split(",") if p.strip()]


# ---------------------------------------------------------------------- the index


class BoardData:
    """A secrets frame indexed for the board: build once, then :meth:`view` is cheap.

    ``frame`` is a copy of ``secrets`` with the ledger's ``triage_label``, ``triage_reason``,
    ``triage_analyst`` and ``triage_time`` (:meth:`Ledger.apply`); without a ledger, a
    ``triage_label`` column the frame already has is used, else every row is undecided.
    Each filter column is factorized once (list columns into their distinct lists, each
    mapped to the values it holds), and each sort order is computed on first use and kept.
    The input frame is not modified.
    """

    def __init__(self, secrets, ledger=None):
        import pandas as pd

        if not isinstance(secrets, pd.DataFrame):
            raise LeakLabError(None, None, "expected a secrets frame (a pandas DataFrame)")
        self.ledger = _ledger(ledger) if ledger is not None else None
        if self.ledger is not None:
            frame = self.ledger.apply(secrets)
        else:
            frame = secrets.copy()
            if "triage_label" not in frame.columns:
                frame["triage_label"] = pd.array([None] * len(frame), dtype="string")
        self.frame = frame.reset_index(drop=True)
        self.n = len(self.frame)
        self._dims: dict[str, tuple] = {}
        self._orders: dict[tuple[str, bool], object] = {}

    # -------------------------------------------------------------- filters

    def column(self, name: str) -> str:
        """The column a filter or sort name refers to (``"type"`` -> ``"secret_type"``)."""
        col = FILTERS.get(name, name)
        if col not in self.frame.columns:
            hint = " (score the secrets first: leaklab.score)" if col in ("severity", "score") else ""
            raise LeakLabError(None, None, f"the secrets frame has no column {col!r}{hint}")
        return col

    def _dim(self, col: str):
        """(codes per row, categories, value -> category codes) for a filter column."""
        import numpy as np
        import pandas as pd

        dim = self._dims.get(col)
        if dim is None:
            codes, uniques = pd.factorize(self.frame[col], use_na_sentinel=True)
            cats = [NONE if isna(u) else u for u in uniques]
            codes = np.asarray(codes, dtype=np.int64)
            na = len(cats)
            if (codes < 0).any():
                codes = np.where(codes < 0, na, codes)
                cats.append(NONE)
            members: dict = {}
            for i, c in enumerate(cats):
                values = (_split(c) or [NONE]) if col in _LIST_COLUMNS and c != NONE else [c]
                for v in values:
                    members.setdefault(v, []).append(i)
            dim = (codes, cats, members)
            self._dims[col] = dim
        return dim

    def options(self, name: str) -> list[tuple[object, int]]:
        """``(value, number of secrets)`` for each value a filter offers, in display order.

        Types, tools and repos sort by name, severities most severe first, labels in
        :data:`~leaklab.ledger.LABELS` order (all seven, even unused); ``"(none)"`` last.
        A filter whose column is absent (no ``severity`` before scoring) offers nothing.
        """
        import numpy as np

        col = FILTERS.get(name, name)
        if col not in self.frame.columns:
            return []
        codes, cats, members = self._dim(col)
        per_cat = np.bincount(codes, minlength=len(cats))
        counts = {v: int(per_cat[idx].sum()) for v, idx in members.items()}
        if col == "triage_label":
            order = [*LABELS, *sorted(v for v in counts if v not in LABELS and v != NONE), NONE]
        elif col == "severity":
            order = [*(s for s in SEVERITIES if s in counts), *sorted((v for v in counts if v not in SEVERITIES
                                                                      and v != NONE), key=str)]
            order += [NONE] if NONE in counts else []
        else:
            order = sorted((v for v in counts if v != NONE), key=str) + ([NONE] if NONE in counts else [])
        return [(v, counts.get(v, 0)) for v in order]

    def mask(self, filters: dict | None):
        """Boolean array: the rows every non-empty filter allows (None: no filter)."""
        import numpy as np

        keep = None
        for name, allowed in (filters or {}).items():
            if allowed is None:
                continue
            if isinstance(allowed, (str, bytes)) or not hasattr(allowed, "__iter__"):
                allowed = [allowed]
            allowed = list(allowed)
            if not allowed:  # an empty selection means "any", as in the widget
                continue
            codes, cats, members = self._dim(self.column(name))
            ok = np.zeros(len(cats), dtype=bool)
            for v in allowed:
                idx = members.get(NONE if isna(v) else v)
                if idx is not None:
                    ok[idx] = True
            hit = ok[codes]
            keep = hit if keep is None else keep & hit
        return keep

    # -------------------------------------------------------------- sorting

    def default_ascending(self, sort: str) -> bool:
        return FILTERS.get(sort, sort) not in _DESCENDING

    def order(self, sort: str, ascending: bool):
        """Row positions sorted by ``sort`` (NA last, ties in frame order); cached."""
        import numpy as np
        import pandas as pd

        col = self.column(sort)
        key = (col, bool(ascending))
        got = self._orders.get(key)
        if got is None:
            s = self.frame[col]
            if col == "severity":
                rank = {v: len(SEVERITIES) - i for i, v in enumerate(SEVERITIES)}  # info=1 ... critical=5
                codes = np.fromiter((rank.get(v, 0) if isinstance(v, str) else -1 for v in s.tolist()),
                                    dtype=np.int64, count=len(s))
                n = len(SEVERITIES) + 1
            else:
                codes, uniques = pd.factorize(s, sort=True, use_na_sentinel=True)
                codes = np.asarray(codes, dtype=np.int64)
                n = len(uniques)
            k = codes if ascending else (n - 1 - codes)
            k = np.where(codes < 0, n + 1, k)  # NA last in both directions
            got = np.argsort(k, kind="stable")
            self._orders[key] = got
        return got

    # -------------------------------------------------------------- viewing

    def view(self, filters=None, sort=None, ascending=None, page: int = 0, page_size: int = 25):
        """``(page frame, total matching)``; see :func:`view`."""
        import numpy as np

        if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
            raise LeakLabError(None, None, "page_size must be a positive integer")
        if not isinstance(page, int) or isinstance(page, bool):
            raise LeakLabError(None, None, "page must be an integer")
        keep = self.mask(filters)
        if sort is None:
            rows = np.arange(self.n) if keep is None else np.flatnonzero(keep)
        else:
            asc = self.default_ascending(sort) if ascending is None else bool(ascending)
            order = self.order(sort, asc)
            rows = order if keep is None else order[keep[order]]
        total = len(rows)
        pages = max(1, math.ceil(total / page_size))
        page = min(max(page, 0), pages - 1)
        start = page * page_size
        out = self.frame.iloc[rows[start:start + page_size]]
        out.attrs = {"total": total, "page": page, "pages": pages, "page_size": page_size, "offset": start,
                     "of": self.n}
        return out, total

    # -------------------------------------------------------------- labels

    def refresh_labels(self, secret_ids=None) -> None:
        """Re-read the ledger's decisions for ``secret_ids`` (all rows if None).

        Only the named rows are re-joined (:meth:`Ledger.apply` on those rows), so a label
        at 100,000 secrets does not redo the whole join.
        """
        import numpy as np
        import pandas as pd

        if self.ledger is None:
            return
        cols = ["triage_label", "triage_reason", "triage_analyst", "triage_time"]
        if secret_ids is None:
            rows = np.arange(self.n)
        else:
            ids = [secret_ids] if isinstance(secret_ids, str) else list(secret_ids)
            low = {i.lower() for i in ids if isinstance(i, str)}
            hit = np.zeros(self.n, dtype=bool)
            for col, prefix in (("secret_id", ""), ("secret_sha256", ""), ("secret_sha1", "sha1:")):
                if col in self.frame.columns:
                    s = self.frame[col].astype("string").str.lower()
                    hit |= (prefix + s).isin(low).fillna(False).to_numpy(dtype=bool)
            rows = np.flatnonzero(hit)
        if not len(rows):
            return
        base = self.frame.iloc[rows].drop(columns=[c for c in cols if c in self.frame.columns])
        fresh = self.ledger.apply(base)
        for c in cols:
            if c not in self.frame.columns:  # indexed without a ledger: start undecided
                self.frame[c] = pd.Series([None] * self.n, dtype=fresh[c].dtype).array
            self.frame.iloc[rows, self.frame.columns.get_loc(c)] = fresh[c].array
        # The label filter and any triage_* sort order are now stale.
        self._dims.pop("triage_label", None)
        for key in [k for k in self._orders if k[0].startswith("triage_")]:
            del self._orders[key]


def _ledger(ledger) -> Ledger:
    if isinstance(ledger, Ledger):
        return ledger
    if isinstance(ledger, (str, os.PathLike)):
        return Ledger(ledger)
    raise LeakLabError(None, None, "ledger must be a leaklab.Ledger or a path to its file")


def prepare(secrets, ledger=None) -> BoardData:
    """Index ``secrets`` (with the ledger's labels joined) for repeated :func:`view` calls.

        >>> import leaklab
        >>> data = prepare(leaklab.schema.build("secrets", {"secret_id": ["a" * 64], "tools": ["x, y"]}))
        >>> data.options("tool"), data.options("severity")
        ([('x', 1), ('y', 1)], [])
    """
    return BoardData(secrets, ledger)


def view(secrets, *, ledger=None, filters=None, sort=None, ascending=None, page: int = 0, page_size: int = 25):
    """One page of the secrets that pass ``filters``, sorted: ``(page frame, total matching)``.

    ``secrets`` is a secrets frame or a :class:`BoardData` from :func:`prepare` (use one to
    view the same frame many times: the index is built once). ``filters`` maps a filter
    name (``type``, ``severity``, ``tool``, ``repo``, ``label``) or any column to the values
    allowed; an empty list allows everything. ``tools``/``repos`` match when any value of
    their comma-separated list is allowed; ``"(none)"`` selects rows without a value
    (``label``: undecided). ``sort`` is a column; ``ascending=None`` picks the natural
    direction (scores, counts and severity biggest first). Ties and NA (always last) keep
    frame order. ``page`` is clamped to the pages there are; ``frame.attrs`` holds
    ``total``, ``page``, ``pages``, ``page_size`` and ``offset``. The page frame carries the
    ledger's ``triage_*`` columns.

        >>> import leaklab
        >>> s = leaklab.schema.build("secrets", {"secret_id": ["a" * 64, "b" * 64], "n_findings": [1, 5]})
        >>> page, total = view(s, sort="n_findings", page=7, page_size=1)
        >>> total, page.attrs["page"], page["n_findings"].tolist()
        (2, 1, [1])
        >>> view(s, filters={"severity": ["high"]})
        Traceback (most recent call last):
        ...
        leaklab.errors.LeakLabError: the secrets frame has no column 'severity' (score the secrets first: leaklab.score)
    """
    data = secrets if isinstance(secrets, BoardData) else BoardData(secrets, ledger)
    return data.view(filters=filters, sort=sort, ascending=ascending, page=page, page_size=page_size)


# ---------------------------------------------------------------------- HTML


def page_html(frame, columns=None, *, selected: str | None = None) -> str:
    """One page as an HTML table; every value escaped, nothing raw.

    Shows :data:`PAGE_COLUMNS` that are present (or ``columns``). Fingerprints are
    shortened, credential ids shown as previews, long cells cut at 80 characters, control
    and bidi characters shown as escapes, then everything passes ``html.escape``. The row
    whose ``secret_id`` is ``selected`` is highlighted.

        >>> import leaklab
        >>> s = leaklab.schema.build("secrets", {"secret_id": ["f" * 64], "files": ['<img src=x onerror="x()">']})
        >>> "onerror=&quot;x()&quot;" in page_html(s), "<img" in page_html(s)
        (True, False)
    """
    cols = [c for c in (columns or PAGE_COLUMNS) if c in frame.columns]
    offset = frame.attrs.get("offset", 0) if isinstance(frame.attrs.get("offset", 0), int) else 0
    head = "".join(f"<th>{_esc(c)}</th>" for c in ["#", *cols])
    body = []
    ids = frame["secret_id"].tolist() if "secret_id" in frame.columns else [None] * len(frame)
    values = [frame[c].tolist() for c in cols]
    for i in range(len(frame)):
        cls = ' class="leaklab-selected"' if selected is not None and ids[i] == selected else ""
        cells = "".join(f"<td>{_cell(c, v[i])}</td>" for c, v in zip(cols, values))
        body.append(f"<tr{cls}><td>{offset + i + 1}</td>{cells}</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(cols) + 1}">no secrets match</td></tr>')
    return f'{_STYLE}<table class="leaklab-board"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _keys(row) -> tuple[set, str | None]:
    keys = set()
    sha = None
    for col, prefix in (("secret_id", ""), ("secret_sha256", ""), ("secret_sha1", "sha1:")):
        v = row.get(col)
        if isinstance(v, str) and v:
            keys.add(prefix + v.lower())
            if col == "secret_sha256":
                sha = v.lower()
    if sha is None and isinstance(row.get("secret_id"), str) and re.fullmatch(r"[0-9a-f]{64}", row["secret_id"]):
        sha = row["secret_id"]
    return keys, sha


def _matching(frame, col: str, row, hashed: bool = True):
    """Rows of ``frame`` whose ``col`` names this secret: by secret id or fingerprint, or
    (``hashed``) a credential id whose SHA-256 is the secret's, as leaklab.blast matches."""
    from .fingerprint import sha256

    if frame is None or col not in frame.columns or not len(frame):
        return None
    keys, sha = _keys(row)
    hits = set()
    for v in frame[col].dropna().unique().tolist():
        s = str(v)
        if s.lower() in keys or (hashed and sha is not None and sha256(s) == sha):
            hits.add(v)
    sub = frame[frame[col].isin(hits)]
    return sub if len(sub) else None


def _facts(pairs) -> str:
    rows = "".join(f"<tr><th>{_esc(k)}</th><td>{v}</td></tr>" for k, v in pairs if v != "")
    return f"<table>{rows}</table>" if rows else ""


def _table(frame, cols, limit: int = 20) -> str:
    cols = [c for c in cols if c in frame.columns]
    head = "".join(f"<th>{_esc(c)}</th>" for c in cols)
    rows = "".join("<tr>" + "".join(f"<td>{_cell(c, v)}</td>" for c, v in zip(cols, r)) + "</tr>"
                   for r in frame[cols].head(limit).itertuples(index=False))
    more = f"<p>and {len(frame) - limit} more</p>" if len(frame) > limit else ""
    return f"<table><tr>{head}</tr>{rows}</table>{more}"


def _list(values, limit: int = 100) -> str:
    items = "".join(f"<li>{_cell(None, v, limit=300)}</li>" for v in values[:limit])
    more = f"<li>and {len(values) - limit} more</li>" if len(values) > limit else ""
    return f"<ul>{items}{more}</ul>" if items else ""


def detail_html(row, *, history=None, windows=None, reach=None, decisions=None) -> str:
    """The detail pane for one secret (a row of a secrets frame, or a one-row frame).

    Sections, each only where there is something to show: the redacted preview and
    fingerprints (shortened), type, severity/score and ``why``, tools, verification and
    the current decision; locations (repos, files); git history (a ``history`` frame row
    for this ``secret_id``); exposure windows and reach (``windows`` / ``reach`` rows whose
    ``credential`` is this secret, by id or by the SHA-256 of a credential id); the ledger
    trail (``decisions``: a Ledger or its ``entries()`` frame). Every value is escaped.

        >>> import leaklab
        >>> s = leaklab.schema.build("secrets", {"secret_id": ["e" * 64], "redacted": ["ghp_…00"],
        ...                                      "files": ["a.py, <b>.py"]})
        >>> out = detail_html(s.iloc[0])
        >>> "&lt;b&gt;.py" in out, "eeeeeeeeeeeeeeee…" in out, "e" * 20 in out
        (True, True, False)
    """
    import pandas as pd

    if isinstance(row, pd.DataFrame):
        if len(row) != 1:
            raise LeakLabError(None, None, f"detail_html needs one secret, got {len(row)} rows")
        row = row.iloc[0]
    row = row.to_dict() if hasattr(row, "to_dict") else dict(row)

    def f(col, limit=200, fp=16):
        return _cell(col, row.get(col), limit, fp)

    title = " · ".join(x for x in (f("secret_type"), f("severity"), f("redacted")) if x)
    parts = [_STYLE, '<div class="leaklab-detail">', f"<h3>{title or 'secret'}</h3>"]
    parts.append(_facts([
        ("secret id", f("secret_id")), ("SHA-256", f("secret_sha256")), ("SHA-1", f("secret_sha1")),
        ("score", f("score")), ("severity", f("severity_source")), ("why", f("why", 500)), ("tools", f("tools")), ("findings", f("n_findings")),
        ("locations", f("n_locations")), ("verified", f("verified")), ("validity", f("validity")),
        ("tool labels", f("labels")), ("first commit", f("first_commit_time")),
        ("last commit", f("last_commit_time")), ("decision", f("triage_label")), ("reason", f("triage_reason", 500)),
        ("by", f("triage_analyst")), ("at", f("triage_time")),
    ]))
    repos, files = _split(row.get("repos")), _split(row.get("files"))
    if repos or files:
        parts.append("<h4>locations</h4>")
        parts.append(_facts([("repos", _list(repos)), ("files", _list(files))]))
    hist = _matching(history, "secret_id", row, hashed=False)
    if hist is not None:
        h = hist.iloc[0].to_dict()
        parts.append("<h4>history</h4>")
        parts.append(_facts([(k.replace("_", " "), _cell(k, h.get(k), 300, 12)) for k in (
            "in_history", "introduced_commit", "introduced_author", "introduced_email", "introduced_author_time",
            "introduced_file", "files", "n_commits_added", "refs", "present_refs", "removed_commit", "removed_time",
            "still_in_head")]))
    win = _matching(windows, "credential", row)
    if win is not None:
        parts.append("<h4>exposure window</h4>")
        parts.append(_table(win, ["credential", "incident", "exposed_from", "detected_at", "contained_at",
                                  "contained_kind", "open", "duration", "window_days_min", "window_days_max",
                                  "ttd", "ttc"]))
    rch = _matching(reach, "credential", row)
    if rch is not None:
        parts.append("<h4>reach</h4>")
        if "resource" in rch.columns:
            if "access" in rch.columns:
                counts = rch["access"].fillna(NONE).value_counts()
                parts.append(f"<p>{_esc(str(len(rch)))} grant(s): "
                             + ", ".join(f"{_esc(str(k))} {int(v)}" for k, v in counts.items()) + "</p>")
            parts.append(_table(rch, ["acting_credential", "hops", "resource", "resource_type", "data_class",
                                      "access", "permission", "approx", "conditional"]))
        else:  # blast_radius(..., by="credential") summary
            r = rch.iloc[0].to_dict()
            parts.append(_facts([(k.replace("_", " "), _cell(k, v)) for k, v in r.items() if k != "credential"]))
    if decisions is not None:
        entries = decisions.entries() if isinstance(decisions, Ledger) else decisions
        trail = _matching(entries, "secret_id", row, hashed=False)
        if trail is not None:
            parts.append("<h4>decisions</h4>")
            parts.append(_table(trail, ["time", "label", "analyst", "reason", "evidence", "source", "undoes"], 50))
    parts.append("</div>")
    return "".join(parts)


# ---------------------------------------------------------------------- decisions


def label(ledger, secret_ids, label: str, reason: str = "", analyst: str | None = None, **kw):
    """Record ``label`` for ``secret_ids`` in ``ledger`` (a Ledger or its path).

    A thin wrapper over :meth:`Ledger.record` (which validates the label and fsyncs
    before returning); ``kw`` passes ``evidence``, ``time`` and the like through.
    """
    return _ledger(ledger).record(secret_ids, label, reason, analyst=analyst, **kw)


def aliases(secrets, secret_ids) -> dict[str, list[str]]:
    """Each secret id's other ledger keys in ``secrets`` (a frame or :class:`BoardData`):
    its ``secret_sha256`` and ``"sha1:" + secret_sha1``, as :meth:`Ledger.apply` matches them.

        >>> import leaklab
        >>> s = leaklab.schema.build("secrets", {"secret_id": ["a" * 64], "secret_sha256": ["a" * 64],
        ...                                      "secret_sha1": ["B" * 40]})
        >>> {k[:4]: [v[:8] for v in vs] for k, vs in aliases(s, ["a" * 64, "c" * 64]).items()}
        {'aaaa': ['sha1:bbb'], 'cccc': []}
    """
    import numpy as np

    frame = secrets.frame if isinstance(secrets, BoardData) else secrets
    ids = [secret_ids] if isinstance(secret_ids, str) else list(secret_ids)
    wanted = {_key(i) for i in ids}
    cols = [(c, p) for c, p in (("secret_id", ""), ("secret_sha256", ""), ("secret_sha1", "sha1:")) if c in frame.columns]
    hit = np.zeros(len(frame), dtype=bool)
    for c, p in cols:  # vectorised: only the named secrets' rows are walked below
        col = frame[c].astype("string")
        hit |= (col.isin(wanted) | (p + col.str.lower()).isin(wanted)).fillna(False).to_numpy(dtype=bool)
    by_key: dict[str, list[str]] = {}
    rows = np.flatnonzero(hit)
    for row in zip(*(frame[c].iloc[rows].tolist() for c, _ in cols)):
        keys = [_key(p + v) for (_, p), v in zip(cols, row) if isinstance(v, str) and v]
        for k in keys:
            by_key.setdefault(k, []).extend(keys)
    out = {}
    for i in ids:
        k = _key(i)
        out[i] = list(dict.fromkeys(a for a in by_key.get(k, ()) if a != k))
    return out


def _key(v: str) -> str:
    return v if v.startswith("unhashed:") else v.lower()


def undo(ledger, secret_ids, reason: str = "", analyst: str | None = None, *, secrets=None, **kw):
    """Take back the latest decision for each of ``secret_ids`` (:meth:`Ledger.undo`).

    With ``secrets`` (the frame or :class:`BoardData` the ids come from), a decision
    recorded under a secret's SHA-256 or ``sha1:`` key (detect-secrets imports) counts
    too: the latest one :meth:`Ledger.apply` shows on the board is the one taken back.
    Checks first that every id has a decision to take back, so a bad id writes nothing;
    returns the undo entries as one ledger frame.
    """
    import pandas as pd

    led = _ledger(ledger)
    ids = [secret_ids] if isinstance(secret_ids, str) else list(secret_ids)
    ids = list(dict.fromkeys(_key(i) if isinstance(i, str) else i for i in ids))
    alias = aliases(secrets, [i for i in ids if isinstance(i, str)]) if secrets is not None else {}
    decided = set(led.current()["secret_id"].tolist()) if os.path.exists(led.path) else set()
    missing = [n for n, i in enumerate(ids) if i not in decided and not decided.intersection(alias.get(i, ()))]
    if missing:
        raise LeakLabError(led.path, None, f"nothing to undo for secret id #{missing[0]}"
                           + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    frames = [led.undo(i, reason, analyst=analyst, aliases=alias.get(i, ()), **kw) for i in ids]
    if not frames:
        from . import schema

        return schema.empty("ledger")
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


# ---------------------------------------------------------------------- the widget

#: Widget values kept across re-runs of a cell: (key, ledger path) -> state.
_STATES: dict[tuple[str, str], dict] = {}
_BOARD_CLASS = None


def triage_board(secrets, ledger, *, history=None, windows=None, reach=None, analyst=None, key: str = "default"):
    """The interactive triage board (an ``ipywidgets.VBox``).

    Filters (type, severity, tool, repo, label), a sort and its direction, paging, the
    page as an HTML table, a picker for the secret on the page, its detail pane, the seven
    label buttons, a reason and an analyst box, Record and Undo, and a status line. Every
    write goes through ``ledger`` (a :class:`~leaklab.ledger.Ledger` or a path). The
    values (filters, sort, page, selection, analyst) are kept under ``key`` and the
    ledger's path, and come back when the board is built again, e.g. by re-running the
    cell. The sub-widgets are attributes (``board.filters["type"]``, ``board.labels``,
    ``board.reason``, ``board.record_button``, ...) so a script can drive it.
    """
    led = _ledger(ledger)
    data = secrets if isinstance(secrets, BoardData) else BoardData(secrets, led)
    if data.ledger is None:
        data.ledger = led
        data.refresh_labels()
    cls = _board_class()
    return cls(data, led, history=history, windows=windows, reach=reach, analyst=analyst, key=key)


def _board_class():
    global _BOARD_CLASS
    if _BOARD_CLASS is not None:
        return _BOARD_CLASS
    import ipywidgets as w

    class TriageBoard(w.VBox):
        """See :func:`triage_board`."""

        def __init__(self, data: BoardData, ledger: Ledger, *, history, windows, reach, analyst, key):
            super().__init__()
            self.data, self.ledger = data, ledger
            self.history, self.windows, self.reach = history, windows, reach
            self.state_key = (str(key), os.path.abspath(ledger.path))
            saved = _STATES.get(self.state_key, {})
            self._quiet = True  # no renders or state saves while the widgets are built
            self._page_frame = None
            self._entries_cache = (None, None)

            wide = w.Layout(width="auto")
            self.filters = {}
            for name in FILTERS:
                opts = data.options(name)
                sel = w.SelectMultiple(options=[(_display(None, v, 60) + f" ({n})", v) for v, n in opts],
                                       rows=min(6, max(len(opts), 1)), description=name,
                                       disabled=not opts, layout=w.Layout(width="230px"))
                if not opts:
                    sel.tooltip = f"no {FILTERS[name]} column"
                self.filters[name] = sel
            sortable = [c for c in SORTABLE if c in data.frame.columns]
            self.sort = w.Dropdown(options=[("(frame order)", None), *[(c, c) for c in sortable]],
                                   description="sort", value="score" if "score" in sortable else None)
            self.ascending = w.ToggleButton(description="ascending", value=False)
            self.page_size = w.Dropdown(options=[5, 10, 25, 50, 100], value=25, description="per page")
            self.prev_button = w.Button(description="◀ prev", layout=w.Layout(width="80px"))
            self.next_button = w.Button(description="next ▶", layout=w.Layout(width="80px"))
            self.page_label = w.HTML()
            self.table = w.HTML()
            self.select = w.Select(options=[], rows=8, description="secret", layout=w.Layout(width="60%"))
            self.detail = w.HTML()
            self.labels = w.ToggleButtons(options=list(LABELS), value=None, description="label")
            self.scope = w.ToggleButtons(options=[("selected secret", "selected"), ("whole page", "page")],
                                         value="selected", description="apply to")
            self.reason = w.Textarea(placeholder="why (kept in the ledger)", description="reason", layout=wide)
            self.analyst = w.Text(value=saved.get("analyst") or analyst or ledger.analyst or "", description="analyst")
            self.record_button = w.Button(description="Record", button_style="primary")
            self.undo_button = w.Button(description="Undo", button_style="warning")
            self.refresh_button = w.Button(description="Reload ledger")
            self.status = w.HTML()
            self.page = 0
            self.last_error = None

            # Restore what the last board with this key showed, dropping values that no
            # longer exist (a different frame, a stale option).
            for name, sel in self.filters.items():
                values = {v for _, v in sel.options}
                sel.value = tuple(v for v in saved.get("filters", {}).get(name, ()) if v in values)
            if "sort" in saved and saved["sort"] in [v for _, v in self.sort.options]:
                self.sort.value = saved["sort"]
            self.ascending.value = saved.get("ascending", data.default_ascending(self.sort.value)
                                             if self.sort.value else True)
            if saved.get("page_size") in self.page_size.options:
                self.page_size.value = saved["page_size"]
            self.page = saved.get("page", 0)
            self._want = saved.get("selected")

            for sel in self.filters.values():
                sel.observe(self._on_filter, names="value")
            self.sort.observe(self._on_sort, names="value")
            self.ascending.observe(self._on_filter, names="value")
            self.page_size.observe(self._on_filter, names="value")
            self.select.observe(self._on_select, names="value")
            self.analyst.observe(lambda _: self._save(), names="value")
            self.prev_button.on_click(lambda _: self.go(self.page - 1))
            self.next_button.on_click(lambda _: self.go(self.page + 1))
            self.record_button.on_click(self._on_record)
            self.undo_button.on_click(self._on_undo)
            self.refresh_button.on_click(self._on_refresh)

            self.children = [
                w.HBox(list(self.filters.values())),
                w.HBox([self.sort, self.ascending, self.page_size, self.prev_button, self.page_label,
                        self.next_button]),
                self.table,
                w.HBox([self.select]),
                self.detail,
                self.labels, self.scope, self.reason,
                w.HBox([self.analyst, self.record_button, self.undo_button, self.refresh_button]),
                self.status,
            ]
            self._quiet = False
            self.render()

        # ---------------------------------------------------------- state

        def filter_values(self) -> dict:
            return {name: list(sel.value) for name, sel in self.filters.items() if sel.value}

        def _save(self) -> None:
            if self._quiet:
                return
            _STATES[self.state_key] = {
                "filters": {name: tuple(sel.value) for name, sel in self.filters.items()},
                "sort": self.sort.value, "ascending": self.ascending.value, "page": self.page,
                "page_size": self.page_size.value, "selected": self.select.value, "analyst": self.analyst.value,
            }

        # ---------------------------------------------------------- rendering

        def render(self) -> None:
            """Recompute the page from the widgets' values and redraw."""
            frame, total = self.data.view(filters=self.filter_values(), sort=self.sort.value,
                                          ascending=self.ascending.value, page=self.page,
                                          page_size=self.page_size.value)
            self._page_frame = frame
            self.page = frame.attrs["page"]
            pages = frame.attrs["pages"]
            self.prev_button.disabled = self.page <= 0
            self.next_button.disabled = self.page >= pages - 1
            self.page_label.value = _esc(f"page {self.page + 1} of {pages} · {total:,} matching of {self.data.n:,}")
            ids = frame["secret_id"].tolist() if "secret_id" in frame.columns else []
            want = self._want if self._want in ids else (self.select.value if self.select.value in ids else None)
            want = want if want is not None else (ids[0] if ids else None)
            self._want = None
            was, self._quiet = self._quiet, True
            try:
                self.select.options = [(self._option(r), sid) for sid, r in zip(ids, frame.itertuples(index=False))]
                self.select.value = want
            finally:
                self._quiet = was
            self.table.value = page_html(frame, selected=want)
            self._render_detail()
            self._save()

        def _option(self, r) -> str:
            d = r._asdict()
            parts = [_display("secret_id", d.get("secret_id"), fp=10), _display(None, d.get("severity"), 10),
                     _display(None, d.get("secret_type"), 30), _display(None, d.get("redacted"), 20),
                     "[" + (_display(None, d.get("triage_label"), 20) or "undecided") + "]"]
            return " ".join(p for p in parts if p)

        def _decisions(self):
            try:
                st = os.stat(self.ledger.path)
            except FileNotFoundError:
                return None
            stamp = (st.st_size, st.st_mtime_ns)
            if self._entries_cache[0] != stamp:
                self._entries_cache = (stamp, self.ledger.entries())
            return self._entries_cache[1]

        def _render_detail(self) -> None:
            frame, sid = self._page_frame, self.select.value
            if frame is None or sid is None:
                self.detail.value = ""
                return
            row = frame[frame["secret_id"] == sid]
            self.detail.value = detail_html(row.iloc[0], history=self.history, windows=self.windows,
                                            reach=self.reach, decisions=self._decisions())

        def selected(self) -> list[str]:
            """The secret ids a label or undo applies to (the scope's choice)."""
            if self.scope.value == "page":
                return [] if self._page_frame is None else self._page_frame["secret_id"].dropna().tolist()
            return [self.select.value] if self.select.value is not None else []

        def say(self, text: str, error: bool = False) -> None:
            self.last_error = text if error else None
            color = "#b00020" if error else "#1b5e20"
            self.status.value = f'<span style="color:{color}">{_esc(text)}</span>'

        # ---------------------------------------------------------- events

        def go(self, page: int) -> None:
            self.page = page
            self.render()

        def _on_filter(self, _change) -> None:
            if self._quiet:
                return
            self.page = 0
            self.render()

        def _on_sort(self, change) -> None:
            if self._quiet:
                return
            was, self._quiet = self._quiet, True
            try:  # each column starts in its natural direction
                self.ascending.value = self.data.default_ascending(change["new"]) if change["new"] else True
            finally:
                self._quiet = was
            self.page = 0
            self.render()

        def _on_select(self, _change) -> None:
            if self._quiet:
                return
            self.table.value = page_html(self._page_frame, selected=self.select.value)
            self._render_detail()
            self._save()

        def _on_record(self, _button=None) -> None:
            ids = self.selected()
            if not ids:
                return self.say("select a secret first", error=True)
            if self.labels.value is None:
                return self.say("pick a label first", error=True)
            who = self.analyst.value.strip() or None
            try:
                label(self.ledger, ids, self.labels.value, self.reason.value, analyst=who)
            except LeakLabError as e:
                return self.say(str(e), error=True)
            self.data.refresh_labels(ids)
            keep = self.select.value
            self.reason.value = ""  # a reason belongs to one decision
            self._want = keep
            self.render()
            self.say(f"recorded {self.labels.value} for {len(ids)} secret(s)"
                     + (f" as {who}" if who else ""))

        def _on_undo(self, _button=None) -> None:
            ids = self.selected()
            if not ids:
                return self.say("select a secret first", error=True)
            who = self.analyst.value.strip() or None
            done, nothing = [], 0
            alias = aliases(self.data, ids)  # decisions keyed by the SHA-1 show here: they must undo too
            for sid in ids:
                try:
                    self.ledger.undo(sid, self.reason.value, analyst=who, aliases=alias.get(sid, ()))
                    done.append(sid)
                except LeakLabError:
                    nothing += 1
            if done:
                self.data.refresh_labels(done)
                self._want = self.select.value
                self.reason.value = ""
                self.render()
            msg = f"undid the latest decision for {len(done)} secret(s)"
            self.say(msg + (f"; nothing to undo for {nothing}" if nothing else ""), error=not done)

        def _on_refresh(self, _button=None) -> None:
            """Pick up decisions other analysts or kernels wrote to the same ledger."""
            self.data.refresh_labels()
            self._want = self.select.value
            self.render()
            self.say("reloaded the ledger")

    _BOARD_CLASS = TriageBoard
    return TriageBoard
