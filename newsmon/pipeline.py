"""The pipeline steps as plain functions: crawl, load, classify, digest, and the daily run.

This is the one module that imports `crawlers`, `models` and `warehouse`; heavy imports stay
inside functions so the CLI and the DAGs stay quick to import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from newsmon.config import Settings
from newsmon.domain import LABELS, CrawlResult, NewsmonError, Score, Source, known_key, utc_naive
from newsmon.sources import load_sources


class PipelineError(NewsmonError):
    """A step cannot run as asked; the message is meant for the user."""


# ---------------------------------------------------------------- warehouse access

@contextmanager
def warehouse(settings: Settings, *, read_only: bool = False, require_current: bool = True,
              writable: Path | None = None, snapshot: bool = False):
    """A connection to the warehouse, migrated when opened for writing; a read-only one is the
    sandbox (warehouse.sandbox: it reads the warehouse and touches no other file, database or host,
    except `writable`, one output path of newsmon's own) and must already be at the code's schema
    version (unless require_current is False, as for ad-hoc SQL). snapshot (read-only only): the
    readers' snapshot the write steps publish (publish_snapshot), when there is one."""
    from warehouse.db import WarehouseError, applied_versions, migrate, migrations

    target = reader_target(settings) if read_only and snapshot else None
    con = _open_sandbox(settings, writable=writable, target=target) if read_only else _open(settings)
    try:
        if not read_only:
            migrate(con)
        elif require_current:
            pending = sorted({m.version for m in migrations()} - set(applied_versions(con)))
            if pending:
                raise WarehouseError(f"warehouse {settings.warehouse_label} needs migrations {pending}: "
                                     "run `newsmon db migrate`")
        yield con
    finally:
        con.close()


def _open(settings: Settings, *, read_only: bool = False):
    """A connection to the configured backend: the DuckDB file (waiting a bounded time for another
    process's lock) or the DuckLake named by NEWSMON_WAREHOUSE__URL."""
    from warehouse.db import open_target

    return open_target(settings.warehouse_path, read_only=read_only, lock_timeout=settings.warehouse.lock_timeout,
                       data_path=settings.warehouse.data_path,
                       on_wait=lambda message: print(message, file=sys.stderr))


def _open_sandbox(settings: Settings, *, writable: Path | None = None, target: Path | None = None):
    from warehouse.sandbox import open_sandbox

    return open_sandbox(target or settings.warehouse_path, data_path=settings.warehouse.data_path,
                        lock_timeout=settings.warehouse.lock_timeout, writable=writable,
                        on_wait=lambda message: print(message, file=sys.stderr))


def migrate_warehouse(settings: Settings) -> list[int]:
    from warehouse.db import migrate

    con = _open(settings)
    try:
        applied = migrate(con)
        publish_snapshot(settings, con)  # readers check the schema version too
        return applied
    finally:
        con.close()


def migration_status(settings: Settings) -> list[tuple[int, str, bool]]:
    """(version, name, applied) for every migration the code knows."""
    from warehouse.db import applied_versions, migrations

    with warehouse(settings, read_only=True, require_current=False) as con:
        done = set(applied_versions(con))
    return [(m.version, m.name, m.version in done) for m in migrations()]


def run_sql(settings: Settings, query: str, *, write: bool = False,
            live: bool = False) -> tuple[list[str], list[tuple]]:
    """Run SQL, one statement or several; returns the last one's (columns, rows). Without write it
    runs in the read-only sandbox (warehouse.sandbox): queries of the warehouse only, nothing
    written, no other file, database or host. write is full access: the warehouse, files, network,
    other databases. Read-only SQL reads the readers' snapshot unless live (the writer's file)."""
    import duckdb

    from warehouse.sandbox import SandboxError, read_only_statements

    full_access = "pass --write for full access (files, network, other databases)"
    with warehouse(settings, read_only=not write, require_current=False, snapshot=not live) as con:
        try:
            if write:
                result = con.execute(query)
                columns = [d[0] for d in result.description] if result.description else []
                rows = result.fetchall() if columns else []
                publish_snapshot(settings, con)  # readers of the snapshot see what was written
                return columns, rows
            else:
                result = None
                for statement in read_only_statements(con, query):
                    result = con.execute(statement)
            columns = [d[0] for d in result.description] if result is not None and result.description else []
            return columns, (result.fetchall() if columns else [])
        except SandboxError as exc:
            raise PipelineError(f"refused: the warehouse is opened read-only: {exc}; {full_access}") from None
        except duckdb.PermissionException as exc:
            raise PipelineError("refused: the warehouse is opened read-only, without access to files, "
                                f"network or other databases ({_first_line(exc)}); {full_access}") from None
        except duckdb.Error as exc:
            message = _first_line(exc)
            if "read-only" in message.lower() or "configuration has been locked" in message:
                raise PipelineError(f"refused: the warehouse is opened read-only ({message}); {full_access}") from None
            raise PipelineError(f"query failed: {message}") from None


def _first_line(exc: BaseException, limit: int = 300) -> str:
    """An error's first line, cut to a length a terminal line can show."""
    line = (str(exc).splitlines() or [""])[0]
    return line if len(line) <= limit else line[:limit] + "…"


def search_articles(settings: Settings, query: str, *, label: str | None = None,
                    since: datetime | None = None, limit: int = 20, live: bool = False):
    """BM25-ranked articles for a full-text query (see warehouse.search), from the readers' snapshot
    unless live."""
    from warehouse.search import search

    with warehouse(settings, read_only=True, snapshot=not live) as con:
        return search(con, query, label=label, since=since, limit=limit)


def reindex(settings: Settings) -> int:
    """Rebuild the full-text index now; return the number of articles indexed."""
    from warehouse.search import rebuild_index

    with warehouse(settings) as con:
        rebuild_index(con)
        publish_snapshot(settings, con)
        return con.execute("select count(*) from articles").fetchone()[0]


def export(settings: Settings, destination: Path, *, fmt: str, since: datetime | None = None,
           text: bool = True) -> dict:
    """Export articles with their current scores (see warehouse.export)."""
    from warehouse.export import export_articles, scratch_path

    with warehouse(settings, read_only=True, writable=scratch_path(destination)) as con:
        return export_articles(con, destination, fmt=fmt, since=since, text=text)


# ---------------------------------------------------------------- crawl

_RUN_ID_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def check_run_id(run_id: str) -> str:
    """A run id is a plain folder name under staging/: letters, digits, '.', '_', '-', no leading
    dot (so never '..', a path or a hidden folder), at most 100 characters."""
    if not run_id or len(run_id) > 100 or run_id.startswith(".") or not set(run_id) <= _RUN_ID_CHARACTERS:
        shown = repr(run_id[:60]) + ("…" if len(run_id) > 60 else "")
        raise PipelineError(f"run id {shown}: use up to 100 letters, digits, '.', '_' and '-', "
                            "not starting with a dot")
    return run_id


def run_dir(settings: Settings, run_id: str) -> Path:
    return settings.staging_dir / check_run_id(run_id)


def _read_only(settings: Settings, read: Callable, default):
    """read(con) on a read-only connection; default when there is no usable warehouse yet."""
    from warehouse.db import WarehouseError, is_lake

    if not is_lake(settings.warehouse_path) and not Path(settings.warehouse_path).exists():
        return default
    try:
        con = _open(settings, read_only=True)
    except WarehouseError:
        return default
    try:
        return read(con)
    except Exception:  # a warehouse from before these tables: nothing known yet
        return default
    finally:
        con.close()


def _known_urls(settings: Settings, source: Source) -> list[str]:
    from warehouse.load import known_urls

    return _read_only(settings, lambda con: sorted(
        {known_key(u) for u in known_urls(con, source.allowed_domains)}), [])


def _feed_states(settings: Settings, source: Source) -> list[dict]:
    from warehouse.load import feed_states

    return _read_only(settings, lambda con: feed_states(con, source.name), [])


def _window_states(states: list[dict]) -> list[dict]:
    """Feed states without their validators: a windowed crawl reads every listing in full, since a
    304 would hide the entries an earlier window left for a later one."""
    return [{**state, "etag": None, "last_modified": None} for state in states]


def _keep_window(result: CrawlResult, summary: Path, until: datetime) -> CrawlResult:
    """Drop staged articles published at or after `until` (a later window's), counted in the
    summary; undated and first-seen articles stay, and so does a torn last line (the loader skips it)."""
    staging = Path(result.staging_path)
    if not staging.exists():
        return result
    kept, dropped = [], 0
    for line in staging.read_bytes().splitlines(keepends=True):
        try:
            record = json.loads(line)
        except ValueError:
            kept.append(line)
            continue
        published = record.get("published_at")
        if published and record.get("published_from") != "first_seen" \
                and utc_naive(datetime.fromisoformat(published)) >= until:
            dropped += 1
        else:
            kept.append(line)
    if not dropped:
        return result
    tmp = staging.with_suffix(".jsonl.tmp")
    tmp.write_bytes(b"".join(kept))
    os.replace(tmp, staging)
    result = replace(result, articles=max(0, result.articles - dropped),
                     counts={**result.counts, "skipped_after_window": dropped})
    if summary.exists():
        tmp = summary.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(result.to_record(), indent=2), encoding="utf-8")
        os.replace(tmp, summary)
    return result


