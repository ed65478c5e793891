"""Findings to secrets: one row per distinct secret across every tool.

Rows join on SHA-256 of the raw value. A detect-secrets row has only a SHA-1; it joins the
secret whose SHA-1 matches, and stands alone (``secret_id = "sha1:<hex>"``) otherwise.
Rows with no fingerprint at all (redacted reports, censored ggshield output) cannot be
matched to anything: each becomes its own secret keyed by the tool's finding id, so they
are counted, never merged by guesswork.

    >>> import leaklab, pandas as pd
    >>> f = leaklab.schema.build("findings", {
    ...     "tool": ["gitleaks", "trufflehog", "detect-secrets"],
    ...     "secret_sha256": ["aa", "aa", None], "secret_sha1": ["11", "11", "11"],
    ...     "secret_type": ["github-token"] * 3, "file": ["a.py", "a.py", "b.py"]})
    >>> s = dedupe(f)
    >>> print(s.loc[0, ["secret_id", "tools", "n_findings", "n_locations", "files"]].to_string())
    secret_id                                        aa
    tools          detect-secrets, gitleaks, trufflehog
    n_findings                                        3
    n_locations                                       2
    files                                    a.py, b.py
"""

from __future__ import annotations

from . import schema

_GENERIC = {"generic-api-key", "other", "password"}


def dedupe(findings):
    """Return the secrets frame (contract ``secrets``) for a findings frame."""
    import pandas as pd

    schema.validate(findings, "findings")
    if findings.empty:
        return schema.empty("secrets")
    f = findings.assign(_key=secret_keys(findings), _loc=_location(findings))
    # Rows that had the value come first, so "first" picks their preview and SHA-256.
    f = f.sort_values("secret_sha256", na_position="last", kind="stable")

    g = f.groupby("_key", sort=True)
    out = pd.DataFrame(index=g.size().index)
    out["secret_sha256"] = g["secret_sha256"].first()
    out["secret_sha1"] = g["secret_sha1"].first()
    out["secret_type"] = _most_specific(f)
    out["redacted"] = g["redacted"].first()
    out["tools"] = _joined(f, "tool")
    out["n_tools"] = g["tool"].nunique()
    out["n_findings"] = g.size()
    out["n_locations"] = g["_loc"].nunique()
    out["repos"] = _joined(f, "repo")
    out["files"] = _joined(f, "file")
    out["first_commit_time"] = g["commit_time"].min()
    out["last_commit_time"] = g["commit_time"].max()
    live = f["verified"].fillna(False).groupby(f["_key"]).any()
    dead = (~f["verified"].fillna(True)).groupby(f["_key"]).any()
    out["verified"] = pd.array([True if a else (False if b else None) for a, b in zip(live, dead)], dtype="boolean")
    out["validity"] = _joined(f, "validity")
    out["labels"] = _joined(f, "label")
    out = out.rename_axis("secret_id").reset_index()
    secrets = schema.build("secrets", {c: out[c].tolist() for c in out.columns})
    return secrets.sort_values(["n_tools", "n_findings", "secret_id"], ascending=[False, False, True], ignore_index=True)


def secret_keys(f):
    """Each finding's ``secret_id``: its SHA-256; for a SHA-1-only row, the SHA-256 of the
    value with that SHA-1 if another row has it, else ``sha1:<hex>``; for a row with no
    fingerprint, ``unhashed:<tool>:<tool's finding id>`` (never merged with anything)."""
    sha256, sha1 = f["secret_sha256"], f["secret_sha1"]
    # SHA-1 -> SHA-256 for every value some tool reported in full, so SHA-1-only rows can join.
    known = f.loc[sha256.notna() & sha1.notna(), ["secret_sha1", "secret_sha256"]].drop_duplicates("secret_sha1")
    bridge = dict(zip(known["secret_sha1"], known["secret_sha256"]))
    key = sha256.copy()
    only1 = sha256.isna() & sha1.notna()
    key[only1] = [bridge.get(h, f"sha1:{h}") for h in sha1[only1]]
    orphan = key.isna()
    if orphan.any():
        ids = f["tool_fingerprint"].fillna(f["source_file"] + " " + f["source_record"])
        key[orphan] = "unhashed:" + f["tool"][orphan] + ":" + ids[orphan].fillna("?")
    return key.astype("string")


def _location(f):
    # Where in the code: file and line. The repo column is left out on purpose: tools
    # name the same repository differently (a URL, "./.git", nothing).
    return f["file"].fillna("") + "\0" + f["line"].astype("string").fillna("")


def _joined(f, col: str):
    """Per secret, the distinct values of ``col``, sorted and comma-joined (vectorized:
    only secrets with several values pay for a join)."""
    d = f[["_key", col]].dropna().drop_duplicates().sort_values(["_key", col])
    first = d.drop_duplicates("_key").set_index("_key")[col].astype(object)
    multi = d[d.duplicated("_key", keep=False)]
    if not multi.empty:
        first.update(multi.groupby("_key")[col].agg(", ".join))
    return first


def _most_specific(f):
    """A named provider type beats generic ones; then the most reported; then by name."""
    d = f[["_key", "secret_type"]].dropna()
    counts = d.groupby(["_key", "secret_type"]).size().rename("n").reset_index()
    counts["generic"] = counts["secret_type"].isin(_GENERIC)
    counts = counts.sort_values(["_key", "generic", "n", "secret_type"], ascending=[True, True, False, True])
    return counts.drop_duplicates("_key").set_index("_key")["secret_type"]
