"""What the crawler refuses: robots.txt disallows, oversized and non-HTML pages, redirect loops,
slow servers, other hosts; each recorded with its kind while the rest of the source loads."""

import pytest

from newsmon import pipeline
from newsmon.domain import Source
from tests.servers import Route, RoutedServer
from tests.support.pages import ARTICLE

pytestmark = pytest.mark.slow

ITEMS = ["ok", "private/secret", "huge", "binary", "fakehtml", "loop", "slow"]
FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>{base}/</link><description>d</description>
%s
<item><title>Elsewhere</title><link>http://localhost:9/elsewhere</link></item>
</channel></rss>""" % "\n".join(f"<item><title>{n}</title><link>{{base}}/a/{n}</link></item>" for n in ITEMS)


def test_refusals_are_recorded_by_kind(settings):
    settings = settings.model_copy(update={"crawl": settings.crawl.model_copy(
        update={"max_page_bytes": 1_000_000, "download_timeout": 2.0})})
    routes = {
        "/robots.txt": Route("User-agent: *\nDisallow: /a/private/\n", "text/plain"),
        "/feed.xml": Route(FEED, "application/rss+xml"),
        "/a/ok": Route(ARTICLE.format(n="ok", title="Fine story", body="A normal page.")),
        "/a/private/secret": Route(ARTICLE.format(n="s", title="Secret", body="Should not be fetched.")),
        "/a/huge": Route(b"<html><body>" + b"<p>padding words here</p>" * 450_000 + b"</body></html>"),
        "/a/binary": Route(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "image/png"),
        "/a/fakehtml": Route(b"\x00\x01\x02binary" * 500, "text/html"),
        "/a/loop": Route("", status=302, headers={"Location": "{base}/a/loop2"}),
        "/a/loop2": Route("", status=302, headers={"Location": "{base}/a/loop"}),
        "/a/slow": Route(ARTICLE.format(n="slow", title="Slow", body="Too late."), delay=4.0),
    }
    with RoutedServer(routes) as site:
        source = Source(name="picky", homepage=f"{site.base_url}/", feeds=(f"{site.base_url}/feed.xml",),
                        allowed_domains=("127.0.0.1",))
        (result,) = pipeline.crawl_sources([source], run_id="r1", settings=settings)
        requested = site.paths_requested()

    assert result.ok and result.articles == 1
    kinds = {f["url"].split("/a/")[-1]: f["kind"] for f in result.failures}
    assert kinds["private/secret"] == "robots"
    assert kinds["huge"] == "too_large"
    assert kinds["binary"] == "not_html"
    assert kinds["slow"] == "timeout"
    assert kinds["fakehtml"] == "not_html"
    assert {kind for key, kind in kinds.items() if key.startswith("loop")} == {"redirect"}
    assert result.counts["skipped_offsite"] == 1
    assert not any(f["url"].startswith("http://localhost") for f in result.failures)
    assert "/a/private/secret" not in requested
    assert not any("elsewhere" in path for path in requested)


def test_retries_back_off_exponentially_then_succeed(settings):
    settings = settings.model_copy(update={"crawl": settings.crawl.model_copy(
        update={"retry_times": 2, "retry_backoff": 0.4})})
    routes = {
        "/feed.xml": Route("""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>{base}/</link>
<description>d</description><item><title>Flaky</title><link>{base}/a/flaky</link></item></channel></rss>""",
                           "application/rss+xml"),
        "/a/flaky": Route(ARTICLE.format(n="flaky", title="Flaky", body="Third time lucky."), fail_first=2),
    }
    with RoutedServer(routes) as site:
        source = Source(name="flaky", homepage=f"{site.base_url}/", feeds=(f"{site.base_url}/feed.xml",),
                        allowed_domains=("127.0.0.1",))
        (result,) = pipeline.crawl_sources([source], run_id="r1", settings=settings)
        first, second, third = site.times["/a/flaky"]
    assert result.articles == 1 and result.failures == ()
    assert second - first >= 0.4 and third - second >= 0.8
