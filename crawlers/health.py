"""Per-source crawl health: counters and failures by kind, filled by the spider and pipelines."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from twisted.internet.error import (
    ConnectError,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

# Kinds of failure a source can have; `source_health` groups by them.
# torn_line, bad_line and bad_date are the loader's (warehouse.load.STAGING_PROBLEMS): lines of a
# staging file it skipped, or a date it dropped.
FAILURE_KINDS = ("dns", "timeout", "connection", "http", "redirect", "parse", "robots", "too_large",
                 "not_html", "empty_extraction", "blocked", "staging", "url_too_long", "torn_line",
                 "bad_line", "bad_date", "other")

_MAX_KEPT = 50  # failures kept verbatim per source and run; the counts keep the rest


@dataclass
class Health:
    counts: Counter = field(default_factory=Counter)
    failures: list[dict] = field(default_factory=list)

    def count(self, name: str, by: int = 1) -> None:
        self.counts[name] += by

    def fail(self, kind: str, url: str, message: str, *, listing: bool = False) -> None:
        """Count a failure; listing: of a feed, sitemap or section page, not an article (stored as
        feeds_failed and "feed", the names from before sitemaps and sections were listings too)."""
        if kind not in FAILURE_KINDS:  # a typo here would hide failures from source_health
            raise ValueError(f"unknown failure kind {kind!r}")
        self.counts[f"failed_{kind}"] += 1
        if listing:
            self.counts["feeds_failed"] += 1
        if len(self.failures) < _MAX_KEPT:
            self.failures.append({"kind": kind, "url": url, "message": message[:300],
                                  "feed": listing})


def classify_failure(failure: Failure) -> tuple[str, str]:
    """(kind, one-line message) for a request's errback failure.

    Scrapy 2.14+ raises its own download exceptions; the Twisted ones are kept for older releases.
    """
    from scrapy import exceptions as sx
    from scrapy.spidermiddlewares.httperror import HttpError

    from crawlers.middlewares import BlockedRequest

    exc = failure.value
    if failure.check(BlockedRequest):
        return "blocked", str(exc)[:300]
    if failure.check(HttpError):
        return "http", f"HTTP {exc.response.status}"
    if failure.check(sx.CannotResolveHostError, DNSLookupError):
        return "dns", "DNS lookup failed"
    if failure.check(sx.DownloadTimeoutError, TimeoutError, TCPTimedOutError):
        return "timeout", "timed out"
    if failure.check(sx.DownloadConnectionRefusedError, ConnectionRefusedError, ConnectError):
        return "connection", "connection refused"
    if failure.check(sx.DownloadCancelledError) or "maxsize" in str(exc).lower():
        return "too_large", "response larger than the page size limit"
    if failure.check(sx.IgnoreRequest):
        message = str(exc) or "ignored"
        if "robots" in message.lower():
            return "robots", message
        if "redirect" in message.lower():
            return "redirect", message
        return "other", message
    if failure.check(sx.DownloadFailedError, sx.ResponseDataLossError):
        return "connection", f"download failed: {exc}"[:300]
    return "other", f"{exc.__class__.__name__}: {exc}"[:300]
