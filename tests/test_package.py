"""The package as a user meets it: import cost, set-up files that agree, the console script."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_import_is_fast_and_lazy():
    code = (
        "import sys, time; t = time.perf_counter(); import leaklab; dt = time.perf_counter() - t; "
        "heavy = [m for m in ('pandas', 'matplotlib', 'git', 'numpy') if m in sys.modules]; print(dt, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    # Not a timing assertion: the cost of `import leaklab` is "no heavy library loaded".
    assert out[1].strip() == "[]", out


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req, maxsplit=1)[0].lower().replace("_", "-")


def _spec(req: str) -> str:
    return re.sub(r"\s", "", req[len(_name(req)):])


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str) and not d.startswith("python")]
    assert {_name(r): _spec(r) for r in wanted} == {_name(d): _spec(d) for d in conda}


def test_lock_pins_every_dependency_within_its_range():
    from packaging.requirements import Requirement

    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[_name(name)] = version.strip()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for req in project["dependencies"] + project["optional-dependencies"]["test"]:
        r = Requirement(req)
        assert _name(r.name) in pins, f"{r.name} is not pinned in requirements.lock"
        assert r.specifier.contains(pins[_name(r.name)]), f"{r.name}=={pins[_name(r.name)]} is outside {r.specifier}"


def test_console_script_help():
    out = subprocess.run([sys.executable, "-m", "leaklab.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "load" in out.stdout and "Exit codes" in out.stdout


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make lab" in readme
    assert re.search(r"^make test$", ci, re.M)
