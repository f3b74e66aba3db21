"""The Airflow DAGs, with real Airflow on a SQLite metadata DB in a temp AIRFLOW_HOME."""

import json
from datetime import datetime
from pathlib import Path

import pytest

from newsmon import pipeline
from newsmon.config import Settings
from tests.servers import free_port
from tests.support.airflow import (
    airflow_env,
    migrated_airflow_home,
    newsmon_env,
    newsmon_settings,
    run_python,
    sample_sources,
)
from tests.support.warehouse import warehouse_checksums

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAGS = Path(__file__).parents[2] / "dags"
POOLS = DAGS / "pools.json"


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory) -> Path:
    return migrated_airflow_home(tmp_path_factory.mktemp("airflow"))


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
    assert (int(dags), int(errors)) == (3, 0)
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
  "queues": sorted({t.queue for t in d.tasks}),
  "retries": {t.task_id: [t.retries, t.retry_delay.total_seconds(), t.retry_exponential_backoff,
                          t.execution_timeout and t.execution_timeout.total_seconds()] for t in d.tasks},
  "trigger_rules": {t.task_id: t.trigger_rule.value for t in d.tasks},
  "setup": sorted(t.task_id for t in d.tasks if t.is_setup),
  "alerts": [bool(d.on_failure_callback)] + sorted({bool(t.on_failure_callback) for t in d.tasks}),
  "params": {k: d.params[k] for k in d.params},
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
    assert daily["tasks"] == ["check_health", "classify_articles", "cluster_stories", "crawl_source", "find_model",
                              "list_sources", "load_staging", "resolve_day"]
    # crawls capped by their pool, retried with backoff, killed after 30 min; one warehouse user at a time
    assert daily["pools"] == {"resolve_day": "default_pool", "list_sources": "default_pool", "find_model": "default_pool",
                              "crawl_source": "newsmon_crawl", "load_staging": "newsmon_warehouse",
                              "check_health": "newsmon_warehouse", "classify_articles": "newsmon_warehouse",
                              "cluster_stories": "newsmon_warehouse"}
    assert daily["retries"]["crawl_source"] == [2, 120.0, 2.0, 1800.0]
    # without NEWSMON_CRAWL_QUEUE every task is on Airflow's default queue (test_scaleout_workers sets one)
    assert daily["queues"] == ["default"]
    # the warehouse writers retry with backoff (a lock held by an analyst); a verdict does not
    for name in ("load_staging", "classify_articles", "cluster_stories"):
        assert daily["retries"][name][:3] == [3, 60.0, 2.0], name
    assert daily["retries"]["check_health"][0] == daily["retries"]["find_model"][0] == 0
    # every task of both DAGs has a timeout, and alerts on failure
    for dag in found["dags"].values():
        assert all(limit for *_, limit in dag["retries"].values()), dag["retries"]
        assert dag["alerts"] == [True, True]
    # the load runs whatever became of the crawls (all_done), once there was a list of them (a setup)
    assert daily["trigger_rules"]["load_staging"] == "all_done"
    assert daily["setup"] == ["list_sources"]
    assert daily["params"] == {"sources": [], "rescore": False}
    pools = json.loads(POOLS.read_text())
    used = {pool for dag in found["dags"].values() for pool in dag["pools"].values()} - {"default_pool"}
    assert used == set(pools) and pools["newsmon_warehouse"]["slots"] == 1
    weekly = found["dags"]["newsmon_weekly_digest"]
    assert weekly["schedule"] == "0 7 * * 1" and weekly["tags"] == ["newsmon"] and weekly["owners"] == ["newsmon"]
    assert weekly["tasks"] == ["send_digest"] and weekly["max_active_runs"] == 1
    assert weekly["pools"] == {"send_digest": "newsmon_warehouse"} and weekly["retries"]["send_digest"][:3] == [3, 60.0, 2.0]
    assert weekly["params"] == {"week": None, "force": False}
    # the weekly DuckLake upkeep: its merge is a commit, so it takes the warehouse pool's slot
    upkeep = found["dags"]["newsmon_weekly_upkeep"]
    assert upkeep["schedule"] == "0 3 * * 0" and upkeep["tasks"] == ["upkeep_warehouse"]
    assert upkeep["tags"] == ["newsmon"] and upkeep["owners"] == ["newsmon"] and upkeep["max_active_runs"] == 1
    assert upkeep["pools"] == {"upkeep_warehouse": "newsmon_warehouse"}
    assert upkeep["retries"]["upkeep_warehouse"][:3] == [3, 60.0, 2.0]


