# Cadrebook: `make run` and `make test` are all a new user needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck importlint pytest browser-test install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Plain HTTP on the loopback address: secure-only cookies would never be sent back.
run: export CADREBOOK_SECURE_COOKIES ?= false
run: $(STAMP)
	$(BIN)/cadrebook serve

# For developers: Django's auto-reloading development server instead of gunicorn.
dev: export CADREBOOK_SECURE_COOKIES ?= false
dev: $(STAMP)
	$(BIN)/cadrebook serve --dev

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy cadrebook/core $$(find cadrebook -name services.py -o -name selectors.py -o -type d -name services | sort)

# The layers and the acyclic packages of [tool.importlinter] in pyproject.toml.
importlint: $(STAMP)
	$(BIN)/lint-imports --no-cache

# The tests run in as many processes as the machine has cores (pytest-xdist), each with a
# test database of its own; `make pytest PYTEST_WORKERS=0` runs them in this one.
PYTEST_WORKERS ?= auto
pytest: $(STAMP)
	$(BIN)/python -m pytest -m "not browser" -n $(PYTEST_WORKERS)

browser-test: $(STAMP)
	$(BIN)/python -m pytest -m browser

test: lint typecheck importlint pytest

clean:
	rm -rf $(VENV) var
