"""Was the leaked credential used? Access-log events matched against exposure windows.

:func:`usage_in_windows` keeps the uses of each credential that fall inside its window
(from ``exposed_from`` to ``contained_at``, or ``as_of`` while open) and flags the ones
that look like someone else: a source IP or user agent that credential never used
before its exposure began, or one outside ``known_sources``.

:func:`derived_windows` follows the credentials a leaked one minted inside its window
(AssumeRole, GetSessionToken, GetFederationToken, CreateAccessKey...): each becomes a
child window from its issue time to its expiry (or to the revocation the logs show).

Matching is vectorized: credentials are looked up through a hash index and times
compared as integers, so millions of log events are checked without building the
merged frame a plain ``merge`` would.
"""

from __future__ import annotations

import ipaddress
import os

from . import schema

# Pairs (credential, IP or user agent) are marked in a bitmap up to this many bits (64 MiB).
_BITMAP_LIMIT = 1 << 26

# Log actions that revoke a credential minted by CreateAccessKey.
_REVOKING = ("iam.amazonaws.com:DeleteAccessKey",)


def _window_bounds(windows):
    import numpy as np

    end = windows["contained_at_latest"].fillna(windows["contained_at"]).fillna(windows["as_of"])
    start = windows["exposed_from"]
    return start.to_numpy("datetime64[ns]").astype(np.int64), end.to_numpy("datetime64[ns]").astype(np.int64)


def usage_in_windows(windows, usage, known_sources=None, by: str = "use"):
    """The uses of each credential inside its exposure window, flagged.

    Parameters
    ----------
    windows
        From :func:`leaklab.exposure_windows` (or :func:`derived_windows`); ``credential``
        must be the id the logs use (an AWS access key id, a token id...).
    usage
        From :func:`leaklab.load_access_logs`; or a directory (or glob) of CloudTrail
        delivery files too large for memory: DuckDB then reads them out of core and
        keeps only the events of these credentials (:mod:`leaklab.outofcore`).
    known_sources
        IPs, CIDR ranges (``10.0.0.0/8``) and user agents the owner is known to use; a use
        from none of them is flagged ``unknown_source``.
    by
        ``"use"``: one row per use inside a window (events marked ``duplicate`` count once) (columns of ``usage`` plus ``window_start``,
        ``window_end``, ``new_ip``, ``new_user_agent``, ``unknown_source``, ``suspicious``).
        ``"window"``: the windows with usage counts added.
    """
    import numpy as np

    if by not in ("use", "window"):
        raise ValueError(f"by must be 'use' or 'window', not {by!r}")
    schema.validate(windows, "windows")
    if isinstance(usage, (str, os.PathLike)):  # raw CloudTrail files, read out of core
        from .outofcore import cloudtrail_usage

        usage = cloudtrail_usage(usage, windows["credential"].dropna())
    schema.validate(usage, "usage")
    if isinstance(known_sources, str):
        known_sources = [known_sources]
    keyed = windows["credential"].dropna()
    if keyed.duplicated().any():
        from .errors import LeakLabError

        raise LeakLabError(reason=f"windows has several rows for {keyed.duplicated().sum()} credential(s) "
                           "(e.g. two incidents): give each credential one window, or call once per incident")
    idx = _lookup(usage["credential_id"], windows["credential"])
    idx[usage["duplicate"].fillna(False).to_numpy()] = -1  # a log delivered twice is one use
    start, end = _window_bounds(windows)
    has_start = ~windows["exposed_from"].isna().to_numpy()
    # Work only on the rows of credentials that have a window with a start.
    cand = np.flatnonzero(idx >= 0)
    cand = cand[has_start[idx[cand]]]
    t = usage["time"].to_numpy("datetime64[ns]").astype(np.int64)[cand]
    wc = idx[cand]
    s = start[wc]
    is_in = (t >= s) & (t <= end[wc])
    is_before = t < s
    keep = is_in | is_before  # the only rows the flags need
    rows, w_rows, in_rows, before_rows = cand[keep], wc[keep], is_in[keep], is_before[keep]

    pos = rows[in_rows]
    w = w_rows[in_rows]
    uses = usage.take(pos)
    uses.insert(0, "window_start", windows["exposed_from"].array.take(w))
    uses.insert(1, "window_end", windows["contained_at_latest"].fillna(windows["contained_at"]).fillna(windows["as_of"]).array.take(w))
    part = (w_rows, in_rows, before_rows)
    uses["new_ip"] = _unseen(usage["source_ip"], rows, *part)
    uses["new_user_agent"] = _unseen(usage["user_agent"], rows, *part)
    uses["unknown_source"] = _unknown(uses, known_sources)
    uses["suspicious"] = uses["new_ip"] | uses["new_user_agent"] | uses["unknown_source"].fillna(False)
    order = np.lexsort((t[keep][in_rows], w))  # by window, then time: integers, not strings
    if by == "use":
        return uses.take(order).reset_index(drop=True)
    return _summary(windows, uses, w)


