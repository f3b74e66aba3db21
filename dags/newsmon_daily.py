"""Daily pipeline: crawl every enabled source (one mapped task each), load, classify, cluster.

A run covers one day, its data interval (a manual run triggered without a logical date has none,
and covers the last whole UTC day before it): its staging run id is the day's date and its crawls
stage only articles published that day, so a backfill fills each past day.
Crawls share the `newsmon_crawl` pool; the steps that write the warehouse share the one-slot
`newsmon_warehouse` pool, which keeps backfill runs (outside max_active_runs) to one writer.
Both pools are in dags/pools.json: `airflow pools import dags/pools.json`.
"""

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, CronDataIntervalTimetable, dag, task

WAREHOUSE = Asset(name="newsmon_warehouse", uri="file:///newsmon/warehouse")
CRAWL_POOL = "newsmon_crawl"
WAREHOUSE_POOL = "newsmon_warehouse"


@dag(
    dag_id="newsmon_daily",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["newsmon"],
    default_args={"owner": "newsmon", "retries": 0},
    doc_md=__doc__,
)
def newsmon_daily():
    @task
    def resolve_day(data_interval_start=None, data_interval_end=None, dag_run=None) -> dict:
        """The day the run covers: its data interval, or the last whole UTC day before a manual run."""
        end = data_interval_end or pendulum.instance(dag_run.run_after).in_timezone("UTC").start_of("day")
        start = data_interval_start or end.subtract(days=1)
        return {"run_id": start.date().isoformat(), "since": start, "until": end}

    @task
    def list_sources() -> list[str]:
        """Names of the enabled sources in sources.yaml."""
        from newsmon import pipeline
        from newsmon.config import get_settings

        return pipeline.enabled_source_names(get_settings())

    @task(pool=CRAWL_POOL, retries=2, retry_delay=timedelta(minutes=2), retry_exponential_backoff=2.0,
          execution_timeout=timedelta(minutes=30))
    def crawl_source(source: str, day: dict) -> dict:
        """Crawl one source's articles of the day into staging; a failing source is recorded, not raised."""
        from newsmon import pipeline
        from newsmon.config import get_settings

        return pipeline.crawl_named_source(get_settings(), source, run_id=day["run_id"], since=day["since"],
                                           until=day["until"])

    @task(pool=WAREHOUSE_POOL)
    def load_staging(day: dict, results: list[dict]) -> int:
        """Upsert the day's staging files into the warehouse (the single writer)."""
        from newsmon import pipeline
        from newsmon.config import get_settings

        return pipeline.load_named_run(get_settings(), run_id=day["run_id"])

    @task(pool=WAREHOUSE_POOL)
    def classify_articles(loaded: int) -> int:
        """Score every article the current model has not scored yet."""
        from newsmon import pipeline
        from newsmon.config import get_settings

        return pipeline.classify_new(get_settings())

    @task(pool=WAREHOUSE_POOL, outlets=[WAREHOUSE])
    def cluster_stories(scored: int) -> int:
        """Group the new articles into stories (the same news from several outlets)."""
        from newsmon import pipeline
        from newsmon.config import get_settings

        return pipeline.cluster_new(get_settings())

    day = resolve_day()
    crawled = crawl_source.partial(day=day).expand(source=list_sources())
    cluster_stories(classify_articles(load_staging(day, crawled)))


newsmon_daily()
