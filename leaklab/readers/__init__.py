"""Scanner reports in, one findings frame out.

:func:`load` takes a file, a directory, a glob or a list of them, sniffs each file's
format from its content and returns one frame under the ``findings`` contract
(:mod:`leaklab.schema`). Raw secret values are hashed and redacted on the way in.

    >>> import leaklab
    >>> leaklab.formats()[["format", "tool"]].head(3)  # doctest: +NORMALIZE_WHITESPACE
             format      tool
    0  gitleaks-json  gitleaks
    1   gitleaks-csv  gitleaks
    2  gitleaks7-json  gitleaks7
"""

from __future__ import annotations

import glob as _glob
import os
from pathlib import Path
from typing import Iterable

from ..errors import LeakLabError, UnknownFormatError
from ._common import Collector, Format, Registry, Source, gc_paused, warn_skipped

# Modules whose FORMATS are tried in this order: specific shapes before general ones.
_MODULES = (
    "gitleaks",
    "trufflehog",
    "detect_secrets",
    "noseyparker",
    "ggshield",
    "github",
    "gitlab",
    "kingfisher",
    "sarif",
)

registry = Registry(__name__, _MODULES)
_by_name = registry.by_name


def formats():
    """The supported formats as a frame: name, tool, description."""
    import pandas as pd

    return pd.DataFrame([(f.name, f.tool, f.description) for f in registry()], columns=["format", "tool", "description"])


def sniff(path: str | os.PathLike, data: bytes | None = None) -> Format | None:
    """The format of one file judged from its content, or ``None`` if it is empty."""
    return registry.sniff(Source(path, data))


def expand(paths) -> list[tuple[str, bool]]:
    """``(file, listed)`` for a path, a directory (recursive), a glob, or a list of those.

    ``listed`` is True for files found by listing a directory or matching a glob: those
    may be other files that merely sit beside the reports.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[tuple[str, bool]] = []
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            found = sorted(
                str(q) for q in Path(p).rglob("*")
                if q.is_file() and not any(part.startswith(".") for part in q.relative_to(p).parts)
            )
            out.extend((f, True) for f in found)
        elif os.path.exists(p):
            out.append((p, False))
        else:
            found = sorted(f for f in _glob.glob(p, recursive=True) if os.path.isfile(f))
            if not found:
                raise LeakLabError(p, reason="no such file, directory or glob match")
            out.extend((f, True) for f in found)
    return out


def load(paths, format: str | None = None, lenient: bool = False, reveal: bool = False):
    """Load scanner reports into one findings frame.

    Parameters
    ----------
    paths
        A file, directory (read recursively; hidden files and directories such as
        ``.git`` skipped), glob, or a list.
    format
        Force a format name (see :func:`formats`) instead of sniffing each file.
        Files found by listing a directory or a glob that are in no supported
        format are skipped and listed in ``df.attrs["skipped"]`` with a warning;
        a file named directly must be a report.
    lenient
        Skip malformed records (and files that cannot be parsed at all) instead of
        raising; each skip is listed in ``df.attrs["skipped"]`` (file, record, reason)
        and counted in a warning.
    reveal
        Add a ``secret`` column of :class:`leaklab.fingerprint.Secret` objects. They still
        render redacted; ``.reveal()`` gives the value.

    Examples
    --------
    >>> import leaklab, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "gl.json"
    >>> _ = p.write_text('[{"RuleID": "github-pat", "Secret": "ghp_FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE0000",'
    ...                  ' "File": "a.py", "StartLine": 3, "Commit": "", "Date": ""}]')
    >>> df = leaklab.load(p)
    >>> df[["tool", "secret_type", "redacted", "file", "line"]]
           tool   secret_type redacted  file  line
    0  gitleaks  github-token  ghp_…00  a.py     3
    """
    from .. import schema

    forced = _by_name(format) if format else None
    chunks, skipped = [], []
    for path, listed in expand(paths):
        try:
            fmt = forced or sniff(path)
        except UnknownFormatError as e:
            if not listed:
                raise
            skipped.append({"file": path, "record": None, "reason": e.reason})
            continue
        if fmt is None:
            continue
        c = Collector(fmt, Source(path), lenient=lenient, reveal=reveal)
        try:
            with gc_paused():
                c.run()
        except LeakLabError as e:
            if not lenient:
                raise
            # A file that cannot be read at all (truncated JSON): skip it whole, say so.
            skipped.append({"file": path, "record": e.record, "reason": e.reason})
            continue
        chunks.extend(c.chunks)
        skipped.extend(c.skipped)
    df = _concat(chunks) if chunks else schema.empty("findings")
    df.attrs["skipped"] = skipped
    warn_skipped("leaklab.load", skipped, stacklevel=2)
    return df




def _concat(chunks: Iterable):
    import pandas as pd

    chunks = [c for c in chunks if len(c)] or list(chunks)[:1]
    return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0].reset_index(drop=True)
