"""The README's Python blocks run as written, in order, from the repository root on the demo data."""

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent


def test_readme_python_blocks_run_as_written(monkeypatch, tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert len(blocks) >= 3
    monkeypatch.chdir(ROOT)
    scope: dict = {}
    for i, block in enumerate(blocks):
        block = block.replace('"triage.jsonl"', repr(str(tmp_path / "triage.jsonl")))  # not in the checkout
        try:
            exec(compile(block, f"README.md python block {i + 1}", "exec"), scope)
        except Exception as e:  # name the block, keep the cause
            raise AssertionError(f"README python block {i + 1} fails: {type(e).__name__}: {e}") from e
