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

# Where the notebooks under notebooks/workshop/ find the scenarios `make data` writes.
DEFAULT_ROOT = Path("../../data/scenarios")


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
        return bool(self.ok)


def answers(scenario: str, root: str | Path = DEFAULT_ROOT) -> dict:
    """The answer key of a scenario (``<root>/<scenario>/answers.json``)."""
    path = Path(root) / scenario / "answers.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LeakLabError(path, reason="no answer key: run `make data` (it builds the workshop scenarios)") from None
    except json.JSONDecodeError as e:
        raise LeakLabError(path, f"line {e.lineno}", "not valid JSON") from None


def questions(scenario: str, root: str | Path = DEFAULT_ROOT) -> list[dict]:
    """The quiz of a scenario, without the answers (for the exercise notebooks)."""
    return [{k: v for k, v in q.items() if k != "answer"} for q in _quiz(answers(scenario, root))]


def _quiz(key: dict) -> list[dict]:
    return key.get("quiz", [])


def check(question: str, answer, *, scenario: str | None = None, root: str | Path = DEFAULT_ROOT,
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
    return Feedback(question, _same(_plain(answer), _plain(entry.get("answer"))), hint)


def _plain(value):
    """Frames, series, arrays and numpy scalars as plain Python values."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    elif hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    return value


def _same(got, want) -> bool:
    if isinstance(want, (list, tuple, set)):
        if not isinstance(got, (list, tuple, set)):
            got = [got]
        return sorted(map(_norm, got), key=str) == sorted(map(_norm, want), key=str)
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
