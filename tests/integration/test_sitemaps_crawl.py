"""Sitemap crawling against real servers: robots.txt -> index -> gzipped news sitemap -> pages."""

import gzip
from datetime import datetime

import pytest

from newsmon import pipeline
from newsmon.domain import Source
from newsmon.sample_site import load_manifest
from tests.servers import Route, RoutedServer
from tests.support.pages import ARTICLE

pytestmark = pytest.mark.slow


def test_sample_site_sitemap_found_through_robots_txt(settings, sample_site):
    source = Source(name="by-sitemap", homepage=f"{sample_site.base_url}/",
                    sitemaps=(f"{sample_site.base_url}/robots.txt",), allowed_domains=("127.0.0.1",))
    (result,) = pipeline.crawl_sources([source], run_id="r1", settings=settings)
    pipeline.load_run(settings, "r1", [source], [result])
    assert result.ok, result.error
    _, rows = pipeline.run_sql(settings, "select title, published_from from articles")
    assert {r[0] for r in rows} == {a["title"] for a in load_manifest()}
    assert {r[1] for r in rows} <= {"page", "url", "first_seen"}  # lastmod is not a publication date

    sample_site.requests.clear()
    (again,) = pipeline.crawl_sources([source], run_id="r2", settings=settings)
    statuses = {path: status for _, path, status in sample_site.requests}
    assert statuses["/sitemap.xml"] == 304 and again.counts["sitemaps_not_modified"] == 1
    assert not any(path.startswith("/news/") for path in statuses)


def test_index_gzip_news_sitemap_and_since_filter(settings):
    news = """<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
      xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>{base}/a/new</loc><news:news><news:publication_date>2026-11-19T08:00:00Z</news:publication_date>
        <news:title>New story</news:title></news:news></url>
      <url><loc>{base}/a/old</loc><news:news><news:publication_date>2026-10-01T08:00:00Z</news:publication_date>
        <news:title>Old story</news:title></news:news></url>
    </urlset>"""
    index = """<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>{base}/news.xml.gz</loc><lastmod>2026-11-19</lastmod></sitemap>
      <sitemap><loc>{base}/archive.xml</loc><lastmod>2025-01-01</lastmod></sitemap></sitemapindex>"""
    with RoutedServer({"/sitemap_index.xml": Route(index, "application/xml")}) as site:
        site.routes.update({
            "/news.xml.gz": Route(gzip.compress(news.replace("{base}", site.base_url).encode()), "application/x-gzip"),
            "/archive.xml": Route("<urlset/>", "application/xml"),
            "/a/new": Route(ARTICLE.format(n="new", title="New story", body="Fresh news.")),
            "/a/old": Route(ARTICLE.format(n="old", title="Old story", body="Stale news.")),
        })
        source = Source(name="news-sitemap", homepage=f"{site.base_url}/",
                        sitemaps=(f"{site.base_url}/sitemap_index.xml",), allowed_domains=("127.0.0.1",))
        (result,) = pipeline.crawl_sources([source], run_id="r1", settings=settings, since=datetime(2026, 11, 1))
        requested = site.paths_requested()
    pipeline.load_run(settings, "r1", [source], [result])
    assert result.ok and result.articles == 1
    assert "/archive.xml" not in requested and "/a/old" not in requested
    _, rows = pipeline.run_sql(settings, "select title, published_at, published_from from articles")
    assert rows == [("New story", datetime(2026, 11, 19, 8, 0), "sitemap")]


def test_section_pages_depth_one_with_exclude_pattern(settings, sample_site):
    import re
    from pathlib import Path

    site_dir = Path(__file__).parents[2] / "newsmon" / "sample_site" / "site" / "section"
    expected = set()
    for page in ("ai.html", "policy.html"):
        expected |= set(re.findall(r'href="(/news/[^"#?]+)"', (site_dir / page).read_text()))
    excluded = {p for p in expected if "veridian" in p}
    source = Source(name="sections", homepage=f"{sample_site.base_url}/",
                    sections=(f"{sample_site.base_url}/section/ai.html", f"{sample_site.base_url}/section/policy.html"),
                    allowed_domains=("127.0.0.1",), exclude=("veridian",))
    sample_site.requests.clear()
    (result,) = pipeline.crawl_sources([source], run_id="r1", settings=settings)
    fetched = {path for _, path, _ in sample_site.requests if path.startswith("/news/")}
    assert result.ok and excluded
    assert fetched == expected - excluded
    assert result.articles == len(expected - excluded)
