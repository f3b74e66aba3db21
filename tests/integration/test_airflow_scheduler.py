"""The daily DAG under Airflow's own scheduler: api-server, dag-processor and scheduler on loopback
(LocalExecutor; metadata in a real PostgreSQL, as in production: one throwaway server per session
from tests/pg.py, a database per test), a triggered run and a two-day backfill.

Run it alone with `pytest -m scheduler`; leave it out with `-m "not scheduler"`;
`python -m tests.soak_scheduler` runs it three times in a row beside a CPU-heavy process."""

import json
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from newsmon import pipeline
from newsmon.sample_site import load_manifest
from tests.pg import PostgresServer, server_or_skip
from tests.servers import free_port
from tests.support.airflow import (
    Processes,
    airflow_cli,
    airflow_env,
    migrated_airflow_home,
    newsmon_env,
    newsmon_settings,
    sample_sources,
)

pytestmark = [pytest.mark.airflow, pytest.mark.slow, pytest.mark.scheduler]

# a bound for a hung scheduler, not a speed goal: three runs take ~2-3 min idle, more on a busy machine
WAIT_SECONDS = 1200


@pytest.fixture(scope="session")
def airflow_postgres():
    yield from server_or_skip("for Airflow's metadata")


def metadata_database(server: PostgresServer, name: str) -> str:
    """A new database on the session's server; its SQLAlchemy URL for Airflow."""
    server.create_database(name)
    return f"postgresql+psycopg2://{server.user}@127.0.0.1:{server.port}/{name}"
COMPONENTS = ("api-server", "dag-processor", "scheduler")


def _tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else ""


@contextmanager
def airflow_components(home: Path, env: dict):
    """Start the components, each in its own process group; on the way out stop every process they
    started (task runners and crawl subprocesses included), whatever happened."""
    procs = Processes()
    try:
        for name in COMPONENTS:
            procs.start(name, [sys.executable, "-m", "airflow", name], env=env, log=home / f"{name}.log")
        yield procs.procs
    finally:
        procs.stop()


