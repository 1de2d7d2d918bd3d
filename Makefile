# The two commands a newcomer needs: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ADDR ?= 127.0.0.1:8000

.PHONY: run test bench lint install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Embedded default: SQLite under var/, filesystem broker under var/broker/, console email.
run: $(VENV)/.installed
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py load_demo
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py run_all --addr $(ADDR)

# Uses DATABASE_URL / CELERY_BROKER_URL when set (CI: PostgreSQL and Redis), SQLite otherwise.
test: $(VENV)/.installed-dev
	SECRET_KEY=$${SECRET_KEY:-insecure-key-for-tests-only} $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-dev
	SECRET_KEY=$${SECRET_KEY:-insecure-key-for-benchmarks-only} bash bench/run_all.sh

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	SECRET_KEY=$${SECRET_KEY:-insecure-key-for-lint-only} $(BIN)/mypy

clean:
	rm -rf $(VENV) var staticfiles
