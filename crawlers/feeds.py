"""Feed parsing as a pure function: RSS 0.9x/1.0/2.0 and Atom bytes in, entries out (feedparser)."""

from __future__ import annotations

import calendar
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

from newsmon.domain import absolute_url, strip_controls

# bozo reasons that do not make a feed unusable
_HARMLESS = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)
_TAG = re.compile(r"<[^>]{0,200}>")
_ENTITY_DECL = re.compile(rb"<!ENTITY\s+(%\s*)?([^\s>]+)\s+(SYSTEM|PUBLIC|\"[^\"]*\"|'[^']*')")
_ENTITY_REF = re.compile(rb"[&%][A-Za-z_:]")


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str | None
    published: datetime | None  # naive UTC


@dataclass(frozen=True)
class ParsedFeed:
    entries: list[FeedEntry]
    error: str | None = None  # set when the feed is unusable (malformed with no entries)


def entity_refusal(body: bytes) -> str | None:
    """Why a feed's or sitemap's DTD is refused: an external entity (SYSTEM or PUBLIC, which a parser
    could read or fetch), a parameter entity, or an entity built from other entities (the billion
    laughs). The parsers here neither fetch nor expand them anyway; refusing records the attempt."""
    head = body[:65536]
    for declared in _ENTITY_DECL.finditer(head):
        name = declared[2].decode("latin-1")[:40]
        if declared[1]:
            return f"XML declares a parameter entity {name!r}"
        if declared[3] in (b"SYSTEM", b"PUBLIC"):
            return f"XML declares an external entity {name!r}"
        if _ENTITY_REF.search(declared[3]):
            return f"XML declares an entity built from other entities {name!r} (billion laughs)"
    return None


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
    return " ".join(strip_controls(html.unescape(_TAG.sub("", html.unescape(title)))).split())


def parse_feed(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Entries with a link, resolved against the feed URL; duplicates (same link) dropped."""
    refusal = entity_refusal(body)
    if refusal:
        return ParsedFeed([], error=f"refused feed: {refusal}")
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
        absolute = absolute_url(url, link)
        if absolute is None or absolute in seen:
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
