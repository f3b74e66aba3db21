"""A hostile test site for RoutedServer: broken and malicious XML, a gzip bomb, huge, endless and
looping responses, binary served as HTML, lying charsets, script-only pages, javascript: and data:
links, duplicate items, and dates in 1970 and 2099. Each path is one trap; `EXPECTED` says how the
crawler must record it."""

from __future__ import annotations

import base64
import gzip
import time
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from tests.servers import Route

BOMB_MEMBER = 16 * 1024 * 1024  # one gzip member of 16 MiB of zeros compresses to ~16 KB
BOMB_EXPANDS_TO = 65 * BOMB_MEMBER  # 1040 MiB: past a gigabyte
HUGE = 50 * 1024 * 1024


@lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """About 1 MB that gunzips to BOMB_EXPANDS_TO bytes: gzip members may be concatenated."""
    return gzip.compress(b"\0" * BOMB_MEMBER, compresslevel=9) * (BOMB_EXPANDS_TO // BOMB_MEMBER)


def _huge() -> Iterator[bytes]:
    chunk = b"<p>" + b"filler words " * 80_000 + b"</p>"  # ~1 MB
    yield b"<html><body>"
    for _ in range(HUGE // len(chunk) + 1):
        yield chunk


def _endless() -> Iterator[bytes]:
    """A byte now and then, for a minute at most (the client gives up long before)."""
    yield b"<html><body><p>"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.1)
        yield b"."


# the text every charset page must come out with, whatever its bytes and declarations say
ACCENTED = "Café owners in Zürich say the naïve forecast missed €40,000 in “smart” sales."
LATIN1_ONLY = "Café owners in Zürich say the naïve forecast missed the Christmas sales."
MIXED_PASTE = "Shop owners along the lake front — in Zürich’s old town — said"

PAGE = """<!doctype html><html lang="en"><head>{meta}<title>{title}</title>
<link rel="canonical" href="{canonical}">{head}</head><body><nav>Home | Markets | Cities</nav>
<article><h1>{title}</h1><p class="byline">By Lena Brandt</p>
<p>{lead}</p>
<p>Shop owners along the lake front said the season had started slowly, with fewer visitors from
abroad in the first weeks and more locals staying home in the evenings than in any recent year.</p>
<p>The city's tourism office expects numbers to recover in the spring, when the conference centre
reopens after its renovation and two new hotels near the station take their first guests.</p></article>
<footer>Lakeside Ledger</footer></body></html>"""


def page(title: str, lead: str = "A quiet week on the lake front.", *, slug: str = "", meta: str = '<meta charset="utf-8">',
         head: str = "", base: str = "{base}") -> str:
    return PAGE.format(title=title, lead=lead, meta=meta, head=head, canonical=f"{base}/p/{slug or 'x'}")


def _feed(items: list[tuple[str, str, str | None]]) -> str:
    """RSS with (title, link, pubDate) items; a link not starting with a scheme gets {base}."""
    rendered = "".join(
        f"<item><title>{title}</title><link>{link if ':' in link else '{base}' + link}</link>"
        + (f"<pubDate>{date}</pubDate>" if date else "") + "</item>"
        for title, link, date in items)
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Lakeside Ledger</title>'
            f"<link>{{base}}/</link><description>All stories</description>{rendered}</channel></rss>")


LAUGHS_DTD = """<!DOCTYPE {root} [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>"""
XXE_DTD = """<!DOCTYPE {root} SYSTEM "{{base}}/xxe/dtd" [
 <!ENTITY secret SYSTEM "file://{secret}">
 <!ENTITY remote SYSTEM "{{base}}/xxe/entity">
]>"""
URLSET = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'


def _feed_with_dtd(dtd: str, reference: str) -> str:
    return ('<?xml version="1.0"?>' + dtd + '<rss version="2.0"><channel><title>t</title><link>{base}/</link>'
            f"<description>{reference}</description><item><title>Story {reference}</title>"
            "<link>{base}/p/good-one</link></item></channel></rss>")


def _sitemap_with_dtd(dtd: str, reference: str) -> str:
    return f'<?xml version="1.0"?>{dtd}{URLSET}<url><loc>{{base}}/p/good-one?x={reference}</loc></url></urlset>'


# listing path -> (kind recorded, what is wrong)
LISTINGS = {
    "/feeds/malformed.xml": ("parse", "not XML at all"),
    "/feeds/truncated.xml": ("parse", "cut off inside the first item"),
    "/feeds/laughs.xml": ("parse", "billion laughs"),
    "/feeds/xxe.xml": ("parse", "external entities: a local file and a URL"),
    "/sitemaps/malformed.xml": ("parse", "tags that never close"),
    "/sitemaps/truncated.xml": ("parse", "cut off inside the first url"),
    "/sitemaps/laughs.xml": ("parse", "billion laughs"),
    "/sitemaps/xxe.xml": ("parse", "external entities and an external DTD"),
    "/sitemaps/bomb.xml.gz": ("parse", "a gzip file that expands past a gigabyte"),
    "/sitemaps/bomb-encoded.xml": ("too_large", "Content-Encoding: gzip expanding past a gigabyte"),
}
# article path -> kind recorded (None: stored as an article)
PAGES = {
    "/p/good-one": None,
    "/p/from-section": None,
    "/p/dup": None,
    "/p/dup-amp": None,  # the same story again, rel=canonical to /p/dup: one article
    "/p/epoch": None,
    "/p/future": None,
    "/p/latin1-header-utf8-body": None,
    "/p/utf8-header-cp1252-body": None,
    "/p/mixed-utf8-cp1252": None,
    "/p/meta-only-latin1": None,
    "/p/huge": "too_large",
    "/p/huge-unannounced": "too_large",
    "/p/bomb": "too_large",
    "/p/endless": "timeout",
    "/p/loop": "redirect",
    "/p/binary": "not_html",
    "/p/scripts-only": "empty_extraction",
}
DATA_ARTICLE = base64.b64encode(page("Smuggled in a data URI", base="http://127.0.0.1").encode()).decode()
SCHEME_LINKS = ["javascript:alert(document.cookie)", f"data:text/html;base64,{DATA_ARTICLE}"]


