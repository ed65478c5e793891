"""The triage board: plain functions (view, page_html, detail_html, label, undo) and the
widget driven headlessly (set values, click buttons, read the ledger)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import leaklab
from leaklab import fingerprint, schema, widgets
from leaklab.errors import LeakLabError
from leaklab.ledger import Ledger

ROOT = Path(__file__).resolve().parent.parent

# Raw values, fake by construction; they must never reach any HTML.
RAW = {
    "aws": "AKIA" + "LEAKLABFAKE00001",
    "gh": "ghp_" + "LEAKLABFAKE" + "1" * 25,
    "stripe": "sk_live_" + "LEAKLABFAKE" + "2" * 13,
    "slack": "https://hooks.slack.com/services/T000/B000/LEAKLABFAKE3333",
    "pw": "hunter2-LEAKLAB",
}

HOSTILE = {
    "script": "<script>alert(1)</script>",
    "img": '<img src=x onerror="alert(2)">',
    "quote": "x\" onmouseover=\"alert(3)\" '",
    "rtl": "invoice\u202egpj.exe",
    "newline": "evil\nInjected: line",
}


def findings():
    """Findings from several tools, with hostile file names, authors and repositories."""
    rows = [
        # tool, raw, type, repo, file, author
        ("gitleaks", RAW["aws"], "aws-access-key", "github.com/acme/api", "config/deploy.env", "Alice"),
        ("trufflehog", RAW["aws"], "aws-access-key", "github.com/acme/web", HOSTILE["script"], HOSTILE["img"]),
        ("gitleaks", RAW["gh"], "github-token", "github.com/acme/api", HOSTILE["rtl"], "Bob"),
        ("noseyparker", RAW["stripe"], "stripe-key", HOSTILE["quote"], HOSTILE["newline"], HOSTILE["newline"]),
        ("trufflehog", RAW["slack"], "slack-webhook", "github.com/acme/ops\u202e", "scripts/notify.sh", "Carol"),
        ("detect-secrets", RAW["pw"], "password", None, "docs/example.env", None),
    ]
    tools, raws, types, repos, files, authors = (list(c) for c in zip(*rows))
    s256, s1, prev = fingerprint.fingerprint_all(raws)
    return schema.build("findings", {
        "tool": tools, "secret_sha256": s256, "secret_sha1": s1, "redacted": prev, "secret_type": types,
        "repo": repos, "file": files, "author_name": authors, "line": [3, 4, 5, 6, 7, 8],
    })


def scored(s):
    """Add what leaklab.triage.score would: score and severity (values chosen by hand)."""
    by_type = {"aws-access-key": (90, "critical"), "github-token": (70, "high"), "stripe-key": (70, "high"),
               "slack-webhook": (30, "low"), "password": (None, None)}
    out = s.copy()
    out["score"] = pd.array([by_type[t][0] for t in s["secret_type"]], dtype="Int64")
    out["severity"] = pd.array([by_type[t][1] for t in s["secret_type"]], dtype="string")
    return out


@pytest.fixture
def secrets():
    return scored(leaklab.dedupe(findings()))


def sid(s, type_):
    return s.loc[s["secret_type"] == type_, "secret_id"].iloc[0]


@pytest.fixture
def ledger(tmp_path):
    return Ledger(tmp_path / "triage.jsonl", analyst="ana")


@pytest.fixture(autouse=True)
def fresh_states(monkeypatch):
    monkeypatch.setattr(widgets, "_STATES", {})


def types_of(page):
    return list(page["secret_type"])


# ---------------------------------------------------------------------- filters


def test_no_filter_returns_everything_in_frame_order(secrets):
    page, total = widgets.view(secrets)
    assert total == len(secrets) == 5
    assert list(page["secret_id"]) == list(secrets["secret_id"])


def test_filter_by_type(secrets):
    page, total = widgets.view(secrets, filters={"type": ["stripe-key", "password"]})
    assert total == 2 and sorted(types_of(page)) == ["password", "stripe-key"]
    # the column name works as well as the board's name for it
    assert widgets.view(secrets, filters={"secret_type": ["stripe-key"]})[1] == 1


def test_tool_filter_matches_any_tool_of_the_comma_list(secrets):
    assert secrets.loc[secrets["secret_type"] == "aws-access-key", "tools"].iloc[0] == "gitleaks, trufflehog"
    page, total = widgets.view(secrets, filters={"tool": ["trufflehog"]})
    assert sorted(types_of(page)) == ["aws-access-key", "slack-webhook"]
    page, _ = widgets.view(secrets, filters={"tool": ["gitleaks", "detect-secrets"]})
    assert sorted(types_of(page)) == ["aws-access-key", "github-token", "password"]
    # a tool name is not matched as a substring of another ("git" is no tool here)
    assert widgets.view(secrets, filters={"tool": ["git"]})[1] == 0


def test_repo_filter_lists_and_none(secrets):
    page, _ = widgets.view(secrets, filters={"repo": ["github.com/acme/web"]})
    assert types_of(page) == ["aws-access-key"]  # its repos are "github.com/acme/api, github.com/acme/web"
    page, _ = widgets.view(secrets, filters={"repo": ["(none)"]})
    assert types_of(page) == ["password"]
    page, _ = widgets.view(secrets, filters={"repo": [HOSTILE["quote"]]})
    assert types_of(page) == ["stripe-key"]


def test_filters_combine_and_empty_means_any(secrets):
    f = {"tool": ["trufflehog", "gitleaks"], "severity": ["critical", "low"], "type": []}
    page, total = widgets.view(secrets, filters=f)
    assert sorted(types_of(page)) == ["aws-access-key", "slack-webhook"] and total == 2
    assert widgets.view(secrets, filters={"severity": ["(none)"]})[1] == 1  # password: not scored
    assert widgets.view(secrets, filters={"type": ["no-such-type"]})[1] == 0


def test_label_filter_uses_the_ledger_and_none_is_undecided(secrets, ledger):
    ledger.record(sid(secrets, "aws-access-key"), "true_positive", "live")
    ledger.record([sid(secrets, "password"), sid(secrets, "slack-webhook")], "false_positive", "docs")
    page, _ = widgets.view(secrets, ledger=ledger, filters={"label": ["false_positive"]})
    assert sorted(types_of(page)) == ["password", "slack-webhook"]
    page, _ = widgets.view(secrets, ledger=ledger, filters={"label": ["(none)"]})
    assert sorted(types_of(page)) == ["github-token", "stripe-key"]
    assert list(page["triage_label"].isna()) == [True, True]
    page, _ = widgets.view(secrets, ledger=ledger, filters={"label": ["true_positive", "(none)"]})
    assert len(page) == 3
    # without a ledger every secret is undecided
    assert widgets.view(secrets, filters={"label": ["(none)"]})[1] == 5


def test_options_per_filter(secrets, ledger):
    ledger.record(sid(secrets, "github-token"), "revoked", "gone")
    data = widgets.prepare(secrets, ledger)
    assert dict(data.options("tool")) == {"detect-secrets": 1, "gitleaks": 2, "noseyparker": 1, "trufflehog": 2}
    assert [v for v, _ in data.options("severity")] == ["critical", "high", "low", "(none)"]
    labels = data.options("label")
    assert [v for v, _ in labels] == [*leaklab.ledger.LABELS, "(none)"]
    assert dict(labels)["revoked"] == 1 and dict(labels)["(none)"] == 4
    assert data.options("repo")[-1] == ("(none)", 1)


def test_without_severity_there_is_nothing_to_filter_or_sort_by(secrets):
    plain = secrets.drop(columns=["severity", "score"])
    assert widgets.prepare(plain).options("severity") == []
    with pytest.raises(LeakLabError, match="no column 'severity'"):
        widgets.view(plain, filters={"severity": ["high"]})
    with pytest.raises(LeakLabError, match="no column 'score'"):
        widgets.view(plain, sort="score")
    assert widgets.view(plain, filters={"severity": []})[1] == 5  # an empty selection is no filter


def test_view_does_not_modify_its_input(secrets, ledger):
    ledger.record(sid(secrets, "github-token"), "revoked", "gone")
    before = secrets.copy()
    widgets.view(secrets, ledger=ledger, filters={"tool": ["gitleaks"]}, sort="score")
    pd.testing.assert_frame_equal(secrets, before)


# ---------------------------------------------------------------------- sorting and paging


def test_sort_by_score_biggest_first_na_last(secrets):
    page, _ = widgets.view(secrets, sort="score")
    assert list(page["score"].astype("object").where(page["score"].notna(), None)) == [90, 70, 70, 30, None]
    # ties keep frame order
    ties = [s for s in secrets["secret_type"] if s in ("github-token", "stripe-key")]
    assert types_of(page)[1:3] == ties
    page, _ = widgets.view(secrets, sort="score", ascending=True)
    assert list(page["score"].iloc[:4]) == [30, 70, 70, 90] and pd.isna(page["score"].iloc[4])


def test_sort_by_severity_uses_rank_not_spelling(secrets):
    page, _ = widgets.view(secrets, sort="severity")
    assert list(page["severity"].fillna("-")) == ["critical", "high", "high", "low", "-"]
    page, _ = widgets.view(secrets, sort="severity", ascending=True)
    assert list(page["severity"].fillna("-")) == ["low", "high", "high", "critical", "-"]


def test_sort_text_ascending_by_default(secrets):
    page, _ = widgets.view(secrets, sort="type")
    assert types_of(page) == sorted(types_of(page))
    with pytest.raises(LeakLabError, match="no column 'nope'"):
        widgets.view(secrets, sort="nope")


def test_paging_bounds(secrets):
    data = widgets.prepare(secrets)
    pages = [list(data.view(sort="score", page=p, page_size=2)[0]["secret_id"]) for p in range(3)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sum(pages, []) == list(data.view(sort="score")[0]["secret_id"])
    page, total = data.view(page=99, page_size=2)
    assert total == 5 and page.attrs["page"] == 2 and page.attrs["pages"] == 3 and len(page) == 1
    page, _ = data.view(page=-4, page_size=2)
    assert page.attrs["page"] == 0 and len(page) == 2
    page, total = data.view(filters={"type": ["nothing"]}, page=3)
    assert total == 0 and len(page) == 0 and page.attrs["page"] == 0 and page.attrs["pages"] == 1
    for bad in (0, -1, 2.5, True):
        with pytest.raises(LeakLabError, match="page_size"):
            data.view(page_size=bad)
    # row numbers in the HTML continue across pages
    html = widgets.page_html(data.view(page=1, page_size=2)[0])
    assert "<tr><td>3</td>" in html and "<tr><td>4</td>" in html and "<tr><td>1</td>" not in html


def test_view_at_scale_returns_one_page(secrets):
    big = pd.concat([secrets] * 2000, ignore_index=True)  # 10,000 rows
    data = widgets.prepare(big)
    page, total = data.view(filters={"tool": ["trufflehog"]}, sort="score", page=5, page_size=25)
    assert total == 4000 and len(page) == 25
    assert set(page["secret_type"]) <= {"aws-access-key", "slack-webhook"}
    assert page.attrs["offset"] == 125


# ---------------------------------------------------------------------- HTML


def no_hostile(html: str) -> None:
    for bad in ("<script", "<img", 'onerror="', '" onmouseover', "\u202e", "\n", "\r"):
        assert bad not in html, bad
    # no control or bidi character at all
    assert not re.search("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]", html)
    # every tag is one of ours
    assert set(re.findall(r"<(/?[a-z0-9]+)", html)) <= {
        "style", "/style", "table", "/table", "thead", "/thead", "tbody", "/tbody", "tr", "/tr", "th", "/th",
        "td", "/td", "div", "/div", "h3", "/h3", "h4", "/h4", "ul", "/ul", "li", "/li", "p", "/p"}


def no_raw(html: str, s=None) -> None:
    for raw in RAW.values():
        assert raw not in html
        assert raw[:12] not in html
    if s is not None:
        for full in s["secret_id"].tolist() + s["secret_sha1"].dropna().tolist():
            assert full.removeprefix("sha1:") not in html  # fingerprints are shortened


def test_page_html_escapes_every_value(secrets):
    hostile = secrets.copy()
    hostile.loc[0, "secret_type"] = HOSTILE["script"]
    hostile.loc[1, "redacted"] = HOSTILE["img"]
    hostile.loc[2, "tools"] = HOSTILE["quote"]
    html = widgets.page_html(hostile)
    no_hostile(html)
    no_raw(html, hostile)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html
    assert "x&quot; onmouseover=&quot;alert(3)&quot; &#x27;" in html
    assert "invoice\\u202egpj.exe" in html  # shown as a visible escape
    assert "evil\\nInjected: line" in html


def test_page_html_escapes_hostile_column_names_and_labels(secrets):
    odd = secrets.rename(columns={"files": "<b>files</b>"}).assign(triage_label="<i>x</i>")
    html = widgets.page_html(odd, columns=["secret_id", "<b>files</b>", "triage_label"])
    no_hostile(html)
    assert "&lt;b&gt;files&lt;/b&gt;" in html and "&lt;i&gt;x&lt;/i&gt;" in html


def test_page_html_shortens_fingerprints_and_credential_ids(secrets):
    frame = secrets.assign(credential=RAW["aws"])
    html = widgets.page_html(frame, columns=["secret_id", "secret_sha1", "credential"])
    no_raw(html, secrets)
    assert secrets["secret_id"].iloc[0][:12] + "…" in html
    cells = re.findall(r"<td>(.*?)</td>", html)
    shown_sha1 = cells[2::4]  # per row: #, secret_id, secret_sha1, credential
    assert shown_sha1 == [v[:12] + "…" for v in secrets["secret_sha1"]] and len(shown_sha1) == len(secrets)
    assert not any(v in html for v in secrets["secret_sha1"])
    assert fingerprint.redact(RAW["aws"]) in html


@pytest.mark.parametrize("value, shown", [
    ("xoxb-1234567890-abcdefLEAKLAB", "xoxb…AB"),  # a Slack token id: '-' no longer keeps it whole
    ("sha1:" + "ab" * 20, "sha1:abababababab…"),
    ("c0ffee" * 10 + "abcd", "c0ffeec0ffee…"),
    ("arn:aws:iam::123456789012:user/deploy", "arn:…oy"),
    ("github_pat_" + "A" * 20, "gith…AA"),
    ("stripe-live", "st…"),  # even a short name: the board never shows a credential column whole
])
def test_credential_columns_are_never_shown_whole(value, shown):
    for col in ("credential", "credential_id", "acting_credential", "derived_from"):
        assert widgets._display(col, value) == shown
    html = widgets.page_html(pd.DataFrame({"credential": [value]}), columns=["credential"])
    assert value not in html and html.count("<td>") == 2


def test_undo_takes_back_a_decision_keyed_by_the_secrets_sha1(secrets, ledger):
    pw = secrets[secrets["secret_type"] == "password"]
    a, s1 = pw["secret_id"].iloc[0], pw["secret_sha1"].iloc[0]
    assert a == pw["secret_sha256"].iloc[0] and s1  # a SHA-256 secret id, and a SHA-1 (detect-secrets' key)
    ledger.record("sha1:" + s1, "false_positive", "imported from detect-secrets")
    page, _ = widgets.view(secrets, ledger=ledger, filters={"type": ["password"]})
    assert page["triage_label"].tolist() == ["false_positive"]  # the board shows it ...
    with pytest.raises(LeakLabError, match="nothing to undo for secret id #0"):
        widgets.undo(ledger, [a])  # without the frame, the SHA-1 is unknown
    undone = widgets.undo(ledger, [a], "wrong secret", secrets=secrets)  # ... so it can take it back
    assert undone["secret_id"].tolist() == ["sha1:" + s1] and undone["reason"].tolist() == ["wrong secret"]
    page, _ = widgets.view(secrets, ledger=ledger, filters={"type": ["password"]})
    assert page["triage_label"].isna().all()
    with pytest.raises(LeakLabError, match="nothing to undo"):
        widgets.undo(ledger, [a], secrets=widgets.prepare(secrets, ledger))


def test_page_html_marks_the_selected_row_and_empty_pages(secrets):
    html = widgets.page_html(secrets, selected=secrets["secret_id"].iloc[1])
    assert html.count("leaklab-selected") == 2  # the style rule and the row
    assert "no secrets match" in widgets.page_html(secrets.iloc[:0])


def history_for(s):
    return schema.build("history", {
        "secret_id": [sid(s, "stripe-key")], "in_history": [True], "introduced_commit": ["c" * 40],
        "introduced_author": [HOSTILE["newline"]], "introduced_email": [HOSTILE["img"]],
        "introduced_file": [HOSTILE["rtl"]], "refs": ["main, tag:<v1>"], "present_refs": ["main"],
        "still_in_head": [True],
    })


def test_detail_html_shows_every_section_escaped(secrets, ledger):
    stripe = sid(secrets, "stripe-key")
    ledger.record(stripe, "true_positive", "<script>alert('reason')</script>\u202e")
    row = widgets.view(secrets, ledger=ledger, filters={"type": ["stripe-key"]})[0]
    windows = schema.build("windows", {"credential": [RAW["stripe"], "someone-else"], "incident": ["INC-<1>", "x"],
                                       "exposed_from": ["2024-01-01T00:00:00Z"] * 2, "open": [True, False]})
    reach = schema.build("reach", {"credential": [RAW["stripe"]] * 2 + ["other"], "resource": ["<svg onload=x>", "b", "c"],
                                   "access": ["admin", "read", "read"], "hops": [0, 1, 0]})
    html = widgets.detail_html(row, history=history_for(secrets), windows=windows, reach=reach, decisions=ledger)
    no_hostile(html)
    no_raw(html, secrets)
    for section in ("<h4>locations</h4>", "<h4>history</h4>", "<h4>exposure window</h4>", "<h4>reach</h4>",
                    "<h4>decisions</h4>"):
        assert section in html
    assert "INC-&lt;1&gt;" in html and "someone-else" not in html  # only this secret's window
    assert "2 grant(s): admin 1, read 1" in html and "&lt;svg onload=x&gt;" in html
    assert "evil\\nInjected: line" in html and "tag:&lt;v1&gt;" in html and "cccccccccccc…" in html
    assert "&lt;script&gt;alert(&#x27;reason&#x27;)&lt;/script&gt;\\u202e" in html
    assert fingerprint.redact(RAW["stripe"]) in html


def test_detail_html_without_extras_and_reach_summary(secrets):
    row = secrets[secrets["secret_type"] == "aws-access-key"]
    html = widgets.detail_html(row)
    assert "<h4>history</h4>" not in html and "<h4>reach</h4>" not in html
    assert "config/deploy.env" in html and "&lt;script&gt;" in html
    summary = pd.DataFrame({"credential": [RAW["aws"]], "n_resources": [12], "can_admin": [True]})
    html = widgets.detail_html(row, reach=summary)
    assert "<h4>reach</h4>" in html and "n resources" in html and "<td>12</td>" in html
    no_raw(html, secrets)
    with pytest.raises(LeakLabError, match="one secret"):
        widgets.detail_html(secrets)


def test_demo_data_never_shows_a_raw_value(ledger):
    findings = leaklab.load(ROOT / "data" / "reports")
    s = leaklab.dedupe(findings)
    ledger.record(s["secret_id"].iloc[0], "revoked", "rotated in IAM")
    page, _ = widgets.view(s, ledger=ledger, page_size=100)
    html = widgets.page_html(page) + "".join(widgets.detail_html(page.iloc[[i]], decisions=ledger)
                                             for i in range(len(page)))
    values = [p.value for p in leaklab.demo._secrets(leaklab.demo.SEED).values()]
    assert values
    for v in values:
        for line in v.splitlines():
            if len(line) >= 8:
                assert line not in html
    no_hostile(html)


# ---------------------------------------------------------------------- label and undo


def test_label_and_undo_wrappers(secrets, ledger):
    gh, aws = sid(secrets, "github-token"), sid(secrets, "aws-access-key")
    out = widgets.label(ledger, [gh, aws], "true_positive", "live", analyst="bo")
    assert list(out["analyst"]) == ["bo", "bo"] and list(out["reason"]) == ["live", "live"]
    widgets.label(ledger.path, gh, "revoked", "disabled")  # a path works too
    assert dict(zip(ledger.current()["secret_id"], ledger.current()["label"])) == {gh: "revoked", aws: "true_positive"}
    undone = widgets.undo(ledger, gh, "wrong key", analyst="cy")
    assert list(undone["label"]) == ["undo"] and list(undone["analyst"]) == ["cy"]
    assert dict(zip(ledger.current()["secret_id"], ledger.current()["label"]))[gh] == "true_positive"
    with pytest.raises(LeakLabError, match="unknown label"):
        widgets.label(ledger, gh, "fixed", "nope")


def test_undo_checks_every_id_before_writing(secrets, ledger):
    gh, stripe = sid(secrets, "github-token"), sid(secrets, "stripe-key")
    widgets.label(ledger, gh, "true_positive", "live")
    n = len(ledger.entries())
    with pytest.raises(LeakLabError, match="nothing to undo for secret id #1"):
        widgets.undo(ledger, [gh, stripe])
    assert len(ledger.entries()) == n


def test_refresh_labels_updates_filters_and_sorts(secrets, ledger):
    data = widgets.prepare(secrets, ledger)
    assert data.view(filters={"label": ["needs_info"]})[1] == 0
    assert data.view(sort="triage_label")[1] == 5  # caches a triage_label order
    gh = sid(secrets, "github-token")
    widgets.label(ledger, gh, "needs_info", "ask the owner")
    assert data.view(filters={"label": ["needs_info"]})[1] == 0  # not re-read yet
    data.refresh_labels([gh])
    page, total = data.view(filters={"label": ["needs_info"]})
    assert total == 1 and page["triage_reason"].iloc[0] == "ask the owner"
    assert data.view(sort="triage_label")[0]["secret_id"].iloc[0] == gh


# ---------------------------------------------------------------------- the widget


@pytest.fixture
def board_for(secrets, ledger):
    pytest.importorskip("ipywidgets")

    def make(**kw):
        kw.setdefault("analyst", "ana")
        return widgets.triage_board(secrets, ledger, **kw)
    return make


def test_board_has_the_controls(board_for, secrets):
    b = board_for()
    assert set(b.filters) == {"type", "severity", "tool", "repo", "label"}
    assert [v for _, v in b.filters["severity"].options] == ["critical", "high", "low", "(none)"]
    assert list(b.labels.options) == list(leaklab.ledger.LABELS)
    assert b.sort.value == "score" and b.ascending.value is False
    assert "5 matching of 5" in b.page_label.value
    assert len(b.select.options) == 5 and b.select.value == widgets.view(secrets, sort="score")[0]["secret_id"].iloc[0]
    assert "<h3>" in b.detail.value
    for w in (b.record_button, b.undo_button, b.reason, b.analyst, b.table, b.status, b.prev_button, b.next_button):
        assert w is not None


def test_board_without_severity(secrets, ledger):
    pytest.importorskip("ipywidgets")
    b = widgets.triage_board(secrets.drop(columns=["severity", "score"]), ledger)
    assert b.filters["severity"].options == () and b.filters["severity"].disabled
    assert "score" not in [v for _, v in b.sort.options] and b.sort.value is None


def test_board_filter_page_select_label_record_undo(board_for, secrets, ledger):
    b = board_for(analyst=None)
    b.filters["tool"].value = ("gitleaks", "trufflehog")
    assert "3 matching of 5" in b.page_label.value
    b.page_size.value = 10
    b.sort.value = "secret_type"
    assert b.ascending.value is True  # text sorts A-Z first
    target = sid(secrets, "github-token")
    b.select.value = target
    assert "leaklab-selected" in b.table.value and "github-token" in b.detail.value
    b.analyst.value = "dana"
    b.reason.value = "live token\nseen in CI <logs>"
    b.labels.value = "true_positive"
    b.record_button.click()
    assert b.last_error is None, b.status.value
    cur = ledger.current()
    assert list(cur["secret_id"]) == [target]
    assert cur["label"].iloc[0] == "true_positive" and cur["analyst"].iloc[0] == "dana"
    assert cur["reason"].iloc[0] == "live token\nseen in CI <logs>"
    assert b.reason.value == ""  # a reason is not reused for the next decision
    assert b.select.value == target and "true_positive" in b.table.value
    assert "seen in CI &lt;logs&gt;" in b.detail.value  # the decision trail, escaped
    assert "recorded true_positive for 1 secret(s) as dana" in b.status.value

    b.reason.value = "wrong secret"
    b.undo_button.click()
    assert b.last_error is None
    assert ledger.current().empty
    assert ledger.entries()["reason"].iloc[-1] == "wrong secret"
    assert "true_positive" not in b.table.value


def test_board_label_filter_follows_decisions(board_for, secrets, ledger):
    b = board_for()
    b.filters["label"].value = ("(none)",)
    first = b.select.value
    b.labels.value = "false_positive"
    b.record_button.click()
    assert "4 matching of 5" in b.page_label.value  # the labelled secret left the filter
    assert first not in [v for _, v in b.select.options]
    assert b.select.value is not None  # the next secret is selected


def test_board_page_scope_labels_the_whole_page(board_for, ledger):
    b = board_for()
    b.page_size.value = 10
    b.filters["severity"].value = ("high",)
    b.scope.value = "page"
    b.labels.value = "needs_info"
    b.reason.value = "batch"
    b.record_button.click()
    cur = ledger.current()
    assert len(cur) == 2 and set(cur["label"]) == {"needs_info"} and set(cur["reason"]) == {"batch"}


def test_board_refuses_without_label_or_selection(board_for, ledger):
    b = board_for()
    b.record_button.click()
    assert "pick a label" in b.last_error
    b.filters["type"].value = ("github-token",)
    b.filters["tool"].value = ("detect-secrets",)  # nothing matches both
    assert b.select.value is None and "no secrets match" in b.table.value
    b.labels.value = "revoked"
    b.record_button.click()
    assert "select a secret" in b.last_error
    b.undo_button.click()
    assert "select a secret" in b.last_error
    assert ledger.entries().empty


def test_board_undo_takes_back_a_decision_keyed_by_sha1(board_for, secrets, ledger):
    pw = secrets[secrets["secret_type"] == "password"]
    ledger.record("sha1:" + pw["secret_sha1"].iloc[0], "false_positive", "imported from detect-secrets")
    b = board_for()
    b.filters["type"].value = ("password",)
    assert b.select.value == pw["secret_id"].iloc[0] and "false_positive" in b.table.value
    b.undo_button.click()
    assert b.last_error is None, b.status.value
    assert ledger.current().empty and "false_positive" not in b.table.value
    assert "undid the latest decision for 1 secret(s)" in b.status.value


def test_board_undo_with_nothing_to_undo_says_so(board_for, ledger):
    b = board_for()
    b.undo_button.click()
    assert "nothing to undo for 1" in b.last_error
    assert ledger.entries().empty


def test_board_paging_buttons(secrets, ledger):
    pytest.importorskip("ipywidgets")
    big = pd.concat([secrets] * 3, ignore_index=True)
    big["secret_id"] = [f"{i:064x}" for i in range(len(big))]
    b = widgets.triage_board(big, ledger, analyst="ana")
    b.page_size.value = 10
    assert b.prev_button.disabled and "page 1 of 2" in b.page_label.value
    b.next_button.click()
    assert "page 2 of 2" in b.page_label.value and b.next_button.disabled and len(b.select.options) == 5
    assert re.search("<tr[^>]*><td>11</td>", b.table.value) and not re.search("<tr[^>]*><td>10</td>", b.table.value)
    b.next_button.click()  # stays on the last page
    assert "page 2 of 2" in b.page_label.value
    b.prev_button.click()
    assert "page 1 of 2" in b.page_label.value


def test_board_values_survive_rebuilding_with_the_same_key(secrets, ledger):
    pytest.importorskip("ipywidgets")
    big = pd.concat([secrets] * 3, ignore_index=True)
    big["secret_id"] = [f"{i:064x}" for i in range(len(big))]
    b = widgets.triage_board(big, ledger, key="case-1")
    b.filters["tool"].value = ("trufflehog", "noseyparker")
    b.sort.value = "n_findings"
    b.ascending.value = True
    b.page_size.value = 5
    b.next_button.click()
    b.select.value = b.select.options[1][1]
    b.analyst.value = "erin"
    chosen = b.select.value

    again = widgets.triage_board(big, ledger, key="case-1")
    assert set(again.filters["tool"].value) == {"trufflehog", "noseyparker"}
    assert again.sort.value == "n_findings" and again.ascending.value is True and again.page_size.value == 5
    assert "page 2 of" in again.page_label.value
    assert again.select.value == chosen and again.analyst.value == "erin"

    other = widgets.triage_board(big, ledger, key="case-2")
    assert other.filters["tool"].value == () and "page 1 of" in other.page_label.value
    # a stale saved value (a tool this frame does not have) is dropped, not an error
    widgets._STATES[again.state_key]["filters"]["tool"] = ("no-such-tool", "trufflehog")
    third = widgets.triage_board(big, ledger, key="case-1")
    assert third.filters["tool"].value == ("trufflehog",)


def test_board_same_key_other_ledger_is_another_board(secrets, ledger, tmp_path):
    pytest.importorskip("ipywidgets")
    b = widgets.triage_board(secrets, ledger)
    b.filters["type"].value = ("password",)
    other = widgets.triage_board(secrets, Ledger(tmp_path / "other.jsonl"))
    assert other.filters["type"].value == ()


def test_board_reload_picks_up_another_writer(board_for, secrets, ledger):
    b = board_for()
    b.filters["label"].value = ("accepted_risk",)
    assert "0 matching" in b.page_label.value
    Ledger(ledger.path, analyst="other").record(sid(secrets, "slack-webhook"), "accepted_risk", "internal only")
    b.refresh_button.click()
    assert "1 matching" in b.page_label.value and "internal only" in b.detail.value


def test_board_shows_hostile_values_escaped(board_for, secrets):
    b = board_for()
    b.page_size.value = 10
    for html in (b.table.value, b.detail.value, b.page_label.value, b.status.value):
        no_hostile(html)
        no_raw(html, secrets)
    labels = [lab for sel in b.filters.values() for lab, _ in sel.options] + [lab for lab, _ in b.select.options]
    assert "github.com/acme/ops\\u202e (1)" in labels  # shown as a visible escape
    for lab in labels:
        assert not re.search("[\x00-\x1f\u202a-\u202e\u2066-\u2069]", lab)
    repo_labels = [lab for lab, _ in b.filters["repo"].options]
    assert any(lab.startswith('x" onmouseover') for lab in repo_labels)  # option text is text, not HTML
    # every secret's detail is escaped too
    for _, value in b.select.options:
        b.select.value = value
        no_hostile(b.detail.value)
        no_raw(b.detail.value, secrets)


def test_key_ids_inside_free_text_are_shown_as_previews():
    from leaklab import widgets

    html = widgets._cell("files", "config/AKIALEAKLABFAKENEW12.env")
    assert "AKIALEAKLABFAKENEW12" not in html and "AKIA…12" in html
