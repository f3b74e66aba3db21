"""`newsmon sources check`: one fetch, entries listed, known ones marked, nothing written."""

import json
import os
import subprocess
import sys

import pytest
import yaml

from newsmon import pipeline
from newsmon.demo import demo_sources
from newsmon.sample_site import load_manifest

pytestmark = pytest.mark.slow


def test_check_by_name_marks_entries_already_loaded_by_another_source(settings, sample_site):
    rss, atom = demo_sources(sample_site.base_url)
    settings.sources_file.write_text(yaml.safe_dump({"sources": [
        {"name": s.name, "homepage": s.homepage, "feeds": list(s.feeds), "allowed_domains": list(s.allowed_domains)}
        for s in (rss, atom)]}))
    pipeline.crawl_sources([atom], run_id="r1", settings=settings)
    pipeline.load_run(settings, "r1", [atom])
    _, before = pipeline.run_sql(settings, "select count(*) from articles")

    report = pipeline.check_source(settings, rss.name)

    manifest = load_manifest()
    in_rss = [a for a in manifest if "rss" in a["feeds"]]
    assert len(report["entries"]) == len(in_rss)
    known = {e["title"] for e in report["entries"] if not e["new"]}
    assert known == {a["title"] for a in in_rss if "atom" in a["feeds"]}
    assert report["errors"] == []
    _, after = pipeline.run_sql(settings, "select count(*) from articles")
    assert after == before


