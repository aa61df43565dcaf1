# Two commands for a newcomer: `make run` (service on SQLite with demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format browser

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/maxwork-leads db upgrade
	$(BIN)/maxwork-leads demo --base-url http://$(HOST):$(PORT)
	$(BIN)/maxwork-leads serve --host $(HOST) --port $(PORT)

# Two workers: about 40% less wall time on two cores (each worker has its own databases).
TEST_WORKERS ?= 2
test: install lint
	$(BIN)/pytest -n $(TEST_WORKERS)

# Debian's Chromium, for the console's browser tests (they skip without it).
browser:
	bash scripts/install-chromium.sh

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

format: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

# Benchmarks (bench/README.md): the real server under wrk, on SQLite and PostgreSQL.
.PHONY: bench-quick bench bench-compare

bench-quick: install
	$(BIN)/python -m bench.run --quick

bench: install
	$(BIN)/python -m bench.run

# The working tree against BASE (default HEAD), side by side: bench/README.md.
BASE ?= HEAD
bench-compare: install
	$(BIN)/python -m bench.compare --base $(BASE)
