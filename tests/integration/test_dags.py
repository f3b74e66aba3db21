"""The Airflow DAGs, with real Airflow on a SQLite metadata DB in a temp AIRFLOW_HOME."""

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from newsmon import pipeline
from newsmon.config import Settings
from newsmon.demo import demo_sources
from tests.conftest import fast_crawl
from tests.servers import free_port

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAGS = Path(__file__).parents[2] / "dags"
POOLS = DAGS / "pools.json"
# Columns that record when something happened on this machine, not what was found: left out when
# two warehouses are compared. write_lock holds only a claim time.
WALL_CLOCK = {"fetched_at", "scored_at", "started_at", "finished_at", "clustered_at", "activated_at",
              "applied_at", "changed_at", "sent_at", "labeled_at", "claimed_at"}
# ... and the same inside JSON objects (published_candidates holds the first_seen time)
WALL_CLOCK_PATCH = json.dumps(dict.fromkeys(sorted(WALL_CLOCK | {"first_seen"})))


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


def migrated_airflow_home(home: Path) -> Path:
    """A fresh metadata DB with the pools the DAGs use, as `make airflow` sets them up."""
    airflow_cli(home, "db", "migrate")
    airflow_cli(home, "pools", "import", str(POOLS))
    return home


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory) -> Path:
    return migrated_airflow_home(tmp_path_factory.mktemp("airflow"))


def newsmon_settings(root: Path, trained_model_dir: Path, sources: list[dict]) -> Settings:
    """A data dir holding the session's model (linked), and a sources.yaml; loopback crawl settings."""
    data_dir = root / "data"
    (data_dir / "models").mkdir(parents=True)
    os.symlink(trained_model_dir, data_dir / "models" / trained_model_dir.name)
    (data_dir / "models" / "LATEST").write_text(trained_model_dir.name)
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


def warehouse_checksums(settings: Settings) -> dict[str, tuple[int, int]]:
    """(rows, order-independent hash) per table over every column but the wall-clock ones; the
    tables and columns come from the catalog, so a new table or column is covered without edits."""
    _, columns = pipeline.run_sql(
        settings,
        "select t.table_name, list((c.column_name, c.data_type) order by c.column_index) from duckdb_tables() t"
        " join duckdb_columns() c using (database_name, schema_name, table_name)"
        " where t.schema_name = 'main' and not t.internal group by all order by 1")
    sums = {}
    for table, names in columns:
        kept = [f"""case when json_type("{n}") = 'OBJECT' then json_merge_patch("{n}", '{WALL_CLOCK_PATCH}')"""
                f' else "{n}" end' if kind == "JSON" else f'"{n}"' for n, kind in names if n not in WALL_CLOCK]
        if not kept:
            continue
        _, rows = pipeline.run_sql(settings, f'select count(*), coalesce(sum(hash({", ".join(kept)})), 0) from "{table}"')
        sums[table] = (int(rows[0][0]), int(rows[0][1]))
    return sums


def test_dag_folder_parses_in_under_a_second(airflow_home):
    code = """
import time
started = time.perf_counter()
from airflow.dag_processing.dagbag import DagBag
imported = time.perf_counter()
bag = DagBag(dag_folder=%r)
print("PARSE", time.perf_counter() - imported, len(bag.dags), len(bag.import_errors))
""" % str(DAGS)
    result = run_python(code, airflow_env(airflow_home))
    assert result.returncode == 0, result.stderr[-2000:]
    _, seconds, dags, errors = result.stdout.strip().splitlines()[-1].split()
    assert (int(dags), int(errors)) == (2, 0)
    assert float(seconds) < 1.0  # filling the DagBag: our files, not Airflow's own import


def test_dagbag_imports_cleanly_with_owners_tags_and_schedules(airflow_home):
    code = """
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=%r)
print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()},
  "dags": {d.dag_id: {"tags": sorted(d.tags), "owners": sorted({t.owner for t in d.tasks}),
  "schedule": getattr(d.timetable, "expression", None) or getattr(d.timetable, "_expression", None), "catchup": d.catchup, "max_active_runs": d.max_active_runs,
  "tasks": sorted(t.task_id for t in d.tasks),
  "pools": {t.task_id: t.pool for t in d.tasks},
  "retries": {t.task_id: [t.retries, t.retry_delay.total_seconds(), t.retry_exponential_backoff,
                          t.execution_timeout and t.execution_timeout.total_seconds()] for t in d.tasks},
  } for d in bag.dags.values()}}))
""" % str(DAGS)
    result = run_python(code, airflow_env(airflow_home))
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["errors"] == {}
    daily = found["dags"]["newsmon_daily"]
    assert daily["tags"] == ["newsmon"] and daily["owners"] == ["newsmon"]
    assert daily["schedule"] == "0 0 * * *"
    assert daily["catchup"] is False and daily["max_active_runs"] == 1
    assert daily["tasks"] == ["classify_articles", "cluster_stories", "crawl_source", "list_sources", "load_staging",
                              "resolve_day"]
    # crawls capped by their pool, retried with backoff, killed after 30 min; one warehouse writer at a time
    assert daily["pools"] == {"resolve_day": "default_pool", "list_sources": "default_pool", "crawl_source": "newsmon_crawl",
                              "load_staging": "newsmon_warehouse", "classify_articles": "newsmon_warehouse",
                              "cluster_stories": "newsmon_warehouse"}
    assert daily["retries"]["crawl_source"] == [2, 120.0, 2.0, 1800.0]
    pools = json.loads(POOLS.read_text())
    used = {pool for dag in found["dags"].values() for pool in dag["pools"].values()} - {"default_pool"}
    assert used == set(pools) and pools["newsmon_warehouse"]["slots"] == 1
    weekly = found["dags"]["newsmon_weekly_digest"]
    assert weekly["schedule"] == "0 7 * * 1" and weekly["tags"] == ["newsmon"] and weekly["owners"] == ["newsmon"]
    assert weekly["tasks"] == ["send_digest"] and weekly["max_active_runs"] == 1