def crawl_source(source: Source, *, run_id: str, settings: Settings,
                 since: datetime | None = None, until: datetime | None = None,
                 on_log: Callable[[str], None] | None = None) -> CrawlResult:
    """Crawl one source in a subprocess; never raises for the source's own failures.

    `since`/`until` bound the crawl to a window (a DAG run's data interval): listing entries dated
    before `since` are skipped, articles published at or after `until` are not staged. on_log gets
    each line this crawl adds to its Scrapy log, while it runs (an Airflow task's logger)."""
    since = utc_naive(since) if since else None
    until = utc_naive(until) if until else None
    directory = run_dir(settings, run_id)
    directory.mkdir(parents=True, exist_ok=True)
    staging = directory / f"{source.name}.jsonl"
    summary = directory / f"{source.name}.summary.json"
    spec_path = directory / f"{source.name}.spec.json"
    started = datetime.now(UTC).replace(tzinfo=None)
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
        "known_urls": _known_urls(settings, source),
        "feed_states": _window_states(_feed_states(settings, source)) if until else _feed_states(settings, source),
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
                         finished_at=datetime.now(UTC).replace(tzinfo=None))
    else:
        if proc.returncode != 0 or not summary.exists():
            lines = [line for line in proc.stderr.splitlines() if line.strip()]
            result = replace(failed, error=f"crawler crashed: {lines[-1] if lines else proc.returncode}",
                             finished_at=datetime.now(UTC).replace(tzinfo=None))
        else:
            result = CrawlResult.from_record(json.loads(summary.read_text(encoding="utf-8")))
    return _keep_window(result, summary, until) if until else result


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


