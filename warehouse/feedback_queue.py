"""Feedback that waits for the writer of a DuckDB file: the review app judges a verdict against the
snapshot and queues the row here (one small JSON file each, written to a temporary name and renamed,
so the queue never holds half a row), without the writer's lock; the next write step stores the
queued rows in the warehouse (warehouse.feedback.store_newer_feedback) and only then removes their
files. Applying the same files twice stores the same rows, so a step killed in between loses
nothing. (On DuckLake the app stores each verdict in the lake itself and only drains what an older
version of it queued here.)"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.feedback import store_newer_feedback


def enqueue(directory: Path, row: dict) -> Path:
    """Write one judged row (warehouse.feedback.judge_feedback's) to the queue; returns its file."""
    directory.mkdir(parents=True, exist_ok=True)
    record = {**row, "labeled_at": row["labeled_at"].isoformat()}
    # names sort by time, then a random part: no two submissions share a file
    name = f"{row['labeled_at'].strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex}.json"
    handle, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(record, out, ensure_ascii=False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, directory / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return directory / name


def has_pending(directory: Path) -> bool:
    """Whether anything is queued (without reading it): a write step opens no transaction for an
    empty queue."""
    return directory.is_dir() and next(directory.glob("*.json"), None) is not None


def pending(directory: Path) -> list[tuple[Path, dict]]:
    """The queued rows, oldest first, with their files; a file that cannot be read is left for a
    person to look at (it is never half-written, so it is not ours)."""
    if not directory.is_dir():
        return []
    rows = []
    for path in sorted(directory.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            record["labeled_at"] = datetime.fromisoformat(record["labeled_at"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        rows.append((path, record))
    return rows


def apply_queue(con: duckdb.DuckDBPyConnection, directory: Path) -> tuple[int, list[Path]]:
    """Store the queued rows (inside the caller's transaction) as warehouse.feedback.store_newer_feedback
    does: per (article, label) the latest, where the warehouse has no later word. Returns the rows
    stored and the files to remove once the transaction has committed."""
    queued = pending(directory)
    if not queued:
        return 0, []
    return len(store_newer_feedback(con, [row for _, row in queued])), [path for path, _ in queued]


def remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
