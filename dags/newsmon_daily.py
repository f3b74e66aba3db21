"""Daily pipeline: crawl every enabled source (one mapped task each), load, check, classify, cluster.

A run covers one day, its data interval (a manual run triggered without a logical date has none,
and covers the last whole UTC day before it): its staging run id is the day's date and its crawls
stage only articles published that day, so a backfill fills each past day.
Crawls share the `newsmon_crawl` pool; the steps that use the warehouse share the one-slot
`newsmon_warehouse` pool, which keeps backfill runs (outside max_active_runs) to one writer.
Both pools are in dags/pools.json: `airflow pools import dags/pools.json`.
The load runs whatever became of the crawls and records the missing ones; `check_health` turns the
run red when too many sources failed or one is broken; `find_model` fails at once when there is no
trained model (a task never trains). A failed task mails one alert.
Manual runs take params: `sources` (crawl only these) and `rescore` (score history again).
With Celery, `NEWSMON_CRAWL_QUEUE` sends the crawls to their own queue, for workers started with
`airflow celery worker -q <queue>` (say, machines with the outbound network); the rest stay on the default.
"""

import os
from datetime import timedelta

import pendulum
from airflow.sdk import Asset, CronDataIntervalTimetable, Param, TriggerRule, dag, setup, task

from newsmon.alerts import on_dag_failure, on_task_failure

WAREHOUSE = Asset(name="newsmon_warehouse", uri="file:///newsmon/warehouse")
CRAWL_POOL = "newsmon_crawl"
WAREHOUSE_POOL = "newsmon_warehouse"
# read where the DAG is parsed: the dag-processor and the workers must have the same value
CRAWL_QUEUE = {"queue": queue} if (queue := os.environ.get("NEWSMON_CRAWL_QUEUE", "").strip()) else {}
# the warehouse steps are idempotent: a DuckDB file held by an analyst longer than the lock
# timeout is waited out (1, 2, 4 minutes) instead of leaving the day unloaded
WAREHOUSE_RETRIES = {"pool": WAREHOUSE_POOL, "retries": 3, "retry_delay": timedelta(minutes=1),
                     "retry_exponential_backoff": 2.0, "max_retry_delay": timedelta(minutes=10)}


@dag(
    dag_id="newsmon_daily",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["newsmon"],
    default_args={"owner": "newsmon", "retries": 0, "execution_timeout": timedelta(minutes=5),
                  "on_failure_callback": on_task_failure},
    on_failure_callback=on_dag_failure,
    params={
        "sources": Param([], type="array", items={"type": "string"},
                         description="crawl only these sources of sources.yaml (empty: every enabled one)"),
        "rescore": Param(False, type="boolean",
                         description="also score the history scored by earlier model versions"),
    },
    doc_md=__doc__,
)
def newsmon_daily():
    @task
    def resolve_day(data_interval_start=None, data_interval_end=None, dag_run=None) -> dict:
        """The day the run covers: its data interval, or the last whole UTC day before a manual run."""
        end = data_interval_end or pendulum.instance(dag_run.run_after).in_timezone("UTC").start_of("day")
        start = data_interval_start or end.subtract(days=1)
        return {"run_id": start.date().isoformat(), "since": start, "until": end}

    # a setup task: the load below runs whatever became of the crawls (all_done), but not when
    # there was no list of sources to crawl in the first place (a failed setup fails what follows)
    @setup
    def list_sources(params=None) -> list[str]:
        """Names of the enabled sources in sources.yaml, or the run's `sources` param."""
        from newsmon import tasks

        return tasks.list_sources(tasks.task_settings(), params["sources"])

    @task
    def find_model() -> str:
        """The model that will score the day; fails at once, in one line, when there is none (never trains)."""
        from newsmon import tasks

        return tasks.find_model(tasks.task_settings())

    @task(pool=CRAWL_POOL, retries=2, retry_delay=timedelta(minutes=2), retry_exponential_backoff=2.0,
          execution_timeout=timedelta(minutes=30), **CRAWL_QUEUE)
    def crawl_source(source: str, day: dict) -> dict:
        """Crawl one source's articles of the day into staging; a failing source is recorded, not raised."""
        from newsmon import tasks

        return tasks.crawl_source(tasks.task_settings(), source, run_id=day["run_id"], since=day["since"],
                                  until=day["until"])

    @task(trigger_rule=TriggerRule.ALL_DONE, execution_timeout=timedelta(minutes=30), **WAREHOUSE_RETRIES)
    def load_staging(day: dict, params=None) -> dict:
        """Upsert the day's staging files into the warehouse; a crawl that left nothing is recorded as missing."""
        from newsmon import tasks

        return tasks.load_staging(tasks.task_settings(), run_id=day["run_id"], only=params["sources"])

    @task(pool=WAREHOUSE_POOL, execution_timeout=timedelta(minutes=10))
    def check_health(day: dict, loaded: dict) -> str:
        """Fail the run when too many of the day's sources failed or one is broken, naming them."""
        from newsmon import tasks

        return tasks.check_health(tasks.task_settings(), day["run_id"])

    @task(execution_timeout=timedelta(minutes=60), **WAREHOUSE_RETRIES)
    def classify_articles(loaded: dict, model: str, params=None) -> int:
        """Score every article the current model has not scored yet."""
        from newsmon import tasks

        return tasks.classify_articles(tasks.task_settings(), rescore=params["rescore"])

    @task(outlets=[WAREHOUSE], execution_timeout=timedelta(minutes=30), **WAREHOUSE_RETRIES)
    def cluster_stories(scored: int) -> int:
        """Group the new articles into stories (the same news from several outlets)."""
        from newsmon import tasks

        return tasks.cluster_stories(tasks.task_settings())

    day = resolve_day()
    sources = list_sources()
    day >> sources
    crawled = crawl_source.partial(day=day).expand(source=sources)
    loaded = load_staging(day)
    crawled >> loaded
    check_health(day, loaded)
    cluster_stories(classify_articles(loaded, find_model()))


newsmon_daily()