def test_check_homepage_url_discovers_feeds_and_sitemaps_as_json(tmp_path, sample_site):
    env = {**os.environ, "NEWSMON_DATA_DIR": str(tmp_path / "data"), "NEWSMON_SOURCES_FILE": str(tmp_path / "none.yaml"),
           "NEWSMON_CRAWL__ALLOW_PRIVATE_HOSTS": "1"}  # the sample site is on 127.0.0.1
    result = subprocess.run([sys.executable, "-m", "newsmon", "sources", "check", f"{sample_site.base_url}/", "--json"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["discovered"]["feeds"] == [f"{sample_site.base_url}/feeds/rss.xml", f"{sample_site.base_url}/feeds/atom.xml"]
    assert report["discovered"]["sitemaps"] == [f"{sample_site.base_url}/sitemap.xml"]
    assert {e["url"].split("?")[0].removeprefix(sample_site.base_url) for e in report["entries"]} == {
        a["path"] for a in load_manifest()}
    assert all(e["new"] for e in report["entries"])
    assert not (tmp_path / "data" / "newsmon.duckdb").exists()


def test_check_unknown_name_is_one_line_error(tmp_path):
    env = {**os.environ, "NEWSMON_DATA_DIR": str(tmp_path), "NEWSMON_SOURCES_FILE": str(tmp_path / "none.yaml")}
    result = subprocess.run([sys.executable, "-m", "newsmon", "sources", "check", "nosuch"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: 'nosuch' is neither a source in {tmp_path / 'none.yaml'} nor an http(s) URL"]


# ---------------------------------------------------------------- hostile and unusual listings

def _rss(base: str, items: list[tuple[str, str]], encoding: str = "utf-8") -> bytes:
    body = "".join(f"<item><title>{title}</title><link>{base}{path}</link></item>" for title, path in items)
    return (f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel><title>t</title>'
            f"{body}</channel></rss>\n").encode(encoding)


def _check(settings, url: str) -> dict:
    return pipeline.check_source(settings, url)


@pytest.mark.timeout(120)
def test_a_dripping_feed_is_a_timeout_with_the_bytes_received(settings):
    import time

    from tests.servers import Route, RoutedServer

    body = _rss("https://e.example", [("Slow", "/a")]) + b" " * 400

    def drip():
        for i in range(len(body)):
            yield body[i:i + 1]
            time.sleep(0.5)

    settings.crawl.download_timeout = 2.0
    with RoutedServer({"/feed.xml": Route(b"", content_type="application/rss+xml", stream=drip,
                                          headers={"Content-Length": str(len(body))})}) as server:
        report = _check(settings, f"{server.base_url}/feed.xml")
    (failure,) = [e for e in report["errors"] if e["url"].endswith("/feed.xml")]
    assert failure["error"].startswith("timeout: no complete response within 2 s")
    received = int(failure["error"].rsplit("(", 1)[1].split()[0].replace(",", ""))
    assert 0 < received < len(body)
    assert report["entries"] == []


def test_gzip_feed_without_content_encoding_and_truncated_feed(settings):
    import gzip

    from tests.servers import Route, RoutedServer

    cyrillic = _rss("{base}", [("Завод запускает собственную модель", "/n/1"), ("Склад без облака", "/n/2")],
                    "windows-1251")
    cut = _rss("", [("Kept", "/k/1"), ("Lost", "/k/2")])[:-60].replace(
        b"<title>Lost", b"<title><![CDATA[Lost story, cut")
    with RoutedServer({"/rss.xml": Route(b"", content_type="application/xml"),
                       "/cut.xml": Route(cut, content_type="application/rss+xml")}) as server:
        server.routes["/rss.xml"].body = gzip.compress(cyrillic.replace(b"{base}", server.base_url.encode()))
        packed = _check(settings, f"{server.base_url}/rss.xml")
        truncated = _check(settings, f"{server.base_url}/cut.xml")
    assert [e["title"] for e in packed["entries"]] == ["Завод запускает собственную модель", "Склад без облака"]
    assert [e["url"] for e in truncated["entries"]] == [f"{server.base_url}/k/1"]
    (failure,) = truncated["errors"][:1]
    assert failure["error"].startswith("malformed feed: truncated")


def test_a_sitemap_url_lists_its_entries_like_a_feed(settings):
    import gzip

    from tests.servers import Route, RoutedServer

    urlset = ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
              ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
              '<url><loc>{base}/a/1</loc><news:news><news:publication_date>2026-11-19T08:00:00Z'
              '</news:publication_date><news:title>Depot robots</news:title></news:news></url>'
              '<url><loc>{base}/a/2</loc><lastmod>2026-11-18</lastmod></url></urlset>')
    index = ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             '<sitemap><loc>{base}/news.xml.gz</loc></sitemap><sitemap>{base}/list.txt</sitemap></sitemapindex>')
    routes = {"/news.xml": Route(urlset, content_type="application/xml"),
              "/news.xml.gz": Route(b"", content_type="application/octet-stream"),
              "/index.xml": Route(index, content_type="text/xml"),
              "/list.txt": Route("\ufeff{base}/t/1\n{base}/t/2\n", content_type="text/plain")}
    with RoutedServer(routes) as server:
        routes["/news.xml.gz"].body = gzip.compress(urlset.replace("{base}", server.base_url).encode())
        base = server.base_url
        plain = _check(settings, f"{base}/news.xml")
        packed = _check(settings, f"{base}/news.xml.gz")
        text = _check(settings, f"{base}/list.txt")
        nested = _check(settings, f"{base}/index.xml")
    for report in (plain, packed):
        assert report["errors"] == []
        assert [(e["url"], e["title"], e["published"]) for e in report["entries"]] == [
            (f"{base}/a/1", "Depot robots", "2026-11-19T08:00:00"), (f"{base}/a/2", None, "2026-11-18T00:00:00")]
        assert all(e["new"] for e in report["entries"])
    assert [e["url"] for e in text["entries"]] == [f"{base}/t/1", f"{base}/t/2"]
    assert nested["feeds"] == [f"{base}/index.xml", f"{base}/news.xml.gz", f"{base}/list.txt"]
    assert [e["url"] for e in nested["entries"]] == [f"{base}/a/1", f"{base}/a/2", f"{base}/t/1", f"{base}/t/2"]
