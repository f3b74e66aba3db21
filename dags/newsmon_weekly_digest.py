"""Weekly digest: every Monday morning, email the previous ISO week's digest (once per week)."""

import os

import pendulum
from airflow.sdk import CronTriggerTimetable, dag, task

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
    default_args={"owner": "newsmon", "retries": 0},
    doc_md=__doc__,
)
def newsmon_weekly_digest():
    @task
    def send_digest(logical_date=None, dag_run=None) -> dict:
        """Send the digest of the ISO week before the run's local date; a week already sent is skipped."""
        from newsmon import pipeline
        from newsmon.config import get_settings

        # the date where the digest is read: Monday 07:00 in Tokyo is still Sunday in UTC; a manual
        # run triggered without a logical date goes by when it was triggered
        when = pendulum.instance(logical_date or dag_run.run_after).in_timezone(TIMEZONE)
        return pipeline.send_weekly_digest(get_settings(), when.date())

    send_digest()


newsmon_weekly_digest()
