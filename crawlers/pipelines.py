"""Item pipelines, one job each: drop empty extractions, normalize to Article, keep the crawl's window,
append to staging.

Settings are read only in from_crawler; the spider's health counters are reached through the crawler.
"""

from __future__ import annotations

import json
from pathlib import Path

from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from crawlers.extract import normalize
from crawlers.items import PageItem
from newsmon.domain import utc_naive


class ValidatePipeline:
    """Pages with no article text are failures of kind empty_extraction, not records."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: PageItem) -> PageItem:
        if item.draft is None or not item.draft.text.strip():
            self.crawler.spider.health.fail("empty_extraction", item.url, "no article text found")
            raise DropItem(f"no article text: {item.url}")
        return item


class NormalizePipeline:
    """Draft to Article; a publication date that cannot be one (1970, 2099) is counted as dates_rejected."""

    def __init__(self, crawler, source: str, run_id: str) -> None:
        self.crawler = crawler
        self.source = source
        self.run_id = run_id

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.get("NEWSMON_SOURCE"), crawler.settings.get("NEWSMON_RUN_ID"))

    def process_item(self, item: PageItem):
        article = normalize(
            item.draft, source=self.source, fetched_at=item.fetched_at, feed_title=item.feed_title,
            feed_published=item.feed_published, feed_url=item.feed_url, run_id=self.run_id,
            listed_in=item.listing,
        )
        rejected = sum(name.endswith("_rejected") for name in article.published_candidates or {})
        if rejected:
            self.crawler.spider.health.count("dates_rejected", rejected)
        return article


class WindowPipeline:
    """A windowed crawl (a scheduled day: the spider's `until`) stages no article published at or
    after the window's end, which is a later day's; each counts as skipped_after_window. Undated and
    first-seen articles are staged."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, article):
        until = self.crawler.spider.until
        if until and article.published_at and article.published_from != "first_seen" \
                and utc_naive(article.published_at) >= until:
            self.crawler.spider.health.count("skipped_after_window")
            raise DropItem(f"published after the crawl's window: {article.url}")
        return article


class StagePipeline:
    """Appends one JSON line per article and flushes it, so a killed crawl keeps whole lines."""

    def __init__(self, crawler, path: str) -> None:
        self.crawler = crawler
        self.path = Path(path)
        self._file = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.get("NEWSMON_STAGING_PATH"))

    def open_spider(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")

    def close_spider(self) -> None:
        if self._file:
            self._file.close()

    def process_item(self, article):
        if self.crawler.spider.staging_error:
            raise DropItem("staging is not writable")
        try:
            self._file.write(json.dumps(article.to_record(), ensure_ascii=False) + "\n")
            self._file.flush()
        except OSError as exc:
            # disk full or read-only: stop this crawl, say why; the load refuses a run left like this
            # (a torn last line is dropped by the next crawl's repair, or skipped by the load)
            message = f"cannot write {self.path}: {exc.strerror or exc}"
            self.crawler.spider.staging_error = message
            self.crawler.spider.health.fail("staging", str(self.path), message)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="staging_failed"))
            raise DropItem(message) from None
        self.crawler.spider.health.count("articles")
        return article
