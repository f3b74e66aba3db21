# newsmon — every target sets up .venv itself, so a clean clone needs only `make test` or `make run`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup install test test-fast run demo bench lint clean airflow system-packages

# The install, spelled the same in the Dockerfile (tests/unit/test_install.py checks that they agree).
TORCH := torch==2.13.0
TORCH_INDEX := https://download.pytorch.org/whl/cpu
EXTRAS := dev,airflow
CONSTRAINTS := constraints.txt

setup: $(STAMP)
install: $(STAMP)

# Rebuilt when pyproject.toml or the pins change. torch goes in first, alone, as its CPU build:
# from a local wheel where pip is configured with one (find-links; nothing leaves the machine),
# else from PyTorch's CPU index, since PyPI's x86-64 torch is a multi-GB CUDA build. The project
# install then finds torch satisfied and adds its dependencies from the ordinary index.
$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-deps --no-index $(TORCH) 2>/dev/null \
		|| { echo "no local $(TORCH) wheel: taking its CPU build from $(TORCH_INDEX)"; \
		     $(BIN)/python -m pip install --quiet --no-deps --index-url $(TORCH_INDEX) $(TORCH); }
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[$(EXTRAS)]'
	touch $(STAMP)

# Debian packages the slow tests use: PostgreSQL's server (the DuckLake catalog), Chromium
# (rendering the digest) and Redis (the Celery broker of the scale-out test). Installed only where
# missing and only when we may (root with apt-get); otherwise those tests skip and say why.
SYSTEM_PACKAGES := $(if $(wildcard /usr/lib/postgresql/*/bin/initdb),,postgresql) \
	$(if $(wildcard /usr/bin/chromium),,chromium) $(if $(wildcard /usr/bin/redis-server),,redis-server)
system-packages:
	@if [ -n "$(strip $(SYSTEM_PACKAGES))" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $(strip $(SYSTEM_PACKAGES)) from Debian"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			$(SYSTEM_PACKAGES) > /dev/null || echo "could not install $(SYSTEM_PACKAGES): their tests will skip"; \
	fi

test: $(STAMP) system-packages
	$(BIN)/ruff check newsmon crawlers models warehouse dags tests benchmarks
	$(BIN)/python -m pytest -q

# no model, no Airflow, no servers: the unit tests, with torch, transformers and airflow refused at
# import (tests/support/no_heavy_imports.py), so a test that would load one fails instead of waiting
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -p tests.support.no_heavy_imports -m "not slow and not model and not airflow" tests/unit

run: $(STAMP)
	$(BIN)/newsmon run

demo: $(STAMP)
	$(BIN)/newsmon demo

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# ruff check only: the code is not in ruff format's style (hand-wrapped lines up to 120), and a
# format check that never fails (`|| true`, as it was) said nothing; reformatting every file is a
# separate change to make when nobody else has edits open.
lint: $(STAMP)
	$(BIN)/ruff check newsmon crawlers models warehouse dags tests benchmarks

# Local Airflow: metadata in PostgreSQL (a private server under data/airflow/postgres on 127.0.0.1:
# AIRFLOW_PG_PORT, run as the postgres user when make runs as root; started here, stopped when
# Airflow stops), logs under data/airflow/logs, the DAGs from dags/, no examples, LocalExecutor.
# The DAGs' pools come from dags/pools.json (a task in a missing pool is never scheduled);
# `make airflow CRAWL_SLOTS=8` allows more crawls at once than the file's 4.
# PostgreSQL runs in its own session, so Ctrl-C stops Airflow first and then the server, cleanly.
PG_BIN ?= $(lastword $(sort $(wildcard /usr/lib/postgresql/*/bin)))
AIRFLOW_PG := $(CURDIR)/data/airflow/postgres
AIRFLOW_PG_PORT ?= 54329
AS_PG := $(if $(filter 0,$(shell id -u)),runuser -u postgres --,)
PG_USER := $(if $(AS_PG),postgres,$(shell id -un))
PG_CTL := $(AS_PG) $(PG_BIN)/pg_ctl -D $(AIRFLOW_PG)/data -l $(AIRFLOW_PG)/server.log
AIRFLOW_ENV := AIRFLOW_HOME=$(CURDIR)/data/airflow AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/dags \
	AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__API__PORT=8080 AIRFLOW__CORE__EXECUTOR=LocalExecutor \
	AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg2://$(PG_USER)@127.0.0.1:$(AIRFLOW_PG_PORT)/airflow
airflow: $(STAMP)
	@test -x "$(PG_BIN)/initdb" || { echo "no PostgreSQL server binaries: run \`make system-packages\` as root"; exit 1; }
	mkdir -p $(AIRFLOW_PG)
	test -f $(AIRFLOW_PG)/data/PG_VERSION || { $(if $(AS_PG),chown postgres $(AIRFLOW_PG) &&) \
		$(AS_PG) $(PG_BIN)/initdb -D $(AIRFLOW_PG)/data -A trust -U $(PG_USER) > $(AIRFLOW_PG)/initdb.log; }
	$(PG_CTL) status > /dev/null || setsid -w $(PG_CTL) -w \
		-o "-p $(AIRFLOW_PG_PORT) -k $(AIRFLOW_PG) -c listen_addresses=127.0.0.1" start
	$(AS_PG) $(PG_BIN)/psql -h 127.0.0.1 -p $(AIRFLOW_PG_PORT) -U $(PG_USER) -d postgres -tAc \
		"select 1 from pg_database where datname = 'airflow'" | grep -q 1 || \
		$(AS_PG) $(PG_BIN)/createdb -h 127.0.0.1 -p $(AIRFLOW_PG_PORT) -U $(PG_USER) airflow
	$(AIRFLOW_ENV) $(BIN)/airflow db migrate > data/airflow/migrate.log
	$(AIRFLOW_ENV) $(BIN)/airflow pools import dags/pools.json
	$(if $(CRAWL_SLOTS),$(AIRFLOW_ENV) $(BIN)/airflow pools set newsmon_crawl $(CRAWL_SLOTS) \
		"newsmon: source crawls at once (each a Scrapy subprocess)")
	@echo "Airflow UI: http://localhost:8080  (login: admin; the password is printed below and kept in"
	@echo "data/airflow/simple_auth_manager_passwords.json.generated)"
	trap '$(PG_CTL) -m fast stop > /dev/null' EXIT; trap 'exit 130' INT TERM; \
		$(AIRFLOW_ENV) PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/airflow standalone

clean:
	rm -rf $(VENV) data/demo .pytest_cache
