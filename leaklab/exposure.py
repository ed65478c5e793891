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
    """(min, max) whole calendar days from start to end, exclusive count (columns in, columns out)."""
    lo = (end_lo.dt.normalize() - start_hi.dt.normalize()).dt.days
    hi = (end_hi.dt.normalize() - start_lo.dt.normalize()).dt.days
    return lo.astype("Int64"), hi.astype("Int64")


def _first(ev, kinds):
    """Per credential, the earliest event of one of ``kinds`` (time, time_latest, kind)."""
    sel = ev[ev["kind"].isin(kinds)].sort_values(["_who", "time", "time_latest"], kind="stable")
    return sel.drop_duplicates("_who").set_index("_who")[["time", "time_latest", "kind"]]


def exposure_windows(events, as_of=None):
    """One row per credential (or incident, for events with no credential); contract ``windows``.

    ``as_of`` (a time, default: now in UTC) ends open windows; pass a fixed one for
    reproducible reports. Computed column-wise: 100,000 credentials take a second or so.
    """
    import pandas as pd

    schema.validate(events, "events")
    as_of = pd.Timestamp.now(tz="UTC").floor("s") if as_of is None else _utc(as_of)
    ev = events.assign(_who=events["credential"].fillna("incident:" + events["incident"].fillna("?")))
    who = pd.Index(sorted(ev["_who"].unique()), name="_who")
    expo = _first(ev, EXPOSURE_KINDS).reindex(who)
    use = _first(ev, MISUSE_KINDS).reindex(who)
    det = _first(ev, DETECTION_KINDS).reindex(who)
    # A use before any recorded exposure proves exposure began by then, maybe earlier.
    from_use = use["time"].notna() & (expo["time"].isna() | (use["time"] < expo["time"]))
    start = expo.where(~from_use, use)
    # Containment: the earliest revoke/rotate/expire that could fall after the start.
    cont_ev = ev[ev["kind"].isin(CONTAINMENT_KINDS)].join(start["time"].rename("_start"), on="_who")
    cont_ev = cont_ev[cont_ev["_start"].isna() | (cont_ev["time_latest"] >= cont_ev["_start"])]
    cont = _first(cont_ev, CONTAINMENT_KINDS).reindex(who)
    contained = cont["time"].notna()
    end_lo = cont["time"].where(contained, as_of)
    end_hi = cont["time_latest"].where(contained, as_of)
    names = ev.groupby("_who")[["credential", "incident"]].first().reindex(who)
    w_lo, w_hi = _days(end_lo, end_hi, start["time"], start["time_latest"])
    d_lo, d_hi = _days(det["time"], det["time_latest"], start["time"], start["time_latest"])
    c_lo, c_hi = _days(cont["time"], cont["time_latest"], det["time"], det["time_latest"])
    cols = {
        "credential": names["credential"], "incident": names["incident"],
        "exposed_from": start["time"], "exposed_from_latest": start["time_latest"], "start_kind": start["kind"],
        "lower_bound": from_use, "detected_at": det["time"],
        "contained_at": cont["time"], "contained_at_latest": cont["time_latest"], "contained_kind": cont["kind"],
        "open": ~contained, "as_of": pd.Series(as_of, index=who),
        # a same-day revoke after an exact push is not a negative duration
        "duration": (pd.concat([end_lo, start["time"]], axis=1).max(axis=1) - start["time"]),
        "ttd": det["time"] - start["time"], "ttc": cont["time"] - det["time"],
        "window_days_min": w_lo, "window_days_max": w_hi, "ttd_days_min": d_lo, "ttd_days_max": d_hi,
        "ttc_days_min": c_lo, "ttc_days_max": c_hi,
    }
    out = schema.build("windows", {k: list(v) for k, v in cols.items()}, len(who))
    _warn_inconsistent(out)
    return out


def _warn_inconsistent(w) -> None:
    """Negative day counts mean the timeline contradicts itself (or as_of precedes it): say so."""
    import warnings

    from .errors import LeakLabWarning

    bad = (w["window_days_max"] < 0) | (w["ttd_days_max"] < 0) | (w["ttc_days_max"] < 0)
    bad = bad.fillna(False)
    if bad.any():
        names = w.loc[bad, "credential"].fillna(w.loc[bad, "incident"]).tolist()
        warnings.warn(
            f"{len(names)} window(s) have negative day counts (as_of before the start, or detection/containment "
            f"dated before what precedes it): {', '.join(map(str, names[:5]))}",
            LeakLabWarning, stacklevel=3,
        )


def _utc(t):
    import pandas as pd

    t = pd.Timestamp(t)
    if t.tzinfo is None:
        raise ValueError("as_of needs a time zone (e.g. '2023-01-01T00:00:00Z')")
    return t.tz_convert("UTC")
