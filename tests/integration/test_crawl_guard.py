"""The address guard in real crawls and in `sources check`: a loopback source is refused unless
allowed, redirects off the source's hosts or off http(s) are refused, each recorded as `blocked`."""

import pytest

from crawlers import fetch as fetch_module
from newsmon import pipeline
from newsmon.domain import Source
from tests.servers import Route, RoutedServer
from tests.support.pages import ARTICLE

pytestmark = pytest.mark.slow


def _feed(*paths: str) -> str:
    items = "".join(f"<item><title>{p}</title><link>{{base}}{p}</link></item>" for p in paths)
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>{base}/</link>'
            f"<description>d</description>{items}</channel></rss>")


def _routes() -> dict[str, Route]:
    return {
        "/refused/feed.xml": Route(_feed("/refused/a/1"), "application/rss+xml"),
        "/refused/a/1": Route(ARTICLE.format(n=1, title="Never fetched", body="A refused page.")),
        "/allowed/feed.xml": Route(_feed("/allowed/a/1"), "application/rss+xml"),
        "/allowed/a/1": Route(ARTICLE.format(n=1, title="Fetched story", body="An allowed page.")),
        "/redirects/feed.xml": Route(_feed("/r/metadata", "/r/file", "/r/ftp", "/r/other-host", "/r/same-host"),
                                     "application/rss+xml"),
        "/r/metadata": Route("", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}),
        "/r/file": Route("", status=301, headers={"Location": "file:///etc/passwd"}),
        "/r/ftp": Route("", status=302, headers={"Location": "ftp://127.0.0.1/pub/secret.txt"}),
        # the same server under another name (the port is filled in once the server has one):
        # followed, it would show in the request log
        "/r/other-host": Route("", status=302, headers={"Location": "http://localhost/a/elsewhere"}),
        "/a/elsewhere": Route(ARTICLE.format(n="e", title="Elsewhere", body="Another host.")),
        "/r/same-host": Route("", status=302, headers={"Location": "/a/landed"}),
        "/a/landed": Route(ARTICLE.format(n="l", title="Landed", body="Redirected on the same host.")),
    }


def _strict(settings):
    return settings.model_copy(update={"crawl": settings.crawl.model_copy(update={"allow_private_hosts": False})})


def test_loopback_source_is_refused_unless_allowed_and_the_others_go_on(settings):
    settings = _strict(settings)
    with RoutedServer(_routes()) as site:
        base, port = site.base_url, site.base_url.rsplit(":", 1)[1]
        sources = [
            Source(name="refused", homepage=f"{base}/", feeds=(f"{base}/refused/feed.xml",),
                   allowed_domains=("127.0.0.1",)),
            # a name, not an address: refused after it resolves to 127.0.0.1
            Source(name="refused-by-name", homepage=f"http://localhost:{port}/",
                   feeds=(f"http://localhost:{port}/refused/feed.xml",), allowed_domains=("localhost",)),
            Source(name="allowed", homepage=f"{base}/", feeds=(f"{base}/allowed/feed.xml",),
                   allowed_domains=("127.0.0.1",), allow_private_hosts=True),
        ]
        results = {r.source: r for r in pipeline.crawl_sources(sources, run_id="r1", settings=settings)}
        requested = site.paths_requested()

    for name, address in (("refused", "loopback address 127.0.0.1"),
                          ("refused-by-name", "localhost resolves to loopback address")):
        result = results[name]
        assert not result.ok and result.error.startswith(f"blocked: {address}"), result.error
        assert [f["kind"] for f in result.failures] == ["blocked"]
        assert result.counts["failed_blocked"] == 1
    assert not any(path.startswith("/refused/") for path in requested)
    assert results["allowed"].ok and results["allowed"].articles == 1 and results["allowed"].failures == ()


def test_redirects_off_the_source_or_off_http_are_refused_even_with_the_allowance(settings):
    assert settings.crawl.allow_private_hosts  # the test settings allow 127.0.0.1 for the whole process
    routes = _routes()
    with RoutedServer(routes) as site:
        port = site.base_url.rsplit(":", 1)[1]
        routes["/r/other-host"].headers["Location"] = f"http://localhost:{port}/a/elsewhere"
        source = Source(name="redirects", homepage=f"{site.base_url}/", feeds=(f"{site.base_url}/redirects/feed.xml",),
                        allowed_domains=("127.0.0.1",))
        (result,) = pipeline.crawl_sources([source], run_id="r1", settings=settings)
        requested = site.paths_requested()

    kinds = {f["url"].rsplit("/", 1)[-1]: (f["kind"], f["message"]) for f in result.failures}
    assert {name: kind for name, (kind, _) in kinds.items()} == {
        "metadata": "blocked", "file": "blocked", "ftp": "blocked", "other-host": "blocked"}
    assert "another host 169.254.169.254" in kinds["metadata"][1]
    assert "file scheme" in kinds["file"][1] and "ftp scheme" in kinds["ftp"][1]
    assert "another host localhost" in kinds["other-host"][1]
    assert result.ok and result.articles == 1  # the same-host redirect landed
    assert "/a/landed" in requested and "/a/elsewhere" not in requested


def test_sources_check_applies_the_same_guard(settings, monkeypatch):
    with RoutedServer(_routes()) as site:
        strict = _strict(settings)
        report = pipeline.check_source(strict, f"{site.base_url}/allowed/feed.xml")
        assert report["entries"] == []
        assert report["errors"][0]["error"] == "blocked: loopback address 127.0.0.1"
        assert site.paths_requested() == []

        allowed = pipeline.check_source(settings, f"{site.base_url}/allowed/feed.xml")
        assert [e["url"] for e in allowed["entries"]] == [f"{site.base_url}/allowed/a/1"]

        # 127.0.0.1 made to look public: the redirect's own target is checked after it resolves
        monkeypatch.setattr(fetch_module, "resolve",
                            lambda host, port=None: ["93.184.216.34"] if host == "127.0.0.1" else [host])
        for path, reason in [("/r/metadata", "link-local address 169.254.169.254"), ("/r/file", "file scheme"),
                             ("/r/ftp", "ftp scheme")]:
            fetched = fetch_module.fetch(f"{site.base_url}{path}", user_agent="t", timeout=5, max_bytes=10_000)
            assert fetched.error.startswith("blocked: redirect to ") and reason in fetched.error, fetched.error
        ok = fetch_module.fetch(f"{site.base_url}/r/same-host", user_agent="t", timeout=5, max_bytes=100_000)
        assert ok.error is None and ok.url == f"{site.base_url}/a/landed"