def crawl_named_source(settings: Settings, name: str, *, run_id: str,
                       since: datetime | None = None, until: datetime | None = None) -> dict:
    """Crawl one source of sources.yaml by name; returns a small summary (for XCom)."""
    import logging

    by_name = {s.name: s for s in load_sources(settings.sources_file)}
    if name not in by_name:
        raise PipelineError(f"no source named {name!r} in {settings.sources_file}")
    log = logging.getLogger("newsmon.crawl")  # in a task, its Airflow log shows the Scrapy log
    result = crawl_source(by_name[name], run_id=run_id, settings=settings, since=since, until=until,
                          on_log=lambda line: log.info("%s", line))
    return {"source": result.source, "ok": result.ok, "articles": result.articles,
            "staging_path": result.staging_path, "error": result.error}


def check_source(settings: Settings, name_or_url: str) -> dict:
    """Fetch a source's feeds and sitemaps once (or find them from a URL, which may itself be a feed
    or a sitemap) and list their entries, marking which are not in the warehouse yet. Writes nothing."""
    from urllib.parse import urlsplit

    from crawlers.check import check_listings
    from crawlers.fetch import fetch

    crawl = settings.crawl
    sources = {s.name: s for s in load_sources(settings.sources_file)} if settings.sources_file.exists() else {}
    allow_private = crawl.allow_private_hosts
    if name_or_url in sources:
        source = sources[name_or_url]
        allow_private = allow_private or source.allow_private_hosts
    elif name_or_url.startswith(("http://", "https://")):
        source = Source(name="check", homepage=name_or_url,
                        allowed_domains=(urlsplit(name_or_url).hostname or "",))
    else:
        raise PipelineError(f"{name_or_url!r} is neither a source in {settings.sources_file} nor an http(s) URL")

    def get(url: str):
        return fetch(url, user_agent=crawl.user_agent, timeout=crawl.download_timeout,
                     max_bytes=crawl.max_page_bytes, allow_private=allow_private)

    report = check_listings(homepage=source.homepage, feeds=source.feeds, sitemaps=source.sitemaps,
                            known=frozenset(_known_urls(settings, source)), get=get, input_=name_or_url)
    report["source"] = source.name if name_or_url in sources else None
    return report


# ---------------------------------------------------------------- load

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
        upsert_feed_states,
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
        upsert_feed_states(con, results)
        skipped: dict[str, int] = {}
        for check in checks:
            for kind, number in check.problems.items():
                skipped[kind] = skipped.get(kind, 0) + number
        return LoadReport(run_id=run_id, files=len(paths), crawl_runs=runs, skipped=skipped, **counts)

    with warehouse(settings) as con:
        # one transaction: a load killed half-way leaves the warehouse as it was
        report = write_transaction(con, lambda: write(con), on_retry=_warn)
        if settings.warehouse.reindex_after_load and (report.read or not has_index(con)):
            rebuild_index(con)
        publish_snapshot(settings, con)
    return report


def _staging_failed(error: str | None) -> bool:
    return bool(error) and (error.startswith("staging:") or "No space left on device" in error)


def _warn(message: str) -> None:
    print(message, file=sys.stderr)


def load_named_run(settings: Settings, *, run_id: str) -> int:
    """Load a run with the sources of sources.yaml; returns the number of articles read."""
    return load_run(settings, run_id, load_sources(settings.sources_file)).read


