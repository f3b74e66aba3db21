"""`newsmon sources check`: a source's listings fetched once, their entries marked new or known."""

from __future__ import annotations

from newsmon.config import Settings
from newsmon.domain import Source
from newsmon.pipeline.common import PipelineError
from newsmon.pipeline.crawl import known_url_keys
from newsmon.sources import load_sources


def check_source(settings: Settings, name_or_url: str) -> dict:
    """Fetch a source's feeds and sitemaps once (or find them from a URL, which may itself be a feed
    or a sitemap) and list their entries, marking which are not in the warehouse yet. Writes nothing."""
    from urllib.parse import urlsplit

    from crawlers.check import check_listings
    from crawlers.fetch import fetch

    crawl = settings.crawl
    sources = {s.name: s for s in load_sources(settings.sources_file)} if settings.sources_file.exists() else {}
    allow_private = crawl.allow_private_hosts
    if name_or_url in sources:
        source = sources[name_or_url]
        allow_private = allow_private or source.allow_private_hosts
    elif name_or_url.startswith(("http://", "https://")):
        source = Source(name="check", homepage=name_or_url,
                        allowed_domains=(urlsplit(name_or_url).hostname or "",))
    else:
        raise PipelineError(f"{name_or_url!r} is neither a source in {settings.sources_file} nor an http(s) URL")

    def get(url: str):
        return fetch(url, user_agent=crawl.user_agent, timeout=crawl.download_timeout,
                     max_bytes=crawl.max_page_bytes, allow_private=allow_private)

    report = check_listings(homepage=source.homepage, feeds=source.feeds, sitemaps=source.sitemaps,
                            known=frozenset(known_url_keys(settings, source)), get=get, input_=name_or_url)
    report["source"] = source.name if name_or_url in sources else None
    return report
