"""Load: a run's staging files, crawl results and sources into the warehouse, in one transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from newsmon.config import Settings
from newsmon.domain import CrawlResult, Source, utc_now
from newsmon.pipeline.common import PipelineError, run_dir, warn
from newsmon.pipeline.crawl import sources_to_crawl
from newsmon.pipeline.store import connection, publish_snapshot
from newsmon.sources import load_sources


@dataclass(frozen=True)
class LoadReport:
    run_id: str
    files: int
    read: int
    inserted: int
    updated: int
    crawl_runs: int
    skipped: dict[str, int] = field(default_factory=dict)  # staging lines skipped or dates dropped, by kind

    def problems(self) -> str:
        """'' or '; at load: 1 torn_line, 2 bad_line' for the line `newsmon load` prints."""
        if not self.skipped:
            return ""
        return "; at load: " + ", ".join(f"{n} {kind}" for kind, n in sorted(self.skipped.items()))


def staged_results(settings: Settings, run_id: str) -> list[CrawlResult]:
    """Crawl summaries of a run; a source whose crawl left no summary counts as failed."""
    directory = run_dir(settings, run_id)
    results = []
    for spec in sorted(directory.glob("*.spec.json")):
        name = spec.name.removesuffix(".spec.json")
        summary = directory / f"{name}.summary.json"
        if summary.exists():
            results.append(CrawlResult.from_record(json.loads(summary.read_text(encoding="utf-8"))))
        else:
            results.append(CrawlResult(source=name, run_id=run_id, ok=False,
                                       staging_path=str(directory / f"{name}.jsonl"),
                                       error="crawl did not finish (no summary)"))
    return results


def load_run(settings: Settings, run_id: str, sources: Iterable[Source] = (),
             results: Iterable[CrawlResult] | None = None) -> LoadReport:
    """Upsert a run's staging files, its crawl results and the source list into the warehouse."""
    from warehouse.db import write_transaction
    from warehouse.load import (
        record_crawl_runs,
        upsert_articles,
        upsert_listing_states,
        upsert_sources,
        with_staging_problems,
    )
    from warehouse.search import has_index, rebuild_index

    directory = run_dir(settings, run_id)
    if not directory.exists():
        raise PipelineError(f"no staging for run {run_id} at {directory}")
    results = list(results) if results is not None else staged_results(settings, run_id)
    broken = [r for r in results if _staging_failed(r.error)]
    if broken:  # disk full while staging: loading what got written would record a partial day
        raise PipelineError(f"staging of run {run_id} is incomplete ({broken[0].source}: {broken[0].error}); "
                            "the warehouse was not touched: free space and run again")
    paths = sorted(directory.glob("*.jsonl"))
    sources = list(sources)

    def write(con) -> LoadReport:
        upsert_sources(con, sources)
        checks: list = []
        counts = upsert_articles(con, paths, checks)
        # lines the loader could not use count as failures of their source's crawl (source health)
        by_source = {Path(check.path).stem: check for check in checks}
        noted = [with_staging_problems(r, by_source[r.source]) if r.source in by_source else r for r in results]
        runs = record_crawl_runs(con, noted)
        upsert_listing_states(con, results)
        skipped: dict[str, int] = {}
        for check in checks:
            for kind, number in check.problems.items():
                skipped[kind] = skipped.get(kind, 0) + number
        return LoadReport(run_id=run_id, files=len(paths), crawl_runs=runs, skipped=skipped, **counts)

    with connection(settings) as con:
        # one transaction: a load killed half-way leaves the warehouse as it was
        report = write_transaction(con, lambda: write(con), on_retry=warn)
        if settings.warehouse.reindex_after_load and (report.read or not has_index(con)):
            rebuild_index(con)
        publish_snapshot(settings, con)
    return report


def _staging_failed(error: str | None) -> bool:
    return bool(error) and (error.startswith("staging:") or "No space left on device" in error)


def load_day(settings: Settings, *, run_id: str, only: Iterable[str] | None = None) -> dict:
    """Load a scheduled day's staging with the sources of sources.yaml, recording every source it was to crawl
    (sources_to_crawl: the enabled ones, or `only`) whose crawl left nothing (its task failed,
    timed out or never ran) as a failed crawl, so the day has no silent gap. Returns counts and
    the missing sources (for XCom)."""
    expected = sources_to_crawl(settings, only)
    directory = run_dir(settings, run_id)
    directory.mkdir(parents=True, exist_ok=True)  # no crawl got as far as starting: all missing
    results = staged_results(settings, run_id)
    staged = {r.source for r in results}
    now = utc_now()
    missing = [name for name in expected if name not in staged]
    results += [CrawlResult(source=name, run_id=run_id, ok=False, staging_path=str(directory / f"{name}.jsonl"),
                            error="missing: the crawl task did not finish (failed, timed out or never ran)",
                            started_at=now, finished_at=now) for name in missing]
    report = load_run(settings, run_id, load_sources(settings.sources_file), results)
    if missing:
        warn(f"run {run_id}: no crawl result from {', '.join(missing)}; recorded as failed")
    return {"read": report.read, "inserted": report.inserted, "crawl_runs": report.crawl_runs, "missing": missing}