DAG_TEST = """
import pendulum
from airflow.dag_processing.dagbag import DagBag
dag = DagBag(dag_folder=%r).dags["newsmon_daily"]
run = dag.test(logical_date=pendulum.datetime(%%d, %%d, %%d, tz="UTC"))
print("STATE", run.state)
""" % str(DAGS)


def test_daily_dag_runs_end_to_end_and_a_dead_source_does_not_stop_it(
        airflow_home, sample_site, tmp_path, trained_model_dir):
    settings = newsmon_settings(tmp_path, trained_model_dir, [
        {"name": "sample-rss", "homepage": f"{sample_site.base_url}/",
         "feeds": [f"{sample_site.base_url}/feeds/rss.xml"], "allowed_domains": ["127.0.0.1"]},
        {"name": "dead", "homepage": "http://127.0.0.1/",
         "feeds": [f"http://127.0.0.1:{free_port()}/feed.xml"], "allowed_domains": ["127.0.0.1"]},
    ])
    env = airflow_env(airflow_home, **newsmon_env(settings))  # fast_crawl allows loopback hosts
    code = DAG_TEST % (2026, 11, 23)
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "STATE success" in result.stdout, result.stdout[-3000:] + result.stderr[-3000:]

    _, runs = pipeline.run_sql(settings, "select source, run_id, ok, error from crawl_runs order by source")
    assert [(r[0], r[1], r[2]) for r in runs] == [("dead", "2026-11-22", False), ("sample-rss", "2026-11-22", True)]
    assert runs[0][3].startswith("connection:")
    _, counts = pipeline.run_sql(
        settings,
        "select count(*), count(distinct a.article_id), (select count(distinct article_id) from classifications)"
        " from articles a where source = 'sample-rss'")
    total, distinct, scored = counts[0]
    assert total > 0 and total == distinct == scored

    # the same logical date again: nothing changes but the crawl's own record (now skipped_known)
    before = warehouse_checksums(settings)
    rerun = run_python(code, env)
    assert "STATE success" in rerun.stdout, rerun.stderr[-3000:]
    after = warehouse_checksums(settings)
    before.pop("crawl_runs"), after.pop("crawl_runs")
    assert after == before


def test_newsmon_run_and_the_dag_write_the_same_warehouse(airflow_home, sample_site, tmp_path, trained_model_dir):
    """One day through run_daily in this process and through the DAG in Airflow: the same rows in
    every table. The day is 2026-11-20 (both feeds, no article in both): an article in two feeds is
    credited to whichever crawl fetched it first, which no two runs need agree on."""
    sources = sample_sources(sample_site.base_url)
    by_cli = newsmon_settings(tmp_path / "cli", trained_model_dir, sources)
    by_dag = newsmon_settings(tmp_path / "dag", trained_model_dir, sources)

    report = pipeline.run_daily(by_cli, run_id="2026-11-20", since=datetime(2026, 11, 20), until=datetime(2026, 11, 21))
    assert all(r.ok for r in report.results), [r.error for r in report.results]
    result = run_python(DAG_TEST % (2026, 11, 21), airflow_env(airflow_home, **newsmon_env(by_dag)))
    assert "STATE success" in result.stdout, result.stdout[-3000:] + result.stderr[-3000:]

    _, days = pipeline.run_sql(by_dag, "select distinct run_id, published_at::date::varchar from articles")
    assert days == [("2026-11-20", "2026-11-20")]  # the data interval's articles only
    cli, dag = warehouse_checksums(by_cli), warehouse_checksums(by_dag)
    assert (cli["articles"][0], cli["classifications"][0], cli["crawl_runs"][0]) == (3, 6, 2)
    assert {t: v for t, v in dag.items() if v != cli.get(t)} == {}
    assert set(dag) == set(cli)


@pytest.mark.parametrize("timezone", ["UTC", "Asia/Tokyo"])  # Monday 07:00 in Tokyo is Sunday in UTC
def test_weekly_digest_dag_sends_last_week_once(airflow_home, settings, smtp, timezone):
    from tests.unit.test_digest import _seed

    controller, inbox = smtp
    _seed(settings, "Parcel hub switches on sorting robots")
    env = airflow_env(airflow_home, NEWSMON_DATA_DIR=str(settings.data_dir), NEWSMON_EMAIL__SMTP_HOST="127.0.0.1",
                      NEWSMON_EMAIL__SMTP_PORT=str(controller.port), NEWSMON_EMAIL__RECIPIENTS="a@example.org",
                      NEWSMON_EMAIL__TIMEZONE=timezone)
    code = """
import pendulum
from airflow.dag_processing.dagbag import DagBag
dag = DagBag(dag_folder=%r).dags["newsmon_weekly_digest"]
for attempt in (1, 2):
    run = dag.test(logical_date=pendulum.datetime(2026, 11, 23, 7, tz=%r))
    print("STATE", run.state)
""" % (str(DAGS), timezone)
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("STATE success") == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert len(inbox.messages) == 1
    assert b"newsmon 2026-W47" in inbox.messages[0][1]
    _, weeks = pipeline.run_sql(settings, "select week from digests")
    assert weeks == [("2026-W47",)]
