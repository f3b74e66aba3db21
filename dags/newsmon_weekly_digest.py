"""Weekly digest: every Monday morning, email the previous ISO week's digest (once per week).

Manual runs take params: `week` (send this ISO week instead, e.g. 2026-W47) and `force` (send a
week already sent again). A failed send mails one alert.
"""

import os
from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, Param, dag, task

from newsmon.alerts import on_dag_failure, on_task_failure

# The schedule's timezone is read from the environment (the same variable newsmon's settings use),
# since DAG files must not build settings at parse time.
TIMEZONE = os.environ.get("NEWSMON_EMAIL__TIMEZONE", "UTC")


@dag(
    dag_id="newsmon_weekly_digest",
    schedule=CronTriggerTimetable("0 7 * * 1", timezone=TIMEZONE),
    start_date=pendulum.datetime(2026, 11, 2, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    tags=["newsmon"],
    default_args={"owner": "newsmon", "retries": 0, "on_failure_callback": on_task_failure},
    on_failure_callback=on_dag_failure,
    params={
        "week": Param(None, type=["null", "string"], pattern=r"^\d{4}-W\d{2}$",
                      description="the ISO week to send (empty: the last complete week)"),
        "force": Param(False, type="boolean", description="send even if that week was sent already"),
    },
    doc_md=__doc__,
)
def newsmon_weekly_digest():
    # the ledger is written in the warehouse: the warehouse pool's one writer, retried with backoff
    # (the send itself retries within the task, and a week is recorded only once sent)
    @task(pool="newsmon_warehouse", retries=3, retry_delay=timedelta(minutes=1), retry_exponential_backoff=2.0,
          max_retry_delay=timedelta(minutes=10), execution_timeout=timedelta(minutes=15))
    def send_digest(logical_date=None, dag_run=None, params=None) -> dict:
        """Send the digest of the ISO week before the run's local date; a week already sent is skipped."""
        from newsmon import tasks

        # the date where the digest is read: Monday 07:00 in Tokyo is still Sunday in UTC; a manual
        # run triggered without a logical date goes by when it was triggered
        when = pendulum.instance(logical_date or dag_run.run_after).in_timezone(TIMEZONE)
        return tasks.send_digest(tasks.task_settings(), when.date(), week=params["week"], force=params["force"])

    send_digest()


newsmon_weekly_digest()
