# Two commands: `make run` (the whole gateway on http://127.0.0.1:8000) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint audit install init clean

# The newest pip and setuptools: the ones a new venv is seeded with carry known
# vulnerabilities (tools/dependency_audit.py could not vouch for them).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

init: $(STAMP)
	$(BIN)/gateway init
	$(BIN)/gateway db upgrade

# The web server, the forwarder and the mail sender in one foreground process
# (`gateway serve`); Ctrl-C stops them all. `make run PORT=8001` moves the server.
PORT ?= 8000

run: init
	$(BIN)/gateway serve --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy gateway

test: lint
	$(BIN)/pytest

# Known vulnerabilities of every installed distribution (PyPI's JSON API); also
# run by `make test` through tests/test_security_dependencies.py.
audit: $(STAMP)
	$(BIN)/python tools/dependency_audit.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
