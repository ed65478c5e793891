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

from .schema import isna


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
        end = r["contained_at"] if r["contained_at"] is not None and not isna(r["contained_at"]) else r["as_of"]
        color = "C3" if bool(r["open"]) else "C0"
        ax.plot([r["exposed_from"], end], [y, y], color=color, linewidth=8, solid_capstyle="butt", alpha=0.8)
        if not isna(r["exposed_from_latest"]) and r["exposed_from_latest"] > r["exposed_from"]:
            ax.plot([r["exposed_from"], r["exposed_from_latest"]], [y, y], color="white", linewidth=3, alpha=0.7)
        if bool(r["open"]):
            ax.plot([end], [y], marker=">", color=color, markersize=10)
        if not isna(r["detected_at"]):
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


# --------------------------------------------------------------------------- blast radius

# Data classes from most to least sensitive, each with a fixed colour (red to green, grey).
_CLASS_COLORS = {"secret": "#b2182b", "restricted": "#ef8a62", "confidential": "#fddbc7", "internal": "#d1e5f0",
                 "public": "#67a9cf", "unclassified": "#bdbdbd"}
_ACCESS_LEVEL = {"read": 1, "write": 2, "admin": 3}


def _cred_label(c) -> str:
    from .fingerprint import redact

    return _safe(redact(c)) if isinstance(c, str) and len(c) >= 16 else _safe(c)


