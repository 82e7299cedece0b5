# tote-track developer commands. Everything runs inside .venv, created on first use
# with the pinned versions of requirements.lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck pytest demo sandbox screenshots bench clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest --cov=tote_track --cov-report=term $(PYTEST_ARGS)

demo: $(STAMP)
	$(BIN)/tote-track demo

sandbox: $(STAMP)
	$(BIN)/tote-track sandbox --seed 40

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