DAG_TEST = """
import pendulum
from airflow.dag_processing.dagbag import DagBag
from newsmon.config import get_settings
from newsmon.pipeline.store import migrate_warehouse
migrate_warehouse(get_settings())  # `newsmon db migrate`, once: the tasks never create or migrate
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
    from tests.support.digest import seed_flagged_article

    controller, inbox = smtp
    seed_flagged_article(settings, "Parcel hub switches on sorting robots")
    env = airflow_env(airflow_home, NEWSMON_DATA_DIR=str(settings.data_dir), NEWSMON_EMAIL__SMTP_HOST="127.0.0.1",
                      NEWSMON_EMAIL__SMTP_PORT=str(controller.port), NEWSMON_EMAIL__RECIPIENTS="a@example.org",
                      NEWSMON_EMAIL__TIMEZONE=timezone)
    code = """
import pendulum
from airflow.dag_processing.dagbag import DagBag
from newsmon.config import get_settings
from newsmon.pipeline.store import migrate_warehouse
migrate_warehouse(get_settings())  # `newsmon db migrate`, once: the tasks never create or migrate
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
    _, weeks = pipeline.run_sql(settings, "select week from digests", live=True)
    assert weeks == [("2026-W47",)]


DAG_TEST_STATES = """
import os, pendulum
from airflow.dag_processing.dagbag import DagBag
from newsmon.config import get_settings
from newsmon.pipeline.store import migrate_warehouse
migrate_warehouse(get_settings())  # `newsmon db migrate`, once: the tasks never create or migrate
dag = DagBag(dag_folder=%r).dags[%r]
for conf, connection in %r:
    if connection:
        os.environ["AIRFLOW_CONN_SMTP_DEFAULT"] = connection
    run = dag.test(logical_date=pendulum.datetime(*%r, tz="UTC"), run_conf=conf)
    print("STATE", run.state, sorted((ti.task_id, ti.state) for ti in run.get_task_instances()))
"""


