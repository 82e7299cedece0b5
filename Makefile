# tote-track developer commands. Everything runs inside .venv, created on first use
# with the pinned versions of requirements.lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck pytest demo sandbox screenshots fonts bench soak clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench screenshots
	$(BIN)/ruff format --check src tests bench screenshots

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -n auto --cov=tote_track --cov-report=term $(PYTEST_ARGS)

demo: $(STAMP)
	$(BIN)/tote-track demo

sandbox: $(STAMP)
	$(BIN)/tote-track sandbox --orders 40

# PNGs are drawn with DejaVu Sans Mono (every glyph the tracker uses) by cairo.
fonts:
	@fc-list 2>/dev/null | grep -q "DejaVu Sans Mono" && ldconfig -p | grep -q libcairo.so.2 || \
	  (apt-get update -qq && apt-get install -y -qq fonts-dejavu-core libcairo2 fontconfig >/dev/null) || \
	  { echo "Install the DejaVu Sans Mono font and libcairo2, then run make screenshots again."; exit 1; }

screenshots: $(STAMP) fonts
	$(BIN)/python screenshots/generate.py

# Not part of make test: a few minutes of measurements, summed up in bench/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python bench/run_all.py

# Every sandbox scenario x both trackers under faults (a table; non-zero on any failure),
# then the long run: 6 simulated hours of tracker and board polling on a fake clock
# (about 5 min; TOTE_LONG_RUN_HOURS=24 make soak for a whole day, about 20 min).
soak: $(STAMP)
	$(BIN)/python -m tests.soak.soak --full
	TOTE_LONG_RUN_HOURS=$${TOTE_LONG_RUN_HOURS:-6} $(BIN)/pytest -p no:cacheprovider -s tests/soak/test_long_run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
