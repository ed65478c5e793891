"""Committed notebooks: one question each, stated up front, and no secret in their outputs.

nbval (``make test`` passes ``--nbval``) re-runs each notebook and compares its outputs;
these tests check what nbval cannot: that what is committed leaks nothing.
"""

import json
import re
from pathlib import Path

import pytest

import leaklab

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").rglob("[0-9]*.ipynb"))
# The same shapes the project's pre-stop check looks for, plus the demo's own planted values.
SECRET_SHAPES = re.compile(
    r"AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{50,}|"
    r"xox[abposr]-[0-9A-Za-z-]{10,}|sk_live_[0-9A-Za-z]{16,}|-----BEGIN [A-Z ]*PRIVATE KEY-----"
)


def test_there_are_numbered_notebooks():
    assert len(NOTEBOOKS) >= 14 and all(re.match(r"\d\d-[a-z0-9-]+\.ipynb$", p.name) for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_opens_with_question_and_data(path):
    first = json.loads(path.read_text())["cells"][0]
    text = "".join(first["source"])
    assert first["cell_type"] == "markdown" and "**Question.**" in text and "**Data.**" in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_hold_no_secret(path):
    nb = json.loads(path.read_text())
    outputs = json.dumps([c.get("outputs", []) for c in nb["cells"]])
    assert not SECRET_SHAPES.search(path.read_text()), "secret-shaped text in the notebook (sources or outputs)"
    for s in leaklab.demo._secrets(leaklab.demo.SEED).values():
        assert s.value.splitlines()[0] not in outputs, s.id
    assert all(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"), "commit notebooks with their outputs"
