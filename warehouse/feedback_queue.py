"""Feedback that waits for the writer: the review app judges a verdict against the snapshot and
queues the row here (one small JSON file each, written to a temporary name and renamed, so the
queue never holds half a row), without the writer's lock; the next write step stores the queued
rows in the warehouse (warehouse.feedback.store_feedback) and only then removes their files.
Applying the same files twice stores the same rows, so a step killed in between loses nothing."""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.db import load_query
from warehouse.feedback import store_feedback


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


def latest(rows: list[dict]) -> dict[tuple[str, str], dict]:
    """The last word per (article, label) among rows, by time given."""
    found: dict[tuple[str, str], dict] = {}
    for row in sorted(rows, key=lambda r: r["labeled_at"]):
        found[(row["article_id"], row["label"])] = row
    return found


def apply_queue(con: duckdb.DuckDBPyConnection, directory: Path) -> tuple[int, list[Path]]:
    """Store the queued rows (inside the caller's transaction): per (article, label) the latest, and
    only where the warehouse has no later word (a `newsmon label` given after the click). Returns the
    rows stored and the files to remove once the transaction has committed."""
    queued = pending(directory)
    if not queued:
        return 0, []
    newest = latest([row for _, row in queued])
    stored = dict(((a, lbl), at) for a, lbl, at in con.execute(
        load_query("feedback_queue_stored"), [[a for a, _ in newest], [lbl for _, lbl in newest]]).fetchall())
    rows = [row for key, row in newest.items() if key not in stored or stored[key] <= row["labeled_at"]]
    store_feedback(con, rows)
    return len(rows), [path for path, _ in queued]


def remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
