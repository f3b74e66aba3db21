"""Weekly upkeep of a DuckLake warehouse (warehouse.maintenance): merge the small files the daily
loads leave, expire old snapshots, delete what nothing refers to. A DuckDB file needs none."""

from __future__ import annotations

from datetime import datetime, timedelta

from newsmon.config import Settings
from newsmon.domain import utc_naive
from newsmon.pipeline.store import _open


def upkeep_warehouse(settings: Settings, *, now: datetime, keep_days: int = 7, grace_days: int = 7) -> dict:
    """Run the upkeep as of `now` (the caller's time: the DAG's data interval end): snapshots older
    than keep_days expire (time travel reaches that far back), unreferenced files older than
    grace_days are deleted (longer than any reader's transaction). Returns the counts."""
    from warehouse.db import check_current, is_lake
    from warehouse.maintenance import upkeep

    if not is_lake(settings.warehouse_path):
        return {"skipped": "a DuckDB file warehouse needs no upkeep"}
    con = _open(settings, create=False)  # never creates or migrates: a worker's task
    try:
        check_current(con, settings.warehouse_label)
        report = upkeep(con, now=utc_naive(now), keep_snapshots=timedelta(days=keep_days),
                        grace=timedelta(days=grace_days))
    finally:
        con.close()
    return {**report.to_record(), "message": report.message()}
