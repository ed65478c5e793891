# The two set-up commands (README): `make lab` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PORT   ?= 8888

.PHONY: lab test demo data bench clean lock

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit("leaklab needs Python 3.11+, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[test]"
	rm -f $(VENV)/.installed-* && touch $@

# Prepare the demo incident (scanner reports in data/, the demo git repository) and the
# four workshop scenarios (data/scenarios/<name>/, generated, not committed).
data: $(STAMP)
	$(BIN)/leaklab demo data
	$(BIN)/python -m leaklab.scenarios all data/scenarios

# JupyterLab on notebooks/. --allow-root: containers run as root and JupyterLab
# refuses root without it; it changes nothing for other users.
lab: data
	$(BIN)/jupyter lab --allow-root --ServerApp.root_dir=notebooks --port=$(PORT)

# Everything: unit tests, doctests, and every notebook under nbval.
test: data
	$(BIN)/python -m pytest --nbval -p no:cacheprovider

# Headless main job: demo data, every notebook executed, findings tables written to build/.
demo: data
	$(BIN)/leaklab run-notebooks notebooks build/notebooks
	$(BIN)/leaklab load data/reports --format csv --output build/findings.csv
	$(BIN)/leaklab load data/reports --dedupe --format csv --output build/secrets.csv

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

# Re-pin after changing pyproject.toml: resolves in a scratch venv, writes requirements.lock.
lock:
	rm -rf build/lockenv && $(PYTHON) -m venv build/lockenv
	build/lockenv/bin/pip install --quiet --disable-pip-version-check -e ".[test]"
	build/lockenv/bin/pip freeze --exclude-editable | grep -v '^leaklab' > requirements.lock

clean:
	rm -rf $(VENV) build data/demo-repo data/scenarios
