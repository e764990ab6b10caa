# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint install install-test chaos

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[demo]'

install-test: $(BIN)/python
	./scripts/install-test-servers
	$(BIN)/pip install --quiet -e '.[test]'

## Run the whole flow on embedded defaults: local IMAP server, embedded Redis, SQLite.
demo: install
	$(BIN)/plaint demo

lint:
	$(BIN)/ruff format --check plaint tests bench
	$(BIN)/ruff check plaint tests bench
	$(BIN)/mypy

## Install the test servers and Python tools, then lint, type-check and run every test.
test: install-test lint
	$(BIN)/pytest

## The chaos suite alone (kill -9, Redis and PostgreSQL outages, failing peers, poison,
## fuzzing; a few minutes): `tests/chaos/`.
chaos: install-test
	$(BIN)/pytest -s tests/chaos
