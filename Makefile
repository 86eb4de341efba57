# sec_assets — the verbs a newcomer needs. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export SEC_DATA_DIR ?= $(CURDIR)/data
# Ports: make ui PORT=3001, make sim SIM_PORT=8766.
PORT ?= 3000
SIM_PORT ?= 8765
# Settings of your own (SEC_BASE_URL, …) in .env, git-ignored: `make ui` loads it (see .env.example).
LOAD_ENV := set -a; if [ -f .env ]; then echo "loading .env"; . ./.env; fi; set +a

.DEFAULT_GOAL := help
.PHONY: help install lock demo test test-deployment ui bench bench-full bench-backfill lint check sim clean reset-breaker

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

# Installs are reproducible: exact versions with their hashes from requirements.lock (make lock).
$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH (or make PYTHON=python3)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	@$(BIN)/python -m pip check -q >/dev/null || $(BIN)/python -m pip check
	@$(BIN)/python -m sec_tools.lockfile check
	@touch $(STAMP)

# The checkout byte-compiled, as installing a wheel does: where PYTHONDONTWRITEBYTECODE is set,
# every process that loads the code location (a run, the code server, a sensor) compiled it again.
install: $(STAMP) ## Create .venv and install sec_assets with its dev tools
	@mkdir -p $(DAGSTER_HOME)
	@if [ -n "$$DAGSTER_PG_URL" ]; then cp config/dagster_postgres.yaml $(DAGSTER_HOME)/dagster.yaml; \
	else cp config/dagster.yaml $(DAGSTER_HOME)/dagster.yaml; fi
	@$(BIN)/python -m compileall -q sec_assets sec_sim sec_tools >/dev/null

lock: $(STAMP) ## Re-resolve requirements.lock after editing pyproject.toml (UPGRADE=1: newest releases)
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
	  --no-header -o requirements.lock $(if $(UPGRADE),--upgrade)
	$(BIN)/python -m sec_tools.lockfile stamp
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r requirements.lock
	@touch $(STAMP)

demo: install ## Run the main job end to end against the local SEC simulator
	$(BIN)/python -m sec_tools.demo

test: install ## Run the test suite (unit + integration on real HTTP, DuckDB, Postgres, the UI)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m "not deployment" --durations=20

test-deployment: install ## Deployment tests: the daemon's backfills, Celery workers, S3 faults, the wheel
	$(BIN)/python -m pytest -q -n 2 --dist load -m deployment --durations=20

ui: install ## Dagster UI and daemon on http://127.0.0.1:3000 (PORT=…; loads .env if present)
	@$(LOAD_ENV); \
	echo "Dagster UI: http://127.0.0.1:$(PORT)  (instance: $(DAGSTER_HOME); Ctrl-C stops it)"; \
	exec $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p $(PORT)

bench: install ## Quick bench (3 months): bronze speed, bronze → silver → gold, accuracy; writes bench_out/
	$(BIN)/python -m sec_tools.bench

bench-full: install ## Full bench: 12 months on DuckDB and Postgres, then 2017 → today on DuckDB
	$(BIN)/python -m sec_tools.bench --full

bench-backfill: install ## 2017 → today backfilled through dagster dev's daemon beside the functions (MONTHS=24: the last 24; PLAN=dims-first)
	$(BIN)/python -m sec_tools.bench.backfill --months $(or $(MONTHS),0) --plan $(or $(PLAN),one)

lint: install ## ruff (lint + format check) and mypy
	$(BIN)/ruff check sec_assets sec_sim sec_tools sec_assets_tests
	$(BIN)/ruff format --check sec_assets sec_sim sec_tools sec_assets_tests
	$(BIN)/mypy

check: install ## Materialize a month bronze → gold from the simulator and run every asset check
	$(BIN)/dagster definitions validate -w workspace.yaml
	$(BIN)/python -m sec_tools.checkrun 2>checkrun.log || { tail -50 checkrun.log; exit 1; }
	$(BIN)/python -m sec_tools.checkrun --faults 2>checkrun.log || { tail -50 checkrun.log; exit 1; }
	$(BIN)/python -m sec_tools.checkrun --hostile 2>checkrun.log || { tail -50 checkrun.log; exit 1; }

sim: install ## SEC simulator: SEC_BASE_URL=http://127.0.0.1:8765/INTONLINEv1/ClientesAfectados (SIM_PORT=…)
	@echo "SEC simulator: SEC_BASE_URL=http://127.0.0.1:$(SIM_PORT)/INTONLINEv1/ClientesAfectados"
	$(BIN)/sec-sim serve --port $(SIM_PORT)

reset-breaker: install ## Close the SEC circuit breaker by hand (after fixing SEC_BASE_URL, a proxy…)
	$(BIN)/python -m sec_assets reset-breaker

clean: ## Remove the venv, the instance and the data folder
	rm -rf $(VENV) .dagster_home data bench_out
