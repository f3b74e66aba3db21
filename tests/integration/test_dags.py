"""The Airflow DAGs, with real Airflow on a SQLite metadata DB in a temp AIRFLOW_HOME."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from newsmon import pipeline
from newsmon.config import Settings
from tests.conftest import fast_crawl
from tests.servers import free_port

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAGS = Path(__file__).parents[2] / "dags"


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


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("airflow")
    result = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=airflow_env(home),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return home


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
  "tasks": sorted(t.task_id for t in d.tasks)} for d in bag.dags.values()}}))
""" % str(DAGS)
    result = run_python(code, airflow_env(airflow_home))
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["errors"] == {}
    daily = found["dags"]["newsmon_daily"]
    assert daily["tags"] == ["newsmon"] and daily["owners"] == ["newsmon"]
    assert daily["schedule"] == "0 0 * * *"
    assert daily["catchup"] is False and daily["max_active_runs"] == 1
    assert daily["tasks"] == ["classify_articles", "cluster_stories", "crawl_source", "list_sources", "load_staging"]
    weekly = found["dags"]["newsmon_weekly_digest"]
    assert weekly["schedule"] == "0 7 * * 1" and weekly["tags"] == ["newsmon"] and weekly["owners"] == ["newsmon"]
    assert weekly["tasks"] == ["send_digest"] and weekly["max_active_runs"] == 1


def test_daily_dag_runs_end_to_end_and_a_dead_source_does_not_stop_it(
        airflow_home, sample_site, tmp_path, trained_model_dir):
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir)
    (data_dir / "models").mkdir(parents=True)
    os.symlink(trained_model_dir, data_dir / "models" / trained_model_dir.name)
    (data_dir / "models" / "LATEST").write_text(trained_model_dir.name)
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({"sources": [
        {"name": "sample-rss", "homepage": f"{sample_site.base_url}/",
         "feeds": [f"{sample_site.base_url}/feeds/rss.xml"], "allowed_domains": ["127.0.0.1"]},
        {"name": "dead", "homepage": "http://127.0.0.1/",
         "feeds": [f"http://127.0.0.1:{free_port()}/feed.xml"], "allowed_domains": ["127.0.0.1"]},
    ]}))
    crawl = fast_crawl()
    env = airflow_env(
        airflow_home, NEWSMON_DATA_DIR=str(data_dir), NEWSMON_SOURCES_FILE=str(sources),
        NEWSMON_CRAWL__DOWNLOAD_DELAY="0", NEWSMON_CRAWL__AUTOTHROTTLE="false",
        NEWSMON_CRAWL__RETRY_TIMES="0", NEWSMON_CRAWL__DOWNLOAD_TIMEOUT=str(crawl.download_timeout),
        NEWSMON_CRAWL__ALLOW_PRIVATE_HOSTS="1",  # the sample site is on 127.0.0.1
    )
    code = """
import pendulum
from airflow.dag_processing.dagbag import DagBag
dag = DagBag(dag_folder=%r).dags["newsmon_daily"]
run = dag.test(logical_date=pendulum.datetime(2026, 11, 23, tz="UTC"))
print("STATE", run.state)
""" % str(DAGS)
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

    # the same logical date again: the warehouse does not change
    checksum = ("select count(*), sum(hash(article_id, title, text, published_at)),"
                " (select count(*) from classifications) from articles")
    _, before = pipeline.run_sql(settings, checksum)
    rerun = run_python(code, env)
    assert "STATE success" in rerun.stdout, rerun.stderr[-3000:]
    _, after = pipeline.run_sql(settings, checksum)
    assert after == before


def test_weekly_digest_dag_sends_last_week_once(airflow_home, settings, smtp):
    from tests.unit.test_digest import _seed

    controller, inbox = smtp
    _seed(settings, "Parcel hub switches on sorting robots")
    env = airflow_env(airflow_home, NEWSMON_DATA_DIR=str(settings.data_dir), NEWSMON_EMAIL__SMTP_HOST="127.0.0.1",
                      NEWSMON_EMAIL__SMTP_PORT=str(controller.port), NEWSMON_EMAIL__RECIPIENTS="a@example.org")
    code = """
import pendulum
from airflow.dag_processing.dagbag import DagBag
dag = DagBag(dag_folder=%r).dags["newsmon_weekly_digest"]
for attempt in (1, 2):
    run = dag.test(logical_date=pendulum.datetime(2026, 11, 23, 7, tz="UTC"))
    print("STATE", run.state)
""" % str(DAGS)
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("STATE success") == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert len(inbox.messages) == 1
    assert b"newsmon 2026-W47" in inbox.messages[0][1]
    _, weeks = pipeline.run_sql(settings, "select week from digests")
    assert weeks == [("2026-W47",)]
