# newsmon — every target sets up .venv itself, so a clean clone needs only `make test` or `make run`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup test test-fast run demo bench lint clean airflow

setup: $(STAMP)

# Rebuilt when pyproject.toml or the pins change. torch's CPU wheel goes in first: a bare torch
# requirement would otherwise resolve to a multi-GB CUDA build.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,airflow]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check newsmon crawlers models warehouse dags tests benchmarks
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

run: $(STAMP)
	$(BIN)/newsmon run

demo: $(STAMP)
	$(BIN)/newsmon demo

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check newsmon crawlers models warehouse dags tests benchmarks
	$(BIN)/ruff format --check newsmon crawlers models warehouse dags tests benchmarks || true

clean:
	rm -rf $(VENV) data/demo .pytest_cache