def dag_test(env: dict, dag_id: str, day: tuple, *runs: tuple[dict, str | None]) -> list[tuple[str, dict]]:
    """dag.test() of dag_id on day once per (conf, smtp_default connection or None), in one process;
    each run's state and its tasks' states (a mapped task's last)."""
    result = run_python(DAG_TEST_STATES % (str(DAGS), dag_id, list(runs), day), env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    states = [line.split(" ", 2)[1:] for line in result.stdout.splitlines() if line.startswith("STATE ")]
    assert len(states) == len(runs), result.stdout[-3000:] + result.stderr[-3000:]
    return [(state, dict(eval(tasks))) for state, tasks in states]  # noqa: S307 (our own repr of pairs)


def _alert_env(airflow_home: Path, settings: Settings, controller) -> dict:
    return airflow_env(airflow_home, **newsmon_env(settings), NEWSMON_EMAIL__SMTP_HOST="127.0.0.1",
                       NEWSMON_EMAIL__SMTP_PORT=str(controller.port), NEWSMON_EMAIL__SENDER="newsmon@example.org",
                       NEWSMON_ALERT__RECIPIENTS="ops@example.org", NEWSMON_EMAIL__PASSWORD="never-in-a-mail")


def test_a_day_where_most_sources_fail_is_red_and_mails_one_alert_per_failure(
        airflow_home, tmp_path, trained_model_dir, smtp):
    import email

    controller, inbox = smtp
    dead = [f"http://127.0.0.1:{free_port()}/feed.xml", f"http://feeds:hunter2@127.0.0.1:{free_port()}/rss"]
    settings = newsmon_settings(tmp_path, trained_model_dir, [
        {"name": f"dead-{n}", "homepage": "http://127.0.0.1/", "feeds": [url], "allowed_domains": ["127.0.0.1"]}
        for n, url in enumerate(dead)])
    connection = json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": controller.port,
                             "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "airflow@example.org"}})
    runs = dag_test(_alert_env(airflow_home, settings, controller), "newsmon_daily", (2026, 11, 23),
                    ({}, None), ({}, connection))

    for state, tasks in runs:  # red; the load and scoring still ran
        assert state == "failed"
        assert tasks["check_health"] == "failed"
        assert {tasks[t] for t in ("load_staging", "find_model", "classify_articles", "cluster_stories")} == {"success"}
    _, crawls = pipeline.run_sql(settings, "select source, ok from crawl_runs")
    assert sorted(crawls) == [("dead-0", False), ("dead-1", False)]

    # one mail per failed run: newsmon's own SMTP, then Airflow's notifier once smtp_default exists
    assert len(inbox.messages) == 2
    own, notified = (email.message_from_bytes(raw) for _, raw in inbox.messages)
    assert [m["From"] for m in (own, notified)] == ["newsmon@example.org", "airflow@example.org"]
    assert [rcpt for rcpt, _ in inbox.messages] == [["ops@example.org"]] * 2
    assert own["Subject"] == notified["Subject"] == "[newsmon] newsmon_daily: check_health failed"
    text = own.get_payload(decode=True).decode().replace("\r\n", "\n")
    assert "run 2026-11-22: 2 of 2 sources failed (more than 50%):" in text
    assert "  dead-0: connection" in text and "  dead-1: " in text, text
    html = next(p for p in notified.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert "2 of 2 sources failed" in html and html.count("<") == 2  # <pre> and </pre>: nothing else
    for raw in (text, html):
        assert "hunter2" not in raw and "never-in-a-mail" not in raw


def test_a_missing_model_fails_at_once_in_one_line_and_never_trains(airflow_home, sample_site, tmp_path,
                                                                   trained_model_dir, smtp):
    import email

    controller, inbox = smtp
    settings = newsmon_settings(tmp_path, trained_model_dir, sample_sources(sample_site.base_url)[:1])
    missing = tmp_path / "no-model"
    env = {**_alert_env(airflow_home, settings, controller), "NEWSMON_MODEL__PATH": str(missing)}
    [(state, tasks)] = dag_test(env, "newsmon_daily", (2026, 11, 21), ({}, None))
    assert state == "failed"
    assert (tasks["find_model"], tasks["classify_articles"], tasks["load_staging"]) == (
        "failed", "upstream_failed", "success")  # the day is loaded all the same
    [(_, raw)] = inbox.messages
    alert = email.message_from_bytes(raw)
    assert alert["Subject"] == "[newsmon] newsmon_daily: find_model failed"
    assert f"PipelineError: no trained model at {missing}: run `newsmon train`\n" in alert.get_payload(decode=True).decode().replace("\r\n", "\n")
    assert not missing.exists() and sorted(p.name for p in settings.models_dir.iterdir()) == [
        "LATEST", trained_model_dir.name]  # nothing trained


def test_daily_params_crawl_a_subset_and_rescore_the_history(airflow_home, sample_site, tmp_path, trained_model_dir):
    settings = newsmon_settings(tmp_path, trained_model_dir, sample_sources(sample_site.base_url))
    env = airflow_env(airflow_home, **newsmon_env(settings))
    only_rss = {"sources": ["circuit-ledger-rss"]}
    [(state, _)] = dag_test(env, "newsmon_daily", (2026, 11, 21), (only_rss, None))
    assert state == "success"
    _, crawls = pipeline.run_sql(settings, "select distinct source from crawl_runs")
    assert crawls == [("circuit-ledger-rss",)]
    _, counts = pipeline.run_sql(settings, "select count(*) from articles")
    assert counts[0][0] > 0

    # scores by an earlier model version: a plain run leaves that history alone, rescore scores it again
    pipeline.run_sql(settings, "update classifications set model_version = 'earlier'", write=True)
    current = "select count(distinct article_id) from classifications where model_version <> 'earlier'"
    runs = dag_test(env, "newsmon_daily", (2026, 11, 21), (only_rss, None))
    assert runs[0][0] == "success" and pipeline.run_sql(settings, current, live=True)[1] == [(0,)]
    runs = dag_test(env, "newsmon_daily", (2026, 11, 21), ({**only_rss, "rescore": True}, None))
    assert runs[0][0] == "success" and pipeline.run_sql(settings, current, live=True)[1] == [counts[0]]

    # a source that is not in sources.yaml: the run fails before any crawl, naming it
    [(state, tasks)] = dag_test(env, "newsmon_daily", (2026, 11, 21), ({"sources": ["nowhere"]}, None))
    assert state == "failed" and tasks["list_sources"] == "failed"
    assert tasks["load_staging"] == "upstream_failed"  # nothing to wait for: no load, no second alert


def test_weekly_params_send_a_chosen_week_and_force_a_resend(airflow_home, settings, smtp):
    from tests.support.digest import seed_flagged_article

    controller, inbox = smtp
    seed_flagged_article(settings, "Parcel hub switches on sorting robots")
    env = airflow_env(airflow_home, NEWSMON_DATA_DIR=str(settings.data_dir), NEWSMON_EMAIL__SMTP_HOST="127.0.0.1",
                      NEWSMON_EMAIL__SMTP_PORT=str(controller.port), NEWSMON_EMAIL__RECIPIENTS="a@example.org")
    runs = dag_test(env, "newsmon_weekly_digest", (2026, 11, 23, 7),
                    ({}, None), ({}, None), ({"force": True}, None), ({"week": "2026-W46"}, None))
    assert [state for state, _ in runs] == ["success"] * 4
    subjects = [raw.split(b"Subject: ", 1)[1].split(b"\n", 1)[0] for _, raw in inbox.messages]
    # sent, skipped as already sent, forced again, then the week asked for
    assert [b"newsmon 2026-W47" in s for s in subjects] == [True, True, False]
    assert b"newsmon 2026-W46" in subjects[2]
    _, weeks = pipeline.run_sql(settings, "select week from digests order by week", live=True)
    assert weeks == [("2026-W46",), ("2026-W47",)]
