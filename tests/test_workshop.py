"""Workshop self-checks: right, wrong (with a hint) and unanswered, forgivingly compared."""

import json

import numpy as np
import pandas as pd
import pytest

from leaklab import workshop
from leaklab.errors import LeakLabError

KEY = {"quiz": [
    {"id": "days", "question": "How many days?", "answer": 64, "hint": "window_days_min"},
    {"id": "ips", "question": "Which addresses?", "answer": ["203.0.113.66", "192.0.2.45"], "hint": "suspicious"},
    {"id": "who", "question": "Who committed it?", "answer": "Bob Okafor", "hint": "introduced_author"},
    {"id": "open", "question": "Still open?", "answer": False, "hint": "the open column"},
]}


@pytest.mark.parametrize("qid,answer,ok", [
    ("days", 64, True), ("days", np.int64(64), True), ("days", "64", True), ("days", 64.0, True), ("days", 63, False),
    ("ips", ["192.0.2.45", "203.0.113.66"], True), ("ips", {"203.0.113.66", "192.0.2.45"}, True),
    ("ips", pd.Series(["203.0.113.66", "192.0.2.45"]), True), ("ips", ["203.0.113.66"], False),
    ("who", "  bob   okafor ", True), ("who", "Alice Moreau", False),
    ("open", False, True), ("open", np.bool_(False), True), ("open", True, False),
])
def test_check(qid, answer, ok):
    fb = workshop.check(qid, answer, key=KEY)
    assert bool(fb) is ok
    text = repr(fb)
    assert text.startswith("✔" if ok else "✘")
    assert ("Hint:" in text) is (not ok)


def test_unanswered_gives_the_hint_and_never_the_answer():
    fb = workshop.check("who", None, key=KEY)
    assert fb.ok is None and "no answer yet" in repr(fb) and "introduced_author" in repr(fb)
    assert "Okafor" not in repr(workshop.check("who", "wrong", key=KEY))


def test_unknown_question_lists_the_known_ones():
    with pytest.raises(LeakLabError, match="known: days, ips, who, open"):
        workshop.check("nope", 1, key=KEY)


def test_answer_key_from_a_scenario_directory(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "answers.json").write_text(json.dumps(KEY))
    assert workshop.check("days", 64, scenario="s", root=tmp_path)
    assert all("answer" not in q for q in workshop.questions("s", tmp_path))
    with pytest.raises(LeakLabError, match="make data"):
        workshop.answers("missing", tmp_path)
