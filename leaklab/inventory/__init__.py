"""Permission inventories in, one grants edge list out: what could a leaked credential reach?

:func:`load_inventory` reads IAM snapshots, token scope notes, ``trufflehog analyze`` results
and analyst-written inventories, sniffs each file's format from its content and returns one
frame under the ``grants`` contract (:mod:`leaklab.schema`): one row per edge
``source -relation-> target``. The reach itself is computed over this list by
:mod:`leaklab.blast`; nothing here evaluates a policy.

    >>> import leaklab, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "inv.yaml"
    >>> _ = p.write_text('''
    ... credentials: [{id: AKIALEAKLABFAKE00001, principal: "arn:aws:iam::111122223333:user/ci"}]
    ... resources: [{id: "arn:aws:s3:::payroll", type: s3-bucket, data_class: confidential}]
    ... ''')
    >>> df = leaklab.load_inventory(p)
    >>> df[["source", "relation", "target", "target_type"]].values.tolist()
    [['AKIALEAKLABFAKE00001', 'authenticates_as', 'arn:aws:iam::111122223333:user/ci', 'user'], ['inventory', 'has_resource', 'arn:aws:s3:::payroll', 's3-bucket']]

Node ids: AWS principals and policies are ARNs (an inline policy is
``<principal arn>#inline/<PolicyName>``, an account ``arn:aws:iam::<acct>:root``), AWS keys
their access key ids; tokens whose value must never be held are named by the analyst (a
SHA-256 fingerprint, ``sha1:<hex>`` or a name); GitHub ``github:<login>``,
``github.com/<owner>``, ``github.com/<owner>/<repo>``; Slack ``slack:<team_id>`` and
``slack:<team_id>/<user_id>``. See :func:`formats` for what is read.
"""

from __future__ import annotations

import warnings

from ..errors import LeakLabError, LeakLabWarning, UnknownFormatError
from ..readers._common import Registry, Source, warn_skipped
from ._base import DATA_CLASSES, RELATIONS, Bad, Context, InventoryFormat

__all__ = ["load_inventory", "formats", "sniff", "RELATIONS", "DATA_CLASSES"]

# Modules whose FORMATS are tried in this order: specific shapes before general ones.
_MODULES = ("aws", "generic", "trufflehog", "github", "slack")

registry = Registry(__name__, _MODULES, what="inventory format", kind="permission inventory")


def formats():
    """The supported inventory formats as a frame: name, provider, description.

        >>> formats()["format"].tolist()[:3]
        ['aws-iam-gaad', 'aws-list-access-keys', 'aws-credential-report']
    """
    import pandas as pd

    return pd.DataFrame([(f.name, f.provider, f.description) for f in registry()],
                        columns=["format", "provider", "description"])


def sniff(path, data: bytes | None = None) -> InventoryFormat | None:
    """The format of one file judged from its content; ``None`` if it is empty."""
    return registry.sniff(Source(path, data))


