"""`make demo`: the bundled sample site on 127.0.0.1, crawled, loaded, classified and digested."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from newsmon.config import Settings, get_settings
from newsmon.domain import Source

EXAMPLE_QUERIES = (
    "select source, count(*) as articles from articles group by source order by articles desc",
    "select label, title, round(score, 2) as score from flagged_articles order by score desc limit 10",
    "select run_id, source, ok, articles, failures_total from crawl_runs order by run_id, source",
)


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
    private-host allowance is the demo sources' own, not the process's); a first demo trains its
    model without distilling it (10 minutes, not 25)."""
    crawl = base.crawl.model_copy(update={"download_delay": 0.0, "autothrottle": False})
    model = base.model.model_copy(update={"distill": False})
    return base.model_copy(update={"data_dir": base.data_dir / "demo", "crawl": crawl, "model": model})


def run_demo(*, port: int = 0, console: Console, progress: Callable[[str], None]) -> Path:
    from newsmon import pipeline
    from newsmon.sample_site import SampleSite

    settings = demo_settings(get_settings())
    run_id = datetime.now(UTC).date().isoformat()
    with SampleSite(port=port) as site:
        progress(f"sample site serving at {site.base_url}")
        report = pipeline.run_daily(settings, run_id=run_id, sources=demo_sources(site.base_url),
                                    progress=progress)
    week = pipeline.latest_article_week(settings)
    preview = pipeline.render_digest_preview(settings, week, settings.data_dir / "digest-preview.html")
    ok = sum(r.ok for r in report.results)
    console.print(f"\n[bold]demo done[/]: {ok}/{len(report.results)} sources ok, "
                  f"{report.load.read if report.load else 0} articles loaded, {report.scored} newly scored")
    console.print(f"warehouse:      {settings.warehouse_label}", soft_wrap=True, highlight=False)
    console.print(f"digest preview: {preview}  (week {week})", soft_wrap=True, highlight=False)
    console.print("\ntry:")
    for query in EXAMPLE_QUERIES:
        console.print(f"  NEWSMON_DATA_DIR={settings.data_dir} .venv/bin/newsmon sql \"{query}\"",
                      markup=False, highlight=False, soft_wrap=True)
    return preview
