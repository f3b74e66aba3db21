"""A generated news site for the crawl benchmarks, and a server for it in a process of its own.

Each article page is real-looking news HTML in one of four templates (a wire service with JSON-LD,
a magazine with subheads and an inline script blob, a blog with tags, an author box and comments, a
portal with a cookie banner, a ticker and related-story cards), with navigation, sidebars, footers
and related links around a body of 300-900 words. The bodies are sentences drawn at random from the
training examples in models/data (written for this project), so they read as English news; the
body as written (subheads and paragraphs, no boilerplate) is kept as the ground truth.

Each source gets RSS feeds (latest entries), a sitemap index with child sitemaps listing every
article, and a robots.txt naming the index. Pages live on disk; the server loads them all into
memory and answers from a ThreadingHTTPServer (HTTP/1.1 keep-alive) in a separate process, so
serving does not take the measuring process's GIL.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

PLACEHOLDER = "{base}"
_MODELS_DATA = Path(__file__).resolve().parents[1] / "models" / "data"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")
SECTIONS = ("technology", "business", "industry", "science", "policy", "energy", "health", "mobility")
_FIRST = ("Anna", "Ravi", "Lena", "Kofi", "Mei", "Jonas", "Priya", "Tomás", "Sara", "Hiro", "Ama", "Lucas")
_LAST = ("Okafor", "Lindqvist", "Tanaka", "Moreau", "Haddad", "Novak", "Silva", "Chen", "Mensah", "Brandt")
_SITES = ("The Daily Circuit", "Machine & Market", "Open Wire", "Ledger Tech", "Northline News")


@dataclass
class SourceSite:
    """One source's part of the site: its path prefix, listings and article paths."""

    name: str
    prefix: str
    articles: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)


@dataclass
class Site:
    root: Path
    sources: list[SourceSite]
    truth: dict[str, str]  # article path -> body text as written
    bytes_total: int = 0

    @property
    def pages(self) -> int:
        return len(self.truth)


