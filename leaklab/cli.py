"""The ``leaklab`` command: the same verbs as the package, for scripts and CI.

Exit codes: 0 success, 2 usage error, 3 bad input (the message names file and record),
1 anything unexpected. Tables go to stdout (or ``--output``) as csv, json lines, markdown
or parquet. Credential ids (access key ids, token ids) are whole in csv, json and parquet
written to a file or a pipe, for joining; they are previews (``AKIA…``) in markdown, in
any format printed on a terminal (a note on stderr says so), and anywhere with
``--redact``. Warnings and progress bars (only on a terminal) go to stderr.

    >>> main(["formats", "--format", "csv"])  # doctest: +ELLIPSIS
    format,tool,description
    gitleaks-json,gitleaks,gitleaks v8 / Betterleaks JSON report
    ...
    0
"""

from __future__ import annotations

import argparse
import re
import sys
from contextlib import contextmanager

from .schema import isna

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INPUT = 0, 1, 2, 3
_DEFAULT_TITLE = "Leaked secrets: post-incident report"
OUTPUTS = ("csv", "json", "markdown", "parquet")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="leaklab",
        description="Investigate leaked secrets: load scanner reports, scan repositories, trace secrets "
        "through git history, measure exposure windows, find uses in access logs, map what a credential can "
        "reach, write the incident report, and build the demo incident. `leaklab COMMAND --help` says what "
        "each command reads and writes.",
        epilog="Exit codes: 0 ok, 2 usage, 3 bad input (file and record named), 1 unexpected error.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def output_options(q):
        q.add_argument("--format", choices=OUTPUTS, default="csv", help="output format (default: csv); markdown shows "
                       "credential ids as previews (AKIA…, first 4 and last 2 characters); csv/json/parquet keep them "
                       "whole for joining when written to a file (-o) or a pipe, and show previews on a terminal")
        q.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output (parquet needs a file)")
        q.add_argument("--redact", action="store_true", help="show credential ids as previews in every format, "
                       "also in files and pipes (for tables that will be shared)")

    def time_options(q, as_of=True):
        if as_of:
            q.add_argument("--as-of", metavar="T", help="end open windows here: a day (2023-07-01, 00:00 UTC) or a time "
                           "with a zone (2023-07-01T12:00:00Z); default: now. Fix it for reproducible output")
        q.add_argument("--tz", metavar="ZONE", help="zone for timeline times of day written without one "
                       "(UTC, Europe/Berlin); without it such times are refused")

    q = sub.add_parser("load", help="read scanner reports into the findings table (secrets redacted)",
                       description="Read scanner reports (files, directories, globs) into one findings table. "
                       "Raw secrets never appear in the output: only fingerprints and short previews.")
    q.add_argument("paths", nargs="+", help="report files, directories or globs")
    q.add_argument("--input-format", metavar="NAME", help="force an input format (see `leaklab formats`)")
    q.add_argument("--lenient", action="store_true", help="skip malformed records (each is listed on stderr) instead of stopping")
    q.add_argument("--dedupe", action="store_true", help="one row per distinct secret instead of one per finding")
    output_options(q)

    q = sub.add_parser("scan", help="scan a repository (working tree and every commit) with leaklab's own rules",
                       description="Scan a git repository, or with --no-history any directory, with leaklab's rules. "
                       "Nothing in the repository is executed. Output: the findings table, secrets redacted.")
    q.add_argument("repo", help="repository (or directory) to scan")
    q.add_argument("--no-history", action="store_true", help="only the working tree (or a bare repository's HEAD)")
    q.add_argument("--rules", action="append", metavar="FILE", help="extra rules file(s) in rules.toml format")
    q.add_argument("--dedupe", action="store_true", help="one row per distinct secret")
    output_options(q)

    q = sub.add_parser("history", help="when each secret entered and left a repository",
                       description="For the secrets in scanner reports (or found by `leaklab scan` when no report "
                       "is given), read the repository's history once and report where each was introduced, "
                       "which branches carry it, whether it is still at HEAD and which commit removed it.")
    q.add_argument("repo", help="the repository")
    q.add_argument("reports", nargs="*", help="scanner reports (files, directories, globs); default: scan the repo")
    q.add_argument("--by", choices=("secret", "ref"), default="secret", help="one row per secret (default) or per secret and branch")
    output_options(q)

    q = sub.add_parser("windows", help="exposure windows: how long each credential was exposed, from breach timelines",
                       description="Read breach timelines (CSV, JSON, JSON lines or YAML; each event has a time, a kind "
                       "such as pushed/detected/revoked, and a credential or incident) and report one exposure window "
                       "per credential: exposed from, detected, contained, and day counts (whole calendar days, UTC, "
                       "end minus start). A date known only to the month gives a min..max range. Windows with no "
                       "containment are open and measured to --as-of.")
    q.add_argument("timelines", nargs="+", metavar="TIMELINE", help="timeline files (format from the extension)")
    time_options(q)
    output_options(q)

    q = sub.add_parser("usage", help="uses of each credential inside its exposure window, flagged when suspicious",
                       description="Read access logs (AWS CloudTrail, GitHub audit log, GCP, Azure, Slack, Okta; files, "
                       "directories, gzip, tar and zip) and keep each credential's events inside its exposure window "
                       "(windows from --timeline, as `leaklab windows` computes them). A use is flagged when its IP or "
                       "user agent was never seen before the window began, or is outside --known-sources. Output: one "
                       "row per use, or per window with --by window; --derived lists instead the windows of credentials "
                       "the leaked ones minted (AssumeRole, GetSessionToken, CreateAccessKey...).")
    q.add_argument("logs", nargs="+", metavar="LOGS", help="access-log files, directories or globs")
    q.add_argument("--timeline", action="append", metavar="FILE", help="breach timeline giving the windows (required; "
                   "repeat for several files); credentials must be named as the logs name them (access key ids...)")
    time_options(q)
    q.add_argument("--by", choices=("use", "window"), help="one row per use (default) or per window with counts")
    q.add_argument("--known-sources", nargs="+", action="extend", metavar="SOURCE", help="IPs, CIDR ranges "
                   "(198.51.100.0/24) or user agents the owner is known to use; other sources are flagged unknown_source")
    q.add_argument("--derived", action="store_true", help="print the windows of credentials minted inside the "
                   "windows (recursively) instead of the uses")
    output_options(q)

    q = sub.add_parser("blast", help="what each credential can reach (permitted, approx.), pivots through held secrets included",
                       description="Read permission inventories (IAM snapshots, credential reports, trufflehog analyze, "
                       "GitHub and Slack token notes, analyst YAML/CSV; see leaklab.inventory.formats()) and list what "
                       "each credential may reach: resource, permission, access level, data class, and the credentials "
                       "it pivots to through resources that hold secrets. Results are permitted (approx.), never "
                       "effective: conditions, boundaries and SCPs are noted, not evaluated. Starts from --credential; "
                       "else from the credentials the --reports found; else from every credential in the inventories.",
                       epilog="Give INVENTORY before the options that take several values (--credential, --reports, "
                       "--logs), or end those with --.")
    q.add_argument("inventories", nargs="+", metavar="INVENTORY", help="inventory files, directories or globs")
    q.add_argument("--credential", nargs="+", action="extend", metavar="ID", help="start from these: ids as the "
                   "inventories name them, their SHA-256, or a secret_id/secret_sha256/secret_sha1 from --reports")
    q.add_argument("--reports", nargs="+", action="extend", metavar="REPORT", help="scanner reports: each repository "
                   "holds the secrets found in it (pivots), and the credentials they found are the default start")
    q.add_argument("--timeline", action="append", metavar="FILE", help="breach timeline: each row gets exposed_from")
    time_options(q, as_of=False)
    q.add_argument("--logs", nargs="+", action="extend", metavar="LOGS", help="access logs: rows that a successful "
                   "logged call matches get used and n_uses")
    q.add_argument("--by", choices=("resource", "credential", "pivot"), default="resource", help="one row per "
                   "(credential, resource, permission) (default), a summary per credential, or one row per pivot")
    q.add_argument("--max-hops", type=_hops, metavar="N", help="follow at most N pivots (default: all)")
    output_options(q)

    q = sub.add_parser("report", help="write the post-incident report (HTML and Markdown) from the investigation's inputs",
                       description="Read the scanner reports and whatever else the investigation has (the repository, "
                       "a breach timeline, access logs, permission inventories, the triage ledger) and write a "
                       "self-contained HTML report and its Markdown twin: what leaked, timeline, exposure windows, "
                       "usage, blast radius, triage decisions, remediation checklist and closure criteria. Sections "
                       "appear only for the inputs given; secrets and credential ids appear as previews only.")
    q.add_argument("reports", nargs="*", metavar="REPORT", help="scanner reports (files, directories, globs); "
                   "default with --case: CASE/reports")
    q.add_argument("--case", metavar="DIR", help="a case directory laid out like data/ or a workshop scenario "
                   "(reports/, demo-repo/, timeline.csv, logs/, inventory/, ledger.jsonl, answers.json or "
                   "ground_truth.json): every part present is used unless given explicitly; the answer key's as_of "
                   "fixes --as-of (without one, open windows run to now and the report changes every run), and its "
                   "secrets link the credentials the timeline names to their secrets (as --link does)")
    q.add_argument("--output", "-o", required=True, metavar="STEM", help="write STEM.html, STEM.md and the "
                   "Markdown's figures STEM-<figure>.png (an existing directory means DIR/report)")
    q.add_argument("--title", default=_DEFAULT_TITLE, help="the report's title")
    q.add_argument("--repo", help="the scanned repository: who introduced each secret, is it still at HEAD")
    q.add_argument("--timeline", action="append", metavar="FILE", help="breach timeline: timeline and exposure "
                   "windows sections (repeat for several files)")
    time_options(q)
    q.add_argument("--logs", nargs="+", action="extend", metavar="LOGS", help="access logs: usage section (with "
                   "--timeline: uses inside the windows, and windows of credentials the leaked ones minted)")
    q.add_argument("--inventory", nargs="+", action="extend", metavar="INVENTORY", help="permission inventories: "
                   "blast radius of the reported credentials (or of --credential)")
    q.add_argument("--credential", nargs="+", action="extend", metavar="ID", help="with --inventory: start the "
                   "blast radius from these (as for `leaklab blast`)")
    q.add_argument("--ledger", metavar="FILE", help="the triage ledger: decisions and remediation state")
    q.add_argument("--link", action="append", type=_link, metavar="NAME=SECRET_ID", help="a credential the timeline "
                   "names by label (github-pat) is the secret SECRET_ID (its secret_id or secret_sha256), so the "
                   "ledger's revoked/rotated decision can confirm its containment; repeat for several")

    q = sub.add_parser("formats", help="list the input formats leaklab reads",
                       description="List the scanner-report formats `leaklab load` reads (format name, tool, "
                       "description); any of them can be forced with --input-format.")
    output_options(q)

    q = sub.add_parser("demo", help="write the seeded demo incident (repository, scanner reports, ground truth)",
                       description="Write the demo incident into a directory: a git repository with planted fake "
                       "secrets, what five scanners report for it, CloudTrail logs, a breach timeline and the answer key "
                       "(ground_truth.json, fingerprints only). The same seed gives the same files.")
    q.add_argument("out", nargs="?", default="data", help="output directory (default: data)")
    q.add_argument("--seed", type=int, default=None, help="scenario seed (default: the workshop's)")

    q = sub.add_parser("run-notebooks", help="execute notebooks headless and save them with outputs",
                       description="Run every .ipynb under SRC (subfolders too) top to bottom without a browser, "
                       "each in its own folder, and write the executed copies, outputs included, to the same place "
                       "under DEST (DEST may be SRC). No timestamps are recorded: the same input gives the same files.")
    q.add_argument("src", help="directory of .ipynb files (searched recursively)")
    q.add_argument("dest", help="directory for the executed copies")
    q.add_argument("--timeout", type=int, default=600, help="seconds per cell (default: 600)")
    return p


