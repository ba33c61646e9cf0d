# The README's quick start: `make demo` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV := .venv
INSTALLED := $(VENV)/.installed
PG_TEST_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test

.PHONY: install demo serve test test-postgres lint format

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet --editable '.[dev]'
	touch $@

install: $(INSTALLED)

demo: $(INSTALLED)  ## demo data on SQLite, then the server with GraphiQL
	$(VENV)/bin/crm demo
	$(VENV)/bin/crm serve

test: $(INSTALLED)  ## the whole suite on the embedded SQLite
	$(VENV)/bin/pytest

test-postgres: $(INSTALLED)  ## the whole suite on a fresh database of the local PostgreSQL
	CRM_TEST_DATABASE_URL=$(PG_TEST_URL) $(VENV)/bin/pytest

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(INSTALLED)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
