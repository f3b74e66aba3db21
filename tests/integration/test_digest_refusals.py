"""A recipient the SMTP server refuses (aiosmtpd on 127.0.0.1 answering 550 to one RCPT): reported in
one line, exit 1, and the ledger records only the recipients who got the digest."""

from __future__ import annotations

import duckdb
import pytest
from aiosmtpd.controller import Controller

from tests.conftest import Inbox
from tests.servers import free_port
from tests.support.cli import newsmon
from tests.support.digest import seed_flagged_article

REFUSED = "nobody@example.org"


class Refusing(Inbox):
    """Keeps what it receives, refusing the RCPT of every address in `refuse`."""

    def __init__(self, refuse: set[str]) -> None:
        super().__init__()
        self.refuse = refuse
        self.rcpt_seen: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's naming)
        self.rcpt_seen.append(address)
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def refusing_smtp(request):
    handler = Refusing(request.param)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def _send(settings, port: int, recipients: str):
    return newsmon("digest", "--send", "--week", "2026-W47", data_dir=settings.data_dir,
                   NEWSMON_EMAIL__SMTP_HOST="127.0.0.1", NEWSMON_EMAIL__SMTP_PORT=str(port),
                   NEWSMON_EMAIL__SENDER="newsmon@example.org", NEWSMON_EMAIL__RECIPIENTS=recipients,
                   NEWSMON_EMAIL__RETRY_BACKOFF="0.01")


def _ledger(settings) -> list[tuple]:
    con = duckdb.connect(settings.warehouse_path, read_only=True)
    try:
        return con.execute("select week, recipients from digests").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("refusing_smtp", [{REFUSED}], indirect=True)
def test_partly_refused_send_is_reported_and_records_who_got_it(settings, refusing_smtp):
    controller, handler = refusing_smtp
    seed_flagged_article(settings, "Parcel hub switches on sorting robots")
    result = _send(settings, controller.port, f"analyst@example.org, {REFUSED}")
    assert result.returncode == 1, result.stdout
    (line,) = result.stderr.strip().splitlines()
    assert line == ("error: digest for 2026-W47 sent to 1 of 2 recipients and recorded as sent to them only; "
                    f"the SMTP server refused {REFUSED} (550 5.1.1 no such user here): fix the address, "
                    "then --send --force sends it again to everyone")
    ((recipients, _),) = handler.messages
    assert recipients == ["analyst@example.org"]
    assert _ledger(settings) == [("2026-W47", ["analyst@example.org"])]


@pytest.mark.parametrize("refusing_smtp", [{REFUSED, "also-nobody@example.org"}], indirect=True)
def test_every_recipient_refused_is_one_line_no_retry_and_nothing_recorded(settings, refusing_smtp):
    controller, handler = refusing_smtp
    seed_flagged_article(settings, "Parcel hub switches on sorting robots")
    result = _send(settings, controller.port, f"{REFUSED}, also-nobody@example.org")
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: the SMTP server 127.0.0.1:{controller.port} refused every recipient: ")
    assert f"{REFUSED} (550 5.1.1 no such user here)" in line
    assert sorted(handler.rcpt_seen) == sorted([REFUSED, "also-nobody@example.org"])  # one attempt, no retries
    assert handler.messages == []
    assert _ledger(settings) == []
