"""Finding a site's feeds and sitemaps: `<link rel=alternate>` in its home page, `Sitemap:` in robots.txt."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

import lxml.html

from newsmon.domain import absolute_url

_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json",
               "application/rdf+xml", "application/xml", "text/xml")


def feed_links(html: str, base_url: str) -> list[str]:
    """Absolute URLs of the feeds a page advertises, in page order, without repeats."""
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    found: dict[str, None] = {}  # ordered and O(1) to test: a page may carry thousands of links
    for link in tree.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in _FEED_TYPES:
            url = absolute_url(base_url, link.get("href"))
            if url and url.startswith(("http://", "https://")):
                found[url] = None
    return list(found)


def robots_sitemaps(robots_txt: str, base_url: str) -> list[str]:
    """The `Sitemap:` lines of a robots.txt, made absolute."""
    found: dict[str, None] = {}
    for line in robots_txt.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap" and value.strip():
            url = absolute_url(base_url, value)
            if url:
                found[url] = None
    return list(found)


_DATE_IN_PATH = re.compile(r"/(19|20)\d{2}/")


def looks_like_article(path: str) -> bool:
    """Without the source's own patterns: a dated path, or a slug of four or more words."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    last = last.rsplit(".", 1)[0]
    return bool(_DATE_IN_PATH.search(path)) or last.count("-") >= 3


def article_links(html: str, base_url: str, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[str]:
    """Links on a section page that lead to articles, in page order, without repeats or fragments.

    include/exclude are regular expressions searched in the absolute URL; with no include
    patterns, `looks_like_article` decides."""
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    wanted = [re.compile(p) for p in include]
    unwanted = [re.compile(p) for p in exclude]
    page = base_url.split("#")[0]
    found: dict[str, None] = {}  # ordered, and linear where a list's `in` made 100,000 links quadratic
    for href in tree.xpath("//body//a/@href"):
        url = (absolute_url(base_url, href) or "").split("#")[0]
        if not url.startswith(("http://", "https://")) or url == page or url in found:
            continue
        if any(p.search(url) for p in unwanted):
            continue
        if wanted and not any(p.search(url) for p in wanted):
            continue
        if not wanted and not looks_like_article(urlsplit(url).path):
            continue
        found[url] = None
    return list(found)
