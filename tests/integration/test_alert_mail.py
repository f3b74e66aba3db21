"""Failure alerts over a real SMTP server: one mail per failure, none where a task's alert already
said why the run failed, and none without recipients."""

from email import message_from_bytes
from types import SimpleNamespace

import pytest

from newsmon import alerts
from newsmon.config import get_settings


@pytest.fixture
def alert_env(monkeypatch, smtp, tmp_path):
    controller, inbox = smtp
    for name, value in {"NEWSMON_DATA_DIR": str(tmp_path), "NEWSMON_EMAIL__SMTP_HOST": "127.0.0.1",
                        "NEWSMON_EMAIL__SMTP_PORT": str(controller.port), "NEWSMON_EMAIL__RECIPIENTS": "ops@example.org",
                        "NEWSMON_EMAIL__RETRY_BACKOFF": "0",
                        # the alert asks Airflow for smtp_default: its config goes here, not to ~/airflow
                        "AIRFLOW_HOME": str(tmp_path / "airflow")}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield inbox
    get_settings.cache_clear()


def test_a_run_failure_mails_only_when_no_task_alert_said_why(alert_env):
    run = SimpleNamespace(dag_id="newsmon_daily", run_id="scheduled__2026-11-23")
    alerts.on_dag_failure({"dag_run": run, "reason": "task_failure"})
    assert alert_env.messages == []
    alerts.on_dag_failure({"dag_run": run, "reason": "timed_out"})
    [(recipients, raw)] = alert_env.messages
    message = message_from_bytes(raw)
    assert recipients == ["ops@example.org"]
    assert message["Subject"] == "[newsmon] newsmon_daily: run failed (timed_out)"
    assert "Run scheduled__2026-11-23 of newsmon_daily failed: timed_out." in message.get_payload()


def test_an_unreachable_smtp_server_or_no_recipients_never_raises_from_the_callback(alert_env, monkeypatch):
    ti = SimpleNamespace(dag_id="d", run_id="r", task_id="t", map_index=-1, try_number=1, log_url=None)
    monkeypatch.setenv("NEWSMON_EMAIL__RECIPIENTS", "")
    get_settings.cache_clear()
    alerts.on_task_failure({"ti": ti, "exception": RuntimeError("boom")})  # logged: no recipients
    monkeypatch.setenv("NEWSMON_EMAIL__RECIPIENTS", "ops@example.org")
    monkeypatch.setenv("NEWSMON_EMAIL__SMTP_PORT", "1")
    get_settings.cache_clear()
    alerts.on_task_failure({"ti": ti, "exception": RuntimeError("boom")})  # logged: could not send
    assert alert_env.messages == []
