"""The daily run: crawl -> load -> classify -> cluster, in one process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from newsmon.config import Settings
from newsmon.domain import CrawlResult, Source
from newsmon.pipeline.crawl import crawl_sources
from newsmon.pipeline.load import LoadReport, load_run
from newsmon.pipeline.model import model_for_run
from newsmon.pipeline.score import classify_warehouse
from newsmon.pipeline.stories import cluster_new
from newsmon.sources import load_sources


@dataclass
class RunReport:
    run_id: str
    results: list[CrawlResult] = field(default_factory=list)
    load: LoadReport | None = None
    scored: int = 0
    clustered: int = 0


def run_daily(settings: Settings, *, run_id: str, sources: list[Source] | None = None,
              since: datetime | None = None, until: datetime | None = None,
              on_result: Callable[[CrawlResult], None] | None = None,
              progress: Callable[[str], None] = lambda _: None) -> RunReport:
    """crawl -> load -> classify -> cluster, for every enabled source, in one process."""
    sources = sources if sources is not None else load_sources(settings.sources_file)
    report = RunReport(run_id=run_id)
    progress(f"crawling {sum(s.enabled for s in sources)} sources")
    report.results = crawl_sources(sources, run_id=run_id, settings=settings, since=since, until=until,
                                   on_result=on_result)
    progress("loading staging into the warehouse")
    report.load = load_run(settings, run_id, sources, report.results)
    if model_for_run(settings, report.load.inserted, progress=progress):
        progress("classifying new articles")
        report.scored = classify_warehouse(settings)
    progress("grouping articles into stories")
    report.clustered = cluster_new(settings)
    return report