def load_inventory(path, format: str | None = None, *, credential: str | None = None, lenient: bool = False):
    """Load permission inventories into one ``grants`` frame (see ``leaklab.describe("grants")``).

    Parameters
    ----------
    path
        A file, a directory (every file inside, sorted; hidden files skipped), a glob, or a
        list of them. Files found by listing a directory that are in no inventory format are
        skipped and listed in ``df.attrs["skipped"]``; a file named directly must be one.
    format
        Force a format by name (see :func:`formats`) instead of sniffing each file.
    credential
        The credential id (fingerprint or name) for inputs that do not name theirs:
        ``trufflehog analyze`` results, Slack ``auth.test`` answers, token notes.
    lenient
        Skip malformed records (a policy statement, a user, a CSV row) and unreadable files
        instead of raising; each skip is listed in ``df.attrs["skipped"]`` (file, record,
        reason) and counted in a warning.

    Returns
    -------
    DataFrame
        One row per edge in the order read, files sorted by path. Within one load, bare IAM
        user names (``list-access-keys``) become user ARNs from a GAAD or credential report,
        and credential-report key slots become access key ids from ``list-access-keys``
        (same user, ``access_key_N_last_rotated`` equal to ``CreateDate`` to the second);
        what cannot be matched keeps its name (``<user arn>#access_key_<N>`` for a slot) and
        is reported in a :class:`~leaklab.LeakLabWarning`.

    Raises
    ------
    LeakLabError
        :class:`~leaklab.RecordError` naming the file and the record (a JSON path such as
        ``UserDetailList[0].UserPolicyList[1].PolicyDocument.Statement[2]``, or ``line N``),
        or :class:`~leaklab.UnknownFormatError`. Messages never quote values.
    """
    from .. import schema
    from ..readers import expand

    forced = registry.by_name(format) if format else None
    ctx = Context(credential=credential, lenient=lenient)
    rows: list[dict] = []
    for file, listed in expand(path):
        src = Source(file)
        try:
            fmt = forced or registry.sniff(src)
        except UnknownFormatError as e:
            if not listed:
                raise
            ctx.skipped.append({"file": file, "record": None, "reason": e.reason})
            continue
        if fmt is None:
            continue
        try:
            got = fmt.read(src, ctx)
        except Bad as e:  # a file-level shape error (top level, a whole list)
            if not lenient:
                raise src.error(e.loc, f"{fmt.description}: {e.reason}") from None
            ctx.skipped.append({"file": file, "record": e.loc, "reason": e.reason})
            continue
        except LeakLabError as e:
            if not lenient:
                raise
            ctx.skipped.append({"file": e.file or file, "record": e.record, "reason": e.reason})
            continue
        for r in got:
            r["source_file"] = file
        rows += got
    _resolve(rows, ctx)
    cols = {c: [r.get(c) for r in rows] for c in schema.columns("grants")}
    for i, r in enumerate(rows):
        origin = r.get("_origin")
        if origin:  # a saved grants frame keeps where each edge was first read
            cols["source_file"][i] = origin[0] or r["source_file"]
            cols["source_record"][i] = origin[1] or r["source_record"]
    df = schema.build("grants", cols, len(rows))
    schema.validate(df, "grants")
    df.attrs["skipped"] = ctx.skipped
    _warn(ctx)
    return df


# --------------------------------------------------------------------------- cross-file resolution


def _resolve(rows: list[dict], ctx: Context) -> None:
    """Bare IAM user names to ARNs; credential-report key slots to access key ids."""
    unresolved = []
    keys: dict = {}  # (user arn or bare name, creation second) -> [access key ids]
    for r in rows:
        name = r.get("_user_name")
        if name is None:
            continue
        arns = ctx.user_arns.get(name, set())
        if len(arns) == 1:
            r["target"] = next(iter(arns))
        else:
            unresolved.append((r["source_file"], r["source_record"], "ambiguous" if arns else "unknown"))
        if r.get("since") is not None:
            keys.setdefault((r["target"], r["since"].floor("s")), []).append(r["source"])
    for file, record, why in unresolved:
        ctx.notes.append((file, record, f"the IAM user name is {why} in this load (no single GAAD or credential "
                          "report user of that name): the bare name is kept"))
    listed = {u for u, _ in keys}  # users whose keys list-access-keys gave
    unmatched = []
    for r in rows:
        slot = r.get("_slot")
        if slot is None:
            continue
        user, arn, rotated = slot
        if rotated is None:
            unmatched.append(r)
            continue
        found = set(keys.get((arn, rotated.floor("s")), []))
        if user and len(ctx.user_arns.get(user, ())) <= 1:  # a bare name is only trusted when unambiguous
            found |= set(keys.get((user, rotated.floor("s")), []))
        if len(found) == 1:
            r["source"] = next(iter(found))
        else:
            unmatched.append(r)
    for r in unmatched:
        user, arn, _ = r["_slot"]
        if arn in listed or user in listed:  # the user's keys are known, yet none matches this slot
            ctx.notes.append((r["source_file"], r["source_record"], "a credential-report key slot matches no single "
                              "access key from list-access-keys: kept as the slot node"))


def _warn(ctx: Context) -> None:
    if ctx.notes:
        shown = "; ".join(f"{f} {r or ''}: {w}" for f, r, w in ctx.notes[:3])
        more = f" (and {len(ctx.notes) - 3} more)" if len(ctx.notes) > 3 else ""
        warnings.warn(f"leaklab.load_inventory: {len(ctx.notes)} note(s): {shown}{more}", LeakLabWarning, stacklevel=3)
    warn_skipped("leaklab.load_inventory", ctx.skipped, stacklevel=3)
