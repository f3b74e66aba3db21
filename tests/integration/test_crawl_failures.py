"""One bad source never stops the others: each failure is recorded with its kind."""

import json

import pytest

from newsmon import pipeline
from newsmon.domain import Source
from tests.servers import Route, RoutedServer, free_port
from tests.support.pages import ARTICLE

pytestmark = pytest.mark.slow

RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Good</title>
<link>{base}/</link><description>d</description>
<item><title>Port tries scheduler</title><link>{base}/a/1?utm_source=rss</link>
<pubDate>Tue, 17 Nov 2026 09:00:00 GMT</pubDate></item>
<item><title>Second story</title><link>{base}/a/2</link>
<pubDate>Wed, 18 Nov 2026 10:30:00 GMT</pubDate></item>
<item><title>Gone story</title><link>{base}/a/404</link></item>
</channel></rss>"""


def _site() -> RoutedServer:
    return RoutedServer({
        "/feed.xml": Route(RSS, "application/rss+xml"),
        "/a/1": Route(ARTICLE.format(n=1, title="Port tries scheduler", body="A port tried a new scheduler.")),
        "/a/2": Route(ARTICLE.format(n=2, title="Second story", body="Another terminal joined the trial.")),
        "/broken.xml": Route("<rss><channel><item><title>unclosed", "application/rss+xml"),
        "/error.xml": Route("server exploded", "text/plain", status=500),
    })


def _listing(site, name: str, feed: str) -> Source:
    """A source of the test site that lists one of its feeds."""
    return Source(name=name, homepage=f"{site.base_url}/", feeds=(f"{site.base_url}{feed}",),
                  allowed_domains=("127.0.0.1",))


def test_bad_sources_are_recorded_and_good_one_loads(settings):
    with _site() as site:
        sources = [
            _listing(site, "good", "/feed.xml"),
            _listing(site, "malformed", "/broken.xml"),
            _listing(site, "server-error", "/error.xml"),
            Source(name="dead-port", homepage="http://127.0.0.1/",
                   feeds=(f"http://127.0.0.1:{free_port()}/feed.xml",), allowed_domains=("127.0.0.1",)),
            Source(name="bad-dns", homepage="http://nonexistent.invalid/",
                   feeds=("http://nonexistent.invalid/feed.xml",), allowed_domains=("nonexistent.invalid",)),
        ]
        results = {r.source: r for r in pipeline.crawl_sources(sources, run_id="2026-11-18", settings=settings)}
        report = pipeline.load_run(settings, "2026-11-18", sources, results.values())

    assert results["good"].ok and results["good"].articles == 2
    assert [f["kind"] for f in results["good"].failures] == ["http"]  # the 404 article
    assert not results["malformed"].ok and results["malformed"].error.startswith("parse:")
    assert not results["server-error"].ok and results["server-error"].error == "http: HTTP 500"
    assert not results["dead-port"].ok and results["dead-port"].error.startswith("connection:")
    assert not results["bad-dns"].ok and results["bad-dns"].error.startswith("dns:")
    assert report.inserted == 2

    columns, rows = pipeline.run_sql(settings, "select source, ok, error, failures from crawl_runs order by source")
    by_source = {row[0]: row for row in rows}
    assert set(by_source) == set(results)
    assert by_source["good"][1] is True
    assert json.loads(by_source["malformed"][3])[0]["kind"] == "parse"
    _, titles = pipeline.run_sql(settings, "select title, canonical_url from articles order by title")
    assert titles == [("Port tries scheduler", f"{site.base_url}/a/1"), ("Second story", f"{site.base_url}/a/2")]


def test_sources_health_command_shows_the_failed_source(settings):
    import os
    import subprocess
    import sys

    with _site() as site:
        sources = [
            _listing(site, "good", "/feed.xml"),
            _listing(site, "server-error", "/error.xml"),
        ]
        results = pipeline.crawl_sources(sources, run_id="2026-11-18", settings=settings)
        pipeline.load_run(settings, "2026-11-18", sources, results)
    env = {**os.environ, "NEWSMON_DATA_DIR": str(settings.data_dir)}
    out = subprocess.run([sys.executable, "-m", "newsmon", "sources", "health", "--format", "json"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    rows = {r["source"]: r for r in map(json.loads, out.stdout.splitlines())}
    assert rows["good"]["articles_14d"] == 2 and rows["good"]["error_rate_14d"] == 0.0
    assert rows["server-error"]["error_rate_14d"] == 1.0
    assert rows["server-error"]["last_success"] is None
    assert rows["server-error"]["last_error"] == "http: HTTP 500"
    _, counts = pipeline.run_sql(settings, "select counts->>'$.failed_http' from crawl_runs where source = 'good'")
    assert counts == [("1",)]