def _pool() -> tuple[list[str], list[str]]:
    """Sentences and headlines from the training examples."""
    sentences, titles = set(), []
    for path in sorted(_MODELS_DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            titles.append(record["title"])
            for paragraph in record["text"].split("\n"):
                for sentence in _SENTENCE_END.split(paragraph.strip()):
                    if 6 <= len(sentence.split()) <= 45:
                        sentences.add(sentence.strip())
    return sorted(sentences), titles


def _slug(title: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", title.lower())[:8])


@dataclass
class _Article:
    path: str
    title: str
    author: str
    published: datetime
    section: str
    blocks: list[tuple[str, str]]  # ("p" | "h2", text)
    summary: str
    template: int

    @property
    def body(self) -> str:
        return "\n".join(text for _, text in self.blocks)


def _body(rng: random.Random, sentences: list[str], subheads: bool) -> list[tuple[str, str]]:
    target = rng.randint(300, 900)
    blocks: list[tuple[str, str]] = []
    words = 0
    while words < target:
        if subheads and blocks and len(blocks) % 5 == 0:
            blocks.append(("h2", rng.choice(sentences).rstrip(".").split(",")[0][:70]))
        paragraph = " ".join(rng.sample(sentences, rng.randint(2, 4)))
        blocks.append(("p", paragraph))
        words += len(paragraph.split())
    return blocks


# ---------------------------------------------------------------- page furniture

def _icon(name: str) -> str:
    paths = "".join(f'<path d="M{i} {i}h{i + 2}v{i + 3}H{i}z"/>' for i in range(1, 5))
    return f'<svg class="icon icon-{name}" viewBox="0 0 24 24" aria-hidden="true">{paths}</svg>'


def _nav(rng: random.Random, prefix: str) -> str:
    menus = []
    for section in SECTIONS:
        subs = "".join(f'<li><a href="{prefix}/{section}/topic-{n}">{section.title()} topic {n}</a></li>'
                       for n in range(rng.randint(4, 8)))
        menus.append(f'<li class="menu-item"><a href="{prefix}/{section}/">{section.title()}</a>'
                     f'<ul class="sub-menu">{subs}</ul></li>')
    return (f'<nav class="main-nav" role="navigation"><a class="logo" href="{prefix}/">{_icon("logo")}</a>'
            f'<ul class="menu">{"".join(menus)}</ul>'
            f'<form class="search" action="{prefix}/search"><input name="q" placeholder="Search">'
            f'<button>{_icon("search")}</button></form></nav>')


def _link_list(rng: random.Random, others: list[_Article], count: int, css: str, summaries: bool = False) -> str:
    items = []
    for other in rng.sample(others, min(count, len(others))):
        extra = f"<p>{escape(other.summary)}</p>" if summaries else ""
        items.append(f'<li class="{css}-item"><a href="{other.path}">{escape(other.title)}</a>{extra}</li>')
    return f'<ul class="{css}">{"".join(items)}</ul>'


def _footer(site: str, prefix: str) -> str:
    columns = []
    for heading, links in (("Sections", SECTIONS), ("Company", ("about", "careers", "advertise", "contact",
                                                                "ethics", "corrections")),
                           ("Follow", ("rss", "newsletter", "podcast", "events", "apps"))):
        items = "".join(f'<li><a href="{prefix}/{link}/">{link.title()}</a></li>' for link in links)
        columns.append(f'<div class="footer-col"><h4>{heading}</h4><ul>{items}</ul></div>')
    return (f'<footer class="site-footer">{"".join(columns)}'
            '<div class="newsletter-box"><h4>Get the morning briefing</h4><p>The day\'s most important '
            'technology and business stories, in your inbox before 7am.</p><form><input type="email" '
            'placeholder="Your email"><button>Sign up</button></form></div>'
            f'<p class="copyright">© 2026 {escape(site)}. All rights reserved. Use of this site constitutes '
            'acceptance of our User Agreement and Privacy Policy and Cookie Statement.</p></footer>')


_STYLE = "<style>" + "".join(
    f".c{n}{{margin:{n % 7}px {n % 5}px;padding:{n % 3}px;color:#{n * 4099 % 0xFFFFFF:06x};"
    f"font:{12 + n % 6}px/1.4 Georgia,serif}}" for n in range(180)) + "</style>"


def _script_blob(rng: random.Random) -> str:
    config = {"ads": [{"slot": f"div-gpt-ad-{n}", "sizes": [[300, 250], [728, 90]], "targeting":
                       {"pos": n, "kw": rng.sample(SECTIONS, 3)}} for n in range(40)],
              "analytics": {"id": f"UA-{rng.randint(10**6, 10**7)}", "dims": list(range(60))}}
    return f'<script type="application/json" id="page-config">{json.dumps(config)}</script>' \
           '<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}</script>'


def _head(article: _Article, site: str, extra: str = "") -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<title>{escape(article.title)} | {escape(site)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="canonical" href="{PLACEHOLDER}{article.path}">'
            f'<link rel="stylesheet" href="/static/site.css">{_STYLE}{extra}</head>')


def _paragraphs(blocks: list[tuple[str, str]], rng: random.Random | None = None,
                others: list[_Article] = (), noise: str = "") -> str:
    """The body's blocks, with the furniture news sites put between paragraphs (never ground truth):
    ad slots, "Related:" links, captioned figures, newsletter boxes, embedded posts."""
    out = []
    for n, (tag, text) in enumerate(blocks):
        out.append(f"<{tag}>{escape(text)}</{tag}>")
        if rng is None or n == len(blocks) - 1:
            continue
        if n % 4 == 1:
            out.append('<div class="ad-slot ad-inline" data-ad="mid"><span class="ad-label">Advertisement</span>'
                       f'<div id="div-gpt-ad-{n}"></div></div>')
        if "related" in noise and n == 2:
            other = rng.choice(others)
            out.append(f'<p class="related-link"><strong>Related:</strong> <a href="{other.path}">'
                       f'{escape(other.title)}</a></p>')
        if "figure" in noise and n == 1:
            out.append(f'<figure class="inline-image"><img src="/img/{n}-{rng.randrange(10**6)}.jpg" alt="">'
                       f'<figcaption>{escape(rng.choice(others).summary)} Photo: {rng.choice(_LAST)}/Agency'
                       '</figcaption></figure>')
        if "newsletter" in noise and n == 3:
            out.append('<aside class="newsletter-inline"><h4>The Briefing</h4><p>Our editors pick the day\'s '
                       'essential reads. Free, every weekday.</p><a href="/newsletters/">Subscribe</a></aside>')
        if "embed" in noise and n == 5:
            out.append(f'<blockquote class="twitter-tweet"><p lang="en">{escape(rng.choice(others).title)}</p>'
                       f'&mdash; {rng.choice(_FIRST)} (@{rng.choice(_LAST).lower()}) '
                       '<a href="https://twitter.com/x/status/1">November 3, 2026</a></blockquote>')
    return "".join(out)


def _bulk(rng: random.Random, prefix: str) -> str:
    """What makes real pages 100+ KB: an SVG sprite, a mobile menu repeating the nav, tracking scripts."""
    sprite = ('<svg style="display:none">' + "".join(
        f'<symbol id="i{n}" viewBox="0 0 24 24"><path d="M{n % 9} {n % 7}l{n % 5} {n % 3}v{n % 11}z"/>'
        f'<circle cx="{n % 12}" cy="{n % 10}" r="{n % 4 + 1}"/></symbol>' for n in range(70)) + "</svg>")
    mobile = f'<div class="mobile-menu" hidden>{_nav(rng, prefix)}</div>'
    tracking = "".join(f'<script async src="https://cdn{n}.example-ads.net/tag.js?id={rng.randrange(10**9)}">'
                       '</script>' for n in range(8))
    inline = ("<script>(function(w,d){var q=w.__q=w.__q||[];" + ";".join(
        f"q.push(['set','dim{n}','{rng.randrange(10**6)}'])" for n in range(200)) + "})(window,document);</script>")
    return sprite + mobile + tracking + inline


def _state_blob(rng: random.Random, others: list[_Article]) -> str:
    """A client-side app's state (`__NEXT_DATA__` and kin): other stories' cards as JSON, ~30 KB."""
    cards = [{"id": o.path, "title": o.title, "summary": o.summary, "author": o.author, "section": o.section,
              "image": {"src": f"/img/{_slug(o.title)}.jpg", "width": 1200, "height": 675}}
             for o in rng.sample(others, min(60, len(others)))]
    return f'<script id="__NEXT_DATA__" type="application/json">{json.dumps({"props": {"cards": cards}})}</script>'


def _render(article: _Article, others: list[_Article], rng: random.Random, prefix: str) -> str:
    site = _SITES[article.template % len(_SITES)]
    date = article.published.strftime("%Y-%m-%dT%H:%M:%SZ")
    shown = article.published.strftime("%d %B %Y, %H:%M UTC")
    byline = f"By {article.author}"
    share = ('<div class="share">' + "".join(f'<a class="share-{n}" href="#">{_icon(n)}<span>Share on {n}</span></a>'
                                             for n in ("x", "facebook", "linkedin", "email")) + "</div>")
    if article.template == 0:  # wire service: <article>, JSON-LD, related links mid-body
        ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": article.title,
                         "datePublished": date, "author": {"@type": "Person", "name": article.author}})
        half = len(article.blocks) // 2
        related = f'<aside class="related-inline"><h3>Read more</h3>{_link_list(rng, others, 3, "related")}</aside>'
        return (_head(article, site, f'<script type="application/ld+json">{ld}</script>')
                + f'<body class="article-page">{_bulk(rng, prefix)}{_nav(rng, prefix)}'
                f'<div class="breadcrumb"><a href="{prefix}/">Home</a> › <a href="{prefix}/{article.section}/">'
                f'{article.section.title()}</a></div><main><article class="story">'
                f'<header><h1>{escape(article.title)}</h1><p class="byline">{byline}</p>'
                f'<time datetime="{date}">{shown}</time>{share}</header>'
                f'<div class="story-body">{_paragraphs(article.blocks[:half], rng, others, "related")}'
                f'{related}{_paragraphs(article.blocks[half:], rng, others, "embed")}</div></article>'
                f'<aside class="sidebar"><h3>Most read</h3>{_link_list(rng, others, 10, "most-read")}</aside>'
                f'</main>{_footer(site, prefix)}{_state_blob(rng, others)}</body></html>')
    if article.template == 1:  # magazine: divs, OpenGraph, subheads, big inline script
        meta = (f'<meta property="og:title" content="{escape(article.title)}">'
                f'<meta property="article:published_time" content="{date}">'
                f'<meta name="author" content="{escape(article.author)}">')
        return (_head(article, site, meta) + f'<body><div id="app">{_bulk(rng, prefix)}{_script_blob(rng)}'
                f'<div class="top-bar">{_nav(rng, prefix)}</div><div class="layout"><div class="content">'
                f'<div class="kicker"><a href="{prefix}/{article.section}/">{article.section.title()}</a></div>'
                f'<h1 class="headline">{escape(article.title)}</h1><div class="dek">{escape(article.summary)}</div>'
                f'<div class="meta"><span class="author">{escape(article.author)}</span>'
                f'<span class="date">{shown}</span></div>'
                f'<figure class="lead-image"><img src="/img/{_slug(article.title)}.jpg" alt=""></figure>'
                f'<div class="article-body">{_paragraphs(article.blocks, rng, others, "figure embed")}</div>{share}'
                f'<div class="tags">' + "".join(f'<a href="{prefix}/tag/{t}">{t}</a>'
                                                for t in rng.sample(SECTIONS, 4)) + '</div></div>'
                f'<div class="rail"><div class="ad" id="div-gpt-ad-3"></div><h3>Latest</h3>'
                f'{_link_list(rng, others, 8, "latest")}</div></div>'
                f'<div class="more-stories"><h2>More from {escape(site)}</h2>'
                f'{_link_list(rng, others, 6, "cards")}</div>{_footer(site, prefix)}{_state_blob(rng, others)}'
                '</div></body></html>')
    if article.template == 2:  # blog: <main>, post-content, author box, comments
        comments = "".join(
            f'<li class="comment"><div class="comment-author">{rng.choice(_FIRST)}</div>'
            f'<div class="comment-body"><p>{escape(rng.choice(others).summary)}</p></div></li>'
            for _ in range(rng.randint(2, 5)))
        return (_head(article, site) + f'<body class="single-post">{_bulk(rng, prefix)}{_nav(rng, prefix)}'
                '<main id="main">'
                f'<div class="post"><h1 class="entry-title">{escape(article.title)}</h1>'
                f'<div class="entry-meta">Posted on <time class="published" datetime="{date}">{shown}</time> '
                f'by <span class="author vcard">{escape(article.author)}</span></div>'
                f'<div class="post-content entry-content">{_paragraphs(article.blocks, rng, others, "figure")}</div>'
                f'<div class="post-tags">Filed under: <a href="{prefix}/{article.section}/">{article.section}</a></div>'
                f'<div class="author-box"><h4>About {escape(article.author)}</h4><p>{escape(article.author)} covers '
                f'{article.section} and writes the weekly newsletter. Tips welcome by email.</p></div>'
                f'<div class="related-posts"><h3>Related posts</h3>{_link_list(rng, others, 4, "related-posts")}'
                f'</div><section id="comments"><h3>{rng.randint(2, 40)} comments</h3>'
                f'<ol class="comment-list">{comments}</ol></section></div></main>'
                f'<aside id="secondary"><h3>Archives</h3>{_link_list(rng, others, 12, "archive")}</aside>'
                f'{_footer(site, prefix)}{_state_blob(rng, others)}</body></html>')
    ticker = "".join(f'<li><a href="{o.path}">{escape(o.title)}</a></li>'
                     for o in rng.sample(others, min(6, len(others))))
    return (_head(article, site) + '<body><div class="cookie-banner" id="cookie-consent"><p>We use cookies to '
            'improve your experience and for ads. By continuing you accept our use of cookies.</p>'
            '<button>Accept all</button><button>Settings</button></div>'
            f'<div class="ticker"><ul>{ticker}</ul></div>{_bulk(rng, prefix)}{_nav(rng, prefix)}'
            f'<div class="page"><section class="article-header"><h1>{escape(article.title)}</h1>'
            f'<div class="byline">{byline} · {shown}</div></section>'
            f'<section class="article-content" itemprop="articleBody">'
            f'{_paragraphs(article.blocks, rng, others, "related newsletter")}</section>'
            f'<section class="related-stories"><h2>Related stories</h2>'
            f'{_link_list(rng, others, 4, "story-card", summaries=True)}</section>'
            f'<section class="newsletter-signup"><h3>Newsletter</h3><p>Sign up for our free daily newsletter '
            f'and get the top stories first.</p></section></div>{_footer(site, prefix)}{_state_blob(rng, others)}'
            '</body></html>')


