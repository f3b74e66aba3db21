# newsmon — every target sets up .venv itself, so a clean clone needs only `make test` or `make run`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup test test-fast run demo bench lint clean airflow system-packages

setup: $(STAMP)

# Rebuilt when pyproject.toml or the pins change. torch's CPU wheel goes in first: a bare torch
# requirement would otherwise resolve to a multi-GB CUDA build.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,airflow]'
	touch $(STAMP)

# Debian packages the slow tests use: PostgreSQL's server (the DuckLake catalog) and Chromium
# (rendering the digest). Installed only where missing and only when we may (root with apt-get);
# otherwise those tests skip and say why.
SYSTEM_PACKAGES := $(if $(wildcard /usr/lib/postgresql/*/bin/initdb),,postgresql) \
	$(if $(wildcard /usr/bin/chromium),,chromium)
system-packages:
	@if [ -n "$(strip $(SYSTEM_PACKAGES))" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $(strip $(SYSTEM_PACKAGES)) from Debian"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			$(SYSTEM_PACKAGES) > /dev/null || echo "could not install $(SYSTEM_PACKAGES): their tests will skip"; \
	fi

test: $(STAMP) system-packages
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

# Local Airflow: SQLite metadata and logs under data/airflow, the DAGs from dags/, no examples.
# The DAGs' pools come from dags/pools.json (a task in a missing pool is never scheduled);
# `make airflow CRAWL_SLOTS=8` allows more crawls at once than the file's 4.
AIRFLOW_ENV := AIRFLOW_HOME=$(CURDIR)/data/airflow AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/dags \
	AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__API__PORT=8080
airflow: $(STAMP)
	mkdir -p data/airflow
	$(AIRFLOW_ENV) $(BIN)/airflow db migrate > data/airflow/migrate.log
	$(AIRFLOW_ENV) $(BIN)/airflow pools import dags/pools.json
	$(if $(CRAWL_SLOTS),$(AIRFLOW_ENV) $(BIN)/airflow pools set newsmon_crawl $(CRAWL_SLOTS) \
		"newsmon: source crawls at once (each a Scrapy subprocess)")
	@echo "Airflow UI: http://localhost:8080  (login: admin; the password is printed below and kept in"
	@echo "data/airflow/simple_auth_manager_passwords.json.generated)"
	$(AIRFLOW_ENV) PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/airflow standalone

clean:
	rm -rf $(VENV) data/demo .pytest_cache
