"""Alert emails when a scheduled task or run fails: Airflow failure callbacks that send one short,
plain message through newsmon's SMTP settings (the digest's sender), or through Airflow's SMTP
notifier where an Airflow connection `smtp_default` exists. Nothing secret, no markup from the web."""

from __future__ import annotations

import html
import logging
import re
from email.message import EmailMessage
from email.utils import make_msgid

log = logging.getLogger(__name__)

AIRFLOW_CONNECTION = "smtp_default"
MAX_ERROR_CHARS = 4000

_TAG = re.compile(r"<[^<>]{0,2000}>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SECRET_PAIR = re.compile(r"(?i)\b(password|passwd|pwd|secret|token|api[_-]?key)(\s*[=:]\s*)('[^']*'|\"[^\"]*\"|\S+)")
# user:password@ in a URL, or left of a host in an error message that quotes one without its scheme
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://|(?<![\w:/@.-]))[^/\s:@]+:[^/\s@]+@(?=[\w\[])")


def clean(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Text safe to mail: markup from the web stripped, control characters gone, the given secret
    values and anything shaped like a credential (password=..., user:pass@ in a URL) masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _USERINFO.sub(r"\1***@", _SECRET_PAIR.sub(r"\1\2***", text))
    text = _CONTROL.sub("", _TAG.sub("", text))
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS - 1] + "…"


def describe(context: dict, secrets: tuple[str, ...] = ()) -> tuple[str, str]:
    """(subject, body) of a failure from an Airflow callback context: a task's (with its error)
    or a run's (with the reason)."""
    dag_run = context.get("dag_run")
    ti = context.get("task_instance") or context.get("ti")
    dag_id = getattr(dag_run, "dag_id", None) or getattr(ti, "dag_id", "?")
    run_id = getattr(dag_run, "run_id", None) or getattr(ti, "run_id", "?")
    error = context.get("exception")
    if error is not None and ti is not None:
        task = ti.task_id + (f"[{ti.map_index}]" if getattr(ti, "map_index", -1) >= 0 else "")
        subject = f"{dag_id}: {task} failed"
        lines = [f"Task {task} of {dag_id} failed (try {getattr(ti, 'try_number', '?')}).",
                 f"Run: {run_id}", "",
                 clean(f"{type(error).__name__}: {error}" if str(error) else type(error).__name__, secrets)]
    else:
        reason = context.get("reason") or "failed"
        subject = f"{dag_id}: run failed ({clean(str(reason), secrets)})"
        lines = [f"Run {run_id} of {dag_id} failed: {clean(str(reason), secrets)}."]
    interval = [context.get("data_interval_start"), context.get("data_interval_end")]
    if all(interval):
        lines.insert(2, f"Data interval: {interval[0]} to {interval[1]}")
    log_url = getattr(ti, "log_url", None) if error is not None else None
    if log_url:
        lines += ["", f"Log: {log_url}"]
    return clean(" ".join(subject.split()), secrets), "\n".join(lines) + "\n"


def send_alert(settings, subject: str, body: str, *, context: dict | None = None) -> str:
    """Mail an alert; returns how it went ('smtp_default', 'newsmon smtp' or why nothing was sent)."""
    alert, email = settings.alert, settings.email
    recipients = alert.recipients or email.recipients
    if not recipients:
        log.warning("no alert sent: set NEWSMON_ALERT__RECIPIENTS (or NEWSMON_EMAIL__RECIPIENTS)")
        return "no recipients"
    subject = f"{alert.subject_prefix} {subject}".strip()
    connection = _airflow_connection()
    if connection is not None:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        # notify(), not the notifier's __call__: that would render subject and body as Jinja
        # templates, and they hold text from the web
        SmtpNotifier(to=recipients, from_email=connection.extra_dejson.get("from_email") or email.sender,
                     subject=subject, html_content=f"<pre>{html.escape(body)}</pre>",
                     smtp_conn_id=AIRFLOW_CONNECTION).notify(context or {})
        return AIRFLOW_CONNECTION
    from newsmon.digest.email import send_message
    from newsmon.domain import one_line

    message = EmailMessage()
    message["Subject"] = one_line(subject)
    message["From"] = one_line(email.sender)
    message["To"] = ", ".join(one_line(r) for r in recipients)
    message["Message-ID"] = make_msgid(domain=email.sender.rsplit("@", 1)[-1] if "@" in email.sender else None)
    message.set_content(body)
    send_message(message, host=email.smtp_host, port=email.smtp_port, security=email.security,
                 username=email.username, password=email.password.get_secret_value() if email.password else None,
                 attempts=email.send_attempts, backoff=email.retry_backoff,
                 ca_file=str(email.ca_file) if email.ca_file else None)
    return "newsmon smtp"


def _airflow_connection():
    """Airflow's `smtp_default` connection, or None where there is none (or no Airflow)."""
    try:
        from airflow.sdk import BaseHook

        return BaseHook.get_connection(AIRFLOW_CONNECTION)
    except Exception:  # AirflowNotFoundException, or no Airflow to ask: newsmon's own SMTP
        return None


def _secrets(settings) -> tuple[str, ...]:
    password = settings.email.password.get_secret_value() if settings.email.password else ""
    lake = settings.warehouse.url or ""
    return tuple(s for s in (password, lake if lake != settings.warehouse_label else "") if s)


def on_task_failure(context: dict) -> None:
    """Airflow on_failure_callback of every task: one alert for a task that failed for good."""
    _alert(context)


def on_dag_failure(context: dict) -> None:
    """Airflow on_failure_callback of a DAG: an alert only when no task's own alert said why (the
    run timed out, or its tasks deadlocked)."""
    if context.get("reason") != "task_failure":
        _alert(context)


def _alert(context: dict) -> None:
    from newsmon.config import get_settings

    try:
        settings = get_settings()
        subject, body = describe(context, _secrets(settings))
        how = send_alert(settings, subject, body, context=context)
        log.info("alert %r: %s", subject, how)
    except Exception as exc:  # a callback that raises only adds noise to the log it is in
        log.error("could not send the failure alert: %s", clean(str(exc)))
