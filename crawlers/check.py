"""`newsmon sources check` without the warehouse: fetch a source's feeds and sitemaps once (or find
them from a URL) and list their entries, marking the ones not among the known URLs. Writes nothing."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from urllib.parse import urljoin

from crawlers.discover import feed_links, robots_sitemaps
from crawlers.feeds import parse_feed
from crawlers.fetch import Fetched
from crawlers.sitemaps import parse_sitemap
from newsmon.domain import known_key

_MAX_SITEMAPS = 50  # child sitemaps of an index read by one check, as a crawl reads at most
_MAX_SITEMAP_DEPTH = 3  # index -> index -> index -> urlset


def listing_kind(page: Fetched) -> str | None:
    """'feed' or 'sitemap' when a fetched page is one (a truncated feed counts: its error is worth
    showing), else None (a home or section page)."""
    parsed = parse_feed(page.body, page.url, page.content_type)
    if parsed.entries or (parsed.error and "truncated" in parsed.error):
        return "feed"
    if parse_sitemap(page.body, page.url).error is None:
        return "sitemap"
    return None


def check_listings(*, homepage: str, feeds: Sequence[str], sitemaps: Sequence[str], known: Collection[str],
                   get: Callable[[str], Fetched], input_: str | None = None) -> dict:
    """The check's report: listings read, their entries ('new' when not known), errors, and the
    feeds and sitemaps a home page or robots.txt points to. With neither feeds nor sitemaps, the
    home page is fetched: it may itself be a feed or a sitemap, else its feed links are followed.

    known holds `newsmon.domain.known_key` values; get fetches one URL (crawlers.fetch.fetch)."""
    report: dict = {"source": None, "input": input_ or homepage, "feeds": [], "entries": [], "errors": [],
                    "discovered": {"feeds": [], "sitemaps": []}}
    feeds, sitemaps = list(feeds), list(sitemaps)
    fetched: dict[str, Fetched] = {}
    if not feeds and not sitemaps:
        page = fetched[homepage] = get(homepage)
        if page.error:
            report["errors"].append({"url": homepage, "error": page.error})
        else:
            kind = listing_kind(page)
            if kind == "feed":
                feeds = [homepage]
            elif kind == "sitemap":
                sitemaps = [homepage]
            else:
                feeds = feed_links(page.body.decode("utf-8", errors="replace"), page.url)
                report["discovered"]["feeds"] = feeds
    robots = get(urljoin(homepage, "/robots.txt"))
    if not robots.error:
        report["discovered"]["sitemaps"] = robots_sitemaps(robots.body.decode("utf-8", errors="replace"), robots.url)

    def listed(listing: str, url: str, title: str | None, published) -> None:
        report["entries"].append({
            "feed": listing, "url": url, "title": title,
            "published": published.isoformat() if published else None,
            "new": known_key(url) not in known,
        })

    for feed_url in feeds:
        page = fetched.pop(feed_url, None) or get(feed_url)
        report["feeds"].append(feed_url)
        if page.error:
            report["errors"].append({"url": feed_url, "error": page.error})
            continue
        parsed = parse_feed(page.body, page.url, page.content_type)
        if parsed.error:
            report["errors"].append({"url": feed_url, "error": parsed.error})
        for entry in parsed.entries:
            listed(feed_url, entry.url, entry.title, entry.published)

    queue = [(url, 0) for url in sitemaps]
    read: set[str] = set()
    while queue and len(read) < _MAX_SITEMAPS:
        sitemap_url, depth = queue.pop(0)
        if sitemap_url in read:
            continue
        read.add(sitemap_url)
        page = fetched.pop(sitemap_url, None) or get(sitemap_url)
        report["feeds"].append(sitemap_url)
        if page.error:
            report["errors"].append({"url": sitemap_url, "error": page.error})
            continue
        if page.url.endswith("/robots.txt"):
            queue += [(u, depth + 1) for u in robots_sitemaps(page.body.decode("utf-8", errors="replace"), page.url)]
            continue
        parsed = parse_sitemap(page.body, page.url)
        if parsed.error:
            report["errors"].append({"url": sitemap_url, "error": parsed.error})
        elif parsed.kind == "index":
            if depth < _MAX_SITEMAP_DEPTH:
                queue += [(entry.url, depth + 1) for entry in parsed.entries]
        else:
            for entry in parsed.entries:
                listed(sitemap_url, entry.url, entry.title, entry.published or entry.lastmod)
    return report
