"""kill -9 of `newsmon crawl`: its Scrapy child dies with it instead of crawling on under PID 1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.servers import Route, RoutedServer

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for a reaper (a container's PID 1 may not reap)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def _slow_site() -> dict[str, Route]:
    """A feed listing one article page that answers after 10 minutes: a crawl of it is busy until
    someone ends it."""
    feed = ('<?xml version="1.0"?><rss version="2.0"><channel><title>s</title>'
            '<item><title>Slow page</title><link>{base}/2026/11/20/a-very-slow-article-page</link></item>'
            '</channel></rss>')
    return {"/feed.xml": Route(feed, content_type="application/rss+xml"),
            "/2026/11/20/a-very-slow-article-page": Route("<html><body>x</body></html>", delay=600)}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's")
@pytest.mark.timeout(300)
def test_kill_9_of_newsmon_crawl_takes_the_crawl_child_down(tmp_path):
    routes = _slow_site()
    with RoutedServer(routes) as server:
        sources = tmp_path / "sources.yaml"
        sources.write_text(yaml.safe_dump({"sources": [{
            "name": "slow", "homepage": f"{server.base_url}/", "feeds": [f"{server.base_url}/feed.xml"],
            "allow_private_hosts": True}]}))
        env = {**os.environ, "NEWSMON_DATA_DIR": str(tmp_path / "data"), "NEWSMON_SOURCES_FILE": str(sources),
               "NEWSMON_CRAWL__DOWNLOAD_TIMEOUT": "500", "NEWSMON_CRAWL__SOURCE_TIMEOUT": "600",
               "NEWSMON_CRAWL__RETRY_TIMES": "0", "NEWSMON_CRAWL__DOWNLOAD_DELAY": "0"}
        log = (tmp_path / "crawl.log").open("w")
        parent = subprocess.Popen([sys.executable, "-m", "newsmon", "crawl", "--run-id", "killed"], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        child = None
        try:
            # the crawl child is up once the slow page has been asked for
            asked = _wait_for(lambda: any(p.startswith("/2026/") for _, p, _ in server.requests), 240)
            assert asked, f"no request for the slow page: {server.requests}, {(tmp_path / 'crawl.log').read_text()}"
            (child,) = _children(parent.pid)
            assert _alive(child)
            os.kill(parent.pid, signal.SIGKILL)
            parent.wait()
            assert _wait_for(lambda: not _alive(child), 60), f"crawl child {child} outlived its parent"
        finally:
            if parent.poll() is None:
                parent.kill()
                parent.wait()
            if child is not None and _alive(child):
                os.kill(child, signal.SIGKILL)
            log.close()


@pytest.mark.timeout(300)
def test_source_timeout_kills_the_crawl_and_reports_it(settings):
    from newsmon import pipeline
    from newsmon.domain import Source

    routes = _slow_site()
    settings.crawl.download_timeout = 500.0
    settings.crawl.source_timeout = 8.0
    before = set(_children(os.getpid()))
    with RoutedServer(routes) as server:
        source = Source(name="slow", homepage=f"{server.base_url}/", feeds=(f"{server.base_url}/feed.xml",),
                        allowed_domains=("127.0.0.1",), allow_private_hosts=True)
        result = pipeline.crawl_source(source, run_id="r", settings=settings)
    assert result.error == "timeout: crawl exceeded 8 s"
    assert not result.ok
    assert set(_children(os.getpid())) <= before  # the crawl's process group is gone
