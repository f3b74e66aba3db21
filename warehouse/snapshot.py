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
copy it already had.

Disk: a copy is cloned where the filesystem can share blocks (FICLONE on btrfs, XFS; copy_file_range,
which also clones there and copies in the kernel elsewhere), a plain copy otherwise. Nothing is copied
when the warehouse has not changed since the current copy: DuckDB writes new database headers (with
an iteration counter) at every checkpoint that changes anything, so the same headers and size mean the
same database. Once the link names the new copy, every other copy is unlinked: a reader that has an old
one open keeps reading it (an unlinked file lives until its last reader closes it, and the kernel then
frees it), and a reader that resolved the link but lost the race to open the old copy resolves it again
(warehouse.review). So the disk holds the writer's file, one copy, and old copies only while read.
"""

from __future__ import annotations

import fcntl
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


def publish_snapshot(con: duckdb.DuckDBPyConnection, target: Path) -> Path | None:
    """Copy the writer's committed warehouse to a new file and point target (a symbolic link) at it,
    unless the current copy already holds the same database; returns the current copy. None on
    DuckLake, whose readers attach the lake read-only themselves (its catalog keeps their snapshot).
    The connection must be outside a transaction and the process's only user of the file."""
    if backend(con) == "ducklake":
        return None
    source = database_file(con)
    con.execute("checkpoint")
    versions = versions_dir(target)
    versions.mkdir(parents=True, exist_ok=True)
    current = current_copy(target)
    if current is not None and _same_database(source, current):
        _prune(versions, target)
        return current
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    copy = versions / f"{target.stem}-{stamp}-{os.getpid()}.duckdb"
    handle, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=versions)
    try:
        with os.fdopen(handle, "wb") as out, source.open("rb") as data:
            clone_file(data.fileno(), out.fileno())
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
    _prune(versions, target)
    return copy


def current_copy(target: Path) -> Path | None:
    """The copy the snapshot link names, when it exists."""
    if not target.is_symlink():
        return None
    real = Path(os.path.realpath(target))
    return real if real.is_file() else None


# the main header and the two database headers DuckDB alternates between at checkpoints
_HEADERS = 3 * 4096


def _same_database(source: Path, copy: Path) -> bool:
    """Whether a copy holds the checkpointed source's database: same size and same headers (each
    checkpoint that changes anything writes a header with the next iteration number)."""
    try:
        if source.stat().st_size != copy.stat().st_size:
            return False
        with source.open("rb") as a, copy.open("rb") as b:
            return a.read(_HEADERS) == b.read(_HEADERS)
    except OSError:
        return False


_FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)


def clone_file(source: int, target: int, *, methods: tuple[str, ...] = ("clone", "range", "copy")) -> str:
    """Copy the whole of file descriptor source into the empty target: shared blocks where the
    filesystem allows (FICLONE), else copy_file_range (in the kernel, cloned on some filesystems),
    else read and write. Returns the method that did it."""
    size = os.fstat(source).st_size
    if "clone" in methods:
        try:
            fcntl.ioctl(target, _FICLONE, source)
            return "clone"
        except OSError:
            pass  # EOPNOTSUPP (ext4, tmpfs), EXDEV (another filesystem), EINVAL: copy instead
    if "range" in methods and hasattr(os, "copy_file_range"):
        copied = 0
        try:
            while copied < size:
                done = os.copy_file_range(source, target, size - copied, copied, copied)
                if done == 0:
                    break
                copied += done
            if copied == size:
                return "range"
        except OSError:
            pass  # ENOSYS, EXDEV (older kernels), EINVAL: the plain copy below starts over
        os.ftruncate(target, 0)
    os.lseek(source, 0, os.SEEK_SET)
    os.lseek(target, 0, os.SEEK_SET)
    with open(source, "rb", closefd=False) as data, open(target, "wb", closefd=False) as out:
        shutil.copyfileobj(data, out, 8 * 1024 * 1024)
    return "copy"


def versions_dir(target: Path) -> Path:
    """Where the copies behind the snapshot link live: data/snapshots/ beside data/newsmon.snapshot.duckdb."""
    return target.parent / "snapshots"


def _prune(versions: Path, target: Path) -> None:
    """Unlink every copy but the current one, and temporary files a killed publish left (only one
    writer publishes at a time: it holds the warehouse's lock)."""
    current = current_copy(target)
    for old in versions.glob(f"{target.stem}-*.duckdb"):
        if old != current:
            old.unlink(missing_ok=True)
    for leftover in versions.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)


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
