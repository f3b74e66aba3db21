"""Scale-out, the real thing on one machine: Airflow's CeleryExecutor (the Celery provider, a Redis
broker on 127.0.0.1), metadata in PostgreSQL, and two `airflow celery worker` processes, each with
its own working directory, AIRFLOW_HOME and NEWSMON_DATA_DIR and no folder in common. What they
share is PostgreSQL (Airflow's metadata and the DuckLake catalog) and an S3 bucket (moto's server on
127.0.0.1): the lake's data files, the staging files and the model (newsmon.pipeline.shared).

The daily DAG runs for two days of the sample site (a backfill, one day after the other) under the
real scheduler; the warehouse must then equal a one-machine run of the same two days (run_daily in
this process, a DuckDB file): the same rows, the same scores. Run it alone with `pytest -m scheduler`."""

from __future__ import annotations

import json
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from newsmon import pipeline
from newsmon.config import Settings, WarehouseSettings
from newsmon.pipeline import shared
from newsmon.pipeline.store import migrate_warehouse, require_warehouse
from newsmon.sample_site import load_manifest
from newsmon.sources import load_sources
from tests.broker import RedisServer
from tests.broker import unavailable_reason as no_redis
from tests.conftest import fast_crawl
from tests.object_store import KEY_ID, SECRET, MotoServer
from tests.servers import free_port
from tests.support.airflow import (
    POOLS,
    Processes,
    airflow_cli,
    airflow_env,
    newsmon_env,
    newsmon_settings,
    sample_sources,
)
from tests.support.warehouse import warehouse_checksums

pytestmark = [pytest.mark.airflow, pytest.mark.slow, pytest.mark.scheduler]

# Two days with no article in both feeds (one that is, is credited to whichever crawl fetched it
# first, which two runs need not agree on); the second day's feeds still list the first day's
# articles, which it must not fetch again.
DAYS = ("2026-11-20", "2026-11-21")
WORKERS = ("worker-a", "worker-b")
CRAWLER, CRAWL_QUEUE = "worker-a", "crawl"  # the one worker serving the crawl queue; the other serves the default
# a bound for a hung run, not a speed goal: the two days take a few minutes on a busy machine
WAIT_SECONDS = 1500


