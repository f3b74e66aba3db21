"""The hostile site crawled once: every trap is recorded with its kind, nothing hostile is expanded,
fetched or stored, limits hold, text comes out sane, and the other sources load as usual."""

import json
import os
import threading
import time
from types import SimpleNamespace

import pytest

from newsmon import pipeline
from newsmon.config import Settings
from newsmon.domain import Source
from tests.conftest import fast_crawl
from tests.servers import Route, RoutedServer
from tests.sites.hostile_site import (
    ACCENTED,
    BOMB_EXPANDS_TO,
    LATIN1_ONLY,
    LISTINGS,
    MIXED_PASTE,
    PAGES,
    SCHEME_LINKS,
    gzip_bomb,
    routes,
)
from tests.support.pages import ARTICLE

pytestmark = pytest.mark.slow

SECRET = b"TOPSECRET-from-the-entity-file"


class FifoWatcher:
    """Notices whether anything opens a FIFO for reading (an XML parser resolving a SYSTEM entity
    would): a non-blocking open for writing succeeds only while a reader has it open."""

    def __init__(self, path) -> None:
        self.path = path
        self.opened = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: no reader
                time.sleep(0.005)
                continue
            self.opened = True
            try:
                os.write(fd, SECRET)
            finally:
                os.close(fd)
            return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    secret = root / "secret.fifo"
    os.mkfifo(secret)
    watcher = FifoWatcher(secret)
    # a short timeout bounds the endless response (with room for a loaded 2-core machine); 2 MB pages;
    # the three sources at once
    settings = Settings(data_dir=root / "data", sources_file=root / "sources.yaml", crawl=fast_crawl().model_copy(
        update={"download_timeout": 5.0, "max_page_bytes": 2_000_000, "parallel_sources": 3}))
    site_routes = routes(secret)
    site_routes["/steady/feed.xml"] = Route(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Steady</title><link>{base}/</link>'
        "<description>d</description><item><title>Port tries scheduler</title><link>{base}/steady/a/1</link>"
        "<pubDate>Tue, 17 Nov 2026 09:00:00 GMT</pubDate></item></channel></rss>", "application/rss+xml")
    site_routes["/steady/a/1"] = Route(ARTICLE.format(n=1, title="Port tries scheduler", body="A steady page."))
    try:
        with RoutedServer(site_routes) as site:
            base = site.base_url
            sources = [
                Source(name="hostile-listings", homepage=f"{base}/",
                       feeds=tuple(f"{base}{p}" for p in LISTINGS if p.startswith("/feeds/")),
                       sitemaps=tuple(f"{base}{p}" for p in LISTINGS if p.startswith("/sitemaps/")),
                       allowed_domains=("127.0.0.1",)),
                Source(name="hostile-pages", homepage=f"{base}/", feeds=(f"{base}/feeds/pages.xml",),
                       sections=(f"{base}/sections/front",), include=(r"/p/",), allowed_domains=("127.0.0.1",)),
                Source(name="steady", homepage=f"{base}/", feeds=(f"{base}/steady/feed.xml",),
                       allowed_domains=("127.0.0.1",)),
            ]
            started = time.monotonic()
            results = {r.source: r for r in pipeline.crawl_sources(sources, run_id="r1", settings=settings)}
            elapsed = time.monotonic() - started
            requested = site.paths_requested()
        load = pipeline.load_run(settings, "r1", sources, results.values())
    finally:
        watcher.stop()
    staged = "".join(p.read_text(encoding="utf-8") for p in pipeline.run_dir(settings, "r1").glob("*.jsonl"))
    return SimpleNamespace(settings=settings, results=results, elapsed=elapsed, requested=requested, load=load,
                           watcher=watcher, base=base, staged=staged)


def _failures(result, base):
    return {f["url"].removeprefix(base): (f["kind"], f["message"]) for f in result.failures}


def _articles(crawl, where: str = "true"):
    columns, rows = pipeline.run_sql(
        crawl.settings, "select title, url, canonical_url, text, published_at, published_from, published_candidates "
        f"from articles where {where} order by url")
    return [dict(zip(columns, row, strict=True)) for row in rows]


