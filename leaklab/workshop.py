"""Self-checks for the workshop notebooks: is the learner's answer right, and if not, a hint.

Each scenario (:mod:`leaklab.scenarios`) writes ``answers.json`` with its ``quiz``: a list
of ``{"id", "question", "answer", "hint"}``. :func:`check` compares a learner's answer with
the key, forgivingly (case, spacing, order of a list, a number given as text), and says
so in one line, never revealing the answer itself.

    >>> key = {"quiz": [{"id": "q1", "question": "How many days?", "answer": 57, "hint": "ttd_days_min"}]}
    >>> check("q1", 57, key=key)
    ✔ q1: right.
    >>> check("q1", "56", key=key)
    ✘ q1: not yet. Hint: ttd_days_min
    >>> check("q1", None, key=key)
    … q1: no answer yet. Hint: ttd_days_min
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import LeakLabError
from .fingerprint import redact

# Where `make data` writes the scenarios, relative to the repository root. Notebooks find it
# from whatever folder they run in (see :func:`scenarios_root`).
SCENARIOS_DIR = Path("data") / "scenarios"


def scenarios_root(start: str | Path | None = None) -> Path:
    """``data/scenarios`` of the repository holding ``start`` (default: the current folder),
    found by walking up; the relative path itself when there is none (checks then say what to do)."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SCENARIOS_DIR).is_dir():
            return folder / SCENARIOS_DIR
    return SCENARIOS_DIR


def case(scenario: str) -> Path:
    """The folder of one scenario (``.../data/scenarios/<scenario>``), found from anywhere in the repository."""
    return scenarios_root() / scenario


