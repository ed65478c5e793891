"""Report-ready charts. Each function takes a frame and returns a matplotlib ``Figure``.

Labels come from the data, which attackers may control; matplotlib draws them as text
(no markup is interpreted: ``usetex`` is off and ``$`` is escaped so mathtext cannot run),
and no chart ever shows a secret value, only types, tools and counts.

    >>> import leaklab
    >>> f = leaklab.schema.build("findings", {"tool": ["gitleaks", "trufflehog"],
    ...                                      "secret_type": ["aws-access-key", "aws-access-key"]})
    >>> fig = findings_by_type(f)
    >>> fig.axes[0].get_title()
    'Findings by secret type and tool'
"""

from __future__ import annotations


def _new_figure(width: float, height: float):
    """A figure outside pyplot's global state: returned, shown once by Jupyter, never leaked.

    Jupyter shows it through ``_repr_png_`` whatever the matplotlib backend.
    """
    from matplotlib.figure import Figure

    class ReportFigure(Figure):
        def _repr_png_(self) -> bytes:
            import io

            buf = io.BytesIO()
            self.savefig(buf, format="png", dpi=100, bbox_inches="tight")
            return buf.getvalue()

    fig = ReportFigure(figsize=(width, height))
    return fig, fig.subplots()


def _safe(label: object) -> str:
    """Plain text for a tick label: '$' would start mathtext."""
    return str(label).replace("$", r"\$")


def findings_by_type(findings, ax=None):
    """Horizontal stacked bars: how many findings of each secret type each tool reported."""
    table = findings.groupby(["secret_type", "tool"]).size().unstack(fill_value=0)
    table = table.loc[table.sum(axis=1).sort_values().index]
    fig, ax = _figure(ax, height=0.45 * max(len(table), 3) + 1.5)
    left = None
    for tool in table.columns:
        ax.barh([_safe(i) for i in table.index], table[tool], left=left, label=_safe(tool))
        left = table[tool] if left is None else left + table[tool]
    ax.set_title("Findings by secret type and tool")
    ax.set_xlabel("findings (rows reported)")
    ax.set_ylabel("secret type (normalized)")
    ax.legend(title="tool", loc="lower right", frameon=False)
    fig.tight_layout()
    return fig


def tool_agreement(findings_or_secrets, ax=None):
    """Heatmap: for each pair of tools, how many distinct secrets both reported.

    Takes a findings frame, or the secrets frame ``leaklab.dedupe`` already made from it.
    The diagonal is each tool's own count; rows with no fingerprint are left out,
    since they cannot be matched across tools.
    """
    import numpy as np

    from .dedupe import dedupe

    frame = findings_or_secrets
    secrets = frame if "secret_id" in frame.columns else dedupe(frame)
    secrets = secrets[~secrets["secret_id"].str.startswith("unhashed:")]
    tools = sorted({t for ts in secrets["tools"].dropna() for t in ts.split(", ")})
    if not tools:
        fig, ax = _figure(ax, height=2.5)
        ax.text(0.5, 0.5, "no fingerprinted findings to compare", ha="center", va="center")
        ax.set_axis_off()
        ax.set_title("Distinct secrets reported by both tools")
        return fig
    seen = np.array([[t in ts.split(", ") for t in tools] for ts in secrets["tools"].fillna("")], dtype=int).reshape(-1, len(tools))
    both = seen.T @ seen
    fig, ax = _figure(ax, height=0.5 * len(tools) + 2, width=0.6 * len(tools) + 4)
    im = ax.imshow(both, cmap="Blues")
    labels = [_safe(t) for t in tools]
    ax.set_xticks(range(len(tools)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(tools)), labels)
    for i in range(len(tools)):
        for j in range(len(tools)):
            ax.text(j, i, int(both[i, j]), ha="center", va="center", color="white" if both[i, j] > both.max() / 2 else "black")
    ax.set_title("Distinct secrets reported by both tools")
    ax.set_xlabel("tool")
    ax.set_ylabel("tool")
    fig.colorbar(im, ax=ax, label="secrets")
    fig.tight_layout()
    return fig


def _figure(ax, height: float, width: float = 8.0):
    return (ax.figure, ax) if ax is not None else _new_figure(width, height)