def _path(article: _Article, prefix: str, number: int) -> str:
    slug = _slug(article.title)
    day = article.published
    return (f"{prefix}/{article.section}/{day:%Y/%m/%d}/{slug}-{number}",
            f"{prefix}/story/{number}-{slug}.html",
            f"{prefix}/blog/{day:%Y}/{day:%m}/{slug}-{number}/",
            f"{prefix}/articles/{number}")[article.template]


def _rss(title: str, items: list[_Article]) -> str:
    entries = "".join(
        f"<item><title>{escape(a.title)}</title><link>{PLACEHOLDER}{a.path}</link>"
        f"<guid>{PLACEHOLDER}{a.path}</guid><pubDate>{a.published:%a, %d %b %Y %H:%M:%S} +0000</pubDate>"
        f"<description>{escape(a.summary)}</description></item>" for a in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
            f"<link>{PLACEHOLDER}/</link><description>{escape(title)}</description>{entries}</channel></rss>")


def _urlset(items: list[_Article]) -> str:
    entries = "".join(f"<url><loc>{PLACEHOLDER}{a.path}</loc><lastmod>{a.published:%Y-%m-%dT%H:%M:%SZ}</lastmod></url>"
                      for a in items)
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>')


def generate_site(root: Path, *, sources: int = 1, articles: int = 5000, seed: int = 7,
                  now: datetime | None = None, days: int = 30, feed_size: int = 100,
                  sitemap_size: int = 1000) -> Site:
    """Write `sources` sources of `articles` pages each under root, published over the `days` before now."""
    rng = random.Random(seed)
    sentences, titles = _pool()
    now = (now or datetime.now(UTC)).replace(tzinfo=None, microsecond=0)
    pages_dir = root / "pages"
    pages_dir.mkdir(parents=True, exist_ok=True)
    index: dict[str, tuple[str, str]] = {}
    truth: dict[str, str] = {}
    total = 0

    def write(path: str, body: str, content_type: str) -> None:
        nonlocal total
        name = f"{len(index)}.txt"
        data = body.encode("utf-8")
        (pages_dir / name).write_bytes(data)
        index[path] = (name, content_type)
        total += len(data)

    site_sources = []
    number = 0
    robots = ["User-agent: *", "Disallow: /search"]
    for s in range(sources):
        prefix = f"/s{s:02d}" if sources > 1 else ""
        source = SourceSite(name=f"bench-{s:02d}" if sources > 1 else "bench", prefix=prefix)
        batch = []
        for _ in range(articles):
            number += 1
            template = rng.randrange(4)
            article = _Article(
                path="", title=f"{rng.choice(titles)}", author=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                published=now - timedelta(minutes=rng.randrange(days * 24 * 60) + 5),
                section=rng.choice(SECTIONS), blocks=_body(rng, sentences, subheads=template in (1, 3)),
                summary=rng.choice(sentences), template=template)
            article.path = _path(article, prefix, number)
            batch.append(article)
        batch.sort(key=lambda a: a.published, reverse=True)
        for article in batch:
            write(article.path, _render(article, batch, rng, prefix), "text/html; charset=utf-8")
            truth[article.path] = article.body
            source.articles.append(article.path)
        feed = f"{prefix}/feeds/all.rss"
        write(feed, _rss("All stories", batch[:feed_size]), "application/rss+xml")
        source.feeds.append(feed)
        children = []
        for start in range(0, len(batch), sitemap_size):
            child = f"{prefix}/sitemaps/articles-{start // sitemap_size + 1}.xml"
            write(child, _urlset(batch[start:start + sitemap_size]), "application/xml")
            children.append((child, batch[start].published))
        sitemap_index = f"{prefix}/sitemap.xml"
        write(sitemap_index, '<?xml version="1.0" encoding="UTF-8"?>'
              '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              + "".join(f"<sitemap><loc>{PLACEHOLDER}{c}</loc><lastmod>{d:%Y-%m-%dT%H:%M:%SZ}</lastmod></sitemap>"
                        for c, d in children) + "</sitemapindex>", "application/xml")
        source.sitemaps.append(sitemap_index)
        robots.append(f"Sitemap: {PLACEHOLDER}{sitemap_index}")
        site_sources.append(source)
    write("/robots.txt", "\n".join(robots) + "\n", "text/plain")
    (root / "index.json").write_text(json.dumps(index), encoding="utf-8")
    (root / "truth.json").write_text(json.dumps(truth), encoding="utf-8")
    return Site(root=root, sources=site_sources, truth=truth, bytes_total=total)


