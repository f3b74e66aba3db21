"""Analysts' corrections of the classifier: recorded in the warehouse, exported as training examples."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from newsmon.config import Settings
from newsmon.domain import one_line
from newsmon.files import write_atomically
from newsmon.pipeline.common import FeedbackNotSaved, warn
from newsmon.pipeline.store import connection, existing_connection, feedback_queue_dir, publish_snapshot


def label_article(settings: Settings, article_id: str, label: str, verdict: str, *,
                  note: str | None = None, user: str | None = None) -> dict:
    """Record an analyst's correction of the classifier (see warehouse.feedback)."""
    from warehouse.db import write_transaction
    from warehouse.feedback import record_feedback

    with connection(settings) as con:
        row = write_transaction(con, lambda: record_feedback(con, article_id, label, verdict, note=note,
                                                             user=user))
        publish_snapshot(settings, con)
        return row


def store_review_feedback(settings: Settings, article_id: str, label: str, verdict: str, *,
                          user: str | None = None, note: str | None = None, now: datetime | None = None) -> dict:
    """The review app's write on DuckLake, where the write steps run on other machines and would never
    see a queue on this one: judge the verdict (warehouse.feedback.judge_feedback) and store it in the
    lake in a short write transaction of its own (retried on conflicts with other writers), only where
    the lake has no later word; feedback queued on this machine by an older newsmon goes in with it.
    Returns the judged row; a FeedbackError names a wrong verdict, FeedbackNotSaved a lake that did
    not take it (nothing stored, nothing queued)."""
    import duckdb

    from warehouse.db import WarehouseError, write_transaction
    from warehouse.feedback import judge_feedback, store_newer_feedback
    from warehouse.feedback_queue import apply_queue, remove

    queue = feedback_queue_dir(settings)

    def judge_and_store(con) -> tuple[dict, list[Path]]:
        _, done = apply_queue(con, queue)
        row = judge_feedback(con, article_id, label, verdict, note=note, user=user, now=now)
        store_newer_feedback(con, [row])
        return row, done

    try:
        with existing_connection(settings) as con:
            row, done = write_transaction(con, lambda: judge_and_store(con), on_retry=warn)
    except (WarehouseError, duckdb.Error) as exc:
        detail = one_line((str(exc).splitlines() or [""])[0])
        raise FeedbackNotSaved(f"feedback not saved: {detail}; nothing was stored, try again") from None
    remove(done)
    return row


def export_feedback(settings: Settings) -> tuple[Path, int]:
    """Write the warehouse's label feedback as training examples to <data_dir>/feedback/feedback.jsonl."""
    from warehouse.feedback import feedback_examples

    with connection(settings, read_only=True) as con:
        examples = feedback_examples(con)
    target = settings.data_dir / "feedback" / "feedback.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in examples))
    return target, len(examples)
