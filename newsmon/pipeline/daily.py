"""The daily run: crawl -> load -> classify -> cluster, in one process. `newsmon run`, the demo and
the tests run it; the DAGs run the same steps as tasks (newsmon.tasks)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from newsmon.config import Settings
from newsmon.domain import CrawlResult, Source
from newsmon.pipeline.crawl import crawl_sources
from newsmon.pipeline.load import LoadReport, load_run
from newsmon.pipeline.model import model_for_run
from newsmon.pipeline.score import classify_unscored
from newsmon.pipeline.store import migrate_warehouse
from newsmon.pipeline.stories import cluster_unclustered
from newsmon.sources import load_sources

# step(title, total): a context around each step of the run, e.g. a progress bar (total: the
# crawl's number of sources; None for the other steps)
Step = Callable[[str, int | None], AbstractContextManager]


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
              progress: Callable[[str], None] = lambda _: None, step: Step | None = None,
              on_batch: Callable[[int, int], None] | None = None) -> RunReport:
    """crawl -> load -> classify -> cluster, for every enabled source, in one process.

    Hooks for a caller that shows the run: on_result gets each source's crawl result as it ends;
    progress a line as each step starts (and the model check's note); step, when given, wraps each
    step instead of that line (the CLI's bars); on_batch (scored, total) after each scored batch."""
    sources = sources if sources is not None else load_sources(settings.sources_file)
    step = step or _announce(progress)
    report = RunReport(run_id=run_id)
    # one machine, one process: create or upgrade the warehouse first, explicitly; the steps never
    # migrate (on several machines that is `newsmon db migrate`, run once)
    migrate_warehouse(settings)
    enabled = sum(s.enabled for s in sources)
    with step(f"crawling {enabled} sources", enabled):
        report.results = crawl_sources(sources, run_id=run_id, settings=settings, since=since, until=until,
                                       on_result=on_result)
    with step("loading staging into the warehouse", None):
        report.load = load_run(settings, run_id, sources, report.results)
    if model_for_run(settings, report.load.inserted, progress=progress):
        with step("classifying new articles", None):
            report.scored = classify_unscored(settings, on_batch=on_batch)
    with step("grouping articles into stories", None):
        report.clustered = cluster_unclustered(settings)
    return report


def _announce(progress: Callable[[str], None]) -> Step:
    """The step hook without bars: the step's title as a progress line."""
    @contextmanager
    def step(title: str, total: int | None) -> Iterator[None]:
        progress(title)
        yield

    return step