def _query(url: str, sql: str) -> list[tuple]:
    """Read Airflow's metadata DB directly: cheaper than an Airflow CLI call per poll."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg2://", "postgresql://"), connect_timeout=10) as con:
        return con.execute(sql).fetchall()


def _wait(what: str, check, procs: dict, home: Path, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := check():
            return value
        dead = [name for name, proc in procs.items() if proc.poll() is not None]
        assert not dead, f"{dead} exited while waiting for {what}:\n" + _tail(home / f"{dead[0]}.log")
        time.sleep(1)
    logs = "\n".join(f"--- {name}\n{_tail(home / f'{name}.log', 1500)}" for name in COMPONENTS)
    pytest.fail(f"no {what} after {seconds:.0f} s\n{logs}")


def _task_logs(home: Path) -> str:
    failed = [p for p in (home / "logs").rglob("attempt=*.log") if '"level":"error"' in p.read_text(errors="replace")]
    return "\n".join(f"--- {p}\n{_tail(p, 2000)}" for p in failed[:3])


def _crawl_task_logs(home: Path) -> list[str]:
    return [p.read_text(errors="replace") for p in (home / "logs").rglob("task_id=crawl_source/**/attempt=*.log")]


@pytest.mark.timeout(WAIT_SECONDS + 240)
def test_scheduler_runs_a_triggered_day_and_a_backfill_each_on_its_own_window(
        tmp_path_factory, sample_site, trained_model_dir, airflow_postgres):
    database = metadata_database(airflow_postgres, f"airflow_{free_port()}")
    home = migrated_airflow_home(tmp_path_factory.mktemp("airflow-scheduler"),
                                 AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=database)
    settings = newsmon_settings(tmp_path_factory.mktemp("newsmon"), trained_model_dir,
                                sample_sources(sample_site.base_url))
    from newsmon.pipeline.store import migrate_warehouse

    migrate_warehouse(settings)  # `newsmon db migrate`, once: the tasks never create or migrate
    port = free_port()
    env = airflow_env(
        home, **newsmon_env(settings),
        AIRFLOW__API__HOST="127.0.0.1", AIRFLOW__API__PORT=str(port), AIRFLOW__API__WORKERS="1",
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{port}/",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=database, AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__CORE__PARALLELISM="4",
        # catchup is off, so unpausing would add a run for yesterday, which the sample site has no
        # news for; the test asks for its own runs instead
        AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",
    )
    db = database
    cli = {k: v for k, v in env.items() if k.startswith("AIRFLOW__")}
    with airflow_components(home, env) as procs:
        _wait("serialized newsmon_daily", lambda: _query(
            db, "select 1 from serialized_dag where dag_id = 'newsmon_daily'"), procs, home, 120)
        airflow_cli(home, "dags", "unpause", "newsmon_daily", **cli)
        # triggered without a logical date, a run has no data interval: it covers the day before
        airflow_cli(home, "dags", "trigger", "newsmon_daily", **cli)
        airflow_cli(home, "backfill", "create", "--dag-id", "newsmon_daily", "--from-date", "2026-11-16",
                    "--to-date", "2026-11-17", "--max-active-runs", "1", **cli)

        def finished():
            runs = _query(db, "select run_type, data_interval_start::text, data_interval_end::text, run_after::text, state"
                              " from dag_run where dag_id = 'newsmon_daily' order by run_type, data_interval_start")
            if any(state == "failed" for *_, state in runs):
                pytest.fail(f"a run failed: {runs}\n{_task_logs(home)}")
            return runs if len(runs) == 3 and all(state == "success" for *_, state in runs) else None

        started = time.monotonic()
        runs = _wait("three successful runs", finished, procs, home, WAIT_SECONDS)
        print(f"three runs in {time.monotonic() - started:.0f} s")

    # the backfill: one run per day; the manual run: the day before it was triggered
    assert [(kind, start[:10], end[:10]) for kind, start, end, *_ in runs[:2]] == [
        ("backfill", "2026-11-16", "2026-11-17"), ("backfill", "2026-11-17", "2026-11-18")]
    kind, start, _, run_after, _ = runs[2]
    assert (kind, start) == ("manual", None)
    days = ["2026-11-16", "2026-11-17", (datetime.fromisoformat(run_after).date() - timedelta(days=1)).isoformat()]

    # one staging run per day, named for its interval's start, holding only that day's articles
    sources = ("circuit-ledger-atom", "circuit-ledger-rss")
    _, crawls = pipeline.run_sql(settings, "select run_id, source, ok, articles from crawl_runs order by 1, 2")
    assert [crawl[:3] for crawl in crawls] == [(day, source, True) for day in days for source in sources]
    assert [crawl[3] for crawl in crawls[-2:]] == [0, 0]  # the sample site has nothing that recent
    assert sorted(p.name for p in settings.staging_dir.iterdir()) == days
    _, articles = pipeline.run_sql(settings, "select title, run_id, published_at from articles")
    assert all(run_id == published.date().isoformat() for _, run_id, published in articles), articles
    expected = {a["title"] for a in load_manifest() if a["published"][:10] in days}
    assert {title for title, *_ in articles} == expected
    _, scored = pipeline.run_sql(settings, "select count(distinct article_id) from classifications")
    assert scored == [(len(expected),)]
    assert json.loads((settings.staging_dir / "2026-11-16" / "circuit-ledger-rss.summary.json").read_text())[
        "counts"]["skipped_after_window"] > 0  # newer articles were left to their own day

    # each crawl task's Airflow log holds its Scrapy log (6 crawls: 2 sources, 3 days)
    crawl_logs = _crawl_task_logs(home)
    assert len(crawl_logs) == 6 and all("Spider opened" in log and "Spider closed" in log for log in crawl_logs)