# ---------------------------------------------------------------- serving

def _serve(root: str, ready) -> None:
    """The server process: every page in memory, one thread per connection, keep-alive."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 1024  # peers open a connection per URL, hundreds at once

        def handle_error(self, request, client_address) -> None:
            pass  # a client that hangs up (a crawl stopped on purpose) is not news

    index = json.loads((Path(root) / "index.json").read_text(encoding="utf-8"))
    routes: dict[str, tuple[bytes, str]] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            body, content_type = routes.get(self.path.split("?")[0], (b"not found", ""))
            try:
                self.send_response(200 if content_type else 404)
                self.send_header("Content-Type", content_type or "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args) -> None:
            pass

    httpd = Server(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    for path, (name, content_type) in index.items():
        data = (Path(root) / "pages" / name).read_bytes().replace(PLACEHOLDER.encode(), base.encode())
        routes[path] = (data, content_type)
    ready.send(base)
    ready.close()
    httpd.serve_forever()


@contextmanager
def serve(root: Path) -> Iterator[tuple[str, int]]:
    """Serve a generated site from a separate process; yields (base URL, server pid)."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_serve, args=(str(root), send), daemon=True)
    process.start()
    try:
        deadline = time.monotonic() + 120
        while not receive.poll(0.5):
            if not process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the benchmark site's server did not start")
        yield receive.recv(), process.pid
    finally:
        process.terminate()
        process.join(10)