def load_day(settings: Settings, *, run_id: str, only: Iterable[str] | None = None) -> dict:
    """Load a scheduled day's staging (load_named_run), recording every source it was to crawl
    (sources_to_crawl: the enabled ones, or `only`) whose crawl left nothing (its task failed,
    timed out or never ran) as a failed crawl, so the day has no silent gap. Returns counts and
    the missing sources (for XCom)."""
    expected = sources_to_crawl(settings, only)
    directory = run_dir(settings, run_id)
    directory.mkdir(parents=True, exist_ok=True)  # no crawl got as far as starting: all missing
    results = staged_results(settings, run_id)
    staged = {r.source for r in results}
    now = datetime.now(UTC).replace(tzinfo=None)
    missing = [name for name in expected if name not in staged]
    results += [CrawlResult(source=name, run_id=run_id, ok=False, staging_path=str(directory / f"{name}.jsonl"),
                            error="missing: the crawl task did not finish (failed, timed out or never ran)",
                            started_at=now, finished_at=now) for name in missing]
    report = load_run(settings, run_id, load_sources(settings.sources_file), results)
    if missing:
        _warn(f"run {run_id}: no crawl result from {', '.join(missing)}; recorded as failed")
    return {"read": report.read, "inserted": report.inserted, "crawl_runs": report.crawl_runs, "missing": missing}


@dataclass(frozen=True)
class HealthReport:
    run_id: str
    sources: int
    failed: list[tuple[str, str]]  # (source, error) of this run's failed crawls
    broken: list[tuple[str, str]]  # (source, last error) of sources whose last 3 runs saw nothing
    max_failed_share: float

    @property
    def ok(self) -> bool:
        return not self.broken and len(self.failed) <= self.max_failed_share * self.sources

    def message(self) -> str:
        """What went wrong, one source a line with its last error (each cut to one short line)."""
        lines = []
        if len(self.failed) > self.max_failed_share * self.sources:
            lines.append(f"run {self.run_id}: {len(self.failed)} of {self.sources} sources failed "
                         f"(more than {self.max_failed_share:.0%}):")
            lines += [f"  {name}: {_short(error)}" for name, error in self.failed]
        if self.broken:
            lines.append(f"{len(self.broken)} source(s) broken (their last 3 runs saw nothing):")
            lines += [f"  {name}: {_short(error)}" for name, error in self.broken]
        return "\n".join(lines) or f"run {self.run_id}: {self.sources - len(self.failed)} of {self.sources} sources ok"


