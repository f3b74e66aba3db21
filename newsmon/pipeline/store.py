"""Warehouse connections for the steps (the writer, the read-only sandbox) and the readers snapshot
the write steps publish."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from newsmon.config import Settings
from newsmon.pipeline.common import PipelineError, warn


@contextmanager
def connection(settings: Settings, *, read_only: bool = False, require_current: bool = True,
              writable: Path | None = None, snapshot: bool = False):
    """A connection to the warehouse, migrated when opened for writing; a read-only one is the
    sandbox (warehouse.sandbox: it reads the warehouse and touches no other file, database or host,
    except `writable`, one output path of newsmon's own) and must already be at the code's schema
    version (unless require_current is False, as for ad-hoc SQL). snapshot (read-only only): the
    readers' snapshot the write steps publish (publish_snapshot), when there is one."""
    from warehouse.db import WarehouseError, applied_versions, migrate, migrations

    target = reader_target(settings) if read_only and snapshot else None
    con = open_read_only(settings, writable=writable, target=target) if read_only else _open(settings)
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


def _open(settings: Settings, *, read_only: bool = False, create: bool = True):
    """A connection to the configured backend: the DuckDB file (waiting a bounded time for another
    process's lock) or the DuckLake named by NEWSMON_WAREHOUSE__URL; create=False: only one that exists."""
    from warehouse.db import open_target

    return open_target(settings.warehouse_path, create=create, read_only=read_only,
                       lock_timeout=settings.warehouse.lock_timeout, data_path=settings.warehouse.data_path,
                       on_wait=lambda message: print(message, file=sys.stderr))


def require_warehouse(settings: Settings) -> None:
    """Fail in one line naming `newsmon db migrate` unless the warehouse exists and is at the code's
    schema version; creates and migrates nothing. Every Airflow task that uses the warehouse calls it
    first (newsmon.tasks): on several machines a task on a worker without the warehouse file, or
    before the one `newsmon db migrate`, must not start an empty warehouse there or race the other
    workers' migrations. (The one-machine steps, newsmon run and the CLI, still migrate as they open.)"""
    with existing_connection(settings):
        pass


@contextmanager
def existing_connection(settings: Settings):
    """A writable connection to a warehouse that exists and is at the code's schema version (a
    WarehouseError in one line naming `newsmon db migrate` otherwise); creates and migrates nothing."""
    from warehouse.db import check_current

    con = _open(settings, create=False)
    try:
        check_current(con, settings.warehouse_label)
        yield con
    finally:
        con.close()


def open_read_only(settings: Settings, *, writable: Path | None = None, target: Path | None = None):
    from warehouse.sandbox import open_sandbox

    return open_sandbox(target or settings.warehouse_path, data_path=settings.warehouse.data_path,
                        lock_timeout=settings.warehouse.lock_timeout, writable=writable,
                        on_wait=lambda message: print(message, file=sys.stderr))


def migrate_warehouse(settings: Settings) -> list[int]:
    from warehouse.db import migrate

    con = _open(settings, create=True)
    try:
        applied = migrate(con)
        publish_snapshot(settings, con)  # readers check the schema version too
        return applied
    finally:
        con.close()


def migration_status(settings: Settings) -> list[tuple[int, str, bool]]:
    """(version, name, applied) for every migration the code knows."""
    from warehouse.db import applied_versions, migrations

    with connection(settings, read_only=True, require_current=False) as con:
        done = set(applied_versions(con))
    return [(m.version, m.name, m.version in done) for m in migrations()]


def snapshot_file(settings: Settings) -> Path | None:
    """Where the write steps publish the readers' snapshot: beside the warehouse file
    (data/newsmon.snapshot.duckdb); None on DuckLake, which readers attach read-only themselves."""
    from warehouse.db import is_lake

    if is_lake(settings.warehouse_path):
        return None
    live = Path(settings.warehouse_path)
    return live.with_name(f"{live.stem}.snapshot.duckdb")


def feedback_queue_dir(settings: Settings) -> Path:
    """Feedback from the review app waiting for the next write step (warehouse.feedback_queue). On
    DuckLake the app stores feedback in the lake itself (store_review_feedback) and only drains what
    an older newsmon queued here."""
    return settings.data_dir / "feedback-queue"


def reader_target(settings: Settings) -> Path | None:
    """What readers open: the snapshot when one has been published, else None (the writer's file)."""
    path = snapshot_file(settings)
    return path if path is not None and path.exists() else None


def publish_snapshot(settings: Settings, con) -> Path | None:
    """After a write step's commit, on its connection: store the review app's queued feedback, then
    publish the readers' snapshot (warehouse.snapshot). Returns the snapshot (None on DuckLake).
    On DuckLake the app queues nothing, but a queue left on this machine by an older newsmon is still
    drained here: rows already judged are stored where the lake has no later word, and an empty or
    missing queue costs no transaction."""
    from warehouse.db import write_transaction
    from warehouse.feedback_queue import apply_queue, has_pending, remove
    from warehouse.snapshot import publish_snapshot as publish

    queue = feedback_queue_dir(settings)
    if has_pending(queue):  # an empty queue takes no write lock (on DuckLake that is a new snapshot)
        _, done = write_transaction(con, lambda: apply_queue(con, queue), on_retry=warn)
        remove(done)
    target = snapshot_file(settings)
    return publish(con, target) if target is not None else None


def publish_warehouse(settings: Settings) -> Path | None:
    """Publish the readers' snapshot now (`newsmon db publish`; the write steps do it themselves)."""
    with connection(settings) as con:
        return publish_snapshot(settings, con)


def read_existing(settings: Settings, read: Callable, default):
    """read(con) on a read-only connection to the warehouse, for a crawl's start (known URLs,
    listing states); default when nothing is known yet: no DuckDB file (the first run), or one from
    before the tables read. A warehouse that is there but cannot be read (corrupt, locked past the
    lock timeout, a lake that cannot be attached) raises PipelineError in one line: taking it for
    empty would recrawl and restage every article."""
    import duckdb

    from warehouse.db import WarehouseError, is_lake

    if not is_lake(settings.warehouse_path) and not Path(settings.warehouse_path).exists():
        return default
    cannot = "cannot read what the warehouse already holds, which a crawl starts from"
    try:
        con = _open(settings, read_only=True)
    except WarehouseError as exc:
        raise PipelineError(f"{cannot}: {exc}") from None
    try:
        return read(con)
    except duckdb.CatalogException:  # a warehouse from before these tables: nothing known yet
        return default
    except duckdb.Error as exc:
        raise PipelineError(f"{cannot}: {settings.warehouse_label}: {(str(exc).splitlines() or [''])[0]}") from None
    finally:
        con.close()
