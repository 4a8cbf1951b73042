# Undersigned: `make run` starts the app, `make test` runs every test. Both install what
# they need first. Python comes from the machine (>= 3.11); uv is installed if missing.

SHELL := /bin/bash
.DEFAULT_GOAL := help

UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never
RUN := $(UV) run --frozen
# Debian packages: ICU headers to build PyICU (collation), the fonts PDFs embed (Latin,
# Hangul and other CJK, Arabic); for the tests, a browser and poppler to read PDFs back.
BUILD_APT := libicu-dev pkg-config g++ fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji
TEST_APT := chromium poppler-utils postgresql-client

.PHONY: help install run test lint format typecheck system-deps clean bench reset

help:
	@echo "make run    start the app at http://127.0.0.1:8000 (SQLite, worker, dev mailbox)"
	@echo "make test   run lint, type checks and the whole test suite"
	@echo "make lint   ruff and mypy only"
	@echo "make bench  load and scaling benchmarks (needs PostgreSQL on 127.0.0.1:5432)"
	@echo "make reset  delete the local instance's data ($(DATA_DIR)/), after asking"
	@echo "./undersigned COMMAND   the command line (migrate, create-admin, demo, export, backup…)"

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

.venv/.synced: pyproject.toml uv.lock | $(UV) .tools/.apt-build
	$(UV) sync --frozen --quiet
	@touch $@

# Installs missing Debian packages (as root, or through sudo).
APT_INSTALL = SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	$$SUDO apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends

.tools/.apt-build:
	@missing=$$(for p in $(BUILD_APT); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "Installing Debian packages:" $$missing; \
	  $(APT_INSTALL) $$missing >/dev/null; fi
	@mkdir -p .tools && touch $@

install: .venv/.synced

run: install
	$(RUN) undersigned migrate
	$(RUN) undersigned serve --with-worker

system-deps:
	@missing=$$(for p in $(TEST_APT); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "Installing Debian packages:" $$missing; \
	  $(APT_INSTALL) $$missing >/dev/null; fi

lint: install
	$(RUN) ruff check app tests migrations
	$(RUN) ruff format --check app tests migrations
	$(RUN) mypy

format: install
	$(RUN) ruff format app tests migrations
	$(RUN) ruff check --fix app tests migrations

# axe-core (pinned in package.json) is injected into every page by the browser tests.
test: install system-deps lint
	@[ -d node_modules/axe-core ] || npm ci --no-audit --no-fund --silent
	$(RUN) pytest -n 2 $(PYTEST_ARGS)

# Load (wrk against uvicorn, 2 workers), exports, outbox and page weight, on PostgreSQL
# (BENCH_PG) and SQLite; writes bench/results/latest.json and docs/benchmarks.md.
bench: install
	@command -v wrk >/dev/null || { echo "Installing Debian packages: wrk"; \
	  $(APT_INSTALL) wrk >/dev/null; }
	$(RUN) python -m bench.run

# The local instance keeps everything in DATA_DIR (default ./data): the SQLite database,
# the development secret key and the development PDF-signing certificate. A PostgreSQL
# DATABASE_URL is not touched: drop that database yourself.
DATA_DIR ?= data
reset:
	@if [ ! -e "$(DATA_DIR)" ]; then echo "Nothing to reset: $(DATA_DIR)/ does not exist."; exit 0; fi; \
	echo "This deletes $(DATA_DIR)/: every statement, signature, account and email of the local instance."; \
	read -r -p "Type yes to delete it: " answer; \
	if [ "$$answer" = yes ]; then rm -rf -- "$(DATA_DIR)" && echo "Deleted. 'make run' starts afresh with a new set-up code."; \
	else echo "Nothing deleted."; fi

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache
