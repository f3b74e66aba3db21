"""DuckLake upkeep, run weekly: merge the small files each load leaves into larger ones, expire
snapshots older than a retention window, then delete the data files nothing refers to any more
(those of expired snapshots and orphans of aborted writes) once they are older than a grace period
that outlasts any reader. Counts before and after say what it did."""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import duckdb

from warehouse.db import LAKE_ALIAS, WarehouseError, backend


@dataclass(frozen=True)
class LakeState:
    live_files: int  # data and delete files the current snapshot reads
    stored_files: int  # Parquet files under the data path, referenced or not
    stored_bytes: int
    snapshots: int


@dataclass(frozen=True)
class UpkeepReport:
    before: LakeState
    after: LakeState
    expired_snapshots: int
    deleted_files: int

    def to_record(self) -> dict:
        return asdict(self)

    def message(self) -> str:
        b, a = self.before, self.after
        return (f"data files {b.live_files} -> {a.live_files} live, {b.stored_files} -> {a.stored_files} stored "
                f"({b.stored_bytes:,} -> {a.stored_bytes:,} bytes); snapshots {b.snapshots} -> {a.snapshots}")


def _data_path(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("select value from ducklake_options(?) where option_name = 'data_path'", [LAKE_ALIAS]).fetchone()
    return row[0].rstrip("/") + "/"


def lake_state(con: duckdb.DuckDBPyConnection) -> LakeState:
    metadata = f"__ducklake_metadata_{LAKE_ALIAS}"
    live = con.execute(f"select (select count(*) from {metadata}.ducklake_data_file where end_snapshot is null)"
                       f" + (select count(*) from {metadata}.ducklake_delete_file where end_snapshot is null)"
                       ).fetchone()[0]
    stored, size = con.execute(
        "select count(*), coalesce(sum(size), 0) from read_blob(?)",
        [_data_path(con) + "**/*.parquet"]).fetchone() if _has_files(con) else (0, 0)
    snapshots = con.execute("select count(*) from ducklake_snapshots(?)", [LAKE_ALIAS]).fetchone()[0]
    return LakeState(live, stored, size, snapshots)


def _has_files(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("select count(*) from glob(?)", [_data_path(con) + "**/*.parquet"]).fetchone()[0] > 0


def upkeep(con: duckdb.DuckDBPyConnection, *, now: datetime, keep_snapshots: timedelta,
           grace: timedelta) -> UpkeepReport:
    """Merge adjacent files, expire snapshots older than now - keep_snapshots, delete unreferenced
    files older than now - grace. now is naive UTC (from the caller: the DAG's data interval)."""
    if backend(con) != "ducklake":
        raise WarehouseError("upkeep is for a DuckLake warehouse; a DuckDB file needs none")
    before = lake_state(con)
    _merge(con)
    expired = con.execute("call ducklake_expire_snapshots(?, older_than => ?::timestamp at time zone 'UTC')",
                          [LAKE_ALIAS, now - keep_snapshots]).fetchall()
    deleted = con.execute("call ducklake_cleanup_old_files(?, older_than => ?::timestamp at time zone 'UTC')",
                          [LAKE_ALIAS, now - grace]).fetchall()
    deleted += con.execute("call ducklake_delete_orphaned_files(?, older_than => ?::timestamp at time zone 'UTC')",
                           [LAKE_ALIAS, now - grace]).fetchall()
    return UpkeepReport(before=before, after=lake_state(con), expired_snapshots=len(expired),
                        deleted_files=len(deleted))


def _merge(con: duckdb.DuckDBPyConnection, attempts: int = 6) -> None:
    """A DuckLake commit either changes data or compacts, never both, so the merge cannot claim the
    write_lock row the loads take: a load committing meanwhile makes it conflict; it runs again."""
    for attempt in range(1, attempts + 1):
        try:
            con.execute("call ducklake_merge_adjacent_files(?)", [LAKE_ALIAS]).fetchall()
            return
        except duckdb.TransactionException as exc:
            if "conflict" not in str(exc).lower() or attempt == attempts:
                raise WarehouseError(f"merging data files failed: {str(exc).splitlines()[0]}") from None
            time.sleep(min(5.0, 0.2 * 2 ** attempt) * (0.5 + random.random()))
