"""The second sample site: every kind of listing at once, each article fetched once, nothing forbidden."""

from datetime import datetime

import pytest

from newsmon import pipeline
from newsmon.domain import Source
from tests.servers import RoutedServer
from tests.sites.wire_site import STORIES, routes

pytestmark = pytest.mark.slow


def test_feeds_sitemaps_and_sections_together(settings):
    with RoutedServer({}) as site:
        site.routes.update(routes(site.base_url))
        base = site.base_url
        source = Source(name="harbourline", homepage=f"{base}/", feeds=(f"{base}/feeds/legacy.rss",),
                        sitemaps=(f"{base}/robots.txt",),
                        sections=(f"{base}/sections/industry", f"{base}/sections/policy"),
                        allowed_domains=("127.0.0.1",), include=(r"/(story|drafts)/",))
        (first,) = pipeline.crawl_sources([source], run_id="r1", settings=settings, since=datetime(2026, 1, 1))
        pipeline.load_run(settings, "r1", [source], [first])
        story_requests = [p.split("?")[0] for p in site.paths_requested() if p.startswith("/story/")]
        requested = site.paths_requested()
        (second,) = pipeline.crawl_sources([source], run_id="r2", settings=settings, since=datetime(2026, 1, 1))
        again = [p for p in site.paths_requested()[len(requested):] if p.startswith("/story/")]

    assert first.ok
    assert [(f["kind"], f["url"].removeprefix(base)) for f in first.failures] == [
        ("robots", "/drafts/unpublished-story-about-ports")]
    assert sorted(story_requests) == sorted(f"/story/{s}" for s in STORIES)  # each once
    assert not any(p.startswith("/drafts/") for p in requested)  # robots.txt
    assert "/sitemaps/2019.xml" not in requested  # older than --since
    assert first.counts["skipped_offsite"] >= 1
    _, rows = pipeline.run_sql(settings, "select title, published_at from articles order by published_at")
    assert [r[0] for r in rows] == [title for title, _ in STORIES.values()]
    assert rows[1] == ("Café chain drops delivery platforms for its own ordering app", datetime(2026, 11, 16, 14, 30))
    assert again == [] and second.articles == 0