def test_every_trap_is_recorded_by_kind_and_the_other_sources_load(crawl):
    listings = crawl.results["hostile-listings"]
    assert not listings.ok  # no listing was usable
    assert {url: kind for url, (kind, _) in _failures(listings, crawl.base).items()} == {
        path: kind for path, (kind, _) in LISTINGS.items()}
    assert listings.counts["feeds_failed"] == len(LISTINGS)

    pages = crawl.results["hostile-pages"]
    assert pages.ok
    assert {url: kind for url, (kind, _) in _failures(pages, crawl.base).items()} == {
        path: kind for path, kind in PAGES.items() if kind}
    stored = {path for path, kind in PAGES.items() if kind is None} - {"/p/dup-amp"}  # one story, two URLs
    assert {a["canonical_url"].removeprefix(crawl.base) for a in _articles(crawl, "source = 'hostile-pages'")} == stored

    steady = crawl.results["steady"]
    assert steady.ok and steady.articles == 1 and steady.failures == ()

    _, runs = pipeline.run_sql(crawl.settings, "select source, ok, failures from crawl_runs order by source")
    recorded = {source: (ok, sorted(f["kind"] for f in json.loads(failures))) for source, ok, failures in runs}
    assert recorded["hostile-listings"] == (False, sorted(kind for kind, _ in LISTINGS.values()))
    assert recorded["hostile-pages"] == (True, sorted(kind for kind in PAGES.values() if kind))
    assert recorded["steady"] == (True, [])
    assert crawl.elapsed < 30


def test_entities_are_neither_expanded_nor_fetched(crawl):
    failures = _failures(crawl.results["hostile-listings"], crawl.base)
    for path in ("/feeds/laughs.xml", "/sitemaps/laughs.xml"):
        assert "billion laughs" in failures[path][1]
    for path in ("/feeds/xxe.xml", "/sitemaps/xxe.xml"):
        assert "external entity 'secret'" in failures[path][1]
    assert not any(path.startswith("/xxe/") for path in crawl.requested)  # neither entity nor DTD fetched
    assert not crawl.watcher.opened  # the entity's file was never opened
    assert "lollol" not in crawl.staged and SECRET.decode() not in crawl.staged


def test_sizes_are_capped_before_they_are_read(crawl):
    assert len(gzip_bomb()) < 2_000_000 < BOMB_EXPANDS_TO
    listings = _failures(crawl.results["hostile-listings"], crawl.base)
    assert "expands past 50 MB" in listings["/sitemaps/bomb.xml.gz"][1]
    pages = _failures(crawl.results["hostile-pages"], crawl.base)
    for path in ("/p/huge", "/p/huge-unannounced", "/p/bomb"):
        assert pages[path] == ("too_large", "response larger than the page size limit")
    assert pages["/p/endless"][0] == "timeout"
    assert len([p for p in crawl.requested if p.startswith("/p/loop")]) == 6  # cut after 5 redirects


def test_text_is_sane_whatever_the_charset_declarations_say(crawl):
    texts = {a["url"].removeprefix(crawl.base): a["text"] for a in _articles(crawl, "url like '%/p/%-%'")}
    for path in ("/p/latin1-header-utf8-body", "/p/utf8-header-cp1252-body", "/p/mixed-utf8-cp1252"):
        assert ACCENTED in texts[path], path
    assert MIXED_PASTE in texts["/p/mixed-utf8-cp1252"]
    assert LATIN1_ONLY in texts["/p/meta-only-latin1"]
    for path, text in texts.items():
        assert not any(junk in text for junk in ("Ã", "â€", "\ufffd")), path


def test_scripts_and_other_schemes_are_never_fetched_or_stored(crawl):
    pages = crawl.results["hostile-pages"]
    assert _failures(pages, crawl.base)["/p/scripts-only"][0] == "empty_extraction"
    assert pages.counts["skipped_offsite"] == len(SCHEME_LINKS)  # the feed's; the section page drops its own
    assert not any(f["url"].startswith(("javascript:", "data:")) for f in pages.failures)
    assert _articles(crawl, "title = 'Smuggled in a data URI' or url not like 'http%'") == []


def test_duplicate_items_make_one_article(crawl):
    assert [p for p in crawl.requested if p.startswith("/p/dup") and not p.startswith("/p/dup-amp")] == ["/p/dup"]
    (article,) = _articles(crawl, "title = 'Duplicate story'")
    assert article["canonical_url"] == f"{crawl.base}/p/dup"  # /p/dup-amp's rel=canonical says the same


def test_dates_in_1970_and_2099_are_rejected_and_recorded(crawl):
    by_path = {a["url"].removeprefix(crawl.base): a for a in _articles(crawl)}
    epoch, future, good = by_path["/p/epoch"], by_path["/p/future"], by_path["/p/good-one"]
    assert epoch["published_from"] == future["published_from"] == "first_seen"
    assert json.loads(epoch["published_candidates"])["feed_rejected"] == "1970-01-01T00:00:00"
    assert {k: v for k, v in json.loads(future["published_candidates"]).items() if k.endswith("_rejected")} == {
        "feed_rejected": "2099-12-31T23:59:59", "page_rejected": "2099-12-31T23:59:59"}
    assert crawl.results["hostile-pages"].counts["dates_rejected"] == 3
    assert (good["published_from"], good["published_at"].isoformat()) == ("feed", "2026-11-17T09:00:00")
