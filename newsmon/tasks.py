"""What each Airflow task calls: one function per task of dags/, named like the task, taking the
settings and the task's arguments and returning a small, XCom-safe value. The steps themselves are
newsmon.pipeline's; these only look names up, log and shape results.

A task may run on any worker of several machines: one that uses the warehouse first checks it
exists and is current (require_warehouse: it never creates or migrates one, that is `newsmon db
migrate`, run once), and staging and the model move through the object store when
NEWSMON_STAGING_URL / NEWSMON_MODELS_URL say so (newsmon.pipeline.shared). The DAGs build a task's
settings with task_settings, which also takes the object store's credentials from an Airflow
connection where the environment has none."""

from __future__ import annotations

import logging
import os
from datetime import date, datetime

from newsmon import pipeline
from newsmon.config import Settings, get_settings
from newsmon.pipeline.shared import fetch_model, fetch_staging, share_staging
from newsmon.pipeline.store import require_warehouse
from newsmon.sources import load_sources

# The Airflow connection that holds the object store's key when the AWS variables do not (e.g. one
# made with `airflow connections add aws_default --conn-type aws --conn-login KEY --conn-password
# SECRET --conn-extra '{"region_name": ..., "endpoint_url": ...}'`); NEWSMON_AWS_CONN_ID names another.
AWS_CONNECTION = "aws_default"
_FROM_CONNECTION = {"region_name": "AWS_REGION", "endpoint_url": "AWS_ENDPOINT_URL",
                    "aws_session_token": "AWS_SESSION_TOKEN"}


def task_settings() -> Settings:
    """A task's settings (get_settings), with the object store's credentials taken from an Airflow
    connection when the settings use an s3:// store and no AWS key is in the environment: the
    connection's login and password become this task process's AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY (its extras region_name, endpoint_url, aws_session_token the matching
    variables), which s3fs and DuckDB's httpfs read. aws_default is optional; a connection named by
    NEWSMON_AWS_CONN_ID must exist. Nothing of it is logged."""
    settings = get_settings()
    stores = (settings.staging_url, settings.models_url, settings.warehouse.data_path)
    if os.environ.get("AWS_ACCESS_KEY_ID") or not any(str(url or "").startswith(("s3://", "s3a://"))
                                                      for url in stores):
        return settings
    named = os.environ.get("NEWSMON_AWS_CONN_ID")
    try:
        from airflow.sdk import BaseHook

        connection = BaseHook.get_connection(named or AWS_CONNECTION)
    except Exception as exc:  # AirflowNotFoundException: the default one is optional
        if named:
            raise pipeline.PipelineError(f"no Airflow connection {named!r} (NEWSMON_AWS_CONN_ID) to take the "
                                         f"object store's credentials from ({type(exc).__name__})") from None
        return settings
    if connection.login and connection.password:
        os.environ["AWS_ACCESS_KEY_ID"] = connection.login
        os.environ["AWS_SECRET_ACCESS_KEY"] = connection.password
    extra = connection.extra_dejson
    for key, variable in _FROM_CONNECTION.items():
        if extra.get(key) and not os.environ.get(variable):
            os.environ[variable] = str(extra[key])
    return settings


def list_sources(settings: Settings, only: list[str] | None = None) -> list[str]:
    """Names of the enabled sources of sources.yaml, or `only` (a manual run's subset)."""
    return pipeline.sources_to_crawl(settings, only)


def find_model(settings: Settings) -> str:
    """The model that will score the day; one line, never a training run, when there is none."""
    fetch_model(settings)
    return str(pipeline.require_model(settings))


def crawl_source(settings: Settings, name: str, *, run_id: str, since: datetime | None = None,
                 until: datetime | None = None) -> dict:
    """Crawl one source of sources.yaml by name, its Scrapy log in the task's log; a small summary."""
    by_name = {s.name: s for s in load_sources(settings.sources_file)}
    if name not in by_name:
        raise pipeline.PipelineError(f"no source named {name!r} in {settings.sources_file}")
    log = logging.getLogger("newsmon.crawl")  # in a task, its Airflow log shows the Scrapy log
    result = pipeline.crawl_source(by_name[name], run_id=run_id, settings=settings, since=since, until=until,
                                   on_log=lambda line: log.info("%s", line))
    share_staging(settings, run_id, result.source)
    return {"source": result.source, "ok": result.ok, "articles": result.articles,
            "staging_path": result.staging_path, "error": result.error}


def load_staging(settings: Settings, *, run_id: str, only: list[str] | None = None) -> dict:
    """Load the day's staging, the sources whose crawl left nothing recorded as missing (load_day)."""
    require_warehouse(settings)
    fetch_staging(settings, run_id)
    return pipeline.load_day(settings, run_id=run_id, only=only)


def check_health(settings: Settings, run_id: str) -> str:
    """The day's health in a line or a few; raises (a red run) when the day went wrong."""
    require_warehouse(settings)
    return pipeline.check_health(settings, run_id).message()


def classify_articles(settings: Settings, *, rescore: bool = False) -> int:
    """Score what the current model has not scored (with rescore, also the history scored by
    earlier versions); without a model, fail in one line (a task never trains)."""
    require_warehouse(settings)
    fetch_model(settings)
    pipeline.require_model(settings)
    return pipeline.classify_unscored(settings, rescore=rescore)


def cluster_stories(settings: Settings) -> int:
    """Group the articles without a story into stories; how many."""
    require_warehouse(settings)
    return pipeline.cluster_unclustered(settings)


def send_digest(settings: Settings, run_date: date, *, week: str | None = None, force: bool = False) -> dict:
    """The scheduled send: the last complete ISO week before run_date (or `week`, a manual run's
    choice; force sends a week already sent again); a small, XCom-safe result."""
    require_warehouse(settings)
    result = pipeline.send_digest(settings, week or pipeline.last_complete_week(run_date), force=force)
    return {key: str(value) for key, value in result.items() if key in ("week", "status", "message_id")}


def upkeep_warehouse(settings: Settings, now: datetime) -> dict:
    """The weekly DuckLake upkeep as of now (the run's date); its counts, or why there was none."""
    from newsmon.pipeline.upkeep import upkeep_warehouse as upkeep

    result = upkeep(settings, now=now)
    logging.getLogger("newsmon.upkeep").info("%s", result.get("message") or result.get("skipped"))
    return {key: value for key, value in result.items() if key != "message"}