def _lookup(values, keys):
    """Position of each value in ``keys`` (-1 if absent), with Arrow's hash lookup."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = _arrow(values)
    found = pc.index_in(arr, value_set=pa.chunked_array(_arrow(keys).chunks, type=arr.type).combine_chunks(),
                        skip_nulls=True)  # a missing id matches nothing, not a window with no credential
    return np.asarray(found.fill_null(-1), dtype=np.int64)


def _arrow(series):
    """A text column as an Arrow array, zero-copy when pandas already stores it in Arrow."""
    import pyarrow as pa

    arr = pa.array(series.astype("string").array)  # zero-copy for Arrow-backed strings
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def _unseen(values, rows, cred, sub_in, sub_before):
    """For each use inside a window: was its (credential, value) pair never seen before the
    window began? ``rows`` are the positions of uses inside or before a window; ``cred`` their
    window positions. Pairs are packed into integers and looked up in a bitmap (or, when
    that would be large, a sorted array)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    if not sub_in.any():
        return pd.array([], dtype="boolean")
    vals = _arrow(values).take(pa.array(rows)).combine_chunks().dictionary_encode()
    codes = np.asarray(vals.indices.fill_null(-1), dtype=np.int64)
    width = len(vals.dictionary) + 1
    packed = cred * width + (codes + 1)
    probe = packed[sub_in]
    size = (int(cred.max()) + 1) * width
    if size <= _BITMAP_LIMIT:  # a bitmap of every (credential, value) pair fits: O(n), no sort
        seen_map = np.zeros(size, dtype=bool)
        seen_map[packed[sub_before]] = True
        hit = seen_map[probe]
    else:
        seen = np.sort(packed[sub_before])
        pos = np.searchsorted(seen, probe)
        hit = (pos < len(seen)) & (seen[np.minimum(pos, len(seen) - 1)] == probe) if len(seen) else np.zeros(len(probe), bool)
    return pd.array(~hit & (codes[sub_in] >= 0), dtype="boolean")


def _unknown(uses, known_sources):
    import pandas as pd

    if known_sources is None:
        return pd.array([None] * len(uses), dtype="boolean")
    names, nets = set(), []
    for k in known_sources:
        try:
            nets.append(ipaddress.ip_network(k, strict=False))
        except ValueError:
            names.add(k)
    def known(ip, ua) -> bool:
        if (isinstance(ip, str) and ip in names) or (isinstance(ua, str) and ua in names):
            return True
        try:
            addr = ipaddress.ip_address(ip)
        except (TypeError, ValueError):
            return False
        return any(addr in n for n in nets)

    pairs = {(ip, ua) for ip, ua in zip(uses["source_ip"], uses["user_agent"])}
    verdict = {p: not known(*p) for p in pairs}
    return pd.array([verdict[p] for p in zip(uses["source_ip"], uses["user_agent"])], dtype="boolean")


def _summary(windows, uses, w):
    """Per-window counts, computed on window positions (integers) with bincount."""
    import numpy as np
    import pandas as pd

    n = len(windows)
    count = lambda mask=None: pd.array(np.bincount(w if mask is None else w[mask], minlength=n), dtype="Int64")  # noqa: E731
    out = windows.copy()
    out["n_uses"] = count()
    out["n_success"] = count((uses["outcome"] == "success").fillna(False).to_numpy())
    out["n_failure"] = count((uses["outcome"] == "failure").fillna(False).to_numpy())
    t = uses["time"].to_numpy("datetime64[ns]").astype(np.int64)
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, np.iinfo(np.int64).min)
    np.minimum.at(first, w, t)
    np.maximum.at(last, w, t)
    used = np.bincount(w, minlength=n) > 0
    out["first_use"] = pd.to_datetime(np.where(used, first, np.datetime64("NaT").astype(np.int64)), utc=True)
    out["last_use"] = pd.to_datetime(np.where(used, last, np.datetime64("NaT").astype(np.int64)), utc=True)
    for col, name in (("source_ip", "n_ips"), ("user_agent", "n_user_agents")):
        codes = pd.factorize(uses[col])[0]
        pairs = np.unique(np.stack([w, codes])[:, codes >= 0], axis=1)
        out[name] = pd.array(np.bincount(pairs[0], minlength=n), dtype="Int64")
    out["n_suspicious"] = count(uses["suspicious"].fillna(False).to_numpy())
    return out


