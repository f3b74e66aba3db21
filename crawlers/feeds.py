"""Feed parsing as a pure function: RSS 0.9x/1.0/2.0 and Atom bytes in, entries out (feedparser).

A body that is gzip without Content-Encoding (a `.xml.gz` saved as `.xml`) is decompressed here,
bounded like a sitemap; a feed cut off before its root element closes is reported as truncated."""

from __future__ import annotations

import calendar
import gzip
import html
import io
import re
import zlib
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
MAX_UNCOMPRESSED = 50 * 1024 * 1024  # the sitemap protocol's limit, used for gzipped feeds too
GZIP_MAGIC = b"\x1f\x8b"
# the end of a complete document: its root's closing tag, then only space and comments
_CLOSED = re.compile(rb"</[\w:.-]+\s*>(\s|<!--.*?-->)*\Z", re.S)


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


def gunzip(body: bytes, limit: int = MAX_UNCOMPRESSED) -> bytes:
    """The decompressed body, at most `limit` bytes; ValueError past it, OSError/EOFError when
    the bytes are not gzip or end early."""
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"gzipped body expands past {limit // 2**20} MB")
    return data


def truncated(body: bytes) -> bool:
    """True when an XML document stops before its root element closes (a cut download)."""
    return _CLOSED.search(body[-4096:].rstrip()) is None


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
    """Entries with a link, resolved against the feed URL; duplicates (same link) dropped.

    A truncated feed keeps the entries read before the cut and says so in `error`."""
    if body[:2] == GZIP_MAGIC:
        try:
            body = gunzip(body)
        except (ValueError, OSError, EOFError, zlib.error) as exc:
            return ParsedFeed([], error=f"malformed feed: gzip: {exc}")
        if "gzip" in content_type.lower():
            content_type = ""
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
    exception = parsed.get("bozo_exception")
    if parsed.bozo and parsed.get("version") and not isinstance(exception, _HARMLESS) and truncated(body):
        return ParsedFeed(entries, error=f"malformed feed: truncated, it ends before its root element closes "
                                         f"({len(entries)} entries read)")
    if entries:
        return ParsedFeed(entries)
    if parsed.bozo and not isinstance(exception, _HARMLESS):
        return ParsedFeed([], error=f"malformed feed: {str(exception).splitlines()[0]}")
    if not parsed.get("version"):
        return ParsedFeed([], error="not a feed: no RSS or Atom root element")
    return ParsedFeed([])  # a recognised feed with no items is just quiet
