from datetime import datetime

from crawlers.feeds import parse_feed

RSS = b"""<?xml version="1.0" encoding="windows-1252"?>
<rss version="2.0"><channel><title>T</title><link>https://e.example/</link>
<item><title><![CDATA[Robots &amp; ports: a <b>year</b> on]]></title><link>/news/1</link>
<guid isPermaLink="false">g1</guid><pubDate>Tue, 17 Nov 2026 09:00:00 +0100</pubDate></item>
<item><title>Caf\xe9 chain opens its own app store</title><link>https://e.example/news/2</link>
<guid>g2</guid><pubDate>someday soon</pubDate></item>
<item><title>Duplicate of the first</title><link>https://e.example/news/1</link><guid>g1</guid></item>
<item><title>No link here</title></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2026-11-18T10:00:00Z</updated>
<entry><title>Fediverse bridge opens</title><id>urn:1</id>
<link rel="alternate" href="https://a.example/posts/bridge"/>
<published>2026-11-18T08:30:00-05:00</published><updated>2026-11-18T09:00:00Z</updated></entry>
</feed>"""


def test_rss_relative_links_cdata_encoding_bad_dates_and_duplicates():
    parsed = parse_feed(RSS, "https://e.example/feed.xml", "application/rss+xml")
    assert parsed.error is None
    assert [e.url for e in parsed.entries] == ["https://e.example/news/1", "https://e.example/news/2"]
    first, second = parsed.entries
    assert first.published == datetime(2026, 11, 17, 8, 0)
    assert "Robots & ports" in first.title
    assert second.title == "Café chain opens its own app store"
    assert second.published is None


def test_atom_entries_use_alternate_link_and_published_date_in_utc():
    (entry,) = parse_feed(ATOM, "https://a.example/atom.xml").entries
    assert entry.url == "https://a.example/posts/bridge"
    assert entry.published == datetime(2026, 11, 18, 13, 30)


def test_malformed_feed_without_entries_is_an_error():
    parsed = parse_feed(b"<rss><channel><item><title>unclosed", "https://e.example/f")
    assert parsed.entries == [] and parsed.error.startswith("malformed feed:")
    assert parse_feed(b"<html><body>Not a feed</body></html>", "https://e.example/f").error


def test_valid_empty_feed_is_not_an_error():
    parsed = parse_feed(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
                        "https://e.example/f")
    assert parsed.entries == [] and parsed.error is None


def test_control_characters_and_bidi_overrides_leave_feed_titles():
    feed = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>c</title>'
            '<item><title>Port\x1b[31m robots\x07 \u202etxt.exe\u202c \x85done\u2067</title>'
            '<link>https://e.example/a</link></item></channel></rss>').encode()
    (entry,) = parse_feed(feed, "https://e.example/f").entries
    assert entry.title == "Port[31m robots txt.exe \u2026done"  # feedparser reads U+0085 as cp1252


CYRILLIC = ('<?xml version="1.0" encoding="windows-1251"?>\n<rss version="2.0"><channel><title>Новости</title>'
            '<link>https://c.example/</link>'
            '<item><title>Завод запускает собственную модель</title><link>https://c.example/n/1</link></item>'
            '<item><title>Склад без облака</title><link>https://c.example/n/2</link></item>'
            '</channel></rss>\n').encode("cp1251")


def test_gzip_body_without_content_encoding_is_decompressed():
    import gzip

    for content_type in ("application/rss+xml", "application/x-gzip", ""):
        parsed = parse_feed(gzip.compress(CYRILLIC), "https://c.example/rss.xml", content_type)
        assert parsed.error is None
        assert [e.title for e in parsed.entries] == ["Завод запускает собственную модель", "Склад без облака"]


def test_gzip_that_expands_too_far_or_is_broken_is_an_error():
    import gzip

    from crawlers import feeds

    assert parse_feed(b"\x1f\x8b\x08\x00broken", "https://c.example/f").error.startswith("malformed feed: gzip")
    bomb = gzip.compress(b"<rss>" + b" " * (feeds.MAX_UNCOMPRESSED + 10))
    assert "expands past" in parse_feed(bomb, "https://c.example/f").error


def test_truncated_feed_is_a_parse_error_and_keeps_what_it_read():
    head = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
            '<item><title><![CDATA[Depot robots]]></title><link>https://e.example/1</link></item>'
            '<item><title><![CDATA[Second story')
    cut_in_first = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
                    '<item><link>https://e.example/1</link><description><![CDATA[The first body, cut')
    for body, read in ((head, 1), (cut_in_first, 1)):
        parsed = parse_feed(body.encode(), "https://e.example/f")
        assert parsed.error.startswith("malformed feed: truncated")
        assert len(parsed.entries) == read
    whole = parse_feed((head + "]]></title><link>https://e.example/2</link></item></channel></rss>\n"
                        "<!-- cached -->\n").encode(), "https://e.example/f")
    assert whole.error is None and len(whole.entries) == 2
