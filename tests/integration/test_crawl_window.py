"""A windowed crawl (a scheduled day) stages only its window: the crawler itself leaves articles
published at or after `until` to the later day they belong to, counted as skipped_after_window;
undated articles are staged."""

from __future__ import annotations

import json
from datetime import datetime

from newsmon import pipeline
from newsmon.domain import Source
from tests.servers import Route, RoutedServer

PAGE = ("<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        + "<p>Port robots moved the night shift to a depot the operator runs itself. {title}. </p>" * 12
        + "</article></body></html>")

FEED = ('<?xml version="1.0"?><rss version="2.0"><channel><title>s</title>'
        '<item><title>On the day</title><link>{base}/a/day</link><pubDate>Fri, 20 Nov 2026 09:00:00 GMT</pubDate></item>'
        '<item><title>The next day</title><link>{base}/a/next</link><pubDate>Sat, 21 Nov 2026 00:00:00 GMT</pubDate></item>'
        '<item><title>Undated</title><link>{base}/a/undated</link></item>'
        '</channel></rss>')


def test_the_crawler_stages_only_the_window_and_counts_the_rest(settings):
    routes = {"/feed.xml": Route(FEED, content_type="application/rss+xml")}
    routes |= {f"/a/{name}": Route(PAGE.format(title=name)) for name in ("day", "next", "undated")}
    with RoutedServer(routes) as server:
        source = Source(name="s", homepage=f"{server.base_url}/", feeds=(f"{server.base_url}/feed.xml",),
                        allowed_domains=("127.0.0.1",), allow_private_hosts=True)
        result = pipeline.crawl_source(source, run_id="2026-11-20", settings=settings,
                                       since=datetime(2026, 11, 20), until=datetime(2026, 11, 21))
    staged = [json.loads(line) for line in open(result.staging_path, encoding="utf-8")]
    assert sorted(r["url"].rsplit("/", 1)[1] for r in staged) == ["day", "undated"]
    assert result.ok and result.articles == 2
    assert result.counts["skipped_after_window"] == 1  # 00:00 on the 21st is the next day's
    summary = json.loads((pipeline.run_dir(settings, "2026-11-20") / "s.summary.json").read_text(encoding="utf-8"))
    assert summary["articles"] == 2 and summary["counts"]["skipped_after_window"] == 1