DEFAULT_ROOT = None  # None: scenarios_root()


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer; shows as one line in a notebook."""

    question: str
    ok: bool | None  # None: not answered yet
    hint: str = ""

    def __repr__(self) -> str:
        if self.ok:
            return f"✔ {self.question}: right."
        head = "… " + self.question + ": no answer yet." if self.ok is None else f"✘ {self.question}: not yet."
        return f"{head} Hint: {self.hint}" if self.hint else head

    def __bool__(self) -> bool:
        return self.ok is True


def answers(scenario: str, root: str | Path | None = DEFAULT_ROOT) -> dict:
    """The answer key of a scenario (``<root>/<scenario>/answers.json``)."""
    path = Path(root if root is not None else scenarios_root()) / scenario / "answers.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LeakLabError(path, reason="no answer key: run `make data` (it builds the workshop scenarios)") from None
    except json.JSONDecodeError as e:
        raise LeakLabError(path, f"line {e.lineno}", "not valid JSON") from None


def questions(scenario: str, root: str | Path | None = DEFAULT_ROOT) -> list[dict]:
    """The quiz of a scenario, without the answers (for the exercise notebooks)."""
    return [{k: v for k, v in q.items() if k != "answer"} for q in _quiz(answers(scenario, root))]


def _quiz(key: dict) -> list[dict]:
    return key.get("quiz", [])


def check(question: str, answer, *, scenario: str | None = None, root: str | Path | None = DEFAULT_ROOT,
          key: dict | None = None) -> Feedback:
    """Compare ``answer`` with the key's answer to ``question``.

    ``key`` is an answer key already loaded (else ``scenario`` and ``root`` find it).
    Strings compare without case and surrounding space; numbers as numbers (a string
    that reads as one counts); lists, tuples and sets as sets; a frame or series by its
    values. ``None`` means not answered yet.
    """
    if key is None:
        if scenario is None:
            raise LeakLabError(reason="check: give scenario= (or key=)")
        key = answers(scenario, root)
    entry = next((q for q in _quiz(key) if q.get("id") == question), None)
    if entry is None:
        known = ", ".join(q.get("id", "?") for q in _quiz(key))
        raise LeakLabError(reason=f"check: no question {question!r}; known: {known}")
    hint = str(entry.get("hint", ""))
    if answer is None:
        return Feedback(question, None, hint)
    alias = _aliases(key)
    got = _named(_plain(answer), alias)
    # The key's answer, or any alternative it lists under "also" (other names for the same thing).
    right = [entry.get("answer")] + list(entry.get("also", []))
    return Feedback(question, any(_same(got, _named(_plain(r), alias)) for r in right), hint)


def _aliases(key: dict) -> dict:
    """A leaked credential may be named by its scenario id, its fingerprint, its preview, or
    (when no other secret shares it) its type: all mean the same answer."""
    from collections import Counter

    secrets = [s for s in key.get("secrets", []) if isinstance(s, dict) and s.get("id")]
    types = Counter(s.get("type") for s in secrets)
    out = {}
    for s in secrets:
        names = [s["id"], s.get("secret_sha256"), s.get("secret_sha1"), s.get("hashed_token"), s.get("redacted")]
        # the previews leaklab.redacted shows for a fingerprint or a hashed token
        names += [redact(x) for x in (s.get("secret_sha256"), s.get("hashed_token")) if isinstance(x, str)]
        if types[s.get("type")] == 1 and isinstance(s.get("type"), str):
            names += [s["type"], s["type"].replace("-", " ")]  # "github-token" or "GitHub token"
        for n in names:
            if isinstance(n, str) and n:
                out[n.strip().lower()] = s["id"]
    return out


def _named(value, alias: dict):
    """Credential names in an answer replaced by the scenario's id for them (ids, fingerprints,
    previews, types, or a raw key id whose SHA-256 is a fingerprint)."""
    if isinstance(value, (list, tuple, set)):
        return [_named(v, alias) for v in value]
    if not isinstance(value, str) or not alias:
        return value
    v = value.strip().lower()
    if v in alias:
        return alias[v]
    from .fingerprint import sha256

    return alias.get(sha256(value.strip()), value)


def _plain(value):
    """Frames, series, arrays and numpy scalars as plain Python values; a missing value as None."""
    if hasattr(value, "to_numpy") and hasattr(value, "columns"):  # a DataFrame: its values, row by row
        value = value.to_numpy().ravel()
    if hasattr(value, "tolist"):
        value = value.tolist()
    elif hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    try:
        import pandas as pd

        if value is not None and not isinstance(value, (list, str)) and pd.isna(value):
            return None  # pd.NA, NaN, NaT: no answer in that cell
    except (TypeError, ValueError):
        pass
    return value


def _same(got, want) -> bool:
    if isinstance(want, (list, tuple, set)):
        if not isinstance(got, (list, tuple, set)):
            got = [got]
        return {_norm(g) for g in got} == {_norm(w) for w in want}  # as sets: order and repeats do not matter
    if isinstance(got, (list, tuple, set)) and len(got) == 1:  # a one-row Series or a one-item list
        got = next(iter(got))
    if isinstance(want, bool):  # True/False, or yes/no as text; never 0 or 1
        if isinstance(got, str):
            got = {"true": True, "yes": True, "false": False, "no": False}.get(got.strip().lower())
        return isinstance(got, bool) and got is want
    if got is None or isinstance(got, bool):
        return False
    return _norm(got) == _norm(want)


def _norm(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return round(float(v), 6)
    if isinstance(v, str):
        s = " ".join(v.split()).lower()
        try:
            return round(float(s), 6)
        except ValueError:
            return s
    if isinstance(v, (list, tuple, set)):
        return tuple(sorted(map(_norm, v), key=str))
    return v


# --------------------------------------------------------------------------- the notebooks

# One spec makes both the exercise and the solution notebook of a scenario, so they never
# drift apart: a step is a question id (its text and hint come from the scenario's
# answers.json), what to look at, and the solution's expression. Discussion questions
# (free-text answers) get no check; the solution notebook states the answer.
_LOAD = '''import leaklab
from leaklab import workshop

SCENARIO, AS_OF = {scenario!r}, {as_of!r}
CASE = workshop.case(SCENARIO)                       # data/scenarios/<name>, written by `make data`
findings = leaklab.load(f"{{CASE}}/reports")          # what the scanners reported
secrets = leaklab.dedupe(findings)                   # one row per distinct secret
events = leaklab.load_timeline(f"{{CASE}}/timeline.csv")
windows = leaklab.exposure_windows(events, as_of=AS_OF)
usage = leaklab.load_access_logs(f"{{CASE}}/logs")
uses = leaklab.usage_in_windows(windows, usage)      # uses inside each window, flagged
grants = leaklab.load_inventory(f"{{CASE}}/inventory")
leaklab.redacted(secrets[["secret_type", "redacted", "tools", "verified"]])'''

EXERCISES = {
    "circleci": {
        "title": "A CI secret store is breached (CircleCI-style)",
        "question": "The CI provider says every secret stored in it may have been stolen. Which of ours leaked, "
                    "were they used, and what could the attacker reach from there?",
        "as_of": "2023-02-01T00:00:00Z",
        "look": [("The windows: when each credential was exposed, detected and contained.",
                  'leaklab.redacted(windows[["credential", "exposed_from", "detected_at", "contained_at", '
                  '"window_days_min"]])')],
        "steps": [
            ("q1", "Count the distinct leaked secrets the scanners found.", "len(secrets)"),
            ("q2", "Find the AWS key's row in `windows` (its id starts with AKIA).",
             'int(windows.loc[windows["credential"].str.startswith("AKIA"), "window_days_min"].iloc[0])'),
            ("q3", "`uses` has a `suspicious` column.",
             'int((uses["suspicious"] & uses["credential_id"].str.startswith("AKIA")).sum())'),
            ("q4", "Which call reads a secret, and on which resource?",
             'uses.loc[uses["action"].str.endswith(":GetSecretValue"), "resource"].iloc[0]'),
            ("q5", "Start `blast_radius` from the stolen session: `[\"circleci-engineer-session\"]`.",
             'int(leaklab.blast_radius(grants, ["circleci-engineer-session"], by="pivot")["hops"].max())'),
        ],
    },
    "slack": {
        "title": "A stolen employee token clones private repositories (Slack-style)",
        "question": "An employee's GitHub token was stolen. What did the attacker take, from when, and which "
                    "further secrets did the cloned repositories hand over?",
        "as_of": "2023-02-01T00:00:00Z",
        "look": [("GitHub's audit log names a token by `hashed_token`; here is every use inside a window.",
                  'leaklab.redacted(uses[["time", "credential_id", "action", "resource", "source_ip", "suspicious"]])')],
        "steps": [
            ("q1", None, None),
            ("q2", "Count the suspicious `git.clone` uses.",
             'int((uses["suspicious"] & (uses["action"] == "git.clone")).sum())'),
            ("q3", None, None),
            ("q4", "The token's window is the one whose start is a lower bound; start `blast_radius` from it.",
             'list(leaklab.blast_radius(grants, [windows.loc[windows["lower_bound"], "credential"].iloc[0]], '
             'by="pivot")["reached_credential"])'),
        ],
    },
    "toyota": {
        "title": "A key public in a repository for years (Toyota-style)",
        "question": "A third party reports our access key in a public repository. How long was it exposed, was "
                    "it used, and what could it reach?",
        "as_of": "2022-10-31T00:00:00Z",
        "look": [("The events behind the window; note the precision of the first one.",
                  'leaklab.redacted(events[["time", "time_latest", "precision", "kind", "credential", "detail"]])')],
        "steps": [
            ("q1", "`window_days_min` and `window_days_max` of the key's window, as a list.",
             '[int(windows["window_days_min"].iloc[0]), int(windows["window_days_max"].iloc[0])]'),
            ("q2", "Find the `note` event saying the repository was made private and compare its time with "
                   "`contained_at` in `windows`. Answer True or False.",
             'bool(windows["contained_at"].iloc[0] <= events.loc[events["detail"].str.contains("made private"), '
             '"time"].iloc[0])'),
            ("q3", "Count the rows of `uses`.", "len(uses)"),
            ("q4", "`blast_radius(grants)` has a `data_class` column.",
             'leaklab.blast_radius(grants)["data_class"].dropna().unique().tolist()[0]'),
        ],
    },
    "travis": {
        "title": "Tokens printed in public build logs (Travis CI-style)",
        "question": "Our CI printed secrets into public build logs. Which tokens, exposed for how long, which is "
                    "still live, and was any used?",
        "as_of": "2022-07-01T00:00:00Z",
        "look": [("Where each finding was: TruffleHog marks build-log findings with `source_kind` ci-log.",
                  'findings[["tool", "secret_type", "redacted", "file", "source_kind"]]')],
        "steps": [
            ("q1", "Count the distinct secrets.", "len(secrets)"),
            ("q2", "Among the contained windows (`open` False), the largest `window_days_min`; answer with its "
                   "`credential`.",
             'windows[~windows["open"]].sort_values("window_days_min")["credential"].iloc[-1]'),
            ("q3", "The `open` column; answer with the `credential`.",
             'windows.loc[windows["open"], "credential"].iloc[0]'),
            ("q4", "`uses` has a `suspicious` column; the AWS key's id starts with AKIA.",
             'int((uses["suspicious"] & uses["credential_id"].str.startswith("AKIA")).sum())'),
        ],
    },
}


def notebook(scenario: str, *, solution: bool = False, root: str | Path | None = None):
    """The exercise (or solution) notebook of a scenario, as an nbformat notebook (no outputs)."""
    import nbformat.v4 as nbf

    spec = EXERCISES[scenario]
    quiz = {q["id"]: q for q in _quiz(answers(scenario, root))}
    md, code = nbf.new_markdown_cell, nbf.new_code_cell
    kind = "solution" if solution else "exercise"
    cells = [md(
        f"# Workshop · {spec['title']} ({kind})\n\n"
        f"**Question.** {spec['question']}\n\n"
        f"**Data.** The `{scenario}` scenario written by `make data` into `data/scenarios/{scenario}/`: scanner "
        "reports in the tools' own formats, the repository, the timeline, the access logs and the permission "
        "inventory; modelled on the real incident in `data/scenarios/{s}/answers.json` (`description`).\n\n".format(s=scenario)
        + ("Each question has a cell: put your answer in place of `None` and run it. The check says *right* or "
           "*not yet* with a hint; it never shows the answer. The solution notebook is next to this one."
           if not solution else "The worked answers, computed with leaklab; each check should say *right*."))]
    cells.append(code(_LOAD.format(scenario=scenario, as_of=spec["as_of"])))
    for text, expr in spec["look"]:
        cells += [md(text), code(expr)]
    for qid, tip, expr in spec["steps"]:
        q = quiz[qid]
        if expr is None:  # a discussion question
            body = f"**{qid}. {q['question']}** Discuss with your neighbour."
            if solution:
                body += f"\n\n*Answer:* {q['answer']}. {q.get('hint', '')}"
            cells.append(md(body))
            continue
        cells.append(md(f"**{qid}. {q['question']}**" + (f"\n\nTip: {tip}" if tip and not solution else "")))
        value = expr if solution else "None  # your answer"
        cells.append(code(f"{qid} = {value}\nworkshop.check({qid!r}, {qid}, scenario=SCENARIO)"))
    cells.append(md("When every check says *right*: write the report for this case in one command, from the "
                    "repository root in a terminal, "
                    f"`.venv/bin/leaklab report --case data/scenarios/{scenario} -o build/{scenario}`, and open "
                    f"`build/{scenario}.html`. Read its closure criteria: what would you still need before closing "
                    "the incident?"))
    for n, cell in enumerate(cells):  # stable ids: regenerating changes nothing that did not change
        cell["id"] = f"{scenario}-{kind}-{n:02d}"
    nb = nbf.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python", "version": "3.11.7"}})
    return nb


def write_notebooks(out: str | Path = "notebooks/workshop", root: str | Path | None = None) -> list[Path]:
    """Write every scenario's exercise and solution notebook (sources only; run them to fill outputs)."""
    import nbformat

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for n, scenario in enumerate(EXERCISES, start=1):
        for solution in (False, True):
            path = out / f"{n}{int(solution)}-{scenario}-{'solution' if solution else 'exercise'}.ipynb"
            nbformat.write(notebook(scenario, solution=solution, root=root), path)
            written.append(path)
    return written


