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


class Processes:
    """Long-running processes (Airflow components, Celery workers), each in its own process group
    with its own environment, working directory and log; stop() ends every process they started
    (task runners and crawl subprocesses included), whatever happened."""

    def __init__(self) -> None:
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}

    def start(self, name: str, argv: list[str], *, env: dict, log: Path, cwd: Path | None = None) -> None:
        self.logs[name] = log
        with log.open("wb") as out:
            self.procs[name] = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, start_new_session=True)

    def dead(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is not None]

    def tails(self, chars: int = 1500) -> str:
        return "\n".join(f"--- {name} ({path})\n{path.read_text(errors='replace')[-chars:] if path.exists() else ''}"
                         for name, path in self.logs.items())

    def stop(self) -> None:
        import signal
        from contextlib import suppress

        import psutil

        family: list[psutil.Process] = []
        for proc in self.procs.values():
            with suppress(psutil.NoSuchProcess):
                leader = psutil.Process(proc.pid)
                family += [leader, *leader.children(recursive=True)]
        for proc in self.procs.values():
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        _, alive = psutil.wait_procs(family, timeout=30)
        for survivor in alive:  # outlived SIGTERM, or had left the group
            with suppress(psutil.NoSuchProcess):
                survivor.kill()
        for proc in self.procs.values():
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # anything started after the list was taken
            proc.wait(10)
        _, alive = psutil.wait_procs(alive, timeout=10)
        left = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert not left, f"processes left running: {left}"
