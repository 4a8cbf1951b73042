# Undersigned: `make run` starts the app, `make test` runs every test. Both install what
# they need first. Python comes from the machine (>= 3.11); uv is installed if missing.

SHELL := /bin/bash
.DEFAULT_GOAL := help

UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never
RUN := $(UV) run --frozen
# Debian packages the tests need: a browser for the end-to-end tests, poppler to read PDFs back.
TEST_APT := chromium fonts-noto-cjk poppler-utils

.PHONY: help install run test lint format typecheck system-deps clean

help:
	@echo "make run    start the app at http://127.0.0.1:8000 (SQLite, worker, dev mailbox)"
	@echo "make test   run lint, type checks and the whole test suite"
	@echo "make lint   ruff and mypy only"

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	@touch $@

install: .venv/.synced

run: install
	$(RUN) undersigned migrate
	$(RUN) undersigned serve --with-worker

system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_APT) >/dev/null; \
	fi

lint: install
	$(RUN) ruff check app tests migrations
	$(RUN) ruff format --check app tests migrations
	$(RUN) mypy

format: install
	$(RUN) ruff format app tests migrations
	$(RUN) ruff check --fix app tests migrations

test: install system-deps lint
	$(RUN) pytest -n 2 $(PYTEST_ARGS)

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache
