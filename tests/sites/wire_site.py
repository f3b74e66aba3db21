"""A second sample site, "Harbourline Wire", served by RoutedServer: robots.txt pointing at a sitemap
index, a gzipped Google News sitemap, an old sitemap, two section pages, and a legacy RSS feed with
the real-world mess (windows-1252, CDATA with entities, relative links, a bad date, a duplicate GUID).
Every article is reachable from more than one listing, so a crawl must fetch each one once."""

from __future__ import annotations

import gzip

from tests.servers import Route

# slug -> (headline, first paragraph); written for this test site
STORIES = {
    "quay-cranes-night-shift": ("Quay cranes at Harbourline's east terminal now run a night shift without drivers",
                                "Four remotely supervised cranes moved 1,900 boxes overnight while two operators "
                                "watched from the control room."),
    "cafe-chain-own-app": ("Café chain drops delivery platforms for its own ordering app",
                           "The 60-branch chain says commission savings paid for the app within five months."),
    "grid-battery-trial": ("Coastal grid operator lets a model dispatch its new battery park",
                           "The 80-megawatt park now charges and discharges on the model's schedule, with "
                           "engineers able to override it at any time."),
    "regulator-interop-order": ("Messaging apps told to open their networks to smaller rivals",
                                "The regulator gave the two largest services a year to let users message "
                                "contacts on other apps."),
    "chip-earnings-beat": ("Chip designer's quarterly profit beats forecasts on data-centre demand",
                           "Revenue rose 31 percent, and the company raised its outlook for the year."),
    "clinic-scribe-rollout": ("Rural clinics start using an AI scribe during consultations",
                              "Doctors in 22 clinics now review a drafted note at the end of each visit instead "
                              "of typing it."),
    "token-price-slide": ("Exchange token slides 12 percent as trading volumes thin",
                          "Analysts pointed to a quiet week for derivatives rather than any change at the exchange."),
    "coop-mesh-network": ("Village cooperative switches on its own mesh broadband network",
                          "Forty rooftop nodes now carry traffic for 600 homes that no carrier had wired."),
}
DATES = ["2026-11-16T08:00:00Z", "2026-11-16T14:30:00Z", "2026-11-17T09:10:00Z", "2026-11-18T11:00:00Z",
         "2026-11-19T07:45:00Z", "2026-11-20T16:20:00Z", "2026-11-21T10:05:00Z", "2026-11-22T18:40:00Z"]

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} | Harbourline Wire</title>
<link rel="canonical" href="{{base}}/story/{slug}">
<meta property="article:published_time" content="{date}"></head><body>
<header><a href="/">Harbourline Wire</a> <a href="/sections/industry">Industry</a> <a href="/sections/policy">Policy</a></header>
<main><article><h1>{title}</h1><p class="byline">By Tomasz Riedel</p>
<p>{lead}</p>
<p>People who follow the sector said the move was watched closely by competitors, several of whom are
weighing similar steps over the coming year, according to interviews this week.</p>
<p>The company declined to give further figures, saying it would report on the results at its annual
meeting in the spring.</p></article></main>
<aside><h3>Most read</h3><a href="/story/quay-cranes-night-shift">Night-shift cranes</a></aside>
<footer>Harbourline Wire, Pier 4. All rights reserved.</footer></body></html>"""

SECTION = """<!doctype html><html><head><title>{name} | Harbourline Wire</title></head><body>
<nav><a href="/">Home</a> <a href="/sections/industry">Industry</a> <a href="/sections/policy">Policy</a>
<a href="/about-us">About us</a></nav>
<ul>{items}</ul>
<p><a href="javascript:void(0)">Load more</a> <a href="data:text/html,hi">x</a>
<a href="/drafts/unpublished-story-about-ports">Draft</a>
<a href="https://elsewhere.example/story/borrowed-story-from-another-site">Partner story</a></p>
</body></html>"""

LEGACY_RSS = """<?xml version="1.0" encoding="windows-1252"?>
<rss version="2.0"><channel><title>Harbourline Wire (legacy)</title><link>{base}/</link><description>All</description>
<item><title><![CDATA[Caf\xe9 chain drops delivery platforms for its own ordering app &amp; loyalty scheme]]></title>
<link>/story/cafe-chain-own-app?utm_source=rss</link><guid isPermaLink="false">hw-2</guid>
<pubDate>Mon, 16 Nov 2026 14:30:00 +0000</pubDate></item>
<item><title>Messaging apps told to open their networks to smaller rivals</title>
<link>/story/regulator-interop-order</link><guid isPermaLink="false">hw-4</guid><pubDate>last Wednesday</pubDate></item>
<item><title>Messaging apps told to open their networks (updated)</title>
<link>/story/regulator-interop-order</link><guid isPermaLink="false">hw-4</guid></item>
<item><title>Village cooperative switches on its own mesh broadband network</title>
<link>{base}/story/coop-mesh-network</link><guid>hw-8</guid><pubDate>Sun, 22 Nov 2026 18:40:00 GMT</pubDate></item>
</channel></rss>"""


def _news_sitemap(slugs: list[str]) -> str:
    urls = "".join(
        f"<url><loc>{{base}}/story/{slug}</loc><news:news><news:publication><news:name>Harbourline Wire</news:name>"
        f"<news:language>en</news:language></news:publication><news:publication_date>{DATES[i]}"
        f"</news:publication_date><news:title>{STORIES[slug][0]}</news:title></news:news></url>"
        for i, slug in enumerate(slugs))
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>')


def routes(base_url: str) -> dict[str, Route]:
    slugs = list(STORIES)
    found = {
        "/robots.txt": Route("User-agent: *\nDisallow: /drafts/\nSitemap: {base}/sitemap_index.xml\n", "text/plain"),
        "/sitemap_index.xml": Route(
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            "<sitemap><loc>{base}/sitemaps/news.xml.gz</loc><lastmod>2026-11-22</lastmod></sitemap>"
            "<sitemap><loc>{base}/sitemaps/2019.xml</loc><lastmod>2019-12-31</lastmod></sitemap></sitemapindex>",
            "application/xml"),
        "/sitemaps/news.xml.gz": Route(gzip.compress(_news_sitemap(slugs[:5]).replace("{base}", base_url).encode()),
                                       "application/gzip"),
        "/sitemaps/2019.xml": Route('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                    "<url><loc>{base}/story/archived-2019-piece-about-ferries</loc></url></urlset>",
                                    "application/xml"),
        "/feeds/legacy.rss": Route(LEGACY_RSS.encode("windows-1252").replace(b"{base}", base_url.encode()),
                                   "application/rss+xml"),
        "/sections/industry": Route(SECTION.format(name="Industry", items="".join(
            f'<li><a href="/story/{s}">{STORIES[s][0]}</a></li>' for s in (slugs[0], slugs[2], slugs[5])))),
        "/sections/policy": Route(SECTION.format(name="Policy", items="".join(
            f'<li><a href="/story/{s}#comments">{STORIES[s][0]}</a></li>' for s in (slugs[3], slugs[6], slugs[7])))),
        "/drafts/unpublished-story-about-ports": Route("<html><body>draft</body></html>"),
    }
    for i, (slug, (title, lead)) in enumerate(STORIES.items()):
        found[f"/story/{slug}"] = Route(PAGE.format(title=title, lead=lead, slug=slug, date=DATES[i]))
    return found
