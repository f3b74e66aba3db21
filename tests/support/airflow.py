"""Airflow for the tests: its environment, CLI and a migrated metadata DB, and newsmon's settings
for a DAG run (the same as NEWSMON_* variables); shared by the DAG and scheduler tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from newsmon.config import Settings
from newsmon.demo import demo_sources
from tests.conftest import fast_crawl
from tests.support.models import install_model

DAGS = Path(__file__).parents[2] / "dags"
POOLS = DAGS / "pools.json"


def airflow_env(home: Path, **extra: str) -> dict:
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        **extra,
    }


def run_python(code: str, env: dict, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=timeout)


def airflow_cli(home: Path, *args: str, timeout: int = 300, **extra: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "airflow", *args], env=airflow_env(home, **extra),
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"airflow {' '.join(args)}: {result.stdout[-2000:]}{result.stderr[-2000:]}"
    return result


def migrated_airflow_home(home: Path, **extra: str) -> Path:
    """A fresh metadata DB (SQLite in home, or the AIRFLOW__DATABASE__SQL_ALCHEMY_CONN in extra) with
    the pools the DAGs use, as `make airflow` sets them up."""
    airflow_cli(home, "db", "migrate", **extra)
    airflow_cli(home, "pools", "import", str(POOLS), **extra)
    return home


def newsmon_settings(root: Path, trained_model_dir: Path, sources: list[dict]) -> Settings:
    """A data dir holding the session's model (linked), and a sources.yaml; loopback crawl settings."""
    data_dir = root / "data"
    install_model(trained_model_dir, data_dir / "models", link=True)
    sources_file = root / "sources.yaml"
    sources_file.write_text(yaml.safe_dump({"sources": sources}))
    return Settings(data_dir=data_dir, sources_file=sources_file, crawl=fast_crawl())


def newsmon_env(settings: Settings) -> dict[str, str]:
    """The same settings as NEWSMON_* variables, for Airflow's task processes."""
    env = {"NEWSMON_DATA_DIR": str(settings.data_dir), "NEWSMON_SOURCES_FILE": str(settings.sources_file)}
    for name in sorted(settings.crawl.model_fields_set):
        value = getattr(settings.crawl, name)
        env[f"NEWSMON_CRAWL__{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


def sample_sources(base_url: str) -> list[dict]:
    """The demo's two sources (the sample site's RSS and Atom feeds) as sources.yaml entries."""
    return [{"name": s.name, "homepage": s.homepage, "feeds": list(s.feeds), "allowed_domains": list(s.allowed_domains),
             "allow_private_hosts": s.allow_private_hosts, "crawl_delay": s.crawl_delay}
            for s in demo_sources(base_url)]