def main(argv: list[str] | None = None) -> int:
    from .errors import LeakLabError

    args = _parser().parse_args(argv)
    try:
        with _warnings_to_stderr():
            return _COMMANDS[args.command](args)
    except _UsageError as e:
        print(f"leaklab {args.command}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except LeakLabError as e:
        print(f"leaklab: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:  # `leaklab load ... | head` is fine
        return EXIT_OK


class _UsageError(Exception):
    """Arguments that parse but do not fit together (exit 2); the message says what to add or drop."""


# A secret id as the ledger keys it: SHA-256 hex, sha1:<hex> (detect-secrets), unhashed:<...>.
_SECRET_ID = re.compile(r"[0-9a-fA-F]{64}|sha1:[0-9a-fA-F]{40}|unhashed:.+", re.S)


def _link(text: str) -> tuple:
    """``NAME=SECRET_ID`` as a pair. Split at the last ``=``: a secret id holds none, a name
    may (base64 token hashes end in ``=``). The message never repeats the value.

        >>> _link("github-pat=" + "A" * 64) == ("github-pat", "a" * 64)
        True
    """
    name, sep, secret = text.rpartition("=")
    if not sep or not name or not _SECRET_ID.fullmatch(secret):
        raise argparse.ArgumentTypeError("expected NAME=SECRET_ID, SECRET_ID a secret_id or secret_sha256 "
                                         "(64 hex digits, or sha1:<40 hex digits>)")
    return name, secret if secret.startswith("unhashed:") else secret.lower()


def _hops(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError("must be a whole number of pivots, 0 or more")
    return n


@contextmanager
def _warnings_to_stderr():
    """LeakLabWarnings (skipped records, notes, inconsistent timelines) as one ``leaklab: warning:``
    line each on stderr, instead of Python's file:line form; other warnings pass through."""
    import warnings

    from .errors import LeakLabWarning

    others: list = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LeakLabWarning)
            try:
                yield
            finally:
                for w in caught:
                    if issubclass(w.category, LeakLabWarning):
                        print(f"leaklab: warning: {w.message}", file=sys.stderr)
                    else:
                        others.append(w)
    finally:
        for w in others:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _show_progress() -> bool:
    """Progress bars are for a person watching: only when stderr is a terminal."""
    return sys.stderr.isatty()


@contextmanager
def _progress(desc: str):
    """A tqdm bar on stderr over the files that ``load``, ``load_access_logs`` and
    ``load_inventory`` read inside this block.

    Those verbs take no progress callback, and each must read all its files in one call (log
    duplicates and minted keys are linked across files, inventory names resolved across
    them), so the bar wraps the file list they get from ``readers.expand``, and only while a
    terminal is watching; otherwise nothing is touched.
    """
    if not _show_progress():
        yield
        return
    from tqdm import tqdm

    from . import readers

    original, bars = readers.expand, []

    def expand(paths):
        bar = tqdm(original(paths), desc=desc, unit="file", file=sys.stderr, leave=False, dynamic_ncols=True)
        bars.append(bar)
        return bar

    readers.expand = expand
    try:
        yield
    finally:
        readers.expand = original
        for bar in bars:
            bar.close()


def _load(args) -> int:
    import warnings

    from . import readers
    from .dedupe import dedupe
    from .errors import LeakLabWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LeakLabWarning)  # skips are reported below, one per line
        with _progress("reading reports"):
            df = readers.load(args.paths, format=args.input_format, lenient=args.lenient)
    for s in df.attrs.get("skipped", []):
        print(f"leaklab: skipped {s['file']} {s['record'] or ''}: {s['reason']}", file=sys.stderr)
    if args.dedupe:
        df = dedupe(df)
    return _write(df, args)


def _scan(args) -> int:
    from .dedupe import dedupe
    from .scan import scan

    df = scan(args.repo, history=not args.no_history, rules=args.rules, progress=_show_progress())
    return _write(dedupe(df) if args.dedupe else df, args)


def _history(args) -> int:
    from . import readers
    from .history import history
    from .scan import scan

    if args.reports:
        with _progress("reading reports"):
            found = readers.load(args.reports)
    else:
        found = scan(args.repo, progress=_show_progress())
    return _write(history(args.repo, found, by=args.by, progress=_show_progress()), args)


def _windows(args) -> int:
    return _write(_exposure_windows(args.timelines, args.tz, _as_of(args)), args)


def _usage(args) -> int:
    from .logs import load_access_logs
    from .usage import derived_windows, usage_in_windows

    if not args.timeline:
        raise _UsageError("needs --timeline FILE: uses are counted inside the exposure windows a breach timeline "
                          "gives (see `leaklab windows --help`)")
    if args.derived and (args.by or args.known_sources):
        raise _UsageError("--derived lists minted credentials' windows; --by and --known-sources apply to uses: drop "
                          "them, or drop --derived")
    as_of = _as_of(args)
    windows = _exposure_windows(args.timeline, args.tz, as_of)
    with _progress("reading access logs"):
        logs = load_access_logs(args.logs)
    if args.derived:
        return _write(derived_windows(windows, logs, as_of=as_of), args)
    return _write(usage_in_windows(windows, logs, known_sources=args.known_sources, by=args.by or "use"), args)


def _blast(args) -> int:
    from .blast import blast_radius
    from .inventory import load_inventory

    _check_tz(args.tz)
    with _progress("reading inventories"):
        grants = load_inventory(args.inventories)
    secrets = None
    if args.reports:
        from . import readers
        from .dedupe import dedupe

        with _progress("reading reports"):
            secrets = dedupe(readers.load(args.reports))
    roots = _blast_roots(grants, args.credential, secrets, args.inventories)
    windows = _exposure_windows(args.timeline, args.tz, None) if args.timeline else None
    usage = None
    if args.logs:
        from .logs import load_access_logs

        with _progress("reading access logs"):
            usage = load_access_logs(args.logs)
    return _write(blast_radius(grants, roots, secrets=secrets, windows=windows, usage=usage, by=args.by,
                               max_hops=args.max_hops), args)


def _report(args) -> int:
    import os

    import pandas as pd

    from . import readers
    from .dedupe import dedupe
    from .errors import LeakLabError
    from .report import report

    if args.case:
        _case_defaults(args)
    if not args.reports:
        raise _UsageError("give scanner reports (REPORT ...) or a case directory (--case DIR)")
    if args.credential and not args.inventory:
        raise _UsageError("--credential picks where the blast radius starts: give --inventory too, or drop it")
    if args.ledger and not os.path.isfile(args.ledger):  # a Ledger on a new path would start an empty file
        raise LeakLabError(args.ledger, reason="no such ledger file (record decisions with leaklab.Ledger first)")
    as_of = _as_of(args)
    if as_of is None and args.timeline:
        where = f" and {args.case} has no answer key with an as_of" if args.case else ""
        print(f"leaklab: note: no --as-of{where}: open windows are measured to now, so the report changes from run "
              "to run; give --as-of for a fixed one", file=sys.stderr)
    with _progress("reading reports"):
        findings = readers.load(args.reports)
    secrets = dedupe(findings)
    history = None
    if args.repo:
        from .history import history as history_of

        history = history_of(args.repo, findings, progress=_show_progress())
    events = windows = usage = reach = pivots = None
    if args.timeline:
        from .exposure import exposure_windows

        events = _events(args.timeline, args.tz)
        windows = exposure_windows(events, as_of=as_of)
    if args.logs:
        from .logs import load_access_logs

        with _progress("reading access logs"):
            usage = load_access_logs(args.logs)
        if windows is not None:
            from .usage import derived_windows

            derived = derived_windows(windows, usage, as_of=as_of)
            if len(derived):
                windows = pd.concat([windows, derived], ignore_index=True)
    if args.inventory:
        from .blast import blast_radius
        from .inventory import load_inventory

        with _progress("reading inventories"):
            grants = load_inventory(args.inventory)
        try:
            roots = _blast_roots(grants, args.credential, secrets, args.inventory)
        except LeakLabError as e:
            # An inventory the case directory happened to hold is no reason to write no report at all.
            if not getattr(args, "inventory_from_case", False) or args.credential:
                raise
            print(f"leaklab: warning: {e}; the report has no blast-radius section (give --inventory and "
                  "--credential to pick where it starts)", file=sys.stderr)
        else:
            reach = blast_radius(grants, roots, secrets=secrets, windows=windows, usage=usage)
            pivots = blast_radius(grants, roots, secrets=secrets, windows=windows, by="pivot")
    r = report(args.output, title=args.title, secrets=secrets, findings=findings, history=history, windows=windows,
               usage=usage, reach=reach, pivots=pivots, ledger=args.ledger, events=events, as_of=as_of, links=dict(args.link or []))
    print(f"leaklab: report written to {r.html} and {r.markdown}", file=sys.stderr)
    print(f"leaklab: {r.closure.verdict()}", file=sys.stderr)
    return EXIT_OK


def _case_defaults(args) -> None:
    """Fill the report's inputs from a case directory (the layout of data/ and the scenarios).

    The case's answer key (a scenario's answers.json, the demo's ground_truth.json) gives the
    time the case is as of (unless --as-of), the title's headline (unless --title), and links
    from the names a timeline gives credentials to their secrets (unless --link names them).
    """
    from pathlib import Path

    from .errors import LeakLabError

    case = Path(args.case)
    if not case.is_dir():
        raise LeakLabError(case, reason="no such case directory (make data writes data/ and data/scenarios/<name>/)")

    def part(name):
        p = case / name
        return str(p) if p.exists() else None

    args.reports = args.reports or [r for r in [part("reports")] if r]
    args.repo = args.repo or part("demo-repo")
    args.timeline = args.timeline or [t for t in [part("timeline.csv")] if t]
    args.logs = args.logs or [x for x in [part("logs")] if x]
    args.inventory_from_case = not args.inventory and part("inventory") is not None
    args.inventory = args.inventory or [x for x in [part("inventory")] if x]
    args.ledger = args.ledger or part("ledger.jsonl")
    path = next((case / n for n in ("answers.json", "ground_truth.json") if (case / n).is_file()), None)
    if path is None:
        return
    key = _answer_key(path)
    args.link = list({**key["links"], **dict(args.link or [])}.items())  # --link wins
    if args.as_of is None and key["as_of"] is not None:
        args.as_of, args.as_of_from = key["as_of"], path
    if args.title == _DEFAULT_TITLE and key["description"]:
        args.title = f"{_DEFAULT_TITLE}: {key['description'].split(':')[0]}"  # the scenario's headline


def _answer_key(path) -> dict:
    """What a report takes from a case's answer key: ``as_of`` and ``description`` (strings or
    None) and ``links`` ({secret "id": "secret_sha256"} from its ``secrets`` list).

    The file is read like any input: bad JSON or a field of the wrong type is a
    :class:`~leaklab.errors.LeakLabError` naming the file and the field, never a traceback,
    and no message quotes a value.
    """
    import json

    from .errors import LeakLabError

    name = path.name
    try:
        key = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise LeakLabError(path, f"line {e.lineno}", f"{name} is not valid JSON") from None
    except UnicodeDecodeError:
        raise LeakLabError(path, reason=f"{name} is not UTF-8 text") from None
    except OSError as e:
        raise LeakLabError(path, reason=f"cannot read {name} ({e.strerror or type(e).__name__})") from None
    if not isinstance(key, dict):
        raise LeakLabError(path, reason=f"{name} must hold a JSON object (the case's answer key)")
    for field in ("as_of", "description"):
        if key.get(field) is not None and not isinstance(key[field], str):
            raise LeakLabError(path, field, f"{name} {field} must be a string")
    secrets = key.get("secrets")
    if secrets is None:
        secrets = []
    if not isinstance(secrets, list):
        raise LeakLabError(path, "secrets", f"{name} secrets must be a list of objects with id and secret_sha256")
    links = {}
    for i, entry in enumerate(secrets):
        if not isinstance(entry, dict):
            raise LeakLabError(path, f"secrets[{i}]", "expected an object with id and secret_sha256")
        sid, digest = entry.get("id"), entry.get("secret_sha256")
        if sid is None or digest is None:  # a secret with no fingerprint links nothing
            continue
        if not isinstance(sid, str) or not sid:
            raise LeakLabError(path, f"secrets[{i}].id", "expected a non-empty string")
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", digest):
            raise LeakLabError(path, f"secrets[{i}].secret_sha256", "expected 64 hex digits (a SHA-256)")
        links[sid] = digest.lower()
    return {"as_of": key.get("as_of"), "description": key.get("description"), "links": links}


def _blast_roots(grants, ids, secrets, inventories):
    """The credential ids to start from, as the inventories name them; ``None`` for all of them.

    An id given with --credential may be the inventory's id, its SHA-256, or a secret from the
    reports (secret_id, secret_sha256, secret_sha1) whose id or SHA-256 matches a credential
    of the inventories. Without --credential, the reports' secrets that match are the start.
    """
    from .blast import credentials
    from .errors import LeakLabError
    from .fingerprint import sha256

    known = credentials(grants)  # blast_radius's own notion of a credential in these grants
    files = ", ".join(map(str, inventories))
    if not known:
        raise LeakLabError(files, reason="the inventories name no credential (no key, token or held secret): "
                           "nothing to start from")
    hashes = {c: sha256(c) for c in known}  # a scanner's secret_sha256 of an access key id names that key

    def matches(want: set) -> list:
        return [c for c in known if c in want or hashes[c] in want]

    def report_ids(mask) -> set:
        rows = secrets[mask.fillna(False)]
        return set(rows["secret_id"].dropna()) | set(rows["secret_sha256"].dropna())

    if not ids:
        if secrets is None:
            return None
        roots = matches(report_ids(secrets["secret_id"].notna()))
        if not roots:
            raise LeakLabError(files, reason=f"none of the {len(secrets)} secrets in --reports is a credential of "
                               f"the inventories (matched on id and SHA-256); they know {_ids(known)}: pick with "
                               "--credential")
        return roots
    roots, missing = [], []
    for i in ids:
        want = {i}
        if secrets is not None:
            want |= report_ids((secrets["secret_id"] == i) | (secrets["secret_sha256"] == i)
                               | (secrets["secret_sha1"] == i) | (secrets["secret_id"] == f"sha1:{i}"))
        found = matches(want)
        roots += found
        if not found:
            missing.append(i)
    if missing:
        how = "by id or SHA-256, directly or through a secret in --reports" if secrets is not None else "by id or SHA-256"
        raise LeakLabError(files, reason=f"--credential {_ids(missing, given=True)}: matches no credential of the "
                           f"inventories ({how}); they know {_ids(known)}")
    return list(dict.fromkeys(roots))


def _ids(values, limit: int = 10, given: bool = False) -> str:
    """Credential ids for a message, as previews (a message must not print a whole key id).

    Ids from the inventories are shortened when identifier-shaped (names stay readable);
    values the user ``given`` are always shortened: one that matched nothing may be a
    secret typed in place of its id, of any length.

        >>> _ids(["AKIAFAKEFAKEFAKEFAKE", "ci-token"]), _ids(["hunter2secret", "ci-token"], given=True)
        ('AKIA…KE, ci-token', 'hu…, ci…')
    """
    from .fingerprint import preview_id, redact

    shown = [redact(v) if given else preview_id(v) for v in list(values)[:limit]]
    more = f" and {len(values) - limit} more" if len(values) > limit else ""
    return ", ".join(map(str, shown)) + more


def _exposure_windows(timelines, tz, as_of):
    """Windows from one or more timeline files, read as one timeline."""
    from .exposure import exposure_windows

    return exposure_windows(_events(timelines, tz), as_of=as_of)


def _events(timelines, tz):
    """One events frame from one or more timeline files."""
    import pandas as pd

    from .errors import LeakLabError
    from .timeline import load_timeline

    _check_tz(tz)
    events = []
    for t in timelines:
        try:
            events.append(load_timeline(t, tz=tz))
        except LeakLabError as e:  # the library says "pass tz="; here it is an option
            raise type(e)(e.file, e.record, e.reason.replace("pass tz=", "give --tz ZONE")) from None
    if len(events) == 1:
        return events[0]
    return pd.concat(events, ignore_index=True).sort_values(["time", "kind"], kind="stable", ignore_index=True)


def _check_tz(tz) -> None:
    if tz is None:
        return
    import pandas as pd

    try:
        pd.Timestamp("2000-01-01").tz_localize(tz)
    except (LookupError, ValueError, TypeError, OSError):  # zoneinfo's not-found error is a KeyError
        raise _UsageError(f"--tz: unknown time zone {tz!r}; give a name such as UTC or Europe/Berlin") from None


def _as_of(args):
    """--as-of as a UTC timestamp (None: now). A day means its start, 00:00 UTC.

    With ``--case``, the value may come from the case's answer key (``args.as_of_from``): a
    bad one is then bad input (exit 3) naming that file, not a usage error of ``--as-of``.
    """
    if args.as_of is None:
        return None
    from .errors import LeakLabError
    from .timeline import parse_when

    source = getattr(args, "as_of_from", None)

    def bad(why: str) -> Exception:
        example = "e.g. 2023-07-01 or 2023-07-01T12:00:00Z"
        if source is not None:
            return LeakLabError(source, "as_of", f"{source.name} as_of: {why}; {example}")
        return _UsageError(f"--as-of: {why}; {example}")

    _check_tz(args.tz)
    try:
        t, _, precision = parse_when(args.as_of, args.tz)
    except ValueError as e:
        why = "a time of day needs a zone (Z, +02:00) or --tz" if "zone" in str(e) else str(e)
        raise bad(why) from None
    if precision in ("month", "year"):
        raise bad("needs a day or a time")
    return t


def _formats(args) -> int:
    from . import readers

    return _write(readers.formats(), args)


def _demo(args) -> int:
    from . import demo

    truth = demo.build(args.out, seed=demo.SEED if args.seed is None else args.seed)
    print(f"leaklab: demo incident written to {args.out}/ ({len(truth['secrets'])} planted values, "
          f"{len(truth['commits'])} commits, HEAD {truth['head'][:12]})", file=sys.stderr)
    return EXIT_OK


def _run_notebooks(args) -> int:
    import os
    from pathlib import Path

    import nbformat
    from nbclient import NotebookClient

    src, dest = Path(args.src), Path(args.dest)
    # Subfolders too (notebooks/workshop/), each notebook run in its own folder, as JupyterLab would.
    books = sorted(p for p in src.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    for nb_path in books:
        out = dest / nb_path.relative_to(src)
        out.parent.mkdir(parents=True, exist_ok=True)
        nb = nbformat.read(nb_path, as_version=4)
        NotebookClient(nb, timeout=args.timeout, record_timing=False,  # no timestamps: same input, same file
                       resources={"metadata": {"path": str(nb_path.parent)}}).execute()
        nbformat.write(nb, out)
        print(f"leaklab: ran {nb_path} -> {out}", file=sys.stderr)
    return EXIT_OK if books else _fail(f"no notebooks in {os.fspath(src)}")


def _fail(msg: str) -> int:
    print(f"leaklab: error: {msg}", file=sys.stderr)
    return EXIT_INPUT


def _stdout_is_terminal() -> bool:
    """Whether a person is watching standard output (not a file, not a pipe)."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def _write(df, args) -> int:
    """Write a frame in the chosen format.

    Credential ids (access key ids, token ids) stay whole in csv, json and parquet written to
    a file or a pipe: those are for joining with other data. Markdown is for people and
    screens, so it always shows them as previews (:func:`_previews`), and so does any format
    printed on a terminal (a note on stderr says how to get whole ids); ``--redact`` does the
    same everywhere.
    """
    from pathlib import Path

    fmt, out = args.format, args.output
    if fmt == "parquet" and not out:
        print("leaklab: error: --format parquet needs --output FILE", file=sys.stderr)
        return EXIT_USAGE
    df = df.drop(columns=[c for c in ("secret",) if c in df.columns])
    df.attrs = {}  # parquet would store attrs (skip lists...) as metadata; the table is the output
    redact = fmt == "markdown" or getattr(args, "redact", False)
    if not redact and not out and _stdout_is_terminal():  # a screen, a screenshot, a shared terminal log
        redact = True
        print("leaklab: note: credential ids shortened on a terminal: use -o FILE or a pipe for whole ids",
              file=sys.stderr)
    if fmt != "parquet" or redact:  # parquet keeps categoricals (dictionary columns); the rest want values
        df = _plain(df)
    if redact:
        df = _previews(df)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        df.to_parquet(out, index=False)
        return EXIT_OK
    if fmt == "csv":
        text = _defuse_formulas(df).to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    elif fmt == "json":
        text = df.to_json(orient="records", date_format="iso", lines=True) if len(df) else ""  # not one blank line
    else:
        text = markdown_table(df)
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _plain(df):
    """Categorical columns (``blast_radius`` returns many) as plain columns of their values, so the
    CSV formula guard, redaction and every writer treat them like any other text column.

        >>> import pandas as pd
        >>> str(_plain(pd.DataFrame({"r": pd.Categorical(["=1+1", None])}))["r"].dtype)
        'string'
    """
    import pandas as pd

    cats = [c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)]
    if not cats:
        return df
    df = df.copy()
    for c in cats:
        values = df[c].astype(df[c].cat.categories.dtype)
        df[c] = values.astype("string") if pd.api.types.is_string_dtype(values.dtype) else values
    return df


def _previews(df):
    """A copy for display: credential id columns as previews (:func:`leaklab.redacted`), and any
    identifier left whole in another text column (an AWS key id in a log's resource, a token in
    a note) shortened the same way (:func:`leaklab.fingerprint.scrub_text`).

        >>> import pandas as pd
        >>> df = pd.DataFrame({"credential": ["AKIAFAKEFAKEFAKEFAKE"], "note": ["deleted ASIAFAKEFAKEFAKEFAK2"]})
        >>> _previews(df).values.tolist()
        [['AKIA…KE', 'deleted ASIA…K2']]
    """
    import pandas as pd

    from .fingerprint import redacted, scrub_text

    df = redacted(df)
    for c in df.columns:
        if pd.api.types.is_string_dtype(df[c].dtype) or df[c].dtype == object:
            scrubbed = df[c].map(scrub_text)  # non-strings (NA, numbers in an object column) pass unchanged
            if not scrubbed.equals(df[c]):
                df[c] = scrubbed.astype(df[c].dtype)
    return df


def _defuse_formulas(df):
    """Prefix text cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) with
    a quote: file names and authors come from attackers (OWASP CSV injection)."""
    df = df.copy()
    for c in df.columns:
        if str(df[c].dtype).startswith(("string", "str", "object")):
            s = df[c].astype("string")
            risky = s.str.match(r"[=+\-@\t\r]").fillna(False)
            if risky.any():
                df[c] = s.where(~risky, "'" + s)
    return df


def markdown_table(df) -> str:
    """A GitHub-flavoured Markdown table; cell text is escaped (:func:`leaklab.triage.markdown_text`,
    as in the report) so data can neither break the table nor add a link, an image, a tag or
    a bidi override.

        >>> import pandas as pd
        >>> print(markdown_table(pd.DataFrame({"file": ["a|b.py", "[x](http://evil)"], "line": [3, 4]})), end="")
        | file | line |
        | --- | --- |
        | a\\|b.py | 3 |
        | \\[x\\](http://evil) | 4 |
    """
    from .triage import markdown_text

    def cell(v) -> str:
        if v is None or (not isinstance(v, str) and isna(v)):
            return ""
        return markdown_text(str(v))

    rows = ["| " + " | ".join(cell(c) for c in df.columns) + " |", "| " + " | ".join("---" for _ in df.columns) + " |"]
    rows += ["| " + " | ".join(cell(v) for v in r) + " |" for r in df.itertuples(index=False)]
    return "\n".join(rows) + "\n"


_COMMANDS = {"load": _load, "scan": _scan, "history": _history, "windows": _windows, "usage": _usage,
             "blast": _blast, "report": _report, "formats": _formats, "demo": _demo, "run-notebooks": _run_notebooks}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
