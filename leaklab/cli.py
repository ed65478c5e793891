"""The ``leaklab`` command: the same verbs as the package, for scripts and CI.

Exit codes: 0 success, 2 usage error, 3 bad input (the message names file and record),
1 anything unexpected.

    >>> main(["formats", "--format", "csv"])  # doctest: +ELLIPSIS
    format,tool,description
    gitleaks-json,gitleaks,gitleaks v8 / Betterleaks JSON report
    ...
    0
"""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INPUT = 0, 1, 2, 3
OUTPUTS = ("csv", "json", "markdown", "parquet")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="leaklab",
        description="Investigate leaked secrets: load scanner reports, scan repositories, trace secrets "
        "through git history, and build the demo incident.",
        epilog="Exit codes: 0 ok, 2 usage, 3 bad input (file and record named), 1 unexpected error.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def output_options(q):
        q.add_argument("--format", choices=OUTPUTS, default="csv", help="output format (default: csv)")
        q.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output (parquet needs a file)")

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

    q = sub.add_parser("formats", help="list the input formats leaklab reads")
    output_options(q)

    q = sub.add_parser("demo", help="write the seeded demo incident (repository, scanner reports, ground truth)")
    q.add_argument("out", nargs="?", default="data", help="output directory (default: data)")
    q.add_argument("--seed", type=int, default=None, help="scenario seed (default: the workshop's)")

    q = sub.add_parser("run-notebooks", help="execute notebooks headless and save them with outputs")
    q.add_argument("src", help="directory of .ipynb files")
    q.add_argument("dest", help="directory for the executed copies")
    q.add_argument("--timeout", type=int, default=600, help="seconds per cell (default: 600)")
    return p


def main(argv: list[str] | None = None) -> int:
    from .errors import LeakLabError

    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except LeakLabError as e:
        print(f"leaklab: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:  # `leaklab load ... | head` is fine
        return EXIT_OK


def _load(args) -> int:
    import warnings

    from . import readers
    from .dedupe import dedupe
    from .errors import LeakLabWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LeakLabWarning)  # skips are reported below, one per line
        df = readers.load(args.paths, format=args.input_format, lenient=args.lenient)
    for s in df.attrs.get("skipped", []):
        print(f"leaklab: skipped {s['file']} {s['record'] or ''}: {s['reason']}", file=sys.stderr)
    if args.dedupe:
        df = dedupe(df)
    return _write(df, args)


def _scan(args) -> int:
    from .dedupe import dedupe
    from .scan import scan

    df = scan(args.repo, history=not args.no_history, rules=args.rules, progress=sys.stderr.isatty())
    return _write(dedupe(df) if args.dedupe else df, args)


def _history(args) -> int:
    from . import readers
    from .history import history
    from .scan import scan

    found = readers.load(args.reports) if args.reports else scan(args.repo, progress=sys.stderr.isatty())
    return _write(history(args.repo, found, by=args.by, progress=sys.stderr.isatty()), args)


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
    dest.mkdir(parents=True, exist_ok=True)
    books = sorted(src.glob("*.ipynb"))
    for nb_path in books:
        nb = nbformat.read(nb_path, as_version=4)
        NotebookClient(nb, timeout=args.timeout, record_timing=False, resources={"metadata": {"path": str(src)}}).execute()  # no timestamps: same input, same file
        nbformat.write(nb, dest / nb_path.name)
        print(f"leaklab: ran {nb_path} -> {dest / nb_path.name}", file=sys.stderr)
    return EXIT_OK if books else _fail(f"no notebooks in {os.fspath(src)}")


def _fail(msg: str) -> int:
    print(f"leaklab: error: {msg}", file=sys.stderr)
    return EXIT_INPUT


def _write(df, args) -> int:
    fmt, out = args.format, args.output
    df = df.drop(columns=[c for c in ("secret",) if c in df.columns])
    if fmt == "parquet":
        if not out:
            print("leaklab: error: --format parquet needs --output FILE", file=sys.stderr)
            return EXIT_USAGE
        df.to_parquet(out, index=False)
        return EXIT_OK
    if fmt == "csv":
        text = _defuse_formulas(df).to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    elif fmt == "json":
        text = df.to_json(orient="records", date_format="iso", lines=True)
    else:
        text = markdown_table(df)
    if out:
        from pathlib import Path

        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


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
    """A GitHub-flavoured Markdown table; cell text is escaped so data cannot break the table.

        >>> import pandas as pd
        >>> print(markdown_table(pd.DataFrame({"file": ["a|b.py"], "line": [3]})), end="")
        | file | line |
        | --- | --- |
        | a\\|b.py | 3 |
    """
    def cell(v) -> str:
        if v is None or (not isinstance(v, str) and _isna(v)):
            return ""
        s = str(v).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
        return s.replace("<", "&lt;").replace(">", "&gt;")

    rows = ["| " + " | ".join(cell(c) for c in df.columns) + " |", "| " + " | ".join("---" for _ in df.columns) + " |"]
    rows += ["| " + " | ".join(cell(v) for v in r) + " |" for r in df.itertuples(index=False)]
    return "\n".join(rows) + "\n"


def _isna(v) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


_COMMANDS = {"load": _load, "scan": _scan, "history": _history, "formats": _formats, "demo": _demo,
             "run-notebooks": _run_notebooks}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
