"""Sending the digest to a real SMTP server (aiosmtpd) on 127.0.0.1."""

import email
import email.policy
import os
import subprocess
import sys

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from newsmon import pipeline
from newsmon.config import EmailSettings
from newsmon.digest.email import SendError
from tests.conftest import Inbox
from tests.servers import free_port
from tests.unit.test_digest import _seed

USER, PASSWORD = "digest-bot", "s3cret-Passw0rd"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_auth():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=_authenticator,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    yield controller, inbox
    controller.stop()


def _with_email(settings, port, **extra):
    return settings.model_copy(update={"email": EmailSettings(
        smtp_host="127.0.0.1", smtp_port=port, sender="newsmon@example.org",
        recipients=["analyst@example.org", "lead@example.org"], retry_backoff=0.01, **extra)})


def test_digest_arrives_with_text_html_and_inline_chart(settings, smtp):
    controller, inbox = smtp
    _seed(settings, "<script>alert(1)</script> Parcel hub\nswitches on robots")
    settings = _with_email(settings, controller.port)
    result = pipeline.send_digest(settings, "2026-W47")
    assert result["status"] == "sent" and result["articles"] == 1

    (recipients, raw), = inbox.messages
    assert recipients == ["analyst@example.org", "lead@example.org"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == "newsmon 2026-W47: 1 integration, 0 decentralization of 1 articles"
    assert message["To"] == "analyst@example.org, lead@example.org"
    assert message.get_content_type() == "multipart/alternative"
    text_part, related = message.get_payload()
    assert text_part.get_content_type() == "text/plain"
    assert "<script>alert(1)</script> Parcel hub" in text_part.get_content()
    html_part, image = related.get_payload()
    html = html_part.get_content()
    assert 'src="cid:trend-chart"' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'style="' in html  # CSS inlined for mail clients
    assert image.get_content_type() == "image/png" and image["Content-ID"] == "<trend-chart>"
    assert image.get_payload(decode=True).startswith(b"\x89PNG")

    _, ledger = pipeline.run_sql(settings, "select week, recipients, message_id, article_ids from digests")
    assert ledger == [("2026-W47", ["analyst@example.org", "lead@example.org"], message["Message-ID"], ["a1"])]


def test_a_week_is_sent_once_unless_forced(settings, smtp):
    controller, inbox = smtp
    _seed(settings, "Parcel hub switches on sorting robots")
    settings = _with_email(settings, controller.port)
    assert pipeline.send_digest(settings, "2026-W47")["status"] == "sent"
    assert pipeline.send_digest(settings, "2026-W47")["status"] == "already sent"
    assert len(inbox.messages) == 1
    assert pipeline.send_digest(settings, "2026-W47", force=True)["status"] == "sent"
    assert len(inbox.messages) == 2


def test_empty_week_is_still_a_valid_email(settings, smtp):
    controller, inbox = smtp
    _seed(settings, "Parcel hub switches on sorting robots")
    pipeline.send_digest(_with_email(settings, controller.port), "2026-W40")
    message = email.message_from_bytes(inbox.messages[0][1], policy=email.policy.default)
    assert "No articles flagged this week." in message.get_body(("plain",)).get_content()


def test_auth_accepted_and_refused_and_password_never_stored(settings, smtp_auth):
    controller, inbox = smtp_auth
    _seed(settings, "Parcel hub switches on sorting robots")
    good = _with_email(settings, controller.port, username=USER, password=PASSWORD)
    assert pipeline.send_digest(good, "2026-W47")["status"] == "sent"
    wrong = _with_email(settings, controller.port, username=USER, password="wrong")
    with pytest.raises(SendError, match="authentication refused"):
        pipeline.send_digest(wrong, "2026-W46")
    assert len(inbox.messages) == 1
    _, weeks = pipeline.run_sql(settings, "select week from digests")
    assert weeks == [("2026-W47",)]
    assert PASSWORD.encode() not in (settings.data_dir / "newsmon.duckdb").read_bytes()


def test_smtp_down_is_a_clear_failure_and_nothing_is_recorded(settings):
    _seed(settings, "Parcel hub switches on sorting robots")
    env = {**os.environ, "NEWSMON_DATA_DIR": str(settings.data_dir), "NEWSMON_EMAIL__SMTP_HOST": "127.0.0.1",
           "NEWSMON_EMAIL__SMTP_PORT": str(free_port()), "NEWSMON_EMAIL__RECIPIENTS": "a@example.org",
           "NEWSMON_EMAIL__RETRY_BACKOFF": "0.05", "NEWSMON_EMAIL__PASSWORD": PASSWORD}
    result = subprocess.run([sys.executable, "-m", "newsmon", "digest", "--week", "2026-W47", "--send"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: could not send the digest via 127.0.0.1:")
    assert "after 3 attempts" in lines[0]
    assert PASSWORD not in result.stderr + result.stdout
    _, rows = pipeline.run_sql(settings, "select count(*) from digests")
    assert rows == [(0,)]
