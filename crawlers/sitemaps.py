"""Sitemap parsing as a pure function: sitemap indexes, URL sets, Google News tags, gzip.

Parsed with entity resolution and network access off, so hostile XML cannot expand or fetch.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from crawlers.extract import parse_date
from crawlers.feeds import entity_refusal
from newsmon.domain import absolute_url, strip_controls

MAX_UNCOMPRESSED = 50 * 1024 * 1024  # the sitemap protocol's own limit
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


def _gunzip(body: bytes) -> bytes:
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as handle:
        data = handle.read(MAX_UNCOMPRESSED + 1)
    if len(data) > MAX_UNCOMPRESSED:
        raise ValueError("gzipped sitemap expands past 50 MB")
    return data


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(node, name: str) -> str | None:
    for child in node.iter():
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def _title(value: str | None) -> str | None:
    return " ".join(strip_controls(value).split()) or None if value else None


def parse_sitemap(body: bytes, url: str) -> ParsedSitemap:
    """Entries of a sitemap or sitemap index; gzip is detected by its magic bytes."""
    try:
        if body[:2] == b"\x1f\x8b":
            body = _gunzip(body)
        refusal = entity_refusal(body)
        if refusal:
            return ParsedSitemap("urlset", [], error=f"refused sitemap: {refusal}")
        root = etree.fromstring(body, parser=_PARSER)
    except (ValueError, OSError, EOFError, etree.XMLSyntaxError) as exc:
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
        loc = _child_text(node, "loc")
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
