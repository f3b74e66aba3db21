"""The weekly digest: what a week shows (from the warehouse views), a preview file, the send and its ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from newsmon.config import Settings
from newsmon.domain import utc_now
from newsmon.files import write_atomically
from newsmon.pipeline.common import PipelineError
from newsmon.pipeline.store import connection, publish_snapshot


def iso_week_bounds(week: str) -> tuple[date, date]:
    """'2026-W47' -> (Monday, next Monday)."""
    from datetime import timedelta

    try:
        year, number = week.upper().split("-W")
        monday = date.fromisocalendar(int(year), int(number), 1)
    except ValueError:
        raise PipelineError(f"not an ISO week: {week!r} (expected e.g. 2026-W47)") from None
    return monday, monday + timedelta(days=7)


def last_complete_week(today: date) -> str:
    from datetime import timedelta

    year, number, _ = (today - timedelta(days=7)).isocalendar()
    return f"{year}-W{number:02d}"


def latest_article_week(settings: Settings) -> str:
    """ISO week of the newest published article (the demo's digest week)."""
    from warehouse.digests import newest_published

    with connection(settings, read_only=True) as con:
        newest = newest_published(con)
    if newest is None:
        raise PipelineError("the warehouse has no articles yet")
    year, number, _ = newest.isocalendar()
    return f"{year}-W{number:02d}"


@dataclass(frozen=True)
class DigestParts:
    context: dict
    images: dict[str, bytes]  # Content-ID -> PNG, in the order the digest shows them
    article_ids: list[str]


def digest_parts(settings: Settings, week: str, *, stories_per_label: int = 10, rising_min_articles: int = 3,
                 rising_per_label: int = 5) -> DigestParts:
    """What a week's digest shows, read from the warehouse's views (warehouse/queries/digest_*.sql)."""
    from newsmon.digest.chart import sector_chart, trend_chart
    from newsmon.digest.render import SECTOR_CID, TREND_CID, DigestRows, digest_context
    from warehouse.digests import digest_rows

    start, end = iso_week_bounds(week)
    with connection(settings, read_only=True) as con:
        def rows(name: str, *params) -> list[tuple]:
            return digest_rows(con, name, *params)

        data = DigestRows(
            volume=rows("digest_counts", start, end)[0], changes=rows("digest_changes", start),
            trend=rows("digest_trend", start), sectors=rows("digest_sectors", start),
            stories=rows("digest_stories", start, end, stories_per_label),
            rising=rows("digest_rising", start, rising_min_articles, rising_per_label),
            health=rows("digest_health", start, end))
        article_ids = [row[0] for row in rows("digest_articles", start, end)]
    images = {TREND_CID: trend_chart(data.trend, f"Share of articles flagged, 12 weeks to {week}")}
    sectors = sector_chart([(sector, label, flagged) for sector, label, _, flagged, _ in data.sectors])
    if sectors is not None:
        images[SECTOR_CID] = sectors
    return DigestParts(digest_context(week, start, end, data), images, article_ids)


def render_digest_preview(settings: Settings, week: str, out: Path) -> Path:
    """The digest's HTML as a file, the charts embedded as data URIs."""
    import base64

    from newsmon.digest.render import render_digest_html

    if out.is_dir():
        raise PipelineError(f"{out} is a folder: give the file to write the digest to, e.g. {out / (week + '.html')}")
    parts = digest_parts(settings, week)
    sources = {cid: "data:image/png;base64," + base64.b64encode(png).decode("ascii")
               for cid, png in parts.images.items()}
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(out, render_digest_html(parts.context, sources))
    except OSError as exc:
        raise PipelineError(f"cannot write the digest to {out}: {exc.strerror or exc}") from None
    return out




def send_digest(settings: Settings, week: str, *, force: bool = False) -> dict:
    """Send a week's digest once: a week in the `digests` ledger is skipped unless forced; the ledger
    row is written only after the SMTP server accepted the message, and lists the recipients it
    accepted it for. When it refused some, the row records the others and a SendError names the
    refused (a partial delivery is never recorded as sent to everyone, nor passes silently)."""
    from newsmon.digest.email import SendError, build_message, send_message
    from newsmon.digest.render import render_digest_html, render_digest_text, subject_line
    from warehouse.digests import record_digest, sent_digest

    email = settings.email
    if not email.recipients:
        raise SendError("no recipients: set NEWSMON_EMAIL__RECIPIENTS (comma-separated)")
    iso_week_bounds(week)
    with connection(settings) as con:  # migrated, so the ledger exists
        sent = sent_digest(con, week)
    if sent and not force:
        return {"week": week, "status": "already sent", "sent_at": sent[0], "message_id": sent[1]}
    parts = digest_parts(settings, week)
    message = build_message(
        subject=subject_line(parts.context), sender=email.sender, recipients=email.recipients,
        text=render_digest_text(parts.context),
        html=render_digest_html(parts.context, {cid: f"cid:{cid}" for cid in parts.images}), images=parts.images)
    refused = send_message(message, host=email.smtp_host, port=email.smtp_port, security=email.security,
                           username=email.username,
                           password=email.password.get_secret_value() if email.password else None,
                           attempts=email.send_attempts, backoff=email.retry_backoff,
                           ca_file=str(email.ca_file) if email.ca_file else None)
    from email.utils import parseaddr

    delivered = [r for r in email.recipients if parseaddr(r)[1] not in refused]
    sent_at = utc_now()
    with connection(settings) as con:
        record_digest(con, week=week, recipients=delivered, sent_at=sent_at, message_id=message["Message-ID"],
                      subject=message["Subject"], article_ids=parts.article_ids)
        publish_snapshot(settings, con)  # readers see the ledger row
    if refused:
        refusals = ", ".join(f"{address} ({reply})" for address, reply in refused.items())
        raise SendError(f"digest for {week} sent to {len(delivered)} of {len(email.recipients)} recipients and "
                        f"recorded as sent to them only; the SMTP server refused {refusals[:400]}: "
                        "fix the address, then --send --force sends it again to everyone")
    return {"week": week, "status": "sent", "sent_at": sent_at, "message_id": message["Message-ID"],
            "recipients": delivered, "articles": len(parts.article_ids)}
