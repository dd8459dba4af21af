# Suanli: `make demo` runs the demo on SQLite; `make test` runs the checks and the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: demo serve install dev test lint test-sqlite test-postgresql bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
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

# Runs everything this machine can; says what it skipped and how to enable it.
test: lint test-sqlite
	@if $(BIN)/python scripts/pg_ready.py '$(PG_URL)'; then \
		$(MAKE) --no-print-directory test-postgresql; \
	elif [ "$$CI" = "true" ]; then \
		echo "FAIL: PostgreSQL at $(PG_URL) is not reachable and CI=true"; exit 1; \
	else \
		echo "SKIPPED: the PostgreSQL run (no server at $(PG_URL)). Start one, or run .ci/run, which installs and starts it; PG_URL=... make test picks another."; \
	fi
	@[ -x /usr/bin/chromium ] || echo "SKIPPED: browser tests (no Chromium). Enable: sudo apt-get install chromium"

bench: install
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/clearing.py --quick
	$(BIN)/python bench/simulate.py

clean:
	rm -rf $(VENV) suanli.db suanli.db-wal suanli.db-shm var .pytest_cache .mypy_cache .ruff_cache
