# Suanli: `make demo` runs the demo on SQLite; `make test` runs the checks and the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: demo serve install dev test lint test-sqlite test-postgresql test-floors bench clean

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
	$(BIN)/lint-imports

test-sqlite: install
	SUANLI_TEST_DB=sqlite $(BIN)/python -m pytest -q

test-postgresql: install
	SUANLI_TEST_DB=postgresql SUANLI_TEST_PG_URL='$(PG_URL)' $(BIN)/python -m pytest -q

# Runs everything this machine can, the SQLite and PostgreSQL suites side by side; says what it
# skipped and how to enable it. `make test-sqlite` / `make test-postgresql` run one suite alone.
test: lint
	$(BIN)/python scripts/run_suites.py '$(PG_URL)'
	@[ -x /usr/bin/chromium ] || echo "SKIPPED: browser tests (no Chromium). Enable: sudo apt-get install chromium"

# The declared minimum versions: uv's lowest-direct resolution of pyproject.toml (and the
# agent's) into $(FLOORS), checked to be exactly the floors, then the non-browser tests of
# FLOORS_TESTS on SQLite. Kept small so that CI stays short.
FLOORS ?= .venv-floors
# One file or folder per library that matters: SQLAlchemy and Alembic, FastAPI and pydantic,
# argon2 and itsdangerous, typer, HiGHS, matplotlib, Jinja, the offline Swagger UI, the agent's
# NVML, httpx and cryptography.
FLOORS_TESTS ?= tests/kit tests/auth tests/catalog/test_api.py tests/cli/test_cli.py \
	tests/test_migrations.py tests/market/clearing tests/ledger/test_service.py \
	tests/simulate/test_engine.py tests/web/test_docs.py tests/dashboards/test_panels.py \
	tests/agent/test_collect.py tests/agent/test_nvml.py tests/agent/test_signing.py
test-floors:
	[ -x $(FLOORS)/bin/uv ] || { $(PYTHON) -m venv $(FLOORS) && $(FLOORS)/bin/python -m pip install --quiet uv; }
	$(FLOORS)/bin/uv pip install --quiet --python $(FLOORS)/bin/python --resolution lowest-direct \
		-e '.[dev]' -e ./agent
	$(FLOORS)/bin/python scripts/check_floors.py pyproject.toml agent/pyproject.toml
	SUANLI_TEST_DB=sqlite $(FLOORS)/bin/python -m pytest -q -p no:randomly -m "not browser and not slow" \
		$(FLOORS_TESTS)

bench: install
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/clearing.py --quick
	$(BIN)/python bench/simulate.py

clean:
	rm -rf $(VENV) .venv-floors suanli.db suanli.db-wal suanli.db-shm var .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .grimp_cache