def routes(secret: Path) -> dict[str, Route]:
    """The site's routes; secret is a file (a FIFO in the test) that the XXE entities point at."""
    rss, html = "application/rss+xml", "text/html; charset=utf-8"
    pages_feed = _feed([
        ("A good story", "/p/good-one", "Tue, 17 Nov 2026 09:00:00 GMT"),
        ("Duplicate story", "/p/dup", "Wed, 18 Nov 2026 10:00:00 GMT"),
        ("Duplicate story", "/p/dup", "Wed, 18 Nov 2026 10:00:00 GMT"),
        ("Duplicate story", "/p/dup?utm_source=rss&amp;utm_medium=feed", None),
        ("Duplicate story", "/p/dup#comments", None),
        ("Duplicate story (AMP)", "/p/dup-amp", None),
        ("Epoch story", "/p/epoch", "Thu, 01 Jan 1970 00:00:00 GMT"),
        ("Future story", "/p/future", "Thu, 31 Dec 2099 23:59:59 GMT"),
        *[(name, f"/p/{name}", None) for name in (
            "latin1-header-utf8-body", "utf8-header-cp1252-body", "mixed-utf8-cp1252", "meta-only-latin1",
            "huge", "huge-unannounced", "bomb", "endless", "loop", "binary", "scripts-only")],
        *[("Scheme link", link, None) for link in SCHEME_LINKS],
    ])
    # a UTF-8 page with one sentence pasted in from a windows-1252 source
    mixed = (page("Mixed encodings", ACCENTED, slug="mixed-utf8-cp1252").encode("utf-8")
             .replace(b"Shop owners along the lake front said", MIXED_PASTE.encode("cp1252")))
    found = {
        "/feeds/pages.xml": Route(pages_feed, rss),
        "/sections/front": Route(
            "<html><body><h1>Front</h1><ul>"
            + "".join(f'<li><a href="{link}">Read this story now please</a></li>' for link in SCHEME_LINKS)
            + '<li><a href="/p/from-section">Found on the front page</a></li></ul></body></html>'),
        # listings
        "/feeds/malformed.xml": Route("<<< this is not XML >>> &&& </rss> <item", rss),
        "/feeds/truncated.xml": Route('<?xml version="1.0"?><rss version="2.0"><channel><title>Cut short</title>'
                                      "<item><title>Half an it", rss),
        "/feeds/laughs.xml": Route(_feed_with_dtd(LAUGHS_DTD.format(root="rss"), "&lol9;"), rss),
        "/feeds/xxe.xml": Route(_feed_with_dtd(XXE_DTD.format(root="rss", secret=secret), "&secret;&remote;"), rss),
        "/sitemaps/malformed.xml": Route(f"{URLSET}<url><lastmod>2026-11-01</lastmod><<<>>></url><url<url",
                                         "application/xml"),
        "/sitemaps/truncated.xml": Route(f'<?xml version="1.0"?>{URLSET}<url><lo', "application/xml"),
        "/sitemaps/laughs.xml": Route(_sitemap_with_dtd(LAUGHS_DTD.format(root="urlset"), "&lol9;"),
                                      "application/xml"),
        "/sitemaps/xxe.xml": Route(_sitemap_with_dtd(XXE_DTD.format(root="urlset", secret=secret),
                                                     "&secret;&remote;"), "application/xml"),
        "/sitemaps/bomb.xml.gz": Route(gzip_bomb(), "application/gzip"),
        "/sitemaps/bomb-encoded.xml": Route(gzip_bomb(), "application/xml", headers={"Content-Encoding": "gzip"}),
        # pages
        "/p/good-one": Route(page("A good story", slug="good-one")),
        "/p/from-section": Route(page("Found on the front page", slug="from-section")),
        "/p/dup": Route(page("Duplicate story", "The same story under four URLs.", slug="dup")),
        "/p/dup-amp": Route(page("Duplicate story", "The same story under four URLs.", slug="dup")),
        "/p/epoch": Route(page("Epoch story", slug="epoch",
                               head='<meta property="article:published_time" content="1970-01-01T00:00:00Z">')),
        "/p/future": Route(page("Future story", slug="future",
                                head='<meta property="article:published_time" content="2099-12-31T23:59:59Z">')),
        "/p/latin1-header-utf8-body": Route(
            page("Header says latin-1", ACCENTED, slug="latin1-header-utf8-body").encode("utf-8"),
            "text/html; charset=iso-8859-1"),
        "/p/utf8-header-cp1252-body": Route(
            page("Header says UTF-8", ACCENTED, slug="utf8-header-cp1252-body",
                 meta='<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">').encode("cp1252"),
            html),
        "/p/mixed-utf8-cp1252": Route(mixed, html),
        "/p/meta-only-latin1": Route(page("Only the page says latin-1", LATIN1_ONLY, slug="meta-only-latin1",
                                          meta='<meta charset="iso-8859-1">').encode("latin-1"), "text/html"),
        "/p/huge": Route(b"", stream=_huge, headers={"Content-Length": str(HUGE)}),
        "/p/huge-unannounced": Route(b"", stream=_huge),
        "/p/bomb": Route(gzip_bomb(), headers={"Content-Encoding": "gzip"}),
        "/p/endless": Route(b"", stream=_endless),
        "/p/loop": Route("", status=302, headers={"Location": "{base}/p/loop-again"}),
        "/p/loop-again": Route("", status=302, headers={"Location": "{base}/p/loop"}),
        "/p/binary": Route(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64),
        "/p/scripts-only": Route("<html><head><script>var story = 'x';</script></head><body>"
                                 "<script>document.write('<p>' + story + '</p>')</script>"
                                 "<noscript></noscript></body></html>"),
    }
    return found
