import gzip
from datetime import datetime

from crawlers.sitemaps import parse_sitemap

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://e.example/news.xml.gz</loc><lastmod>2026-11-20</lastmod></sitemap>
  <sitemap><loc>/archive-2019.xml</loc><lastmod>2019-01-01</lastmod></sitemap>
</sitemapindex>"""

NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://e.example/a/1</loc>
    <news:news><news:publication><news:name>E</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2026-11-19T08:00:00+02:00</news:publication_date>
      <news:title>Robots join the night shift</news:title></news:news></url>
  <url><loc>https://e.example/a/2</loc><lastmod>2026-11-18T10:00:00Z</lastmod></url>
  <url><loc>https://e.example/a/2</loc></url>
  <url><loc>javascript:alert(1)</loc></url>
</urlset>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://e.example/&lol3;&xxe;</loc></url></urlset>"""


def test_index_resolves_relative_children_with_lastmod():
    parsed = parse_sitemap(INDEX, "https://e.example/sitemap.xml")
    assert parsed.kind == "index"
    assert [(e.url, e.lastmod) for e in parsed.entries] == [
        ("https://e.example/news.xml.gz", datetime(2026, 11, 20)),
        ("https://e.example/archive-2019.xml", datetime(2019, 1, 1)),
    ]


def test_gzipped_news_sitemap_gives_titles_dates_and_no_duplicates_or_bad_schemes():
    parsed = parse_sitemap(gzip.compress(NEWS), "https://e.example/news.xml.gz")
    assert parsed.kind == "urlset" and parsed.error is None
    first, second = parsed.entries
    assert (first.url, first.title, first.published) == (
        "https://e.example/a/1", "Robots join the night shift", datetime(2026, 11, 19, 6, 0))
    assert (second.url, second.lastmod) == ("https://e.example/a/2", datetime(2026, 11, 18, 10, 0))


def test_entities_are_not_expanded_and_external_entities_not_fetched():
    parsed = parse_sitemap(BILLION_LAUGHS, "https://e.example/s.xml")
    text = " ".join(e.url for e in parsed.entries)
    assert "lollollol" not in text and "root:" not in text


def test_malformed_and_foreign_documents_are_errors():
    assert parse_sitemap(b"\x1f\x8bnot really gzip", "https://e.example/s.xml.gz").error.startswith("malformed")
    assert parse_sitemap(b"<html><body>hi</body></html>", "https://e.example/s.xml").error.startswith("not a sitemap")


def test_plain_text_sitemap_with_bom_yields_its_urls():
    text = "\ufeffhttps://e.example/a/1\r\n\r\nhttps://e.example/a/2\nhttps://e.example/a/1\n".encode()
    parsed = parse_sitemap(text, "https://e.example/sitemap.txt")
    assert parsed.error is None and parsed.kind == "urlset"
    assert [e.url for e in parsed.entries] == ["https://e.example/a/1", "https://e.example/a/2"]
    assert [e.url for e in parse_sitemap(gzip.compress(text), "https://e.example/s.txt.gz").entries] == [
        "https://e.example/a/1", "https://e.example/a/2"]
    assert parse_sitemap(b"User-agent: *\nDisallow: /\n", "https://e.example/s.txt").error.startswith("not a sitemap")


def test_index_children_written_without_loc_are_found():
    index = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap>https://e.example/sitemap-news.xml</sitemap>
  <sitemap>
    https://e.example/sitemap-2026-11.xml
  </sitemap>
  <sitemap><loc>https://e.example/with-loc.xml</loc></sitemap>
</sitemapindex>"""
    parsed = parse_sitemap(index, "https://e.example/sitemap.xml")
    assert parsed.kind == "index" and parsed.error is None
    assert [e.url for e in parsed.entries] == ["https://e.example/sitemap-news.xml",
                                               "https://e.example/sitemap-2026-11.xml",
                                               "https://e.example/with-loc.xml"]