def issued_windows(usage, as_of=None):
    """A window for every credential the logs show being minted, from issue to expiry.

    A key created with CreateAccessKey has no expiry: its window ends where the logs show
    it deleted (a successful DeleteAccessKey), else it stays open to ``as_of`` (default:
    the last event in ``usage``). ``parent`` is the credential (or, for AWS services, the principal) that
    minted it.
    """
    import pandas as pd

    schema.validate(usage, "usage")
    minted = usage[usage["issued_credential"].notna() & ~usage["duplicate"].fillna(False)].sort_values("time", kind="stable")
    minted = minted.drop_duplicates("issued_credential")
    # Only a deletion that succeeded ends a key (UpdateAccessKey may also re-activate one).
    revoked = usage[usage["action"].isin(_REVOKING) & (usage["outcome"] == "success").fillna(False)]
    revoked_at = revoked.groupby("resource")["time"].min() if len(revoked) else {}
    as_of = usage["time"].max() if as_of is None else _aware(as_of)
    rows = []
    for u in minted.itertuples(index=False):
        expires = u.issued_expires if not pd.isna(u.issued_expires) else None
        deleted = revoked_at.get(u.issued_credential)
        end, kind = min(((t, k) for t, k in ((expires, "expired"), (deleted, "revoked")) if t is not None), default=(None, None))
        open_ = end is None or end > as_of
        stop = as_of if open_ else end
        rows.append({
            "credential": u.issued_credential, "parent": u.credential_id if isinstance(u.credential_id, str) else u.principal,
            "exposed_from": u.time, "exposed_from_latest": u.time, "start_kind": "exposed", "lower_bound": False,
            "contained_at": end, "contained_at_latest": end, "contained_kind": kind,
            "open": open_, "as_of": as_of, "duration": max(stop - u.time, pd.Timedelta(0)),
            "window_days_min": (stop.normalize() - u.time.normalize()).days,
            "window_days_max": (stop.normalize() - u.time.normalize()).days,
        })
    return schema.build("windows", {k: [r.get(k) for r in rows] for k in schema.columns("windows")}, len(rows))


def _aware(t):
    import pandas as pd

    from .errors import LeakLabError

    t = pd.Timestamp(t)
    if t.tzinfo is None:
        raise LeakLabError(reason="as_of needs a time zone (e.g. '2023-07-01T00:00:00Z')")
    return t.tz_convert("UTC")


def derived_windows(windows, usage, as_of=None):
    """Windows of credentials minted by leaked ones inside their windows, recursively.

    Each child starts when it was issued and ends at its expiry, or when the logs show it
    deleted or deactivated (see :func:`issued_windows`). ``parent`` names the credential
    that minted it; ``incident`` is inherited.
    """
    import pandas as pd

    schema.validate(windows, "windows")
    issued = issued_windows(usage, as_of=as_of).set_index("credential", drop=False)
    minted = usage[usage["issued_credential"].notna()]
    frontier, found, seen = windows, [], set(windows["credential"].dropna())
    while len(frontier) and len(minted):
        uses = usage_in_windows(frontier, minted, by="use")
        children = [c for c in dict.fromkeys(uses["issued_credential"]) if c not in seen and c in issued.index]
        seen.update(children)
        incident = dict(zip(frontier["credential"], frontier["incident"]))
        step = issued.loc[children].reset_index(drop=True)
        minted_by = uses.drop_duplicates("issued_credential").set_index("issued_credential")["credential_id"]
        step["parent"] = pd.array(minted_by.reindex(children).tolist(), dtype="string")
        step["incident"] = pd.array([incident.get(p) for p in step["parent"]], dtype="string")
        found.append(step)
        frontier = step
    if not found:
        return schema.empty("windows")
    return pd.concat(found, ignore_index=True)
