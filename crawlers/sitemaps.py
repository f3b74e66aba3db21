"""Sitemap parsing as a pure function: sitemap indexes, URL sets, Google News tags, gzip, and the
protocol's plain-text form (one URL per line).

Parsed with entity resolution and network access off, so hostile XML cannot expand or fetch.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from crawlers.extract import parse_date
from crawlers.feeds import GZIP_MAGIC, MAX_UNCOMPRESSED, entity_refusal, gunzip
from newsmon.domain import absolute_url, strip_controls

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True,
                          remove_comments=True)


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: datetime | None = None
    title: str | None = None  # news:title
    published: datetime | None = None  # news:publication_date


@dataclass(frozen=True)
class ParsedSitemap:
    kind: str  # "index" or "urlset"
    entries: list[SitemapEntry]
    error: str | None = None


_MAX_TEXT_URLS = 50_000  # the protocol's limit per file
_BOM = b"\xef\xbb\xbf"


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(node, name: str) -> str | None:
    for child in node.iter():
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def _title(value: str | None) -> str | None:
    return " ".join(strip_controls(value).split()) or None if value else None


def _own_text(node) -> str | None:
    """A <sitemap> or <url> written without <loc>: the URL as the element's bare text."""
    text = (node.text or "").strip()
    return text if text.startswith(("http://", "https://")) else None


def _plain_text(body: bytes, url: str) -> ParsedSitemap:
    """A text sitemap: one absolute URL per line, UTF-8, blank lines allowed."""
    try:
        lines = body.removeprefix(_BOM).decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return ParsedSitemap("urlset", [], error="not a sitemap: neither XML nor UTF-8 text")
    entries: list[SitemapEntry] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        absolute = absolute_url(url, line)
        if not line.lower().startswith(("http://", "https://")) or absolute is None or " " in line:
            return ParsedSitemap("urlset", [], error=f"not a sitemap: line {number} of the text is not a URL")
        if absolute not in seen and len(entries) < _MAX_TEXT_URLS:
            seen.add(absolute)
            entries.append(SitemapEntry(url=absolute))
    if not entries:
        return ParsedSitemap("urlset", [], error="not a sitemap: empty text")
    return ParsedSitemap("urlset", entries)


def parse_sitemap(body: bytes, url: str) -> ParsedSitemap:
    """Entries of a sitemap or sitemap index, in XML or plain text; gzip is detected by its magic bytes."""
    try:
        if body[:2] == GZIP_MAGIC:
            body = gunzip(body, MAX_UNCOMPRESSED)
        if not body.removeprefix(_BOM).lstrip().startswith(b"<"):
            return _plain_text(body, url)
        refusal = entity_refusal(body)
        if refusal:
            return ParsedSitemap("urlset", [], error=f"refused sitemap: {refusal}")
        root = etree.fromstring(body, parser=_PARSER)
    except (ValueError, OSError, EOFError, zlib.error, etree.XMLSyntaxError) as exc:
        return ParsedSitemap("urlset", [], error=f"malformed sitemap: {exc}")
    if root is None:
        return ParsedSitemap("urlset", [], error="malformed sitemap: empty document")
    # recover=True reads what it can of a broken document; broken with nothing read is an error
    broken = next((e for e in _PARSER.error_log if e.level >= etree.ErrorLevels.ERROR), None)
    kind = {"sitemapindex": "index", "urlset": "urlset"}.get(_local(root.tag))
    if kind is None:
        return ParsedSitemap("urlset", [], error=f"not a sitemap: root element <{_local(root.tag)}>")
    entries: list[SitemapEntry] = []
    seen: set[str] = set()
    for node in root:
        if _local(node.tag) not in ("url", "sitemap"):
            continue
        loc = _child_text(node, "loc") or _own_text(node)
        if not loc:
            continue
        absolute = absolute_url(url, loc)
        if absolute is None or absolute in seen or not absolute.startswith(("http://", "https://")):
            continue
        seen.add(absolute)
        entries.append(SitemapEntry(
            url=absolute, lastmod=parse_date(_child_text(node, "lastmod")),
            title=_title(_child_text(node, "title")), published=parse_date(_child_text(node, "publication_date")),
        ))
    if broken is not None and not entries:
        return ParsedSitemap(kind, [], error=f"malformed sitemap: {broken.message.strip()} (line {broken.line})")
    return ParsedSitemap(kind, entries)
