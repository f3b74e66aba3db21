"""Weekly DuckLake upkeep: every Sunday at 03:00 UTC, merge the small files the daily loads leave,
expire snapshots older than 7 days and delete the files nothing refers to any more (older than 7
days, so no running reader loses one). Its counts (files and snapshots before and after) are the
task's return value. A DuckDB file warehouse needs none: the task says so and succeeds.
"""

from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, dag, task

from newsmon.alerts import on_dag_failure, on_task_failure


@dag(
    dag_id="newsmon_weekly_upkeep",
    schedule=CronTriggerTimetable("0 3 * * 0", timezone="UTC"),
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["newsmon"],
    default_args={"owner": "newsmon", "retries": 0, "on_failure_callback": on_task_failure},
    on_failure_callback=on_dag_failure,
    doc_md=__doc__,
)
def newsmon_weekly_upkeep():
    # in the warehouse pool: the merge is a commit of its own, so it waits for the day's writers
    @task(pool="newsmon_warehouse", retries=3, retry_delay=timedelta(minutes=1), retry_exponential_backoff=2.0,
          max_retry_delay=timedelta(minutes=10), execution_timeout=timedelta(minutes=60))
    def upkeep_warehouse(logical_date=None, dag_run=None) -> dict:
        """Merge small files, expire old snapshots, delete unreferenced files; the counts before and after."""
        from newsmon import tasks

        return tasks.upkeep_warehouse(tasks.task_settings(), pendulum.instance(logical_date or dag_run.run_after))

    upkeep_warehouse()


newsmon_weekly_upkeep()
