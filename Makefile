# Students Tracker: `make run` serves the app with demo data, `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Debian's CPython 3.11 where it can make a venv: it is built with PGO and LTO, and the app
# served a fifth to a third more requests on it than on a default source build (pyenv's) of
# the same machine (README, "Production").
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell /usr/bin/python3.11 -c 'import ensurepip, venv' 2>/dev/null && echo /usr/bin/python3.11 || echo python3)
endif
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WORKERS ?= 2
THREADS ?= 4
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
PYTEST_WORKERS ?= 2
# Whole files, in the order tests/conftest.py gives (longest first; transactional tests
# last): a module-scoped fixture is built once, and the workers finish together.
PYTEST_XDIST = -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STATIC_SOURCES := $(shell find static -type f 2>/dev/null)

.PHONY: help run serve test lint format migrate seed lock clean browser-deps lighthouse

help:
	@echo "make run    set up and serve the app with demo data on http://127.0.0.1:$(PORT)"
	@echo "make test   set up and run every check (lint, SQLite, PostgreSQL, browser)"
	@echo "make lock   re-pin dependencies from pyproject.toml (with hashes)"
	@echo "make lighthouse  mobile Lighthouse on the calendar (performance >= 90, a11y 100, < 250 kB)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required")'
	$(PYTHON) -m venv $(VENV)

# Stamps make a second `make run` skip the install when the lock files have not changed.
$(VENV)/.runtime: requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	@touch $@

$(VENV)/.dev: requirements-dev.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.lock
	@touch $@ $(VENV)/.runtime

var/static/staticfiles.json: $(STATIC_SOURCES) | $(VENV)/.runtime
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

migrate: $(VENV)/.runtime
	@$(BIN)/python scripts/ensure_database.py
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo --if-empty

run: seed var/static/staticfiles.json serve

serve:
	@echo "Serving Students Tracker on http://127.0.0.1:$(PORT)  (Ctrl+C to stop)"
	@# One metrics file per worker process, added up by /metrics; emptied at each start.
	@rm -rf var/prometheus && mkdir -p var/prometheus
	PROMETHEUS_MULTIPROC_DIR=var/prometheus $(BIN)/granian --interface wsgi --host 127.0.0.1 --port $(PORT) \
		--workers $(WORKERS) --blocking-threads $(THREADS) --log-level warning \
		config.wsgi:application

browser-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "Installing Debian's Chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; \
	fi

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: $(VENV)/.dev browser-deps lint
	TESTING=1 $(BIN)/python manage.py makemigrations --check --dry-run --verbosity 0
	@echo "== pytest on SQLite (unit, integration, browser) with coverage =="
	env -u DATABASE_URL TESTING=1 $(BIN)/pytest $(PYTEST_XDIST) --create-db \
		--cov --cov-report=term --cov-report=html:var/test-artifacts/coverage
	@echo "== pytest on PostgreSQL (the tests that use the database, without the browser) =="
	@if $(BIN)/python scripts/db_reachable.py "$(TEST_POSTGRES_URL)"; then \
		TESTING=1 DATABASE_URL="$(TEST_POSTGRES_URL)" $(BIN)/pytest $(PYTEST_XDIST) --create-db \
			-m "not browser and not db_independent"; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(TEST_POSTGRES_URL) is unreachable and CI=true: failing."; exit 1; \
	else \
		echo ""; echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
		echo "!!  PostgreSQL at $(TEST_POSTGRES_URL) is unreachable: PostgreSQL pass SKIPPED"; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; echo ""; \
	fi

lock: $(VENV)/.dev
	$(BIN)/pip-compile -q --generate-hashes --no-emit-index-url --no-emit-trusted-host \
		--no-emit-find-links --strip-extras --allow-unsafe -o requirements.lock pyproject.toml
	$(BIN)/pip-compile -q --generate-hashes --no-emit-index-url --no-emit-trusted-host \
		--no-emit-find-links --strip-extras --allow-unsafe --extra dev -o requirements-dev.lock pyproject.toml

# Not part of `make test`: a performance score depends on how busy the machine is, and the
# tool is a large npm download. Run it when the front end changes.
lighthouse: $(VENV)/.dev browser-deps
	bash scripts/lighthouse.sh

# The load benchmark (README: "Load benchmark"). Not part of `make test`: it needs
# `seed_load` data on PostgreSQL in $DATABASE_URL (a copy: the mix logs sessions) and takes
# the whole machine for a few minutes. Options in BENCH_ARGS, e.g. "--configs 2x4,2x8".
.PHONY: bench bench-deps
bench-deps:
	@if ! command -v wrk >/dev/null; then \
		echo "Installing Debian's wrk for the load benchmark"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk >/dev/null; \
	fi

bench: $(VENV)/.runtime bench-deps
	$(BIN)/python -m bench.load $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var/static var/test-artifacts
