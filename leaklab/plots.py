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
    """A figure outside pyplot's global state: returned, shown once by Jupyter, never leaked."""
    import matplotlib.pyplot  # noqa: F401 - lets IPython register its figure formatter
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
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


def tool_agreement(findings, ax=None):
    """Heatmap: for each pair of tools, how many distinct secrets both reported.

    The diagonal is each tool's own count; rows with no fingerprint are left out,
    since they cannot be matched across tools.
    """
    import numpy as np

    from .dedupe import dedupe

    secrets = dedupe(findings)
    secrets = secrets[~secrets["secret_id"].str.startswith("unhashed:")]
    tools = sorted({t for ts in secrets["tools"].dropna() for t in ts.split(", ")})
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
