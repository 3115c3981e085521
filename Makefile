# Algoritmewijzer: set up, run and test. Needs Python 3.11 and the package registries.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= data
SOURCE ?= live
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: setup run ingest serve test browser-deps server-deps bench

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first (from local disk where available); the rest must not replace it.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/.installed

ingest: setup
	$(BIN)/algoritmewijzer ingest $(SOURCE) --data-dir $(DATA_DIR)

run: ingest
	$(BIN)/algoritmewijzer serve --data-dir $(DATA_DIR) --host $(HOST) --port $(PORT)

# Debian's Chromium and axe-core for the browser tests; skipped (and the tests say why) without root.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || echo "chromium not installed: browser tests will be skipped"
	@[ -f tests/web/node_modules/axe-core/axe.min.js ] || (cd tests/web && npm install --silent --no-audit --no-fund) || echo "axe-core not installed: accessibility checks will be skipped"

# Debian's redis-server for the replica tests (Chroma's server comes with chromadb in the venv);
# skipped (and the tests say why) without root.
server-deps:
	@command -v redis-server >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; } || echo "redis-server not installed: replica tests will be skipped"

test: setup browser-deps server-deps
	$(BIN)/lint-imports
	$(BIN)/pytest

bench: setup
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/guardrails.py
	$(BIN)/python bench/load.py
