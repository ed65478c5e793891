"""Exposure windows: for each credential, from first exposure to containment.

One rule for day counts, the shared reference's (§0): **whole calendar days, end minus
start, exclusive** (UTC days). Inclusive counting adds one. Where an event is known only
to the day, month or year, every day count comes as a range (``*_min`` .. ``*_max``)
computed from the earliest and latest instants the event could have had; for exact times
the two are equal.

- ``exposed_from``: the earliest exposure event (introduced, pushed, made_public,
  exposed, exfiltrated), or the earliest misuse (first_misuse, used) when that comes first
  or there is no exposure event; then ``lower_bound`` is True: the true start can only be
  earlier.
- ``detected_at``: the earliest detected/reported event.
- ``contained_at``: the earliest revoked/rotated/expired event that could fall after
  exposure began (a date-only revoke on the day of an exact push counts);
  ``contained_at_latest`` is its last possible instant, where usage searches stop. A
  containment dated before the exposure is ignored. Without one the window is ``open``
  and measured to ``as_of``.

    >>> import io, leaklab
    >>> ev = leaklab.load_timeline(io.StringIO(
    ...     "time,kind,credential\\n2017-12,made_public,t\\n2022-09-15,detected,t\\n2022-09-17,rotated,t\\n"), format="csv")
    >>> w = exposure_windows(ev)
    >>> w.loc[0, ["window_days_min", "window_days_max", "ttd_days_min", "ttd_days_max", "ttc_days_min"]].tolist()
    [1721, 1751, 1719, 1749, 2]
"""

from __future__ import annotations

from . import schema
from .timeline import CONTAINMENT_KINDS, DETECTION_KINDS, EXPOSURE_KINDS, MISUSE_KINDS


def _days(end_lo, end_hi, start_lo, start_hi):
    """(min, max) whole calendar days from start to end, exclusive count."""
    if end_lo is None or start_lo is None:
        return None, None
    lo = (end_lo.normalize() - start_hi.normalize()).days
    hi = (end_hi.normalize() - start_lo.normalize()).days
    return lo, hi


def exposure_windows(events, as_of=None):
    """One row per credential (or incident, for events with no credential); contract ``windows``.

    ``as_of`` (a time, default: now in UTC) ends open windows; pass a fixed one for
    reproducible reports.
    """
    import pandas as pd

    schema.validate(events, "events")
    as_of = pd.Timestamp.now(tz="UTC").floor("s") if as_of is None else _utc(as_of)
    ev = events.assign(_who=events["credential"].fillna("incident:" + events["incident"].fillna("?")))
    rows = []
    for _, g in ev.groupby("_who", sort=True):
        g = g.sort_values(["time", "time_latest"])
        expo = g[g["kind"].isin(EXPOSURE_KINDS)]
        misuse = g[g["kind"].isin(MISUSE_KINDS)]
        # A use before any recorded exposure proves exposure began by then, maybe earlier.
        first_expo = expo.iloc[0] if len(expo) else None
        first_use = misuse.iloc[0] if len(misuse) else None
        from_use = first_use is not None and (first_expo is None or first_use["time"] < first_expo["time"])
        start = first_use if from_use else first_expo
        det = g[g["kind"].isin(DETECTION_KINDS)]
        det = det.iloc[0] if len(det) else None
        cont = g[g["kind"].isin(CONTAINMENT_KINDS)]
        if start is not None:
            cont = cont[cont["time_latest"] >= start["time"]]
        cont = cont.iloc[0] if len(cont) else None
        s_lo, s_hi = (start["time"], start["time_latest"]) if start is not None else (None, None)
        e_lo, e_hi = (cont["time"], cont["time_latest"]) if cont is not None else (as_of, as_of)
        w = _days(e_lo, e_hi, s_lo, s_hi)
        d = _days(det["time"], det["time_latest"], s_lo, s_hi) if det is not None else (None, None)
        c = _days(cont["time"], cont["time_latest"], det["time"], det["time_latest"]) if (cont is not None and det is not None) else (None, None)
        rows.append({
            "credential": g["credential"].dropna().iloc[0] if g["credential"].notna().any() else None,
            "incident": g["incident"].dropna().iloc[0] if g["incident"].notna().any() else None,
            "exposed_from": s_lo, "exposed_from_latest": s_hi,
            "start_kind": start["kind"] if start is not None else None,
            "lower_bound": bool(from_use),
            "detected_at": det["time"] if det is not None else None,
            "contained_at": cont["time"] if cont is not None else None,
            "contained_at_latest": cont["time_latest"] if cont is not None else None,
            "contained_kind": cont["kind"] if cont is not None else None,
            "open": cont is None, "as_of": as_of,
            "duration": (max(e_lo, s_lo) - s_lo) if s_lo is not None else None,  # a same-day revoke is not negative
            "ttd": (det["time"] - s_lo) if (det is not None and s_lo is not None) else None,
            "ttc": (cont["time"] - det["time"]) if (cont is not None and det is not None) else None,
            "window_days_min": w[0], "window_days_max": w[1],
            "ttd_days_min": d[0], "ttd_days_max": d[1],
            "ttc_days_min": c[0], "ttc_days_max": c[1],
        })
    return schema.build("windows", {k: [r.get(k) for r in rows] for k in schema.columns("windows")}, len(rows))


def _utc(t):
    import pandas as pd

    t = pd.Timestamp(t)
    if t.tzinfo is None:
        raise ValueError("as_of needs a time zone (e.g. '2023-01-01T00:00:00Z')")
    return t.tz_convert("UTC")
