import pytest
import matplotlib

matplotlib.use("Agg")

import leaklab  # noqa: E402
from leaklab import plots  # noqa: E402


def _findings():
    return leaklab.schema.build(
        "findings",
        {
            "tool": ["gitleaks", "trufflehog", "trufflehog", "detect-secrets"],
            "secret_type": ["aws-access-key", "aws-access-key", "github-token", "password"],
            "secret_sha256": ["a", "a", "b", None],
            "secret_sha1": ["1", "1", "2", "1"],
            "tool_fingerprint": ["x", "y", "z", "w"],
        },
    )


def test_findings_by_type_is_labelled():
    ax = plots.findings_by_type(_findings()).axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert {t.get_text() for t in ax.get_yticklabels()} == {"aws-access-key", "github-token", "password"}
    assert sum(p.get_width() for p in ax.patches) == 4


def test_tool_agreement_counts_shared_secrets():
    fig = plots.tool_agreement(_findings())
    ax = fig.axes[0]
    cells = {t.get_position(): t.get_text() for t in ax.texts}
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["detect-secrets", "gitleaks", "trufflehog"]
    # detect-secrets' SHA-1-only row joined the SHA-256 secret "a": all three tools share it
    assert cells[(0, 1)] == "1" and cells[(2, 2)] == "2"


def test_dollar_signs_are_not_mathtext():
    f = _findings()
    f.loc[0, "tool"] = "$\\alpha$"
    ax = plots.findings_by_type(f).axes[0]
    assert any(t.get_text() == "\\$\\alpha\\$" for t in ax.get_legend().get_texts())


def test_figures_render_as_png_in_jupyter_without_a_backend():
    png = plots.findings_by_type(_findings())._repr_png_()
    assert png.startswith(b"\x89PNG")


def test_tool_agreement_with_nothing_fingerprinted():
    f = leaklab.schema.build("findings", {"tool": ["gitleaks"], "redacted": ["(redacted by tool)"], "tool_fingerprint": ["x"]})
    ax = plots.tool_agreement(f).axes[0]
    assert "no fingerprinted findings" in ax.texts[0].get_text()
    assert plots.tool_agreement(leaklab.schema.empty("findings")).axes


def test_exposure_charts_are_labelled():
    from pathlib import Path

    ev = leaklab.load_timeline(Path(__file__).resolve().parent.parent / "data" / "timelines" / "real-incidents.yaml")
    w = leaklab.exposure_windows(ev, as_of="2025-01-01T00:00:00Z")
    ax = plots.exposure_gantt(w, milestones=ev[ev.kind == "disclosed"]).axes[0]
    assert ax.get_title() and ax.get_xlabel() == "time (UTC)" and len(ax.get_yticklabels()) == len(w)
    ax = plots.response_times(w).axes[0]
    assert ax.get_title() and "days" in ax.get_xlabel()
    ax = plots.incident_timeline(ev).axes[0]
    assert ax.get_title() == "Incident timeline" and len(ax.get_yticklabels()) == ev["credential"].nunique()


def test_tool_agreement_takes_findings_or_secrets_alike():
    f = _findings()
    a, b = plots.tool_agreement(f).axes[0], plots.tool_agreement(leaklab.dedupe(f)).axes[0]
    assert [t.get_text() for t in a.texts] == [t.get_text() for t in b.texts]


def _all_text(fig):
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


@pytest.fixture(scope="module")
def demo_reach():
    from pathlib import Path

    data = Path(__file__).resolve().parent.parent / "data"
    g = leaklab.load_inventory(data / "inventory")
    secrets = leaklab.dedupe(leaklab.load(data / "reports"))
    return leaklab.blast_radius(g, secrets)


def test_blast_charts_are_labelled_and_show_no_whole_key_id(demo_reach):
    key = next(c for c in demo_reach["credential"].astype(object) if c.startswith("AKIA"))
    for fig in (plots.blast_reach(demo_reach), plots.blast_heatmap(demo_reach), plots.blast_graph(demo_reach)):
        ax = fig.axes[0]
        assert ax.get_title() and ax.get_xlabel()
        text = " ".join(_all_text(fig))
        assert key not in text and "AKIA…" in text
        assert fig._repr_png_().startswith(b"\x89PNG")


def test_blast_reach_stacks_distinct_resources_by_class(demo_reach):
    fig = plots.blast_reach(demo_reach)
    widths = {}
    for bar in fig.axes[0].patches:
        y = round(bar.get_y() + bar.get_height() / 2)
        widths[y] = widths.get(y, 0) + bar.get_width()
    per_cred = demo_reach.drop_duplicates(["credential", "resource"]).groupby("credential", observed=True).size()
    assert sorted(widths.values()) == sorted(per_cred.tolist())


def test_blast_graph_highlights_each_pivot(demo_reach):
    from matplotlib.colors import to_hex
    from matplotlib.patches import FancyArrowPatch

    fig = plots.blast_graph(demo_reach)
    arrows = [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]
    red = [p for p in arrows if to_hex(p.get_edgecolor()) == "#d7301f"]
    assert len(red) == 2  # secret -> GitHub token, ops-config -> Slack token
    assert len(arrows) > len(red)
    text = " ".join(_all_text(fig))
    assert "ops-config" in text and "secret:ci/github-release-token-Xy12Ab" in text


def test_blast_charts_on_an_empty_reach():
    empty = leaklab.schema.empty("reach")
    for fn in (plots.blast_reach, plots.blast_graph):
        assert "no reach" in " ".join(_all_text(fn(empty)))
