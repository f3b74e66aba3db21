"""The source spider: RSS/Atom feeds, sitemaps (indexes, gzip, Google News; robots.txt's Sitemap lines
when a sitemap URL is a robots.txt) and section pages, every entry through one article-page path."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.conditional import ListingState, after_not_modified, after_response, request_headers
from crawlers.discover import article_links, robots_sitemaps
from crawlers.extract import decode_html, plausible_date
from crawlers.feeds import parse_feed
from crawlers.guard import SCHEMES, on_domains
from crawlers.health import Health, classify_failure
from crawlers.items import PageItem
from crawlers.sitemaps import parse_sitemap
from crawlers.workers import ExtractionPool
from newsmon.domain import known_key, utc_now

_MAX_SITEMAP_DEPTH = 3  # robots.txt -> index -> index -> urlset
_MAX_CHILD_SITEMAPS = 50


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class SourceSpider(scrapy.Spider):
    name = "source"

    def __init__(self, source: dict, known_urls: frozenset[str] = frozenset(),
                 since: datetime | None = None, until: datetime | None = None, max_articles: int = 200,
                 listing_states: dict[str, ListingState] | None = None, revalidate_after: int = 4,
                 extract_workers: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.listing_states: dict[str, ListingState] = dict(listing_states or {})
        self.revalidate_after = revalidate_after
        self.source = source
        self.allowed_domains = list(source.get("allowed_domains") or [])
        self.known_urls = known_urls
        self.since = since
        self.until = until  # articles published from then on are a later window's (pipelines.WindowPipeline)
        self.max_articles = max_articles
        self.health = Health()
        self.staging_error: str | None = None  # set by the staging pipeline when it cannot write
        self._scheduled: set[str] = set()
        self.extraction = ExtractionPool(extract_workers)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.get("feeds", []):
            yield self._listing_request(url, self.parse_feed)
        for url in self.source.get("sitemaps", []):
            yield self._sitemap_request(url, 0)
        for url in self.source.get("sections", []):
            yield scrapy.Request(url, callback=self.parse_section, errback=self.listing_failed, dont_filter=True,
                                 meta={"allow_offsite": True})

    def parse_section(self, response: Response) -> Iterator[scrapy.Request]:
        """A section or home page: its article links, depth 1 (articles' own links are not followed)."""
        self.health.count("sections_fetched")
        if not isinstance(response, scrapy.http.TextResponse):
            self.health.fail("not_html", response.url, "section page is not text", listing=True)
            return
        links = article_links(response.text, response.url, self.source.get("include") or (),
                              self.source.get("exclude") or ())
        for url in links:
            request = self.follow(url, title=None, published=None, listing_url=response.url, listing="section")
            if request is not None:
                yield request

    def _listing_request(self, url: str, callback, **cb_kwargs) -> scrapy.Request:
        """A feed or sitemap request, conditional when the listing's state allows (see conditional.py)."""
        headers = request_headers(self.listing_states.get(url), self.revalidate_after)
        return scrapy.Request(url, callback=callback, errback=self.listing_failed, headers=headers, dont_filter=True,
                              cb_kwargs={"listing_url": url, **cb_kwargs},
                              meta={"allow_offsite": True, "handle_httpstatus_list": [304]})

    def _modified(self, response: Response, url: str, kind: str) -> bool:
        """Record the listing's new state; False when the server answered 304 Not Modified.

        An unchanged body is still read: entries that failed last time are retried, known ones skipped."""
        now = utc_now()
        previous = self.listing_states.get(url)
        if response.status == 304 and previous is not None:
            self.health.count(f"{kind}_not_modified")
            self.listing_states[url] = after_not_modified(previous, now)
            return False
        self.health.count(f"{kind}_fetched")
        self.listing_states[url], changed = after_response(
            previous, url, response.body, etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"), now=now, revalidate_after=self.revalidate_after)
        self.health.count(f"{kind}_changed" if changed else f"{kind}_unchanged")
        return True

    def parse_feed(self, response: Response, listing_url: str) -> Iterator[scrapy.Request]:
        if not self._modified(response, listing_url, "feeds"):
            return
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        parsed = parse_feed(response.body, response.url, content_type)
        if parsed.error:
            # a truncated feed still gives the entries before the cut: a failure, not a lost listing
            self.health.fail("parse", response.url, parsed.error, listing=not parsed.entries)
        for entry in parsed.entries:
            request = self.follow(entry.url, title=entry.title, published=entry.published,
                                  listing_url=response.url, listing="feed")
            if request is not None:
                yield request

    def parse_sitemap(self, response: Response, listing_url: str, depth: int = 0) -> Iterator[scrapy.Request]:
        """A sitemap index (children followed, newest first) or URL set (entries followed, newest first)."""
        if not self._modified(response, listing_url, "sitemaps"):
            return
        if response.url.endswith("/robots.txt"):
            for url in robots_sitemaps(response.text, response.url)[:_MAX_CHILD_SITEMAPS]:
                yield self._sitemap_request(url, depth + 1)
            return
        parsed = parse_sitemap(response.body, response.url)
        if parsed.error:
            self.health.fail("parse", response.url, parsed.error, listing=True)
            return
        newest_first = sorted(parsed.entries, key=lambda e: e.published or e.lastmod or datetime.min, reverse=True)
        if parsed.kind == "index":
            children = [e for e in newest_first if not (self.since and e.lastmod and e.lastmod < self.since)]
            self.health.count("skipped_old", len(newest_first) - len(children))
            if depth < _MAX_SITEMAP_DEPTH:
                for child in children[:_MAX_CHILD_SITEMAPS]:
                    request = self._sitemap_request(child.url, depth + 1)
                    if not self._too_long(request):
                        yield request
            return
        for entry in newest_first:
            request = self.follow(entry.url, title=entry.title, published=entry.published,
                                  listing_url=response.url, listing="sitemap", dated=entry.published or entry.lastmod)
            if request is not None:
                yield request

    def _sitemap_request(self, url: str, depth: int) -> scrapy.Request:
        return self._listing_request(url, self.parse_sitemap, depth=depth)

    def follow(self, url: str, *, title: str | None, published: datetime | None, listing_url: str,
               listing: str, dated: datetime | None = None) -> scrapy.Request | None:
        """The one article-page path for every kind of listing: filters, then a request."""
        self.health.count("entries_seen")
        try:
            key = known_key(url)
        except ValueError:  # e.g. a port past 65535: this entry is skipped, not the rest of its listing
            self.health.count("skipped_invalid")
            return None
        dated = dated or published
        if dated and not plausible_date(dated, utc_now()):
            dated = None  # a 1970 or 2099 listing date says nothing about age (normalize records it)
        if not self._allowed(url):
            self.health.count("skipped_offsite")
        elif key in self.known_urls:
            self.health.count("skipped_known")
        elif key in self._scheduled:
            pass
        elif self.since and dated and dated < self.since:
            self.health.count("skipped_old")
        elif len(self._scheduled) >= self.max_articles:
            self.health.count("skipped_limit")
        else:
            # dont_filter: _scheduled already dedupes, and Scrapy's dupe filter would otherwise end a
            # redirect loop silently instead of reporting it
            request = scrapy.Request(
                url, callback=self.parse_article, errback=self.page_failed, dont_filter=True,
                cb_kwargs={"feed_url": listing_url, "feed_title": title, "feed_published": published,
                           "listing": listing},
            )
            if self._too_long(request):
                return None
            self._scheduled.add(key)
            return request
        return None

    def _too_long(self, request: scrapy.Request) -> bool:
        """Scrapy's UrlLengthMiddleware drops requests past URLLENGTH_LIMIT (2,083 characters, as
        the request escapes the URL) with only a log line: count each as a failure instead."""
        limit = self.settings.getint("URLLENGTH_LIMIT") if self.settings else 0
        if limit and len(request.url) > limit:
            self.health.fail("url_too_long", request.url[:200],
                             f"URL of {len(request.url):,} characters, past the {limit:,} limit")
            return True
        return False

    def _allowed(self, url: str) -> bool:
        """http(s) on one of the source's allowed domains or their subdomains."""
        parts = urlsplit(url)
        return parts.scheme in SCHEMES and on_domains(parts.hostname or "", self.allowed_domains)

    async def parse_article(self, response: Response, feed_url: str, feed_title: str | None,
                            feed_published: datetime | None, listing: str = "feed") -> AsyncIterator[PageItem]:
        self.health.count("pages_fetched")
        content_type = response.headers.get("Content-Type", b"").decode("latin-1").lower()
        if not isinstance(response, scrapy.http.TextResponse) or "html" not in content_type:
            self.health.fail("not_html", response.url, f"content type {content_type or 'missing'}")
            return
        if b"\x00" in response.body[:2048]:
            self.health.fail("not_html", response.url, "binary content served as HTML")
            return
        # the bytes, not response.text: Scrapy trusts a charset header over the page's own <meta>
        draft = await self.extraction.extract(decode_html(response.body, content_type), response.url)
        yield PageItem(
            draft=draft,
            url=response.url,
            fetched_at=datetime.now(UTC),
            feed_url=feed_url,
            feed_title=feed_title,
            feed_published=feed_published,
            listing=listing,
        )

    def closed(self, reason: str) -> None:
        self.extraction.close()

    def listing_failed(self, failure: Failure) -> None:
        kind, message = classify_failure(failure)
        self.health.fail(kind, _listed_url(failure), message, listing=True)

    def page_failed(self, failure: Failure) -> None:
        kind, message = classify_failure(failure)
        self.health.fail(kind, _listed_url(failure), message)


def _listed_url(failure: Failure) -> str:
    """The URL as listed, not where its redirects had got to: the one a user can find in the feed."""
    return (failure.request.meta.get("redirect_urls") or [failure.request.url])[0]
