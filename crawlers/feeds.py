"""Feed parsing as a pure function: RSS 0.9x/1.0/2.0 and Atom bytes in, entries out (feedparser)."""

from __future__ import annotations

import calendar
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

# bozo reasons that do not make a feed unusable
_HARMLESS = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)
_TAG = re.compile(r"<[^>]{0,200}>")


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str | None
    published: datetime | None  # naive UTC


@dataclass(frozen=True)
class ParsedFeed:
    entries: list[FeedEntry]
    error: str | None = None  # set when the feed is unusable (malformed with no entries)


def _entry_date(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC).replace(tzinfo=None)
            except (OverflowError, ValueError):
                continue
    return None


def _plain(title: str) -> str:
    """Feed titles often carry escaped HTML inside CDATA: strip tags, unescape, fold spaces."""
    return " ".join(html.unescape(_TAG.sub("", html.unescape(title))).split())


def parse_feed(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Entries with a link, resolved against the feed URL; duplicates (same link) dropped."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=headers, resolve_relative_uris=True, sanitize_html=False)
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for entry in parsed.entries:
        link = entry.get("link") or (entry.get("id") if str(entry.get("id", "")).startswith("http") else None)
        if not link:
            continue
        absolute = urljoin(url, link.strip())
        if absolute in seen:
            continue
        seen.add(absolute)
        title = _plain(entry.get("title") or "") or None
        entries.append(FeedEntry(url=absolute, title=title, published=_entry_date(entry)))
    if entries:
        return ParsedFeed(entries)
    exception = parsed.get("bozo_exception")
    if parsed.bozo and not isinstance(exception, _HARMLESS):
        return ParsedFeed([], error=f"malformed feed: {str(exception).splitlines()[0]}")
    if not parsed.get("version"):
        return ParsedFeed([], error="not a feed: no RSS or Atom root element")
    return ParsedFeed([])  # a recognised feed with no items is just quiet
