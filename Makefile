# Everything a clean checkout needs, in order: venv -> Meltano plugins -> demo / tests.
# `make demo` runs the main job on an embedded PostgreSQL and the bundled Oura simulator;
# `make test` runs the whole test suite (it starts its own PostgreSQL when none is configured).

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	@touch $@

.meltano/.installed: $(VENV)/.installed meltano.yml
	@mkdir -p .meltano
	MELTANO_DATABASE_URI=sqlite:///$(CURDIR)/.meltano/install.db $(BIN)/meltano install
	@touch $@

install: $(VENV)/.installed .meltano/.installed

demo: install
	$(BIN)/oura-collector demo

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .meltano transform/target transform/logs .pytest_cache
