"""What the spiders yield: an extracted page with what its feed said about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crawlers.extract import ArticleDraft


@dataclass
class PageItem:
    draft: ArticleDraft | None
    url: str
    fetched_at: datetime
    feed_url: str | None = None
    feed_title: str | None = None
    feed_published: datetime | None = None
    listing: str = "feed"  # feed or sitemap: where the entry (and feed_published) came from
