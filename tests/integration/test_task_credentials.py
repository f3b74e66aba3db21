"""A task's object-store credentials from an Airflow connection (newsmon.tasks.task_settings) when the
AWS variables are absent: here the connection comes from an AIRFLOW_CONN_* variable and the test
checks what the task process's AWS variables become; the Celery test (test_scaleout_workers) takes
it from the metadata DB through the api-server and uses it against moto's S3. Never logged."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from newsmon.pipeline import PipelineError
from tests.object_store import KEY_ID, SECRET

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

AWS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
       "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "NEWSMON_AWS_CONN_ID")


@pytest.fixture
def no_aws(tmp_path: Path, monkeypatch):
    """No AWS variables (and whatever task_settings sets is removed afterwards); fresh settings."""
    from newsmon.config import get_settings

    for name in AWS:
        monkeypatch.setenv(name, "")  # recorded, so monkeypatch restores it (or its absence) afterwards
        monkeypatch.delenv(name)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow"))
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSMON_STAGING_URL", "s3://newsmon/staging")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_task_takes_the_bucket_key_from_the_airflow_connection(no_aws, monkeypatch, caplog):
    from newsmon.tasks import task_settings

    monkeypatch.setenv("NEWSMON_AWS_CONN_ID", "newsmon_bucket")
    monkeypatch.setenv("AIRFLOW_CONN_NEWSMON_BUCKET", json.dumps({
        "conn_type": "aws", "login": KEY_ID, "password": SECRET,
        "extra": {"endpoint_url": "http://127.0.0.1:9", "region_name": "eu-north-1"}}))
    with caplog.at_level(logging.DEBUG):
        task_settings()
    assert {name: os.environ.get(name) for name in AWS[:-1]} == {
        "AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": None,
        "AWS_REGION": "eu-north-1", "AWS_DEFAULT_REGION": None, "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ENDPOINT_URL_S3": None, "AWS_PROFILE": None}
    assert SECRET not in caplog.text


def test_a_named_connection_that_does_not_exist_is_one_line(no_aws, monkeypatch):
    from newsmon.tasks import task_settings

    monkeypatch.setenv("NEWSMON_AWS_CONN_ID", "no_such_bucket")
    with pytest.raises(PipelineError, match=r"^no Airflow connection 'no_such_bucket' \(NEWSMON_AWS_CONN_ID\)"):
        task_settings()


def test_without_an_s3_store_or_with_aws_variables_no_connection_is_read(no_aws, monkeypatch):
    from newsmon.tasks import task_settings

    monkeypatch.setenv("NEWSMON_AWS_CONN_ID", "no_such_bucket")  # would fail if it were read
    from newsmon.config import get_settings

    monkeypatch.setenv("NEWSMON_STAGING_URL", "/shared/staging")
    task_settings()
    get_settings.cache_clear()
    monkeypatch.setenv("NEWSMON_STAGING_URL", "s3://newsmon/staging")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-the-environment")
    task_settings()
    assert os.environ["AWS_ACCESS_KEY_ID"] == "from-the-environment"
