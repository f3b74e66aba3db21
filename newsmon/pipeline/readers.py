"""What readers do: SQL (read-only unless asked), full-text search, export, the review app."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path

from newsmon.config import Settings
from newsmon.pipeline.common import PipelineError
from newsmon.pipeline.feedback import store_review_feedback
from newsmon.pipeline.store import (
    connection,
    feedback_queue_dir,
    open_read_only,
    publish_snapshot,
    publish_warehouse,
    reader_target,
    snapshot_file,
)


def run_sql(settings: Settings, query: str, *, write: bool = False,
            live: bool = False) -> tuple[list[str], list[tuple]]:
    """Run SQL, one statement or several; returns the last one's (columns, rows). Without write it
    runs in the read-only sandbox (warehouse.sandbox): queries of the warehouse only, nothing
    written, no other file, database or host. write is full access: the warehouse, files, network,
    other databases. Read-only SQL reads the readers' snapshot unless live (the writer's file)."""
    import duckdb

    from warehouse.sandbox import SandboxError, read_only_statements

    full_access = "pass --write for full access (files, network, other databases)"
    with connection(settings, read_only=not write, require_current=False, snapshot=not live) as con:
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


def source_health(settings: Settings) -> tuple[list[str], list[tuple]]:
    """Every source's row of the source_health view (`newsmon sources health`), read as any
    read-only SQL is."""
    from warehouse.db import load_query

    return run_sql(settings, load_query("source_health_report"))


def example_queries() -> list[str]:
    """The queries `newsmon demo` suggests trying next (warehouse/queries/demo_examples.sql)."""
    from warehouse.db import load_query

    return [line for line in load_query("demo_examples").splitlines() if line.strip() and not line.startswith("--")]


def search_articles(settings: Settings, query: str, *, label: str | None = None,
                    since: datetime | None = None, limit: int = 20, live: bool = False):
    """BM25-ranked articles for a full-text query (see warehouse.search), from the readers' snapshot
    unless live."""
    from warehouse.search import search

    with connection(settings, read_only=True, snapshot=not live) as con:
        return search(con, query, label=label, since=since, limit=limit)


def reindex(settings: Settings) -> int:
    """Rebuild the full-text index now; return the number of articles indexed."""
    from warehouse.load import article_count
    from warehouse.search import rebuild_index

    with connection(settings) as con:
        rebuild_index(con)
        publish_snapshot(settings, con)
        return article_count(con)


def export(settings: Settings, destination: Path, *, fmt: str, since: datetime | None = None,
           text: bool = True) -> dict:
    """Export articles with their current scores (see warehouse.export)."""
    from warehouse.export import export_articles, scratch_path

    with connection(settings, read_only=True, writable=scratch_path(destination)) as con:
        return export_articles(con, destination, fmt=fmt, since=since, text=text)


def open_review(settings: Settings, *, live: bool = False):
    """The review app's reads (warehouse.review.Review) from the snapshot, published now if there is
    none yet; live: from the writer's file, read-only (a load waits while a page reads it); feedback
    is queued for the next write step. On DuckLake from the lake itself, read-only: its readers take
    no lock, so there is no snapshot; feedback is stored in the lake at once (store_review_feedback),
    since the write steps may run on machines that never see this one's queue."""
    from warehouse.review import Review

    if snapshot_file(settings) is None:
        return Review(settings.warehouse_path, feedback_queue_dir(settings),
                      opener=lambda target: open_read_only(settings, target=target),
                      store=partial(store_review_feedback, settings))
    path = Path(settings.warehouse_path)
    if not path.exists():
        raise PipelineError(f"warehouse not found at {path}: run `newsmon run` (or `make demo`) first")
    if not live:
        if reader_target(settings) is None:
            publish_warehouse(settings)
        path = snapshot_file(settings)
    return Review(path, feedback_queue_dir(settings), opener=lambda p: open_read_only(settings, target=p),
                  keep_open=not live)