def history_timeline(history_refs, secrets=None, ax=None):
    """One row per secret, one bar per branch: from the commit that brought it onto the
    branch to the commit that removed it, or to the branch's tip if it is still there.

    ``history_refs`` comes from ``leaklab.history(repo, secrets, by="ref")``; ``secrets``
    (optional) labels rows with type and redacted preview. Open bars end in an arrow.
    """
    import matplotlib.dates as mdates

    h = history_refs[history_refs["entered_commit"].notna()]
    labels = _secret_labels(h["secret_id"].unique(), secrets)
    order = h.groupby("secret_id")["entered_time"].min().sort_values(ascending=False).index.tolist()
    refs = sorted(h["ref"].unique())
    fig, ax = _figure(ax, height=0.5 * max(len(order), 2) + 1.8, width=10)
    colors = {r: f"C{i % 10}" for i, r in enumerate(refs)}
    step = 0.8 / max(len(refs), 1)
    labelled: set = set()
    for y, sid in enumerate(order):
        for k, r in enumerate(refs):
            row = h[(h["secret_id"] == sid) & (h["ref"] == r)]
            if row.empty:
                continue
            row = row.iloc[0]
            start = row["entered_time"]
            open_ = bool(row["present_at_tip"])
            end = row["tip_time"] if open_ else row["removed_time"]
            yy = y - 0.4 + step * (k + 0.5)
            ax.plot([start, end], [yy, yy], color=colors[r], linewidth=max(2.0, 14 * step), solid_capstyle="butt",
                    label=None if r in labelled else _safe(r))
            labelled.add(r)
            ax.plot([end], [yy], marker=">" if open_ else "|", color=colors[r], markersize=8)
    ax.set_yticks(range(len(order)), [labels[s] for s in order])
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d", tz="UTC"))
    ax.set_xlabel("commit time (UTC)")
    ax.set_ylabel("secret")
    ax.set_title("When each secret was in each branch (arrow: still at the tip)")
    ax.legend(title="branch", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def _secret_labels(ids, secrets) -> dict:
    if secrets is None:
        return {s: _safe(s[:12]) for s in ids}
    info = secrets.set_index("secret_id")
    return {s: _safe(f"{info.at[s, 'secret_type']} {info.at[s, 'redacted']}") if s in info.index else _safe(s[:12]) for s in ids}


def exposure_gantt(windows, uses=None, milestones=None, labels=None, ax=None):
    """One bar per credential from exposure to containment (open windows end in an arrow),
    a diamond where it was detected, ticks for uses inside the window (red when
    suspicious) and dashed vertical lines for incident milestones.

    ``uses`` is :func:`leaklab.usage_in_windows`'s per-use frame; ``milestones`` an events
    frame whose rows become reference lines; ``labels`` maps credential ids to the text
    shown (credential ids from logs are identifiers, but keys are best shown redacted).
    """
    import matplotlib.dates as mdates

    w = windows[windows["exposed_from"].notna()].sort_values("exposed_from", ascending=False).reset_index(drop=True)
    fig, ax = _figure(ax, height=0.55 * max(len(w), 2) + 1.8, width=10)
    names = [_safe((labels or {}).get(c, c) if isinstance(c, str) else i) for c, i in zip(w["credential"], w["incident"])]
    for y, r in w.iterrows():
        end = r["contained_at"] if r["contained_at"] is not None and not _na(r["contained_at"]) else r["as_of"]
        color = "C3" if bool(r["open"]) else "C0"
        ax.plot([r["exposed_from"], end], [y, y], color=color, linewidth=8, solid_capstyle="butt", alpha=0.8)
        if not _na(r["exposed_from_latest"]) and r["exposed_from_latest"] > r["exposed_from"]:
            ax.plot([r["exposed_from"], r["exposed_from_latest"]], [y, y], color="white", linewidth=3, alpha=0.7)
        if bool(r["open"]):
            ax.plot([end], [y], marker=">", color=color, markersize=10)
        if not _na(r["detected_at"]):
            ax.plot([r["detected_at"]], [y], marker="D", color="black", markersize=6)
        if uses is not None and len(uses):
            u = uses[uses["credential_id"] == r["credential"]]
            if len(u):
                bad = u["suspicious"].fillna(False).astype(bool)
                ax.plot(u.loc[~bad, "time"], [y + 0.3] * int((~bad).sum()), "|", color="C2", markersize=10)
                ax.plot(u.loc[bad, "time"], [y + 0.3] * int(bad.sum()), "|", color="C3", markersize=12, markeredgewidth=2)
    if milestones is not None:
        for _, m in milestones.iterrows():
            ax.axvline(m["time"], color="grey", linestyle="--", linewidth=0.8)
            ax.text(m["time"], len(w) - 0.4, _safe(m["kind"]), rotation=90, va="top", ha="right", fontsize=8, color="grey")
    ax.set_yticks(range(len(w)), names)
    ax.set_ylim(-0.8, len(w) - 0.2)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d", tz="UTC"))
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("credential")
    ax.set_title("Exposure windows per credential")
    ax.grid(axis="x", alpha=0.3)
    from matplotlib.lines import Line2D

    ax.legend(handles=[
        Line2D([], [], color="C0", linewidth=6, label="exposed, contained"),
        Line2D([], [], color="C3", linewidth=6, marker=">", label="exposed, still open"),
        Line2D([], [], color="black", marker="D", linestyle="", label="detected"),
        Line2D([], [], color="C2", marker="|", linestyle="", markersize=10, label="use"),
        Line2D([], [], color="C3", marker="|", linestyle="", markersize=12, markeredgewidth=2, label="suspicious use"),
    ], loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def response_times(windows, ax=None):
    """Time to detect and time to contain, in days, one bar pair per credential."""
    import numpy as np

    w = windows[windows["ttd_days_min"].notna() | windows["ttc_days_min"].notna()].reset_index(drop=True)
    fig, ax = _figure(ax, height=0.45 * max(len(w), 2) + 1.8, width=9)
    y = np.arange(len(w))
    ttd = w["ttd_days_max"].astype("float").fillna(0).to_numpy()
    ttc = w["ttc_days_max"].astype("float").fillna(0).to_numpy()
    ax.barh(y - 0.2, ttd, height=0.4, label="time to detect", color="C1")
    ax.barh(y + 0.2, ttc, height=0.4, label="time to contain", color="C0")
    ax.set_yticks(y, [_safe(c if isinstance(c, str) else i) for c, i in zip(w["credential"], w["incident"])])
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel("days (whole calendar days; symmetric log scale)")
    ax.set_ylabel("credential")
    ax.set_title("How long until detection, and until containment")
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return fig


def _na(v) -> bool:
    import pandas as pd

    return v is None or bool(pd.isna(v))


_KIND_STYLE = {  # kind group -> (marker, colour)
    "exposure": ("o", "C3"), "misuse": ("x", "C3"), "detection": ("D", "black"),
    "containment": ("s", "C0"), "other": (".", "grey"),
}


def incident_timeline(events, ax=None):
    """Every timeline event on a UTC time axis, one row per credential (or incident):
    markers by kind, and a bar across the period when a date is known only to the day,
    month or year."""
    import matplotlib.dates as mdates
    from matplotlib.lines import Line2D

    from .timeline import CONTAINMENT_KINDS, DETECTION_KINDS, EXPOSURE_KINDS, MISUSE_KINDS

    def group(kind):
        for name, kinds in (("exposure", EXPOSURE_KINDS), ("misuse", MISUSE_KINDS), ("detection", DETECTION_KINDS),
                            ("containment", CONTAINMENT_KINDS)):
            if kind in kinds:
                return name
        return "other"

    ev = events.assign(_who=events["credential"].fillna(events["incident"]))
    rows = sorted(ev["_who"].dropna().unique(), key=lambda w: ev.loc[ev["_who"] == w, "time"].min(), reverse=True)
    fig, ax = _figure(ax, height=0.45 * max(len(rows), 2) + 1.8, width=10)
    for y, who in enumerate(rows):
        for _, e in ev[ev["_who"] == who].iterrows():
            marker, color = _KIND_STYLE[group(e["kind"])]
            if e["precision"] in ("day", "month", "year") and e["time_latest"] > e["time"]:
                ax.plot([e["time"], e["time_latest"]], [y, y], color=color, linewidth=4, alpha=0.35)
            ax.plot([e["time"]], [y], marker=marker, color=color, linestyle="")
    ax.set_yticks(range(len(rows)), [_safe(r) for r in rows])
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d", tz="UTC"))
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("credential")
    ax.set_title("Incident timeline")
    ax.legend(handles=[Line2D([], [], marker=m, color=c, linestyle="", label=g) for g, (m, c) in _KIND_STYLE.items()],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig
