"""Pure handling of what hostile or broken sites send: charsets, entity declarations, broken XML,
impossible dates."""

import codecs
from datetime import datetime

import pytest

from crawlers.extract import choose_published, decode_html, plausible_date
from crawlers.feeds import entity_refusal, parse_feed
from crawlers.sitemaps import parse_sitemap

TEXT = "Café in Zürich: the naïve “smart” forecast missed €40,000."
SEEN = datetime(2026, 11, 20, 12, 0)


@pytest.mark.parametrize(("body", "content_type"), [
    (TEXT.encode("utf-8"), "text/html; charset=iso-8859-1"),  # the header lies, the bytes are UTF-8
    (f'<meta charset="windows-1252"><p>{TEXT}'.encode("cp1252"), "text/html; charset=utf-8"),  # the page is right
    (f"<p>{TEXT}".encode("cp1252"), "text/html; charset=latin-1"),  # latin-1 read as browsers read it
    (f"<p>{TEXT}".encode("cp1252"), "text/html"),  # nothing declared, not UTF-8
    (codecs.BOM_UTF16_LE + f"<p>{TEXT}".encode("utf-16-le"), "text/html; charset=utf-8"),  # a BOM wins
    (TEXT.encode("utf-8").replace("“smart”".encode(), "“smart”".encode("cp1252")), "text/html; charset=utf-8"),
])
def test_decoded_text_is_sane_whatever_is_declared(body, content_type):
    assert TEXT in decode_html(body, content_type)


def test_a_declared_legacy_charset_is_used_when_the_bytes_are_not_utf8():
    assert decode_html("ニュース".encode("shift_jis"), "text/html; charset=Shift_JIS") == "ニュース"
    assert decode_html(b"caf\xe9", "text/html; charset=no-such-charset") == "café"


@pytest.mark.parametrize(("value", "ok"), [
    (datetime(1970, 1, 1), False), (datetime(1994, 12, 31), False), (datetime(2099, 12, 31), False),
    (datetime(2026, 11, 22, 11), True),  # a day ahead: time zones, embargoes
    (datetime(2026, 11, 23, 12, 1), False), (datetime(2026, 11, 17), True), (None, False),
])
def test_plausible_dates(value, ok):
    assert plausible_date(value, SEEN) is ok


def test_impossible_dates_are_not_chosen_but_recorded_as_rejected():
    chosen, source, confidence, candidates, spread = choose_published(
        listed=datetime(1970, 1, 1), listed_in="feed", page=datetime(2099, 12, 31), url=None, first_seen=SEEN)
    assert (chosen, source, confidence, spread) == (SEEN, "first_seen", "low", None)
    assert candidates == {"feed_rejected": "1970-01-01T00:00:00", "page_rejected": "2099-12-31T00:00:00",
                          "first_seen": SEEN.isoformat()}
    chosen, source, *_ = choose_published(listed=datetime(2099, 1, 1), listed_in="sitemap",
                                          page=datetime(2026, 11, 17, 9), url=None, first_seen=SEEN)
    assert (chosen, source) == (datetime(2026, 11, 17, 9), "page")


@pytest.mark.parametrize(("dtd", "refused"), [
    ('<!DOCTYPE rss [<!ENTITY nbsp "&#160;">]>', None),
    ('<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/rss-0.91.dtd">', None),
    ('<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "external entity 'x'"),
    ('<!DOCTYPE rss [<!ENTITY x PUBLIC "-//x" "http://169.254.169.254/">]>', "external entity 'x'"),
    ('<!DOCTYPE rss [<!ENTITY % p SYSTEM "http://e.example/p.dtd"> %p;]>', "parameter entity 'p'"),
    ('<!DOCTYPE rss [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>', "other entities 'b' (billion laughs)"),
])
def test_entity_declarations(dtd, refused):
    found = entity_refusal(f'<?xml version="1.0"?>{dtd}<rss/>'.encode())
    assert found == refused if refused is None else refused in found


def test_refused_feed_is_an_error_and_a_harmless_dtd_is_not():
    body = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss version="2.0">'
            "<channel><title>&x;</title><item><title>a</title><link>https://e.example/a</link></item></channel></rss>")
    assert parse_feed(body.encode(), "https://e.example/f").error == "refused feed: XML declares an external entity 'x'"
    harmless = body.replace('<!ENTITY x SYSTEM "file:///etc/passwd">', '<!ENTITY x "News">')
    assert [e.url for e in parse_feed(harmless.encode(), "https://e.example/f").entries] == ["https://e.example/a"]


def test_broken_sitemap_with_nothing_readable_is_an_error_but_a_readable_part_is_kept():
    urlset = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    assert parse_sitemap(f"{urlset}<url><lo".encode(), "https://e.example/s.xml").error.startswith("malformed sitemap")
    partial = parse_sitemap(f"{urlset}<url><loc>https://e.example/a</loc></url><url><lo".encode(), "https://e.example/s")
    assert partial.error is None and [e.url for e in partial.entries] == ["https://e.example/a"]
    empty = parse_sitemap(f"{urlset}</urlset>".encode(), "https://e.example/s.xml")
    assert empty.error is None and empty.entries == []


def test_one_unparseable_link_does_not_cost_the_rest_of_its_listing():
    from crawlers.discover import article_links, feed_links, robots_sitemaps

    bad = ["http://[oops/a-b-c-d", "http://e.example:99999/a-b-c-d"]
    feed = "".join(f"<item><title>t</title><link>{u}</link></item>" for u in [*bad, "https://e.example/ok"])
    assert [e.url for e in parse_feed(f'<rss version="2.0"><channel><title>t</title>{feed}</channel></rss>'.encode(),
                                      "https://e.example/f").entries] == ["https://e.example/ok"]
    urlset = "".join(f"<url><loc>{u}</loc></url>" for u in [*bad, "https://e.example/ok"])
    assert [e.url for e in parse_sitemap(f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urlset}'
                                         "</urlset>".encode(), "https://e.example/s").entries] == ["https://e.example/ok"]
    links = "".join(f'<a href="{u}">x</a>' for u in [*bad, "/news/a-b-c-d"])
    assert article_links(f"<html><body>{links}</body></html>", "https://e.example/") == ["https://e.example/news/a-b-c-d"]
    assert robots_sitemaps("".join(f"Sitemap: {u}\n" for u in [*bad, "/s.xml"]), "https://e.example/robots.txt") == [
        "https://e.example/s.xml"]
    alternates = "".join(f'<link rel="alternate" type="application/rss+xml" href="{u}">' for u in [*bad, "/f.xml"])
    assert feed_links(f"<html><head>{alternates}</head></html>", "https://e.example/") == ["https://e.example/f.xml"]
