# Suanli: `make demo` runs the demo on SQLite; `make test` runs the checks and the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: demo serve install dev test lint test-sqlite test-postgresql bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The platform, and the provider agent (its own distribution in agent/) for its tests.
$(VENV)/.installed: pyproject.toml agent/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e ./agent
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/suanli demo

serve: install
	$(BIN)/suanli serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

test-sqlite: install
	SUANLI_TEST_DB=sqlite $(BIN)/python -m pytest -q

test-postgresql: install
	SUANLI_TEST_DB=postgresql SUANLI_TEST_PG_URL='$(PG_URL)' $(BIN)/python -m pytest -q

# Runs everything this machine can, the SQLite and PostgreSQL suites side by side; says what it
# skipped and how to enable it. `make test-sqlite` / `make test-postgresql` run one suite alone.
test: lint
	$(BIN)/python scripts/run_suites.py '$(PG_URL)'
	@[ -x /usr/bin/chromium ] || echo "SKIPPED: browser tests (no Chromium). Enable: sudo apt-get install chromium"

bench: install
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/clearing.py --quick
	$(BIN)/python bench/simulate.py

clean:
	rm -rf $(VENV) suanli.db suanli.db-wal suanli.db-shm var .pytest_cache .mypy_cache .ruff_cache
