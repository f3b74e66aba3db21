"""Feed spider: RSS/Atom entries (feedparser) followed to their article pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.conditional import FeedState, after_not_modified, after_response, request_headers
from crawlers.extract import extract_article
from crawlers.feeds import parse_feed
from crawlers.health import Health, classify_failure
from crawlers.items import PageItem
from newsmon.domain import normalize_url


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class FeedSpider(scrapy.Spider):
    name = "feeds"

    def __init__(self, source: dict, known_urls: frozenset[str] = frozenset(),
                 since: datetime | None = None, max_articles: int = 200,
                 feed_states: dict[str, FeedState] | None = None, revalidate_after: int = 4,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.feed_states: dict[str, FeedState] = dict(feed_states or {})
        self.revalidate_after = revalidate_after
        self.source = source
        self.allowed_domains = list(source.get("allowed_domains") or [])
        self.known_urls = known_urls
        self.since = since
        self.max_articles = max_articles
        self.health = Health()
        self._scheduled: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.get("feeds", []):
            headers = request_headers(self.feed_states.get(url), self.revalidate_after)
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.feed_failed, headers=headers,
                                 dont_filter=True, cb_kwargs={"feed": url},
                                 meta={"allow_offsite": True, "handle_httpstatus_list": [304]})

    def parse_feed(self, response: Response, feed: str) -> Iterator[scrapy.Request]:
        now = datetime.now(UTC).replace(tzinfo=None)
        previous = self.feed_states.get(feed)
        if response.status == 304 and previous is not None:
            self.health.count("feeds_not_modified")
            self.feed_states[feed] = after_not_modified(previous, now)
            return
        self.health.count("feeds_fetched")
        self.feed_states[feed], changed = after_response(
            previous, feed, response.body, etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"), now=now, revalidate_after=self.revalidate_after)
        # an unchanged feed is still read: entries that failed last time are retried, known ones skipped
        self.health.count("feeds_changed" if changed else "feeds_unchanged")
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        parsed = parse_feed(response.body, response.url, content_type)
        if parsed.error:
            self.health.fail("parse", response.url, parsed.error, feed=True)
            return
        for entry in parsed.entries:
            self.health.count("entries_seen")
            key = normalize_url(entry.url)
            if not self._allowed(entry.url):
                self.health.count("skipped_offsite")
                continue
            if key in self.known_urls:
                self.health.count("skipped_known")
                continue
            if key in self._scheduled:
                continue
            if self.since and entry.published and entry.published < self.since:
                self.health.count("skipped_old")
                continue
            if len(self._scheduled) >= self.max_articles:
                self.health.count("skipped_limit")
                continue
            self._scheduled.add(key)
            # dont_filter: _scheduled already dedupes, and Scrapy's dupe filter would otherwise end a
            # redirect loop silently instead of reporting it
            yield scrapy.Request(
                entry.url, callback=self.parse_article, errback=self.page_failed, dont_filter=True,
                cb_kwargs={"feed_url": response.url, "feed_title": entry.title,
                           "feed_published": entry.published},
            )

    def _allowed(self, url: str) -> bool:
        """http(s) on one of the source's allowed domains or their subdomains."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        return parts.scheme in ("http", "https") and any(
            host == d or host.endswith("." + d) for d in (d.lower() for d in self.allowed_domains))

    def parse_article(self, response: Response, feed_url: str, feed_title: str | None,
                      feed_published: datetime | None) -> Iterator[PageItem]:
        self.health.count("pages_fetched")
        content_type = response.headers.get("Content-Type", b"").decode("latin-1").lower()
        if not isinstance(response, scrapy.http.TextResponse) or "html" not in content_type:
            self.health.fail("not_html", response.url, f"content type {content_type or 'missing'}")
            return
        if b"\x00" in response.body[:2048]:
            self.health.fail("not_html", response.url, "binary content served as HTML")
            return
        yield PageItem(
            draft=extract_article(response.text, response.url),
            url=response.url,
            fetched_at=datetime.now(UTC),
            feed_url=feed_url,
            feed_title=feed_title,
            feed_published=feed_published,
        )

    def feed_failed(self, failure: Failure) -> None:
        kind, message = classify_failure(failure)
        self.health.fail(kind, failure.request.url, message, feed=True)

    def page_failed(self, failure: Failure) -> None:
        kind, message = classify_failure(failure)
        self.health.fail(kind, failure.request.url, message)