def blast_reach(reach, ax=None, top: int = 20):
    """Ranked bars: distinct resources each credential reaches (pivots included), stacked by data class.

    ``reach`` is :func:`leaklab.blast_radius`'s per-resource frame; the ``top`` credentials
    with the widest reach are shown, widest on top. Credential ids are shown as previews.
    """
    r = reach.drop_duplicates(["credential", "resource"])
    table = (r.assign(data_class=r["data_class"].astype(object).fillna("unclassified"), credential=r["credential"].astype(object))
             .groupby(["credential", "data_class"]).size().unstack(fill_value=0))
    table = table.reindex(columns=[c for c in _CLASS_COLORS if c in table.columns])
    table = table.loc[table.sum(axis=1).sort_values(kind="stable").index][-top:]
    fig, ax = _figure(ax, height=0.45 * max(len(table), 3) + 1.8, width=9)
    if not len(table):
        ax.text(0.5, 0.5, "no reach to draw", ha="center", va="center")
        ax.set_axis_off()
    left = None
    names = [_cred_label(c) for c in table.index]
    for dc in table.columns:
        ax.barh(names, table[dc], left=left, label=_safe(dc), color=_CLASS_COLORS[dc], edgecolor="grey", linewidth=0.5)
        left = table[dc] if left is None else left + table[dc]
    ax.set_title("Blast radius: resources each credential can reach (pivots included)")
    ax.set_xlabel("distinct resources reachable (permitted, approx.)")
    ax.set_ylabel("credential")
    if len(table):
        ax.legend(title="data class", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def blast_heatmap(reach, credential=None, ax=None, max_rows: int = 30):
    """Resource x permission grid for one credential: cell colour is the access level
    (read, write, admin), hatched where the grant is approximate; rows grouped by pivot hop.

    ``credential``: which root to draw (default: the one with the widest reach).
    """
    import numpy as np
    from matplotlib.colors import ListedColormap

    r = reach
    if credential is None and len(r):
        credential = r.drop_duplicates(["credential", "resource"])["credential"].astype(object).value_counts().index[0]
    r = r[r["credential"].astype(object) == credential]
    r = r.assign(resource=r["resource"].astype(object), permission=r["permission"].astype(object))
    order = r.sort_values(["hops", "resource"], kind="stable").drop_duplicates("resource")[["resource", "hops"]][:max_rows]
    perms = sorted(set(r["permission"]))
    grid = np.zeros((len(order), len(perms)))
    approx = np.zeros_like(grid, dtype=bool)
    pos = {p: i for i, p in enumerate(perms)}
    rows = {res: i for i, res in enumerate(order["resource"])}
    for res, p, acc, ap in zip(r["resource"], r["permission"], r["access"].astype(object), r["approx"]):
        if res in rows:
            level = _ACCESS_LEVEL.get(acc, 1)
            i, j = rows[res], pos[p]
            if level >= grid[i, j]:
                grid[i, j], approx[i, j] = level, bool(ap)
    fig, ax = _figure(ax, height=0.35 * max(len(order), 4) + 2.5, width=0.45 * max(len(perms), 6) + 6)
    cmap = ListedColormap(["#ffffff", "#c6dbef", "#fdae6b", "#d7301f"])
    ax.imshow(grid, cmap=cmap, vmin=0, vmax=3, aspect="auto")
    for i, j in zip(*np.nonzero(approx)):
        ax.add_patch(__import__("matplotlib.patches", fromlist=["Rectangle"]).Rectangle(
            (j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="grey", linewidth=0))
    from .blast import _label

    ax.set_xticks(range(len(perms)), [_safe(p) for p in perms], rotation=40, ha="right", fontsize=8)
    ax.set_yticks(range(len(order)), [f"{_safe(_label(res, {}))}  [hop {h}]" for res, h in zip(order["resource"], order["hops"])],
                  fontsize=8)
    ax.set_title(f"What {_cred_label(credential)} can do where (permitted, approx.)")
    ax.set_xlabel("permission (action, scope)")
    ax.set_ylabel("resource  [pivot hops from the leaked credential]")
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=cmap(k), label=name) for k, name in ((1, "read"), (2, "write"), (3, "admin"))]
              + [Patch(facecolor="white", edgecolor="grey", hatch="///", label="approximate")],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def blast_graph(reach, credential=None, ax=None, max_resources: int = 40):
    """Who reaches what: credential -> principal -> resource, left to right by pivot hop,
    with the pivot path (resource that holds the next credential) drawn in red.

    A layered layout (networkx ``multipartite_layout``) keeps the drawing the same on
    every run. Credential ids are previews; resources are shown by the last part of the ARN.
    """
    import networkx as nx

    from .blast import _label

    r = reach
    if credential is None and len(r):
        credential = r["credential"].astype(object).iloc[0]
    r = r[r["credential"].astype(object) == credential]
    g = nx.DiGraph()
    pivot_edges = set()

    def node(kind, name, hop):
        key = (kind, name)
        if key not in g:
            g.add_node(key, layer=3 * hop + {"credential": 0, "principal": 1, "resource": 2}[kind])
        return key

    kept = set(r.drop_duplicates("resource")["resource"].astype(object)[:max_resources])
    for cred, hop, principal, res in zip(r["acting_credential"].astype(object), r["hops"], r["principal"].astype(object),
                                         r["resource"].astype(object)):
        if res not in kept:
            continue
        c = node("credential", cred, hop)
        p = node("principal", principal, hop) if isinstance(principal, str) else c
        if p != c:
            g.add_edge(c, p)
        g.add_edge(p, node("resource", res, hop))
    # Pivots: the resource that held each reached credential.
    chains = r[r["hops"] > 0].drop_duplicates("acting_credential")
    for cred, hop, path in zip(chains["acting_credential"].astype(object), chains["hops"], chains["pivot_path"].astype(object)):
        steps = path.split(" → ") if isinstance(path, str) else []
        holder = steps[-2] if len(steps) >= 2 else None
        for (kind, name), data in list(g.nodes(data=True)):
            if kind == "resource" and holder is not None and _label(name, {}) == holder and data["layer"] == 3 * (hop - 1) + 2:
                e = ((kind, name), node("credential", cred, hop))
                g.add_edge(*e)
                pivot_edges.add(e)
    fig, ax = _figure(ax, height=max(4.0, 0.32 * g.number_of_nodes() + 1.5), width=14)
    if not g.number_of_nodes():
        ax.text(0.5, 0.5, "no reach to draw", ha="center", va="center")
        ax.set_axis_off()
        return fig
    order = sorted(g.nodes, key=lambda n: (g.nodes[n]["layer"], str(n[1])))
    h = nx.DiGraph()
    h.add_nodes_from((n, g.nodes[n]) for n in order)
    h.add_edges_from(g.edges)
    pos = nx.multipartite_layout(h, subset_key="layer")
    colors = {"credential": "#d7301f", "principal": "#756bb1", "resource": "#3182bd"}
    on_path = {n for e in pivot_edges for n in e}
    nx.draw_networkx_edges(h, pos, ax=ax, edgelist=[e for e in h.edges if e not in pivot_edges], edge_color="#bbbbbb",
                           arrows=True, arrowsize=8)
    nx.draw_networkx_edges(h, pos, ax=ax, edgelist=sorted(pivot_edges), edge_color="#d7301f", width=2.5, arrows=True,
                           arrowsize=14)
    nx.draw_networkx_nodes(h, pos, ax=ax, node_size=[180 if n in on_path else 90 for n in h.nodes],
                           node_color=[colors[n[0]] for n in h.nodes])
    labels = {n: (_cred_label(n[1]) if n[0] == "credential" else _safe(_label(n[1], {}))) for n in h.nodes}
    for n, (x, y) in pos.items():  # resources labelled to their right, the others above: fewer overlaps
        right = n[0] == "resource"
        ax.text(x + (0.015 if right else 0), y + (0 if right else 0.015), labels[n], fontsize=7,
                ha="left" if right else "center", va="center" if right else "bottom",
                color="#d7301f" if n in on_path else "black")
    ax.set_title(f"Blast radius of {_cred_label(credential)}: credential → principal → resource, pivots in red")
    ax.set_xlabel("left to right: the leaked credential, then each pivot hop")
    ax.set_yticks([])
    ax.set_xticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    from matplotlib.lines import Line2D

    ax.legend(handles=[Line2D([], [], marker="o", linestyle="", color=c, label=k) for k, c in colors.items()]
              + [Line2D([], [], color="#d7301f", linewidth=2.5, label="pivot: holds the next credential")],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.tight_layout()
    return fig
