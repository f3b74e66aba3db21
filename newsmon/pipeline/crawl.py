"""Crawl: one Scrapy subprocess per source, writing only to the run's staging folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from newsmon.config import Settings
from newsmon.domain import CrawlResult, Source, known_key, utc_naive, utc_now
from newsmon.pipeline.common import PipelineError, run_dir
from newsmon.pipeline.store import read_existing
from newsmon.sources import load_sources


def known_url_keys(settings: Settings, source: Source) -> list[str]:
    from warehouse.load import known_urls

    return read_existing(settings, lambda con: sorted(
        {known_key(u) for u in known_urls(con, source.allowed_domains)}), [])


def _listing_states(settings: Settings, source: Source) -> list[dict]:
    from warehouse.load import listing_states

    return read_existing(settings, lambda con: listing_states(con, source.name), [])


def _window_states(states: list[dict]) -> list[dict]:
    """Listing states without their validators: a windowed crawl reads every listing in full, since a
    304 would hide the entries an earlier window left for a later one."""
    return [{**state, "etag": None, "last_modified": None} for state in states]


def crawl_source(source: Source, *, run_id: str, settings: Settings,
                 since: datetime | None = None, until: datetime | None = None,
                 on_log: Callable[[str], None] | None = None) -> CrawlResult:
    """Crawl one source in a subprocess; never raises for the source's own failures.

    `since`/`until` bound the crawl to a window (a DAG run's data interval): listing entries dated
    before `since` are skipped, articles published at or after `until` are not staged (the crawler
    counts them as skipped_after_window: crawlers.pipelines.WindowPipeline). on_log gets
    each line this crawl adds to its Scrapy log, while it runs (an Airflow task's logger)."""
    since = utc_naive(since) if since else None
    until = utc_naive(until) if until else None
    directory = run_dir(settings, run_id)
    directory.mkdir(parents=True, exist_ok=True)
    staging = directory / f"{source.name}.jsonl"
    summary = directory / f"{source.name}.summary.json"
    spec_path = directory / f"{source.name}.spec.json"
    started = utc_now()
    listings = _listing_states(settings, source)
    source_record = {
        "name": source.name, "homepage": source.homepage, "feeds": list(source.feeds),
        "sitemaps": list(source.sitemaps), "sections": list(source.sections),
        "allowed_domains": list(source.allowed_domains), "max_articles": source.max_articles,
        "include": list(source.include), "exclude": list(source.exclude),
        "crawl_delay": source.crawl_delay, "allow_private_hosts": source.allow_private_hosts,
    }
    spec = {
        "source": source_record, "run_id": run_id, "staging_path": str(staging),
        "summary_path": str(summary), "log_path": str(directory / f"{source.name}.log"),
        "known_urls": known_url_keys(settings, source),
        "feed_states": _window_states(listings) if until else listings,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "crawl": settings.crawl.model_dump(),
        "parent_pid": os.getpid(),  # the crawl dies with this process (crawlers.run.die_with_parent)
    }
    spec_path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
    summary.unlink(missing_ok=True)
    failed = CrawlResult(source=source.name, run_id=run_id, staging_path=str(staging), ok=False,
                         started_at=started)
    try:
        with _following(directory / f"{source.name}.log", on_log):
            proc = _run_crawl(spec_path, settings.crawl.source_timeout)
    except subprocess.TimeoutExpired:
        result = replace(failed, error=f"timeout: crawl exceeded {settings.crawl.source_timeout:.0f} s",
                         finished_at=utc_now())
    else:
        if proc.returncode != 0 or not summary.exists():
            lines = [line for line in proc.stderr.splitlines() if line.strip()]
            result = replace(failed, error=f"crawler crashed: {lines[-1] if lines else proc.returncode}",
                             finished_at=utc_now())
        else:
            result = CrawlResult.from_record(json.loads(summary.read_text(encoding="utf-8")))
    return result


@contextmanager
def _following(log: Path, on_log: Callable[[str], None] | None, interval: float = 0.5):
    """Hand on_log each line appended to log while the block runs (the Scrapy log appends across
    reruns of a day, so only this crawl's lines), the last ones after it ends."""
    if on_log is None:
        yield
        return
    import threading

    offset = log.stat().st_size if log.exists() else 0
    stop = threading.Event()

    def follow() -> None:
        nonlocal offset
        pending = b""
        while True:
            stopping = stop.wait(interval)
            if log.exists():
                with log.open("rb") as handle:
                    handle.seek(offset)
                    chunk = handle.read()
                offset += len(chunk)
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    on_log(line.decode("utf-8", "replace").rstrip())
            if stopping:
                if pending.strip():
                    on_log(pending.decode("utf-8", "replace").rstrip())
                return

    thread = threading.Thread(target=follow, name=f"follow {log.name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)


def _run_crawl(spec_path: Path, timeout: float) -> subprocess.CompletedProcess:
    """`python -m crawlers.run SPEC` in its own process group, which is killed whole (the crawl and
    its extraction workers) on timeout or when this process is interrupted; if this process is
    killed outright, the crawl's parent-death signal takes it down (crawlers.run.die_with_parent)."""
    import signal

    with subprocess.Popen([sys.executable, "-m", "crawlers.run", str(spec_path)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, process_group=0) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except BaseException:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.communicate()
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def crawl_sources(sources: Iterable[Source], *, run_id: str, settings: Settings,
                  since: datetime | None = None, until: datetime | None = None,
                  on_result: Callable[[CrawlResult], None] | None = None) -> list[CrawlResult]:
    """Crawl enabled sources, a few subprocesses at a time; one failing never stops the others."""
    enabled = [s for s in sources if s.enabled]
    results: list[CrawlResult] = []
    with ThreadPoolExecutor(max_workers=settings.crawl.parallel_sources) as pool:
        futures = [pool.submit(crawl_source, s, run_id=run_id, settings=settings, since=since, until=until)
                   for s in enabled]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            if on_result:
                on_result(result)
    return sorted(results, key=lambda r: r.source)


def enabled_source_names(settings: Settings) -> list[str]:
    return [s.name for s in load_sources(settings.sources_file) if s.enabled]


def sources_to_crawl(settings: Settings, names: Iterable[str] | None = None) -> list[str]:
    """The enabled sources of sources.yaml, or only `names` (a manual run's subset, which may name a
    disabled source); an unknown name is one line naming it."""
    names = list(names or [])
    if not names:
        return enabled_source_names(settings)
    known = {s.name for s in load_sources(settings.sources_file)}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise PipelineError(f"unknown source(s) {', '.join(map(repr, unknown))}: not in {settings.sources_file}")
    return list(dict.fromkeys(names))