def _short(error: str | None, limit: int = 200) -> str:
    text = " ".join((error or "no error recorded").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def check_health(settings: Settings, run_id: str) -> HealthReport:
    """The day's crawls against NEWSMON_ALERT__MAX_FAILED_SHARE, and the sources source_health
    calls broken; raise PipelineError with the report's message when the day went wrong."""
    with warehouse(settings, read_only=True) as con:
        runs = con.execute("select source, ok, error from crawl_runs where run_id = ? order by source",
                           [run_id]).fetchall()
        # only this day's sources: one removed from sources.yaml stays broken in the view forever
        broken = con.execute("select source, last_error from source_health where broken and source in"
                             " (select source from crawl_runs where run_id = ?) order by source", [run_id]).fetchall()
    report = HealthReport(run_id=run_id, sources=len(runs), failed=[(s, e) for s, ok, e in runs if not ok],
                          broken=broken, max_failed_share=settings.alert.max_failed_share)
    if not report.ok:
        raise PipelineError(report.message())
    return report


# ---------------------------------------------------------------- model

# steps(stage, completed, total): progress of long model work, for the CLI's bars (models.progress)
Steps = Callable[[str, int, int], None]


def _no_steps(stage: str, completed: int, total: int) -> None:
    pass


def model_path(settings: Settings) -> Path | None:
    """The model that scores: model.path when set, else the current one under <data_dir>/models
    (LATEST), else the one that ships with newsmon (models/shipped; checked when it is loaded)."""
    from models.artifact import latest_model, shipped_model

    if settings.model.path:
        return settings.model.path
    return latest_model(settings.models_dir) or shipped_model()


def label_article(settings: Settings, article_id: str, label: str, verdict: str, *,
                  note: str | None = None, user: str | None = None) -> dict:
    """Record an analyst's correction of the classifier (see warehouse.feedback)."""
    from warehouse.db import write_transaction
    from warehouse.feedback import record_feedback

    with warehouse(settings) as con:
        row = write_transaction(con, lambda: record_feedback(con, article_id, label, verdict, note=note,
                                                             user=user))
        publish_snapshot(settings, con)
        return row


def export_feedback(settings: Settings) -> tuple[Path, int]:
    """Write the warehouse's label feedback as training examples to <data_dir>/feedback/feedback.jsonl."""
    from warehouse.feedback import feedback_examples

    with warehouse(settings, read_only=True) as con:
        examples = feedback_examples(con)
    target = settings.data_dir / "feedback" / "feedback.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in examples), encoding="utf-8")
    os.replace(tmp, target)
    return target, len(examples)


def train_config(settings: Settings):
    """The models.train.TrainConfig that the settings ask for."""
    from models.train import TrainConfig

    return TrainConfig(base_model=settings.model.base_model, max_length=settings.model.max_length,
                       max_chunks=settings.model.max_chunks, batch_size=settings.model.batch_size,
                       seed=settings.model.seed, method=settings.model.method, epochs=settings.model.epochs)


def train_model(settings: Settings, *, data_dir: Path | None = None, with_feedback: bool = False,
                progress: Callable[[str], None] = lambda _: None, steps: Steps | None = None) -> Path:
    """Train on the repository's examples (data_dir) and the real-news corpus (model.extra_data, its
    training part), plus the warehouse's label feedback when asked; feedback examples only ever
    join the training split."""
    from models.dataset import load_examples
    from models.train import train

    extra = []
    if with_feedback:
        path, count = export_feedback(settings)
        progress(f"{count} feedback examples exported to {path}")
        extra.append(path)
    examples = load_examples(data_dir, extra=extra, extra_data=settings.model.extra_data)
    return train(examples, train_config(settings), settings.models_dir, progress=progress, steps=steps or _no_steps,
                 vector_cache=settings.data_dir / "cache" / "vectors")


def distill_model(settings: Settings, config=None, *, teacher: Path | None = None, data_dir: Path | None = None,
                  progress: Callable[[str], None] = lambda _: None, steps: Steps | None = None, **fields) -> Path:
    """Distil the teacher (default: the current model) into a student shaped by config (a
    models.distill.DistillConfig, whose defaults are the student newsmon scores with) with fields
    replaced (layers=..., ffn=..., ...); the student becomes the current model, the teacher stays
    beside it."""
    from dataclasses import replace

    from models.dataset import load_examples
    from models.distill import DistillConfig, distill

    teacher = teacher or model_path(settings)
    if teacher is None or not teacher.exists():
        raise PipelineError("no trained model to distil: run `newsmon train` first")
    config = replace(config or DistillConfig(), **fields, seed=settings.model.seed)
    return distill(teacher, load_examples(data_dir, extra_data=settings.model.extra_data), config,
                   settings.models_dir, progress=progress, steps=steps or _no_steps)


def train_current_model(settings: Settings, *, with_feedback: bool = False, data_dir: Path | None = None,
                        distill_config=None, progress: Callable[[str], None] = lambda _: None,
                        steps: Steps | None = None) -> tuple[Path, Path | None]:
    """Train (train_model); then, with model.distill on, distil it (fine-tuned, or the frozen MiniLM
    with its heads) into a student (distill_config, default models.distill's), which scores from
    then on. Returns the trained model and the student (or None)."""
    trained = train_model(settings, data_dir=data_dir, with_feedback=with_feedback, progress=progress, steps=steps)
    if not settings.model.distill:
        return trained, None
    progress("distilling it into the smaller model that scores from now on (model.distill; 15-40 min on 2 cores)")
    return trained, distill_model(settings, distill_config, teacher=trained, data_dir=data_dir, progress=progress,
                                  steps=steps)


def has_model(settings: Settings) -> bool:
    path = model_path(settings)
    return path is not None and path.exists()


def ensure_model(settings: Settings, progress: Callable[[str], None] = lambda _: None, *,
                 train: bool = True) -> Path:
    """The current model's path (model_path: data/models, else the one shipped with newsmon);
    when there is none, train one, or with train=False (a scheduled task, which must not train
    for half an hour) fail with one line saying to."""
    path = model_path(settings)
    if path is None or not path.exists():
        if settings.model.path:
            raise PipelineError(f"no trained model at {settings.model.path}: run `newsmon train`")
        if not train:
            raise PipelineError(f"no trained model in {settings.models_dir}: run `newsmon train` first")
        progress("no trained model yet: training one")
        trained, student = train_current_model(settings, progress=progress)
        path = student or trained
    return path


def load_classifier(settings: Settings):
    from models.classifier import Classifier

    path = model_path(settings)
    if path is None:
        raise PipelineError("no trained model: run `newsmon train` first")
    return Classifier.load(path, batch_size=settings.model.batch_size, precision=settings.model.precision)


def evaluate_model(settings: Settings, card_path: Path | None = None) -> tuple[str, dict]:
    """Measure the current model on the test splits (the real one when model.extra_data is there,
    and the written one); write its model card to card_path if given, with the real test split's
    reliability chart beside it."""
    from models.card import render_card, write_reliability_chart
    from models.dataset import load_examples
    from models.evaluate import evaluate

    classifier = load_classifier(settings)
    metrics = evaluate(classifier, load_examples(extra_data=settings.model.extra_data))
    if card_path is not None:
        chart = write_reliability_chart(metrics, card_path.with_name("reliability.png"))
        card_path.write_text(render_card(classifier.config, metrics, classifier.encoder.precision,
                                         chart=chart.name if chart else None), encoding="utf-8")
    return classifier.version, metrics


def classify_records(settings: Settings, records: list[dict]) -> Iterator[dict]:
    """Score {"id", "title", "text"} records; yields {"id", "scores", "labels", "evidence"}."""
    classifier = load_classifier(settings)
    batch = max(settings.model.batch_size * 4, 64)
    for start in range(0, len(records), batch):
        chunk = records[start:start + batch]
        predictions = classifier.predict([str(r.get("title") or "") for r in chunk],
                                         [str(r.get("text") or "") for r in chunk])
        for record, prediction in zip(chunk, predictions, strict=True):
            out = {"id": record.get("id")}
            if prediction.skipped:
                out["skipped"] = prediction.skipped
            else:
                out.update(scores=prediction.scores, labels=prediction.labels,
                           evidence=prediction.evidence)
            yield out


def classify_warehouse(settings: Settings, *, rescore: bool = False,
                       on_batch: Callable[[int, int], None] | None = None) -> int:
    """Score the articles no model has scored yet with the current model; with rescore, also the
    history scored by earlier versions (old scores stay, keyed by their version). Return how many."""
    from warehouse.db import write_transaction
    from warehouse.scores import article_batches, insert_scores, insert_sectors, register_model, unscored_ids

    classifier = load_classifier(settings)
    config = classifier.config
    now = datetime.now(UTC).replace(tzinfo=None)
    scored = 0
    with warehouse(settings) as con:
        register_model(con, model_version=classifier.version, base_model=config["base_model"],
                       method=config.get("method", ""), trained_at=datetime.fromisoformat(config["trained_at"]),
                       thresholds=config["thresholds"], metrics=_metrics_of(classifier), activated_at=now)
        ids = unscored_ids(con, classifier.version, history=rescore)
        for rows in article_batches(con, ids, batch_size=256):
            predictions = classifier.predict([r[1] for r in rows], [r[2] for r in rows])
            scores = [
                Score(article_id=row[0], model_version=classifier.version, label=label,
                      score=p.scores.get(label, 0.0), flagged=label in p.labels,
                      evidence=p.evidence.get(label))
                for row, p in zip(rows, predictions, strict=True) for label in LABELS
            ]
            tags = [(row[0], classifier.version, sector, score)
                    for row, p in zip(rows, predictions, strict=True) for sector, score in p.sectors.items()]

            def write(scores=scores, tags=tags) -> None:  # a batch's scores and sector tags land together
                insert_scores(con, scores, scored_at=now)
                insert_sectors(con, tags)

            write_transaction(con, write, on_retry=_warn)
            scored += len(rows)
            if on_batch:
                on_batch(scored, len(ids))
        publish_snapshot(settings, con)
    return scored


def cluster_new(settings: Settings) -> int:
    """Give every article without a story one; return how many were clustered."""
    with warehouse(settings) as con:
        clustered = sum(cluster_stories(settings, con).values())
        publish_snapshot(settings, con)
        return clustered


def cluster_stories(settings: Settings, con) -> dict[str, int]:
    """Give the articles without a story one (warehouse.stories), with the base encoder's sentence
    embeddings (the classifier's base model, loaded only when there is something to cluster)."""
    from models.encoder import Encoder
    from warehouse.db import write_transaction
    from warehouse.stories import assign_stories

    pending = con.execute("select count(*) from articles anti join article_stories using (article_id)").fetchone()[0]
    if not pending:
        return {"first": 0, "exact": 0, "similar": 0}
    encoder = Encoder(settings.model.base_model, max_length=256, batch_size=settings.model.batch_size,
                      normalize=True, precision=settings.model.precision)
    return write_transaction(con, lambda: assign_stories(
        con, window_hours=settings.warehouse.story_window_hours, threshold=settings.warehouse.story_threshold,
        embed=encoder.encode, embed_model=settings.model.base_model), on_retry=_warn)


def history_pending(settings: Settings) -> int:
    """Articles scored by earlier model versions but not by the current one."""
    from warehouse.scores import history_without_scores

    with warehouse(settings, read_only=True) as con:
        current = con.execute("select model_version from current_model").fetchone()
        return history_without_scores(con, current[0]) if current else 0


def classify_new(settings: Settings, progress: Callable[[str], None] = lambda _: None, *,
                 train: bool = False, rescore: bool = False) -> int:
    """Score what the current model has not scored (with rescore, also the history scored by earlier
    versions). Without a model: train one when asked, else fail with one line (a scheduled task)."""
    ensure_model(settings, progress=progress, train=train)
    return classify_warehouse(settings, rescore=rescore)


def model_for_run(settings: Settings, new_articles: int,
                  progress: Callable[[str], None] = lambda _: None) -> Path | None:
    """The model a run scores with: the current one; when there is none, one trained now if the run
    brought new articles, else None (nothing to score is no reason to train for minutes)."""
    if has_model(settings) or new_articles:
        return ensure_model(settings, progress=progress)
    progress("no trained model and no new articles: nothing scored (`newsmon train` builds the model)")
    return None


def _metrics_of(classifier) -> dict | None:
    metrics = classifier.path / "metrics.json"
    return json.loads(metrics.read_text(encoding="utf-8")) if metrics.exists() else None


# ---------------------------------------------------------------- extract

def extract_files(paths: list[Path], url: str | None = None) -> Iterator[dict]:
    """Extract each saved page; yields the article as a dict (or an error) with its path."""
    from crawlers.extract import canonical_link, extract_article, normalize

    now = datetime.now(UTC)
    for path in paths:
        html = path.read_text(encoding="utf-8", errors="replace")
        page_url = url or canonical_link(html) or path.resolve().as_uri()
        draft = extract_article(html, page_url)
        if draft is None:
            yield {"path": str(path), "error": "no article text found"}
            continue
        article = normalize(draft, source="local", fetched_at=now)
        yield {
            "path": str(path), "url": page_url, "canonical_url": article.canonical_url,
            "title": article.title, "author": article.author,
            "published": article.published_at.isoformat() if article.published_from != "first_seen" else None,
            "language": article.language, "text": article.text,
        }


# ---------------------------------------------------------------- digest

def iso_week_bounds(week: str) -> tuple[date, date]:
    """'2026-W47' -> (Monday, next Monday)."""
    from datetime import timedelta

    try:
        year, number = week.upper().split("-W")
        monday = date.fromisocalendar(int(year), int(number), 1)
    except ValueError:
        raise PipelineError(f"not an ISO week: {week!r} (expected e.g. 2026-W47)") from None
    return monday, monday + timedelta(days=7)


def last_complete_week(today: date) -> str:
    from datetime import timedelta

    year, number, _ = (today - timedelta(days=7)).isocalendar()
    return f"{year}-W{number:02d}"


def latest_article_week(settings: Settings) -> str:
    """ISO week of the newest published article (the demo's digest week)."""
    with warehouse(settings, read_only=True) as con:
        newest = con.execute("select max(published_at) from articles").fetchone()[0]
    if newest is None:
        raise PipelineError("the warehouse has no articles yet")
    year, number, _ = newest.isocalendar()
    return f"{year}-W{number:02d}"


@dataclass(frozen=True)
class DigestParts:
    context: dict
    images: dict[str, bytes]  # Content-ID -> PNG, in the order the digest shows them
    article_ids: list[str]


def digest_parts(settings: Settings, week: str, *, stories_per_label: int = 10, rising_min_articles: int = 3,
                 rising_per_label: int = 5) -> DigestParts:
    """What a week's digest shows, read from the warehouse's views (warehouse/queries/digest_*.sql)."""
    from newsmon.digest.chart import sector_chart, trend_chart
    from newsmon.digest.render import SECTOR_CID, TREND_CID, DigestRows, digest_context
    from warehouse.db import load_query

    start, end = iso_week_bounds(week)
    with warehouse(settings, read_only=True) as con:
        def rows(name: str, *params) -> list[tuple]:
            return con.execute(load_query(name), list(params)).fetchall()

        data = DigestRows(
            volume=rows("digest_counts", start, end)[0], changes=rows("digest_changes", start),
            trend=rows("digest_trend", start), sectors=rows("digest_sectors", start),
            stories=rows("digest_stories", start, end, stories_per_label),
            rising=rows("digest_rising", start, rising_min_articles, rising_per_label),
            health=rows("digest_health", start, end))
        article_ids = [row[0] for row in rows("digest_articles", start, end)]
    images = {TREND_CID: trend_chart(data.trend, f"Share of articles flagged, 12 weeks to {week}")}
    sectors = sector_chart([(sector, label, flagged) for sector, label, _, flagged, _ in data.sectors])
    if sectors is not None:
        images[SECTOR_CID] = sectors
    return DigestParts(digest_context(week, start, end, data), images, article_ids)


def render_digest_preview(settings: Settings, week: str, out: Path) -> Path:
    """The digest's HTML as a file, the charts embedded as data URIs."""
    import base64

    from newsmon.digest.render import render_digest_html

    if out.is_dir():
        raise PipelineError(f"{out} is a folder: give the file to write the digest to, e.g. {out / (week + '.html')}")
    parts = digest_parts(settings, week)
    sources = {cid: "data:image/png;base64," + base64.b64encode(png).decode("ascii")
               for cid, png in parts.images.items()}
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(render_digest_html(parts.context, sources), encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:
        if tmp.parent.is_dir():
            tmp.unlink(missing_ok=True)
        raise PipelineError(f"cannot write the digest to {out}: {exc.strerror or exc}") from None
    return out


def send_weekly_digest(settings: Settings, run_date: date, *, week: str | None = None, force: bool = False) -> dict:
    """The scheduled send: the last complete ISO week before run_date (or `week`, a manual run's
    choice; force sends a week already sent again); a small, XCom-safe result."""
    result = send_digest(settings, week or last_complete_week(run_date), force=force)
    return {key: str(value) for key, value in result.items() if key in ("week", "status", "message_id")}


def send_digest(settings: Settings, week: str, *, force: bool = False) -> dict:
    """Send a week's digest once: a week in the `digests` ledger is skipped unless forced; the ledger
    row is written only after the SMTP server accepted the message, and lists the recipients it
    accepted it for. When it refused some, the row records the others and a SendError names the
    refused (a partial delivery is never recorded as sent to everyone, nor passes silently)."""
    from newsmon.digest.email import SendError, build_message, send_message
    from newsmon.digest.render import render_digest_html, render_digest_text, subject_line
    from warehouse.db import upsert

    email = settings.email
    if not email.recipients:
        raise SendError("no recipients: set NEWSMON_EMAIL__RECIPIENTS (comma-separated)")
    iso_week_bounds(week)
    with warehouse(settings) as con:  # migrated, so the ledger exists
        sent = con.execute("select sent_at, message_id from digests where week = ?", [week]).fetchone()
    if sent and not force:
        return {"week": week, "status": "already sent", "sent_at": sent[0], "message_id": sent[1]}
    parts = digest_parts(settings, week)
    message = build_message(
        subject=subject_line(parts.context), sender=email.sender, recipients=email.recipients,
        text=render_digest_text(parts.context),
        html=render_digest_html(parts.context, {cid: f"cid:{cid}" for cid in parts.images}), images=parts.images)
    refused = send_message(message, host=email.smtp_host, port=email.smtp_port, security=email.security,
                           username=email.username,
                           password=email.password.get_secret_value() if email.password else None,
                           attempts=email.send_attempts, backoff=email.retry_backoff,
                           ca_file=str(email.ca_file) if email.ca_file else None)
    from email.utils import parseaddr

    delivered = [r for r in email.recipients if parseaddr(r)[1] not in refused]
    sent_at = datetime.now(UTC).replace(tzinfo=None)
    with warehouse(settings) as con:
        upsert(con, "digests", ["week", "recipients", "sent_at", "message_id", "subject", "article_ids"],
               [[week, delivered, sent_at, message["Message-ID"], message["Subject"], parts.article_ids]],
               keys=["week"])
        publish_snapshot(settings, con)  # readers see the ledger row
    if refused:
        refusals = ", ".join(f"{address} ({reply})" for address, reply in refused.items())
        raise SendError(f"digest for {week} sent to {len(delivered)} of {len(email.recipients)} recipients and "
                        f"recorded as sent to them only; the SMTP server refused {refusals[:400]}: "
                        "fix the address, then --send --force sends it again to everyone")
    return {"week": week, "status": "sent", "sent_at": sent_at, "message_id": message["Message-ID"],
            "recipients": delivered, "articles": len(parts.article_ids)}


# ---------------------------------------------------------------- the daily run

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


# ---------------------------------------------------------------- readers

def snapshot_file(settings: Settings) -> Path | None:
    """Where the write steps publish the readers' snapshot: beside the warehouse file
    (data/newsmon.snapshot.duckdb); None on DuckLake, which readers attach read-only themselves."""
    from warehouse.db import is_lake

    if is_lake(settings.warehouse_path):
        return None
    live = Path(settings.warehouse_path)
    return live.with_name(f"{live.stem}.snapshot.duckdb")


def feedback_queue_dir(settings: Settings) -> Path:
    """Feedback from the review app waiting for the next write step (warehouse.feedback_queue)."""
    return settings.data_dir / "feedback-queue"


def reader_target(settings: Settings) -> Path | None:
    """What readers open: the snapshot when one has been published, else None (the writer's file)."""
    path = snapshot_file(settings)
    return path if path is not None and path.exists() else None


def publish_snapshot(settings: Settings, con) -> Path | None:
    """After a write step's commit, on its connection: store the review app's queued feedback, then
    publish the readers' snapshot (warehouse.snapshot). Returns the snapshot (None on DuckLake)."""
    from warehouse.db import write_transaction
    from warehouse.feedback_queue import apply_queue, has_pending, remove
    from warehouse.snapshot import publish_snapshot as publish

    queue = feedback_queue_dir(settings)
    if has_pending(queue):  # an empty queue takes no write lock (on DuckLake that is a new snapshot)
        _, done = write_transaction(con, lambda: apply_queue(con, queue), on_retry=_warn)
        remove(done)
    target = snapshot_file(settings)
    return publish(con, target) if target is not None else None


def publish_warehouse(settings: Settings) -> Path | None:
    """Publish the readers' snapshot now (`newsmon db publish`; the write steps do it themselves)."""
    with warehouse(settings) as con:
        return publish_snapshot(settings, con)


def open_review(settings: Settings, *, live: bool = False):
    """The review app's reads (warehouse.review.Review) from the snapshot, published now if there is
    none yet; live: from the writer's file, read-only (a load waits while a page reads it)."""
    from warehouse.review import Review

    path = Path(settings.warehouse_path)
    if snapshot_file(settings) is not None and not path.exists():
        raise PipelineError(f"warehouse not found at {path}: run `newsmon run` (or `make demo`) first")
    if not live:
        if snapshot_file(settings) is None:
            raise PipelineError("the review app reads a DuckDB warehouse's snapshot; "
                                "a DuckLake warehouse is not supported yet")
        if reader_target(settings) is None:
            publish_warehouse(settings)
        path = snapshot_file(settings)
    return Review(path, feedback_queue_dir(settings), opener=lambda p: _open_sandbox(settings, target=p),
                  keep_open=not live)
