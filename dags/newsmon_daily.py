"""Daily pipeline: crawl every enabled source (one mapped task each), load, classify, cluster.

A run covers one day, its data interval: its staging run id is the interval's start date and its
crawls stage only articles published in that interval, so a backfill fills each past day.
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
    def list_sources() -> list[str]:
        """Names of the enabled sources in sources.yaml."""
        from newsmon import pipeline
        from newsmon.config import get_settings

        return pipeline.enabled_source_names(get_settings())

    @task(pool=CRAWL_POOL, retries=2, retry_delay=timedelta(minutes=2), retry_exponential_backoff=2.0,
          execution_timeout=timedelta(minutes=30))
    def crawl_source(source: str, data_interval_start=None, data_interval_end=None) -> dict:
        """Crawl one source's articles of the data interval into staging; a failing source is recorded, not raised."""
        from newsmon import pipeline
        from newsmon.config import get_settings

        return pipeline.crawl_named_source(get_settings(), source, run_id=data_interval_start.date().isoformat(),
                                           since=data_interval_start, until=data_interval_end)

    @task(pool=WAREHOUSE_POOL)
    def load_staging(results: list[dict], data_interval_start=None) -> int:
        """Upsert the run's staging files into the warehouse (the single writer)."""
        from newsmon import pipeline
        from newsmon.config import get_settings

        return pipeline.load_named_run(get_settings(), run_id=data_interval_start.date().isoformat())

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

    crawled = crawl_source.expand(source=list_sources())
    cluster_stories(classify_articles(load_staging(crawled)))


newsmon_daily()
