"""kill -9 in the middle of the daily run, then run again: the warehouse ends exactly as an
uninterrupted run leaves it (no duplicates, nothing lost, nothing half-written).

The kills land at fractions of an uninterrupted run's own duration, so they hit whatever stage is
running then (crawl, load, classification, clustering) without any hook in the code; a separate
test kills a load of 50,000 articles, which is long enough to be caught mid-transaction."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from benchmarks.warehouse import write_staging
from tests.support.models import install_model

pytestmark = pytest.mark.slow

RUN_DATE = "2026-11-23"
# business columns only: wall-clock stamps (fetched_at, scored_at, ...) differ between any two runs
CHECKSUMS = {
    "articles": "article_id, url, canonical_url, source, title, text, published_at, published_from, content_hash",
    "classifications": "article_id, model_version, label, round(score, 4), flagged, evidence",
    "article_sectors": "article_id, model_version, sector, round(score, 4)",
    "article_stories": "article_id, story_id, method",
}


def _env(data_dir: Path, sources: Path) -> dict[str, str]:
    return {**os.environ, "NEWSMON_DATA_DIR": str(data_dir), "NEWSMON_SOURCES_FILE": str(sources),
            "NEWSMON_CRAWL__DOWNLOAD_DELAY": "0.1", "NEWSMON_CRAWL__AUTOTHROTTLE": "false",
            "NEWSMON_CRAWL__RETRY_TIMES": "0"}


def _start(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "newsmon", *args], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen, timeout: float = 600) -> None:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-2000:]


def _kill_after(process: subprocess.Popen, seconds: float) -> bool:
    """SIGKILL the whole process group after `seconds`; False if it had already finished."""
    try:
        process.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return True


def _state(warehouse: Path) -> dict:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        state = {table: con.execute(f"select count(*), sum(hash({columns})) from {table}").fetchone()
                 for table, columns in CHECKSUMS.items()}
        state["duplicate_articles"] = con.execute(
            "select count(*) - count(distinct article_id) from articles").fetchone()[0]
        return state
    finally:
        con.close()


def _has_open_file_under(pid: int, directory: Path) -> bool:
    """Whether the process has a file under directory open (Linux /proc)."""
    try:
        targets = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
    except (FileNotFoundError, PermissionError):
        return False
    return any(target.startswith(str(directory)) for target in targets)


@pytest.fixture
def sample_setup(tmp_path: Path, sample_site, trained_model_dir):
    """A sources file for the sample site, and a function making a data dir with the session's model."""
    sources = tmp_path / "sources.yaml"
    base = sample_site.base_url
    sources.write_text(yaml.safe_dump({"sources": [
        {"name": "ledger-rss", "homepage": f"{base}/", "feeds": [f"{base}/feeds/rss.xml"],
         "allowed_domains": ["127.0.0.1"], "allow_private_hosts": True},
        {"name": "ledger-atom", "homepage": f"{base}/", "feeds": [f"{base}/feeds/atom.xml"],
         "allowed_domains": ["127.0.0.1"], "allow_private_hosts": True},
    ]}), encoding="utf-8")

    def data_dir(name: str) -> Path:
        directory = tmp_path / name
        install_model(trained_model_dir, directory / "models")
        return directory

    return sources, data_dir


def test_kill_9_at_any_point_of_the_daily_run_then_rerun_equals_an_uninterrupted_run(sample_setup):
    sources, data_dir = sample_setup
    reference = data_dir("reference")
    started = time.monotonic()
    _finish(_start(_env(reference, sources), "run", "--date", RUN_DATE))
    duration = time.monotonic() - started
    expected = _state(reference / "newsmon.duckdb")
    assert expected["articles"][0] >= 30 and expected["duplicate_articles"] == 0

    killed_at = []
    for fraction in (0.25, 0.55, 0.8):
        directory = data_dir(f"killed-{fraction}")
        env = _env(directory, sources)
        if _kill_after(_start(env, "run", "--date", RUN_DATE), duration * fraction):
            killed_at.append(fraction)
        _finish(_start(env, "run", "--date", RUN_DATE))
        assert _state(directory / "newsmon.duckdb") == expected, f"killed at {fraction:.0%} of a run"
    assert killed_at, "every run finished before its kill: the kills tested nothing"


def test_kill_9_during_a_large_load_leaves_nothing_half_written(tmp_path: Path):
    data = tmp_path / "data"
    run = data / "staging" / "big"
    run.mkdir(parents=True)
    write_staging(run, 50_000)
    env = {**os.environ, "NEWSMON_DATA_DIR": str(data), "NEWSMON_SOURCES_FILE": str(tmp_path / "none.yaml")}
    (tmp_path / "none.yaml").write_text("sources: []\n", encoding="utf-8")
    _finish(_start(env, "db", "migrate"))
    warehouse = data / "newsmon.duckdb"
    before = _state(warehouse)

    # kill while the load reads the staging files: its transaction is open, nothing committed yet
    load = _start(env, "load", "--run-id", "big")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and load.poll() is None and not _has_open_file_under(load.pid, run):
        time.sleep(0.005)
    assert load.poll() is None, "the load finished before it could be killed"
    os.killpg(load.pid, signal.SIGKILL)
    load.wait()
    assert _state(warehouse) == before  # all or nothing: nothing

    _finish(_start(env, "load", "--run-id", "big"))
    after = _state(warehouse)
    assert after["articles"][0] == 50_000 and after["duplicate_articles"] == 0
