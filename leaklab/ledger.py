"""The triage ledger: every decision about a secret, with who, when and why.

A ledger is an append-only file of JSON lines. A decision is never edited: a change of
mind is a new entry, and :meth:`Ledger.undo` appends an ``undo`` entry that takes the
latest decision back. Replaying the file in order gives each secret's current label,
and :meth:`Ledger.apply` joins those labels onto a secrets (or findings) frame by
fingerprint, so they survive a rescan that moved the secret to other files and lines.

    >>> import os, shutil, tempfile
    >>> d = tempfile.mkdtemp()
    >>> led = Ledger(os.path.join(d, "cases", "triage.jsonl"), analyst="ana")
    >>> key = "ab" * 32  # a secret_id: the SHA-256 of the raw secret
    >>> _ = led.record(key, "true_positive", "live AWS key", time="2024-05-01T09:00:00Z")
    >>> _ = led.record(key, "revoked", "disabled in IAM", evidence="https://tickets/42",
    ...                time="2024-05-01T10:30:00Z")
    >>> led.current()[["label", "analyst", "n_entries"]].to_dict("records")
    [{'label': 'revoked', 'analyst': 'ana', 'n_entries': 2}]
    >>> _ = led.undo(key, "revoked the wrong key", time="2024-05-01T11:00:00Z")
    >>> led.current()[["label", "n_entries"]].to_dict("records")
    [{'label': 'true_positive', 'n_entries': 3}]
    >>> shutil.rmtree(d)

File format (version 1): one compact JSON object per line, keys sorted, ASCII only (every
other character is escaped, so a bidi override or a U+2028 in a reason can neither
reorder a line in a terminal nor split it in an editor), ending in ``\\n``. Fields:
``v`` (1), ``entry_id``, ``secret_id``, ``label``, ``reason``, ``analyst``, ``time``
(``YYYY-MM-DDTHH:MM:SS.ffffffZ``), ``evidence``, ``undoes``, ``source``, and ``severity``
only on a decision that overrides the computed severity (absent otherwise, so entries
written before the field existed keep their ids). ``entry_id`` is the SHA-256 of the
canonical JSON of the other fields, so identical decisions get identical ids and a line
edited by hand no longer matches its id.

Durability and concurrency: each append opens the file with ``O_APPEND``, takes an
exclusive ``flock``, writes all of its lines in one ``os.write``, ``fsync``\\s, and only then
releases the lock and returns. A writer killed mid-write leaves at most one torn last
line; the next writer first ends it with ``\\n`` so it stays on its own line, and readers
skip it with a :class:`~leaklab.errors.LeakLabWarning` naming the line. Readers take a
shared lock, so they never see a write in progress. POSIX only (``fcntl``).

Undo takes back decisions only, never another undo: to restore an undone decision,
record it again (a new entry with a new time and reason keeps the trail readable).

Severity overrides: a decision may carry one (``severity=``), and it holds while the
secret's effective decision keeps that decision's label, so re-recording the same label
with a new reason keeps it. A later decision with a different label ends it unless it
carries an override of its own; an undo of the overriding decision ends it too. Labels
that call for no action (:data:`CLOSED`: false_positive, test_credential, accepted_risk,
revoked, rotated) never carry an override: :meth:`Ledger.record` refuses one, and one
found in a file is not applied.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import warnings
from collections import Counter
from datetime import datetime, timezone

from . import schema
from .errors import LeakLabError, LeakLabWarning

#: The triage labels, in rough order of a case's life.
LABELS = (
    "true_positive",
    "false_positive",
    "test_credential",
    "revoked",
    "rotated",
    "accepted_risk",
    "needs_info",
)

#: What each label means; a decision should fit exactly one.
MEANINGS = {
    "true_positive": "a real secret that grants (or granted) access: it needs containment",
    "false_positive": "not a secret: a placeholder, example, hash or random-looking identifier",
    "test_credential": "a real-format credential that only reaches test or sandbox systems (GitHub: used_in_tests)",
    "revoked": "a real secret its issuer has revoked or disabled: contained",
    "rotated": "a real secret replaced by a new one, the old value invalidated: contained",
    "accepted_risk": "a real secret left in place on purpose, the risk accepted (GitHub: wont_fix)",
    "needs_info": "undecided: waiting on the owner, logs or the issuer",
}

#: Triage severities, most urgent first. A decision may carry one as the analyst's override
#: of the computed severity (:func:`leaklab.triage.score`); the thresholds live there.
SEVERITIES = ("critical", "high", "medium", "low", "info")

#: Labels under which a secret needs no (further) action: not a secret, test-only, risk
#: accepted, or contained. A severity override never applies under them.
CLOSED = frozenset({"false_positive", "test_credential", "accepted_risk", "revoked", "rotated"})

#: The label of an entry that takes back an earlier decision (see :meth:`Ledger.undo`).
UNDO = "undo"

VERSION = 1

#: Tool labels (the findings frame's ``label`` column) and the ledger label each becomes.
#: detect-secrets: ``is_secret`` / audit category; GitHub: the alert's ``resolution``;
#: Nosey Parker: the human ``accept`` (a real finding) / ``reject`` (not a secret) status.
IMPORT_LABELS = {
    "true_positive": "true_positive",
    "false_positive": "false_positive",
    "wont_fix": "accepted_risk",
    "used_in_tests": "test_credential",
    "revoked": "revoked",
    "accept": "true_positive",
    "reject": "false_positive",
}

_SECRET_ID = re.compile(r"[0-9a-f]{64}|sha1:[0-9a-f]{40}|unhashed:.+", re.S)
_ENTRY_ID = re.compile(r"[0-9a-f]{64}")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_SHOWN_LABEL = re.compile(r"[a-z][a-z_,-]{0,31}")  # tool labels safe to name in a warning


class Ledger:
    """An append-only ledger of triage decisions stored at ``path`` (JSON lines).

    The file and its parent directories are created on the first write; a ledger that
    does not exist yet reads as empty. ``analyst`` is the default for every entry this
    object writes; without it, the login name (``getpass.getuser()``).
    """

    def __init__(self, path, analyst: str | None = None):
        self.path = os.fspath(path)
        if analyst is not None and (not isinstance(analyst, str) or not analyst.strip()):
            raise LeakLabError(self.path, None, "analyst must be a non-empty string")
        self.analyst = analyst

    def __repr__(self) -> str:
        return f"Ledger({self.path!r})"

    # ------------------------------------------------------------------ writing

    def record(self, secret_ids, label: str, reason: str = "", *, analyst: str | None = None,
               evidence: str | None = None, source: str = "leaklab", time=None, severity: str | None = None):
        """Append one decision per secret id and return them as a ledger frame.

        ``secret_ids`` is one id or a list (a Series works): ``secret_id`` values of a
        secrets frame (a SHA-256, ``sha1:<hex>``, or an ``unhashed:`` key). ``label`` must
        be one of :data:`LABELS`. ``time`` defaults to now; a given time must carry a
        timezone (it is stored in UTC, to the microsecond). Returns only once the entries
        are written and fsync'ed. An entry identical to one already in the file (same
        content and time: a retried append) is not written twice; its id is listed in
        the result's ``attrs["already_present"]``.

        ``severity`` (one of :data:`SEVERITIES`) overrides the severity
        :func:`leaklab.triage.score` computes for these secrets. It holds while their
        effective decision keeps this label: a later decision with another label ends it
        unless it carries one again, and so does an undo of this decision. A label of
        :data:`CLOSED` (no action needed) takes no override: passing one raises.

            >>> import os, tempfile
            >>> led = Ledger(os.path.join(tempfile.mkdtemp(), "l.jsonl"), analyst="bo")
            >>> out = led.record(["1" * 64, "sha1:" + "2" * 40], "false_positive", "fixture")
            >>> out[["secret_id", "label", "line"]].assign(secret_id=out.secret_id.str[:8])
              secret_id           label  line
            0  11111111  false_positive     1
            1  sha1:222  false_positive     2
            >>> led.record("1" * 64, "fixed", "typo")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            leaklab.errors.LeakLabError: ...: unknown label; expected one of: true_positive, ...
            >>> _ = led.record("1" * 64, "true_positive", "prod payments key", severity="critical")
            >>> led.current().set_index("secret_id").loc["1" * 64, ["label", "severity", "severity_analyst"]].tolist()
            ['true_positive', 'critical', 'bo']
            >>> _ = led.record("1" * 64, "revoked", "key deleted")  # another label: the override ends
            >>> led.current().set_index("secret_id").loc["1" * 64, ["label", "severity"]].tolist()
            ['revoked', <NA>]
        """
        ids = self._secret_ids(secret_ids)
        if label not in LABELS:
            raise LeakLabError(self.path, None, f"unknown label; expected one of: {', '.join(LABELS)}")
        if severity is not None and severity not in SEVERITIES:
            raise LeakLabError(self.path, None, f"unknown severity; expected one of: {', '.join(SEVERITIES)}")
        if severity is not None and label in CLOSED:
            raise LeakLabError(self.path, None, f"a {label} decision takes no severity override (the secret needs no "
                               "action); record the override with true_positive or needs_info")
        fields = {
            "analyst": self._analyst(analyst),
            "evidence": self._text(evidence, "evidence", optional=True) or None,
            "label": label,
            "reason": self._text(reason, "reason", optional=True) or "",
            "source": self._text(source, "source"),
            "time": self._time(time),
            "undoes": None,
        }
        if severity is not None:  # only then: entries without an override keep their ids
            fields["severity"] = severity
        entries = [_entry(dict(fields, secret_id=i)) for i in ids]
        if not entries:
            return _frame([], [], already=[])

        def plan(data: bytes):
            present = _present(data, [e["entry_id"] for e in entries])
            return [e for e in entries if e["entry_id"] not in present], sorted(present)

        return self._append(plan)

    def undo(self, secret_id: str, reason: str = "", *, analyst: str | None = None, time=None, aliases=()):
        """Take back the latest still-effective decision about ``secret_id``.

        Appends an entry labelled ``"undo"`` whose ``undoes`` is that decision's
        ``entry_id``; replay then falls back to the decision before it. Undo never takes
        back another undo. With no effective decision left, raises :class:`LeakLabError`.
        Returns the undo entry as a one-row ledger frame.

        ``aliases`` are the secret's other keys: its ``secret_sha256`` and
        ``"sha1:" + secret_sha1``. :meth:`apply` matches decisions recorded under any of
        them (``import_labels`` keys detect-secrets labels by SHA-1), so undo looks at all
        of them too and takes back the latest in file order: the one :meth:`apply` shows.
        The undo entry names the key that decision was recorded under.

            >>> import os, tempfile
            >>> led = Ledger(os.path.join(tempfile.mkdtemp(), "l.jsonl"), analyst="bo")
            >>> _ = led.record("sha1:" + "2" * 40, "false_positive", "imported")
            >>> led.undo("1" * 64)  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            leaklab.errors.LeakLabError: ...: nothing to undo: no effective decision for that secret id...
            >>> led.undo("1" * 64, aliases=["sha1:" + "2" * 40])["secret_id"].str[:8].tolist()
            ['sha1:222']
        """
        (sid,) = self._secret_ids([secret_id])
        keys = [sid] + [k for k in self._secret_ids(aliases if aliases is not None else []) if k != sid]
        fields = {
            "analyst": self._analyst(analyst),
            "evidence": None,
            "label": UNDO,
            "reason": self._text(reason, "reason", optional=True) or "",
            "source": "leaklab",
            "time": self._time(time),
        }
        if not os.path.exists(self.path):
            raise LeakLabError(self.path, None, "nothing to undo: the ledger does not exist yet")

        def plan(data: bytes):
            # Decided under the lock: two analysts undoing at once take back two decisions,
            # not the same one twice.
            records, _ = _parse(data)
            effective, _, _ = _replay(records)
            found = [effective[k] for k in keys if k in effective]
            if not found:
                hint = "" if len(keys) > 1 else " (decisions recorded under its sha1:/SHA-256 key need aliases=)"
                raise LeakLabError(self.path, None, "nothing to undo: no effective decision for that secret id" + hint)
            target = max(found, key=lambda r: r["line"])  # the latest, as apply() picks it
            return [_entry(dict(fields, secret_id=target["secret_id"], undoes=target["entry_id"]))], []

        return self._append(plan)

    def import_labels(self, findings, *, analyst: str | None = None, time=None):
        """Turn the human labels a tool carried into ledger entries.

        One entry per (tool, secret, distinct tool label) of a findings frame's ``label``
        column, mapped by :data:`IMPORT_LABELS` (GitHub ``wont_fix`` -> accepted_risk,
        ``used_in_tests`` -> test_credential, Nosey Parker ``accept``/``reject`` ->
        true/false_positive, ...). ``source`` is the tool, ``reason`` names the input
        file(s) and the tool's own label, ``analyst`` is whoever imports. The secret id is
        the one :func:`leaklab.dedupe` gives the row (SHA-256, else ``sha1:<hex>``).

        Rows whose label maps to nothing (GitHub ``pattern_deleted``, Nosey Parker's
        conflicting ``accept,reject``) or that carry no fingerprint are skipped and
        counted in a :class:`LeakLabWarning`. Importing the same findings again appends
        nothing: an entry with the same secret, label, source and reason is already there
        (even if a later decision overrode or undid it). Returns the appended entries.
        """
        from .dedupe import secret_keys

        schema.validate(findings, "findings")
        labelled = findings["label"].notna().to_numpy()
        keys = secret_keys(findings).to_numpy(dtype=object)[labelled] if labelled.any() else []
        sub = findings[labelled]
        groups: dict[tuple, list] = {}
        unknown: Counter = Counter()
        unhashed = 0
        for tool, key, raw, src in zip(sub["tool"].fillna("unknown"), keys, sub["label"], sub["source_file"].fillna(""), strict=True):
            mapped = IMPORT_LABELS.get(raw)
            if mapped is None:
                unknown[raw] += 1
            elif not isinstance(key, str) or key.startswith("unhashed:"):
                unhashed += 1
            else:
                files = groups.setdefault((tool, key, raw, mapped), [])
                if src and src not in files:
                    files.append(src)
        fields = {
            "analyst": self._analyst(analyst),
            "evidence": None,
            "time": self._time(time),
            "undoes": None,
        }
        entries = [
            _entry(dict(fields, secret_id=key, label=mapped, source=tool,
                        reason=f"imported from {tool} {', '.join(sorted(files)) or '(no file)'} (tool label: {raw})"))
            for (tool, key, raw, mapped), files in groups.items()
        ]
        out = _frame([], [], already=[])
        if entries:
            def plan(data: bytes):
                records, _ = _parse(data)
                seen = {(r["secret_id"], r["label"], r["source"], r["reason"]) for r in records}
                seen_ids = {r["entry_id"] for r in records}
                fresh = [e for e in entries
                         if e["entry_id"] not in seen_ids and (e["secret_id"], e["label"], e["source"], e["reason"]) not in seen]
                kept = {e["entry_id"] for e in fresh}
                return fresh, [e["entry_id"] for e in entries if e["entry_id"] not in kept]

            out = self._append(plan)
        if unknown or unhashed:
            parts = []
            shown = {k: n for k, n in unknown.items() if isinstance(k, str) and _SHOWN_LABEL.fullmatch(k)}
            if shown:
                parts.append("unknown labels " + ", ".join(f"{k!r} x{n}" for k, n in sorted(shown.items())))
            other = sum(unknown.values()) - sum(shown.values())
            if other:
                parts.append(f"{other} row(s) with an unrecognised label")
            if unhashed:
                parts.append(f"{unhashed} labelled row(s) without a fingerprint")
            warnings.warn(f"{self.path}: import skipped " + "; ".join(parts) + f" (known: {', '.join(IMPORT_LABELS)})",
                          LeakLabWarning, stacklevel=2)
        return out

    # ------------------------------------------------------------------ reading

    def entries(self):
        """Every readable entry, in file order, as a ledger frame (``line`` is 1-based).

        Lines that are not valid JSON, miss a required field, carry an unknown label or a
        ``secret_id`` that is not a fingerprint (the guard :meth:`record` applies, so a hand
        edit cannot bring a raw secret into a frame), or no longer match their ``entry_id``
        are skipped, listed in ``attrs["skipped"]``
        ("line N: why") and reported in one :class:`LeakLabWarning`; good lines are
        never dropped because of a bad one.
        """
        records, skipped = self._load()
        return _frame(records, skipped)

    def current(self):
        """One row per secret: its effective decision after replaying the file in order.

        Columns: ``secret_id, label, reason, analyst, time, evidence, source, entry_id,
        line`` of the effective decision, ``n_entries`` (the secret's history length,
        undos included), then ``severity`` and ``severity_analyst``: the severity override
        still in force (NA if none; see the module's rule: it ends with a decision of
        another label, and never applies under a :data:`CLOSED` label), and who set it. The latest
        decision in file order wins, whatever its ``time`` says; secrets whose every
        decision was undone are absent. Rows are in file order of their effective decision.
        """
        import pandas as pd

        records, skipped = self._load()
        effective, counts, ignored, overrides = _replay(records, severities=True)
        if ignored:
            warnings.warn(f"{self.path}: ignored {len(ignored)} undo entr(y/ies): " + "; ".join(ignored[:5]),
                          LeakLabWarning, stacklevel=2)
        rows = sorted(effective.values(), key=lambda r: r["line"])
        df = _frame(rows, skipped)
        df = df[["secret_id", "label", "reason", "analyst", "time", "evidence", "source", "entry_id", "line"]].copy()
        df["n_entries"] = pd.array([counts[r["secret_id"]] for r in rows], dtype="Int64")
        picked = [overrides.get(r["secret_id"]) for r in rows]
        df["severity"] = pd.array([None if o is None else o["severity"] for o in picked], dtype="string")
        df["severity_analyst"] = pd.array([None if o is None else o["analyst"] for o in picked], dtype="string")
        df.attrs["skipped"] = list(skipped)
        df.attrs["ignored"] = ignored
        return df

    def apply(self, secrets):
        """A new frame: ``secrets`` plus ``triage_label``, ``triage_reason``,
        ``triage_analyst`` and ``triage_time`` (NA where no decision applies).

        Rows match a decision by ``secret_id``; a decision keyed ``sha1:<hex>`` also
        matches rows whose ``secret_sha1`` is ``<hex>`` and one keyed by a SHA-256 rows
        whose ``secret_sha256`` is it, so a findings frame works too. When several
        decisions match a row, the latest in the file wins. The input is not modified.
        """
        import pandas as pd

        present = [c for c in ("secret_id", "secret_sha256", "secret_sha1") if c in secrets.columns]
        if not present:
            raise LeakLabError(self.path, None, "apply needs a frame with a secret_id, secret_sha256 or secret_sha1 column")
        cur = self.current()
        index = {sid: i for i, sid in enumerate(cur["secret_id"])}
        lines = cur["line"].tolist()
        candidates = []
        for col in present:
            values = [None if pd.isna(v) else str(v) for v in secrets[col].tolist()]
            if col == "secret_sha1":
                values = [None if v is None else "sha1:" + v.lower() for v in values]
            elif col == "secret_sha256":
                values = [None if v is None else v.lower() for v in values]
            candidates.append(values)
        picks = []
        for keys in zip(*candidates, strict=True):
            best = None
            for k in keys:
                i = index.get(k) if k is not None else None
                if i is not None and (best is None or lines[i] > lines[best]):
                    best = i
            picks.append(best)
        out = secrets.copy()
        for col, src in (("triage_label", "label"), ("triage_reason", "reason"), ("triage_analyst", "analyst")):
            vals = cur[src].tolist()
            out[col] = pd.array([None if i is None else vals[i] for i in picks], dtype="string")
        times = cur["time"].tolist()
        out["triage_time"] = pd.to_datetime(pd.Series([None if i is None else times[i] for i in picks], dtype="object"),
                                            utc=True).astype(schema.UTC_TIME).array
        return out

    # ------------------------------------------------------------------ plumbing

    def _load(self) -> tuple[list[dict], list[str]]:
        records, skipped = _parse(self._read())
        if skipped:
            shown = "; ".join(skipped[:5]) + (f"; and {len(skipped) - 5} more" if len(skipped) > 5 else "")
            warnings.warn(f"{self.path}: skipped {len(skipped)} unreadable line(s): {shown}", LeakLabWarning, stacklevel=3)
        return records, skipped

    def _read(self) -> bytes:
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            return b""
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)  # never read a line while a writer is writing it
            return _read_all(fd)
        finally:
            os.close(fd)

    def _append(self, plan):
        """Under the exclusive lock: ``plan(current bytes)`` -> (entries to write, ids
        already present); write them in one call, fsync, then release."""
        import fcntl

        parent = os.path.dirname(os.path.abspath(self.path))
        # Every directory level makedirs creates is a new entry in the level above: each
        # of those must be fsync'ed too, up to the first level that already existed.
        created, up = [], parent
        while not os.path.isdir(up):
            created.append(up)
            nxt = os.path.dirname(up)
            if nxt == up:
                break
            up = nxt
        os.makedirs(parent, exist_ok=True)
        existed = os.path.exists(self.path)
        # 0o600: decisions name secrets and say which are live; only the owner reads them.
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            data = _read_all(fd)
            entries, already = plan(data)
            torn = bool(data) and not data.endswith(b"\n")
            first = data.count(b"\n") + (2 if torn else 1)
            if entries:
                # A torn fragment from a crashed writer is ended first, so it stays on its own line.
                buf = (b"\n" if torn else b"") + b"".join(e["_line"] for e in entries)
                view = memoryview(buf)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            if not existed:
                _fsync_dir(parent)  # the new directory entry must survive a crash too
            for d in created:  # deepest first; each new level's entry lives in the one above
                _fsync_dir(os.path.dirname(d))
        finally:
            os.close(fd)  # releases the lock, after the fsync
        records = [dict(_decode(e), line=first + n) for n, e in enumerate(entries)]
        return _frame(records, [], already=already)

    def _secret_ids(self, secret_ids) -> list[str]:
        if isinstance(secret_ids, str):
            secret_ids = [secret_ids]
        elif isinstance(secret_ids, (bytes, dict)) or not hasattr(secret_ids, "__iter__"):
            raise LeakLabError(self.path, None, "secret_ids must be a secret id or a list of them")
        out: list[str] = []
        for n, sid in enumerate(secret_ids):
            if not isinstance(sid, str):
                raise LeakLabError(self.path, None, f"secret id #{n} must be a string, got {type(sid).__name__}")
            norm = sid.lower() if not sid.startswith("unhashed:") else sid
            if not _SECRET_ID.fullmatch(norm):
                # A guard against recording a raw secret instead of its fingerprint.
                raise LeakLabError(self.path, None, f"secret id #{n} is not a fingerprint: expected 64 hex digits "
                                   "(SHA-256), 'sha1:' and 40 hex digits, or an 'unhashed:' key from leaklab.dedupe")
            if norm not in out:
                out.append(norm)
        return out

    def _analyst(self, analyst) -> str:
        analyst = analyst if analyst is not None else self.analyst
        if analyst is None:
            try:
                analyst = getpass.getuser()
            except Exception:  # no login name (some containers): the decision needs a "who"
                raise LeakLabError(self.path, None, "cannot tell who is deciding: pass analyst=") from None
        return self._text(analyst, "analyst")

    def _text(self, value, name: str, optional: bool = False):
        if value is None and optional:
            return None
        if not isinstance(value, str) or (not optional and not value.strip()):
            raise LeakLabError(self.path, None, f"{name} must be a{'' if optional else ' non-empty'} string")
        return value

    def _time(self, value) -> str:
        if value is None:
            return datetime.now(timezone.utc).strftime(_TIME_FORMAT)
        import pandas as pd

        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError):
            raise LeakLabError(self.path, None, "time must be a date and time with a timezone") from None
        if ts is pd.NaT or ts.tzinfo is None:
            raise LeakLabError(self.path, None, "time must carry a timezone (naive times are ambiguous)")
        return ts.tz_convert("UTC").floor("us").strftime(_TIME_FORMAT)


# ---------------------------------------------------------------------- entries


def _canonical(obj: dict) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _entry(fields: dict) -> dict:
    """The stored form of an entry: fields + v + entry_id, and its line as bytes."""
    body = dict(fields, v=VERSION)
    body["entry_id"] = hashlib.sha256(_canonical(body).encode("ascii")).hexdigest()
    body["_line"] = _canonical({k: v for k, v in body.items() if k != "_line"}).encode("ascii") + b"\n"
    return body


def _decode(entry: dict) -> dict:
    """A checked record from an entry we just wrote (same shape _parse returns)."""
    rec = {k: v for k, v in entry.items() if k != "_line"}
    rec["_time"] = datetime.strptime(rec["time"], _TIME_FORMAT).replace(tzinfo=timezone.utc)
    return rec


def _check(obj) -> str | None:
    """Why a parsed line is not a usable entry, or None. Never quotes a value."""
    if not isinstance(obj, dict):
        return "not a JSON object"
    if obj.get("v") != VERSION or isinstance(obj.get("v"), bool):
        return "unsupported or missing version field 'v'"
    for name in ("entry_id", "secret_id", "label", "analyst", "time", "source"):
        if not isinstance(obj.get(name), str) or not obj[name]:
            return f"missing or non-string field {name!r}"
    sid = obj["secret_id"]
    if not _SECRET_ID.fullmatch(sid if sid.startswith("unhashed:") else sid.lower()):
        # The guard record() applies: a hand-edited line must not put a raw secret in a frame.
        return "field 'secret_id' is not a fingerprint (expected a SHA-256, 'sha1:<hex>' or an 'unhashed:' key)"
    for name in ("reason",):
        if not isinstance(obj.get(name, ""), str):
            return f"field {name!r} must be a string"
    for name in ("evidence", "undoes"):
        if obj.get(name) is not None and not isinstance(obj[name], str):
            return f"field {name!r} must be a string or null"
    if obj["label"] not in LABELS and obj["label"] != UNDO:
        return "unknown label"
    if obj.get("severity") is not None and (obj["severity"] not in SEVERITIES or obj["label"] == UNDO):
        return "unknown severity (or a severity on an undo entry)"
    if obj["label"] == UNDO and not (isinstance(obj.get("undoes"), str) and _ENTRY_ID.fullmatch(obj["undoes"])):
        return "undo entry without a valid 'undoes' entry id"
    try:
        t = datetime.fromisoformat(obj["time"])
    except ValueError:
        return "field 'time' is not an ISO 8601 time"
    if t.tzinfo is None:
        return "field 'time' has no timezone"
    if not 1678 <= t.year <= 2261:
        return "field 'time' is out of range"
    body = {k: v for k, v in obj.items() if k != "entry_id"}
    if hashlib.sha256(_canonical(body).encode("ascii")).hexdigest() != obj["entry_id"]:
        return "entry_id does not match the entry's content (edited or corrupted)"
    obj["_time"] = t.astimezone(timezone.utc)
    if not sid.startswith("unhashed:"):
        obj["secret_id"] = sid.lower()  # as record() writes it, so apply() and undo() find it
    return None


def _parse(data: bytes) -> tuple[list[dict], list[str]]:
    """Checked records (with ``line``) and the skipped lines ("line N: why")."""
    records, skipped = [], []
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    last = len(lines)
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        torn = n == last and not data.endswith(b"\n")
        try:
            obj = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            skipped.append(f"line {n}: not UTF-8")
            continue
        except (ValueError, RecursionError):
            skipped.append(f"line {n}: " + ("torn (unfinished last line)" if torn else "not valid JSON"))
            continue
        why = _check(obj)
        if why:
            skipped.append(f"line {n}: {why}")
            continue
        # A complete, self-verifying entry is kept even when its newline was lost: the
        # next writer adds the newline, and reading must not change its answer.
        obj["line"] = n
        records.append(obj)
    return records, skipped


def _present(data: bytes, ids: list[str]) -> set[str]:
    """Which ids are entries already in ``data``. A text match is confirmed by parsing
    its line: a torn line may hold a complete entry_id and must not count."""
    found = set()
    for eid in ids:
        needle = b'"entry_id":"' + eid.encode("ascii") + b'"'
        at = data.find(needle)
        while at != -1:
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            line = data[start:] if end == -1 else data[start:end]
            records, _ = _parse(line + b"\n")
            if records and records[0]["entry_id"] == eid:
                found.add(eid)
                break
            at = data.find(needle, at + 1)
    return found


def _replay(records: list[dict], severities: bool = False) -> tuple:
    """File order only: per secret, the last decision not taken back by a later undo.

    Returns (secret_id -> effective record, secret_id -> history length, ignored undos),
    and with ``severities`` a fourth item: secret_id -> the decision whose severity
    override is in force (see the module docstring: a later decision not undone with
    another label ends it unless it carries one; none under a CLOSED label). A repeated
    entry_id (a retried append) counts once, at its first line.
    """
    decisions: dict[str, dict] = {}
    undone: set[str] = set()
    counts: Counter = Counter()
    ignored: list[str] = []
    seen: set[str] = set()
    for r in records:
        if r["entry_id"] in seen:
            continue
        seen.add(r["entry_id"])
        counts[r["secret_id"]] += 1
        if r["label"] != UNDO:
            decisions[r["entry_id"]] = r
            continue
        target = decisions.get(r["undoes"])
        if target is None:
            ignored.append(f"line {r['line']}: undoes no earlier decision")
        elif target["secret_id"] != r["secret_id"]:
            ignored.append(f"line {r['line']}: undoes a decision about another secret")
        else:
            undone.add(r["undoes"])
    effective: dict[str, dict] = {}
    overrides: dict[str, dict] = {}
    for eid, r in decisions.items():  # insertion order is file order
        if eid not in undone:
            sid = r["secret_id"]
            effective[sid] = r
            if r.get("severity") is not None:
                overrides[sid] = r
            elif sid in overrides and overrides[sid]["label"] != r["label"]:
                del overrides[sid]  # a change of label without a new override ends the old one
    for sid in [s for s, r in effective.items() if r["label"] in CLOSED and s in overrides]:
        del overrides[sid]  # no action needed: no severity to override (a hand-written entry may carry one)
    if severities:
        return effective, counts, ignored, overrides
    return effective, counts, ignored


def _frame(records: list[dict], skipped: list[str], already: list[str] | None = None):
    """The ledger frame of checked records. Built straight from the contract's dtypes
    (what schema.build does, minus its generic time parsing): record() returns one
    per append, and several kernels may append in a loop."""
    import pandas as pd

    data = {c.name: [r.get(c.name) for r in records] for c in schema.LEDGER}
    data["time"] = [r["_time"] for r in records]
    try:
        df = pd.DataFrame({c.name: pd.array(data[c.name], dtype=c.dtype) for c in schema.LEDGER})
    except UnicodeEncodeError:  # a lone surrogate: schema.build shows it as U+FFFD
        df = schema.build("ledger", data, n=len(records))
    df.attrs["skipped"] = list(skipped)
    if already is not None:
        df.attrs["already_present"] = list(already)
    return df


def _read_all(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    chunks, off = [], 0
    while True:
        chunk = os.pread(fd, max(size - off, 1 << 16), off)
        if not chunk:
            break
        chunks.append(chunk)
        off += len(chunk)
    return b"".join(chunks)


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on a directory; the file itself is synced
        pass
    finally:
        os.close(fd)