def setup_check(root: str | Path | None = DEFAULT_ROOT) -> list[str]:
    """Lines saying whether this machine is ready for the workshop (used by the setup notebook).

    Checks Python, the libraries the notebooks use, that plots render, and that `make data`
    wrote every scenario. Nothing here needs the network.
    """
    import importlib
    import sys

    lines = []

    def line(ok: bool, text: str, fix: str = "") -> None:
        lines.append(("✔ " if ok else "✘ ") + text + ("" if ok or not fix else f" -> {fix}"))

    line(sys.version_info >= (3, 11), "Python 3.11 or newer", "install Python 3.11+ and run `make lab` again")
    for lib in ("pandas", "matplotlib", "ipywidgets", "networkx", "git"):
        try:
            importlib.import_module(lib)
            line(True, f"{lib} imports")
        except ImportError:
            line(False, f"{lib} imports", "run `make lab` (it installs everything into .venv)")
    try:
        from .plots import _new_figure

        fig, ax = _new_figure(2, 1)
        ax.plot([0, 1], [0, 1])
        line(fig._repr_png_().startswith(b"\x89PNG"), "figures render")
    except Exception as e:  # the check must report, not crash
        line(False, f"figures render ({type(e).__name__})", "reinstall matplotlib: `make clean lab`")
    root = Path(root) if root is not None else scenarios_root()
    for scenario in EXERCISES:
        line((root / scenario / "answers.json").is_file(), f"scenario {scenario} present",
             "run `make data` from the repository root (this notebook must be inside the repository)")
    return lines
