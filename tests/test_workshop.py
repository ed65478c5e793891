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


def test_a_credential_may_be_named_by_id_fingerprint_preview_type_or_raw_id():
    from leaklab.fingerprint import sha256

    key = {"secrets": [{"id": "aws-key-id", "type": "aws-access-key", "secret_sha256": sha256("AKIALEAKLABFAKEXXXX1"),
                        "redacted": "AKIA…X1"},
                       {"id": "gh", "type": "github-token", "secret_sha256": "ab" * 32}],
           "quiz": [{"id": "q", "question": "Which?", "answer": ["aws-key-id", "gh"], "hint": "h"}]}
    for answer in (["aws-key-id", "gh"], ["AKIALEAKLABFAKEXXXX1", "ab" * 32], ["AKIA…X1", "github-token"],
                   ["aws-access-key", "GH"]):
        assert workshop.check("q", answer, key=key), answer
    assert not workshop.check("q", ["aws-key-id"], key=key)


ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def test_committed_workshop_notebooks_match_their_spec(tmp_path):
    """Exercise and solution notebooks are made from one spec (workshop.EXERCISES): never edited apart."""
    import nbformat

    written = workshop.write_notebooks(tmp_path, root=ROOT / "data" / "scenarios")
    assert len(written) == 2 * len(workshop.EXERCISES)
    for path in written:
        committed = nbformat.read(ROOT / "notebooks" / "workshop" / path.name, as_version=4)
        fresh = nbformat.read(path, as_version=4)
        assert [c.source for c in committed.cells] == [c.source for c in fresh.cells], \
            f"{path.name}: regenerate with leaklab.workshop.write_notebooks() and re-run"


def test_solution_notebooks_say_right_and_exercises_say_not_answered():
    import nbformat

    for path in sorted((ROOT / "notebooks" / "workshop").glob("[1-9]*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        said = [o.get("data", {}).get("text/plain", "") for c in nb.cells if c.cell_type == "code"
                for o in c.get("outputs", []) if "workshop.check" in c.source]
        assert said, path.name
        mark = "✔" if "solution" in path.name else "…"
        assert all(s.startswith(mark) for s in said), (path.name, said)


def test_setup_check_reports_every_part():
    lines = workshop.setup_check(ROOT / "data" / "scenarios")
    assert all(line.startswith("✔") for line in lines), lines
    assert any("scenario travis" in line for line in lines)
    missing = workshop.setup_check("/nonexistent")
    assert any(line.startswith("✘ scenario circleci") and "make data" in line for line in missing)


@pytest.mark.parametrize("answer,ok", [
    (False, True), (np.bool_(False), True), ("False", True), ("no", True), (" NO ", True),
    (0, False), ("0", False), (0.0, False), (True, False), ("yes", False),
])
def test_yes_no_answers_are_booleans_not_numbers(answer, ok):
    assert bool(workshop.check("open", answer, key=KEY)) is ok


@pytest.mark.parametrize("answer,ok", [
    (pd.DataFrame({"ip": ["203.0.113.66", "192.0.2.45"]}), True),
    (np.array(["192.0.2.45", "203.0.113.66", "192.0.2.45"]), True),   # repeats do not matter
    (pd.NA, False), (np.nan, False),
])
def test_natural_shapes_of_an_answer(answer, ok):
    qid = "ips" if not isinstance(answer, float) and answer is not pd.NA else "days"
    fb = workshop.check(qid, answer, key=KEY)
    assert bool(fb) is ok
    repr(fb)  # never raises


def test_a_one_row_series_answers_a_number():
    assert workshop.check("days", pd.Series([64]), key=KEY)
    assert workshop.check("days", pd.array([64], dtype="Int64"), key=KEY)


def test_alternative_answers_listed_by_the_key():
    key = {"quiz": [{"id": "q", "question": "Which?", "answer": "prod/launch-db", "also": ["db-password"], "hint": ""}]}
    assert workshop.check("q", "db-password", key=key) and workshop.check("q", "prod/launch-db", key=key)
    assert not workshop.check("q", "prod/other", key=key)
