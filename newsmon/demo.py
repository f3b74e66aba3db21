"""`make demo`: the bundled sample site on 127.0.0.1, crawled, loaded, classified and digested.

The site is served on a fixed port, because the port is part of every article's URL and so of its
identity: on a random port each run would find 35 new articles (a second demo doubled the warehouse).
On the same port a rerun finds the articles it already has and adds nothing. A fixed port, rather than
URLs that hide the port from the crawler, keeps the demo on the real path: the warehouse holds the
URLs the crawler fetched, and they open in a browser while `python -m newsmon.sample_site` (same port)
serves the site.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from newsmon.config import Settings, get_settings
from newsmon.domain import NewsmonError, Source

# The same default as `python -m newsmon.sample_site`.
DEMO_PORT = 8765



def demo_sources(base_url: str) -> list[Source]:
    """The sample site's two feeds as two sources, allowed on loopback: the address guard refuses
    private hosts to every other source."""
    return [
        Source(name="circuit-ledger-rss", homepage=f"{base_url}/", feeds=(f"{base_url}/feeds/rss.xml",),
               allowed_domains=("127.0.0.1",), allow_private_hosts=True, crawl_delay=0.0),
        Source(name="circuit-ledger-atom", homepage=f"{base_url}/", feeds=(f"{base_url}/feeds/atom.xml",),
               allowed_domains=("127.0.0.1",), allow_private_hosts=True, crawl_delay=0.0),
    ]


def demo_settings(base: Settings) -> Settings:
    """The user's settings with the demo's own data dir and no politeness delays for loopback (the
    private-host allowance is the demo sources' own, not the process's); the demo never distils
    (with the shipped model it does not train at all)."""
    crawl = base.crawl.model_copy(update={"download_delay": 0.0, "autothrottle": False})
    model = base.model.model_copy(update={"distill": False})
    return base.model_copy(update={"data_dir": base.data_dir / "demo", "crawl": crawl, "model": model})


class DemoError(NewsmonError):
    """The demo cannot start as asked."""


def _serve(port: int):
    from newsmon.sample_site import SampleSite

    site = SampleSite(port=port)
    try:
        return site.start()
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise DemoError(f"cannot serve the sample site on 127.0.0.1:{port}: {exc.strerror}") from None
        raise DemoError(
            f"port {port} on 127.0.0.1 is taken (another `newsmon demo`, or `python -m newsmon.sample_site`?):"
            f" stop it and rerun, or pass --port N (another port gives the articles other URLs, so use it"
            f" with its own NEWSMON_DATA_DIR)") from None


def run_demo(*, port: int | None = None, console: Console, progress: Callable[[str], None]) -> Path:
    """Crawl, load, classify and cluster the sample site served on `port` (default DEMO_PORT; 0 picks
    a free one, whose URLs are new), then render the latest week's digest preview."""
    from newsmon import pipeline

    settings = demo_settings(get_settings())
    run_id = datetime.now(UTC).date().isoformat()
    with _serve(DEMO_PORT if port is None else port) as site:
        progress(f"sample site serving at {site.base_url}")
        report = pipeline.run_daily(settings, run_id=run_id, sources=demo_sources(site.base_url),
                                    progress=progress)
    week = pipeline.latest_article_week(settings)
    preview = pipeline.render_digest_preview(settings, week, settings.data_dir / "digest-preview.html")
    ok = sum(r.ok for r in report.results)
    load = report.load
    console.print(f"\n[bold]demo done[/]: {ok}/{len(report.results)} sources ok, "
                  f"{load.inserted if load else 0} new articles ({load.read if load else 0} read), "
                  f"{report.scored} newly scored")
    console.print(f"warehouse:      {settings.warehouse_label}", soft_wrap=True, highlight=False)
    console.print(f"digest preview: {preview}  (week {week})", soft_wrap=True, highlight=False)
    console.print("\ntry:")
    from newsmon.pipeline import example_queries

    for query in example_queries():
        console.print(f"  NEWSMON_DATA_DIR={settings.data_dir} .venv/bin/newsmon sql \"{query}\"",
                      markup=False, highlight=False, soft_wrap=True)
    console.print("\nnext:")
    for step in _next_steps(settings, preview, site.port):
        console.print(f"  {step}", markup=False, highlight=False, soft_wrap=True)
    return preview


def _next_steps(settings: Settings, preview: Path, port: int) -> list[str]:
    return [
        f"NEWSMON_DATA_DIR={settings.data_dir} .venv/bin/newsmon serve   then open"
        f" http://127.0.0.1:{settings.serve.port}/ : the review app on the demo warehouse",
        f"open {preview.resolve().as_uri()} in a browser: the digest the week's flagged stories would make",
        f".venv/bin/python -m newsmon.sample_site --port {port}   serves the site again, so the"
        " articles' links in the warehouse open",
        "make demo   again: same URLs, so it adds nothing (the warehouse is kept in"
        f" {settings.data_dir}; delete it to start over)",
        "make run    the daily run over the real sources in sources.yaml (data/)",
    ]
