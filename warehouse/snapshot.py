"""The readers' copy of the warehouse: after each write step the writer publishes a read-only
snapshot of the DuckDB file, which the review app, `newsmon sql`, search, notebooks and BI tools
open, so that no reader ever holds the writer's file (DESIGN.md, Readers).

The writer publishes from its own connection, right after its commit: a checkpoint moves everything
committed into the file (the WAL is then empty) and, while this process holds DuckDB's exclusive
lock, nothing else can change the file, so a byte copy of it is a consistent database. Each copy is
a new file under snapshots/ with its own name, and the snapshot path is a symbolic link to the
newest, replaced atomically (os.replace): a reader opens the old copy or the new one, never half of
one, and one that has the old copy open keeps reading it. Own names matter to long-running readers:
DuckDB keeps one database per path in a process, so a reader reopening the same path would get the
copy it already had. The two newest copies are kept (a reader that just resolved the link to the
previous one can still open it); older ones are removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.db import WarehouseError, backend, load_query


def database_file(con: duckdb.DuckDBPyConnection) -> Path:
    """The file of the connection's current database."""
    row = con.execute(load_query("snapshot_database_file")).fetchone()
    if not row or not row[0]:
        raise WarehouseError("the warehouse is not a DuckDB file: no snapshot to publish")
    return Path(row[0])


def publish_snapshot(con: duckdb.DuckDBPyConnection, target: Path, *, keep: int = 2) -> Path | None:
    """Copy the writer's committed warehouse to a new file and point target (a symbolic link) at it;
    None on DuckLake, whose readers attach the lake read-only themselves (its catalog keeps their
    snapshot). The connection must be outside a transaction and the process's only user of the file."""
    if backend(con) == "ducklake":
        return None
    source = database_file(con)
    con.execute("checkpoint")
    versions = versions_dir(target)
    versions.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    copy = versions / f"{target.stem}-{stamp}-{os.getpid()}.duckdb"
    handle, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=versions)
    try:
        with os.fdopen(handle, "wb") as out, source.open("rb") as data:
            shutil.copyfileobj(data, out, 8 * 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o444)  # the readers' copy: nobody is meant to write it
        os.replace(tmp, copy)
        link = target.parent / f".{target.name}.{os.getpid()}.link"
        link.unlink(missing_ok=True)
        os.symlink(copy.relative_to(target.parent), link)
        os.replace(link, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_directory(target.parent)
    _prune(versions, target, keep)
    return copy


def versions_dir(target: Path) -> Path:
    """Where the copies behind the snapshot link live: data/snapshots/ beside data/newsmon.snapshot.duckdb."""
    return target.parent / "snapshots"


def _prune(versions: Path, target: Path, keep: int) -> None:
    current = Path(os.path.realpath(target))
    copies = sorted(versions.glob(f"{target.stem}-*.duckdb"), key=lambda p: p.name)
    for old in copies[:-keep] if keep else copies:
        if old != current:
            old.unlink(missing_ok=True)


def _sync_directory(directory: Path) -> None:
    """Make the rename durable (a crash right after it keeps the new snapshot)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