def _query(dsn_url: str, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(dsn_url, connect_timeout=10) as con:
        return con.execute(sql).fetchall()


def _wait(what: str, check, procs: Processes, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := check():
            return value
        dead = procs.dead()
        assert not dead, f"{dead} exited while waiting for {what}:\n{procs.tails(3000)}"
        time.sleep(2)
    pytest.fail(f"no {what} after {seconds:.0f} s\n{procs.tails()}")


def _task_logs(homes: dict[str, Path], days: dict[str, str]) -> dict[tuple[str, str], tuple[str, str]]:
    """(run's day, task id [with map index]) -> (the worker whose AIRFLOW_HOME holds its log, the log);
    days maps run ids to the day each run covers."""
    found = {}
    for worker, home in homes.items():
        for path in (home / "logs" / "dag_id=newsmon_daily").rglob("attempt=*.log"):
            parts = {p.split("=", 1)[0]: p.split("=", 1)[1] for p in path.parts if "=" in p}
            day = days.get(parts["run_id"], parts["run_id"])
            task = parts["task_id"] + (f"[{parts['map_index']}]" if "map_index" in parts else "")
            found[(day, task)] = (worker, path.read_text(errors="replace"))
    return found


def _failed_task_logs(homes: dict[str, Path]) -> str:
    failed = [(k, w, log) for k, (w, log) in _task_logs(homes, {}).items() if '"level":"error"' in log]
    return "\n".join(f"--- {key} on {worker}\n{log[-2000:]}" for key, worker, log in failed[:3])


def _lake(root: Path, dsn: str, bucket: str, **extra) -> Settings:
    return Settings(data_dir=root / "data", sources_file=root / "sources.yaml", crawl=fast_crawl(),
                    warehouse=WarehouseSettings(url=f"ducklake:postgres:{dsn}", data_path=f"{bucket}/warehouse/"),
                    staging_url=f"{bucket}/staging", models_url=f"{bucket}/models", **extra)


def _lake_env(settings: Settings) -> dict[str, str]:
    return {**newsmon_env(settings), "NEWSMON_WAREHOUSE__URL": settings.warehouse.url,
            "NEWSMON_WAREHOUSE__DATA_PATH": settings.warehouse.data_path,
            "NEWSMON_STAGING_URL": settings.staging_url, "NEWSMON_MODELS_URL": settings.models_url}


@pytest.mark.timeout(WAIT_SECONDS + 600)
def test_two_celery_workers_share_only_postgres_the_broker_and_the_bucket(
        postgres, sample_site, trained_model_dir, tmp_path: Path, monkeypatch):
    if reason := no_redis():
        pytest.skip(reason)
    from warehouse.db import WarehouseError

    sources = sample_sources(sample_site.base_url)
    one_machine = newsmon_settings(tmp_path / "one-machine", trained_model_dir, sources)
    started = time.monotonic()
    for day in DAYS:
        since = datetime.fromisoformat(day)
        report = pipeline.run_daily(one_machine, run_id=day, since=since, until=since.replace(day=since.day + 1))
        assert all(r.ok for r in report.results), [r.error for r in report.results]
    one_machine_seconds = time.monotonic() - started

    with MotoServer(tmp_path / "moto.log") as moto, RedisServer(tmp_path / "redis") as redis:
        for name, value in moto.environment().items():
            monkeypatch.setenv(name, value)
        bucket = moto.make_bucket("newsmon")
        lake_dsn = postgres.create_database("scaleout_lake")
        postgres.create_database("scaleout_airflow")
        metadata = f"postgresql+psycopg2://{postgres.user}@127.0.0.1:{postgres.port}/scaleout_airflow"
        admin = _lake(tmp_path / "admin", lake_dsn, bucket)

        # before `newsmon db migrate`, a warehouse task fails in one line and creates nothing
        with pytest.raises(WarehouseError, match="create it once with `newsmon db migrate`"):
            require_warehouse(admin)
        migrate_warehouse(admin)  # once, from one machine
        # the trained model is published to the bucket (newsmon train does it when NEWSMON_MODELS_URL is set)
        trained = tmp_path / "trainer" / trained_model_dir.name
        shutil.copytree(trained_model_dir, trained)
        shared.share_model(admin, trained)

        port = free_port()
        common = {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": redis.url,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata}",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
            "AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": str(port), "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}/",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            # every machine signs and checks task tokens with the same secrets (a deployment's secret store)
            "AIRFLOW__API_AUTH__JWT_SECRET": "scaleout-test-jwt-secret-" + "0123456789abcdef" * 4,
            "AIRFLOW__API__SECRET_KEY": "scaleout-test-secret-key-" + "0123456789abcdef" * 4,
            # a bound for a hung api-server, not a speed goal: its first answers take half a minute
            # on a busy machine, and a task whose start times out fails (the default is 5 s)
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "300",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the backfill's runs
            # the crawls go to their own queue, which only the first worker serves: so staging always
            # crosses machines, whichever way Celery would have spread the tasks (dags/newsmon_daily.py)
            "NEWSMON_CRAWL_QUEUE": CRAWL_QUEUE,
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
        }
        scheduler_home = tmp_path / "scheduler"
        scheduler_home.mkdir()
        airflow_cli(scheduler_home, "db", "migrate", **common)
        airflow_cli(scheduler_home, "pools", "import", str(POOLS), **common)
        # the workers have no AWS variables: their tasks take the bucket's key from this connection
        # (newsmon.tasks.task_settings), which the api-server serves them from the metadata DB
        airflow_cli(scheduler_home, "connections", "add", "aws_default", "--conn-type", "aws",
                    "--conn-login", KEY_ID, "--conn-password", SECRET,
                    "--conn-extra", json.dumps({"endpoint_url": moto.endpoint, "region_name": "us-east-1"}), **common)

        procs = Processes()
        homes = {}
        try:
            for name in ("api-server", "dag-processor", "scheduler"):
                procs.start(name, [sys.executable, "-m", "airflow", name], env=airflow_env(scheduler_home, **common),
                            cwd=scheduler_home, log=scheduler_home / f"{name}.log")
            workers = {}
            for name in WORKERS:
                root = tmp_path / name  # its own folder: working directory, AIRFLOW_HOME, data dir
                root.mkdir()
                workers[name] = settings = _lake(root, lake_dsn, bucket)
                settings.sources_file.write_text(yaml.safe_dump({"sources": sources}))
                homes[name] = root / "airflow"
                env = airflow_env(homes[name], **common, **_lake_env(settings))
                for variable in moto.environment():
                    env.pop(variable, None)  # no AWS variables on the workers (see aws_default above)
                queue = CRAWL_QUEUE if name == CRAWLER else "default"
                procs.start(name, [sys.executable, "-m", "airflow", "celery", "worker", "--celery-hostname",
                                   f"{name}@%h", "--queues", queue, "--concurrency", "1", "--skip-serve-logs"],
                            env=env, cwd=root, log=root / "worker.log")
            _wait("two ready workers and a serialized newsmon_daily", lambda: all(
                "ready." in procs.logs[name].read_text(errors="replace") for name in WORKERS) and _query(
                metadata.replace("+psycopg2", ""), "select 1 from serialized_dag where dag_id = 'newsmon_daily'"),
                procs, 300)

            cli = {k: v for k, v in common.items() if k.startswith("AIRFLOW__")}
            airflow_cli(scheduler_home, "dags", "unpause", "newsmon_daily", **cli)
            started = time.monotonic()
            airflow_cli(scheduler_home, "backfill", "create", "--dag-id", "newsmon_daily", "--from-date", DAYS[0],
                        "--to-date", DAYS[1], "--max-active-runs", "1", **cli)

            def finished():
                runs = _query(metadata.replace("+psycopg2", ""),
                              "select data_interval_start::date::text, state, run_id from dag_run"
                              " where dag_id = 'newsmon_daily' order by data_interval_start")
                if any(state == "failed" for _, state, _ in runs):
                    pytest.fail(f"a run failed: {runs}\n{_failed_task_logs(homes)}\n{procs.tails()}")
                return runs if len(runs) == 2 and all(state == "success" for _, state, _ in runs) else None

            runs = _wait("two successful runs", finished, procs, WAIT_SECONDS)
            celery_seconds = time.monotonic() - started
        finally:
            procs.stop()
        print(f"one machine (run_daily, 2 days): {one_machine_seconds:.0f} s; "
              f"two Celery workers (backfill of 2 days): {celery_seconds:.0f} s")
        assert [day for day, *_ in runs] == list(DAYS)

        # who ran what: every task ran once, on one of the two workers, and both took part
        ran = _task_logs(homes, {run_id: day for day, _, run_id in runs})
        by_worker = {name: sorted(k for k, (w, _) in ran.items() if w == name) for name in WORKERS}
        assert all(by_worker.values()), f"a worker ran nothing: {by_worker}"
        for day in DAYS:
            loader = ran[(day, "load_staging")][0]
            # the loader has every source's staging of the day, fetched from the bucket
            assert sorted(p.name for p in (workers[loader].staging_dir / day).glob("*.spec.json")) == sorted(
                f"{s['name']}.spec.json" for s in sources)
        # the crawl queue's worker crawled, and only it; the other ran every other task
        assert {task.split("[")[0] for _, task in by_worker[CRAWLER]} == {"crawl_source"}, by_worker
        assert len(by_worker[CRAWLER]) == len(DAYS) * len(sources), by_worker
        # the workers that scored fetched the model from the bucket into their own data dir
        for day in DAYS:
            scorer = workers[ran[(day, "classify_articles")][0]]
            assert sorted(p.name for p in (scorer.models_dir / trained.name).iterdir()) == sorted(
                p.name for p in trained.iterdir())
            assert (scorer.models_dir / "LATEST").read_text().strip() == trained.name
        # each crawl task's log holds its Scrapy log
        assert all("Spider opened" in log for (_, task), (_, log) in ran.items() if task.startswith("crawl_source"))
        # the bucket's secret (from the connection) is in no log of any process or task
        logs = [*procs.logs.values(), *(p for home in homes.values() for p in home.rglob("*.log"))]
        assert [p for p in logs if SECRET in p.read_text(errors="replace")] == []

        # one warehouse, in PostgreSQL and the bucket: no DuckDB file on either worker
        assert not list(tmp_path.glob("worker-*/**/*.duckdb"))
        assert [k for k in moto.keys("newsmon", "warehouse/") if k.endswith(".parquet")]
        assert {k.split("/")[1] for k in moto.keys("newsmon", "staging/")} == set(DAYS)

        # every article of the two days loaded once and scored once
        expected = {a["title"] for a in load_manifest() if a["published"][:10] in DAYS}
        _, articles = pipeline.run_sql(admin, "select title, run_id, published_at from articles", live=True)
        assert sorted(title for title, *_ in articles) == sorted(expected)
        assert all(run_id == published.date().isoformat() for _, run_id, published in articles), articles
        _, scored = pipeline.run_sql(admin, "select count(*), count(distinct (article_id, label)),"
                                            " count(distinct article_id), min(model_version), max(model_version)"
                                            " from classifications", live=True)
        total, distinct, scored_articles, first, last = scored[0]
        assert (total, scored_articles, first, last) == (distinct, len(expected), trained.name, trained.name)

        # the second day fetched none of the first day's articles again: the worker that crawled it
        # knew them from the shared warehouse (its own data dir never saw day one)
        _, crawls = pipeline.run_sql(admin, "select run_id, source, skipped_known from crawl_runs order by 1, 2", live=True)
        first_day = {s.name: 0 for s in load_sources(workers[WORKERS[0]].sources_file)}
        for a in load_manifest():
            if a["published"][:10] == DAYS[0]:
                for feed in a["feeds"]:
                    first_day[f"circuit-ledger-{feed}"] += 1
        known = {source: skipped for run_id, source, skipped in crawls if run_id == DAYS[1]}
        assert known == first_day, crawls

        # the same warehouse as one machine's: every table's rows, wall-clock columns aside
        lake, local = warehouse_checksums(admin), warehouse_checksums(one_machine)
        # write_lock's one row names the last writer (host:pid), which differs by machine
        assert lake.pop("write_lock")[0] == local.pop("write_lock")[0] == 1
        assert {t: v for t, v in lake.items() if v != local.get(t)} == {}
        assert set(lake) == set(local)
