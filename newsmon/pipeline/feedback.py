"""Analysts' corrections of the classifier: recorded in the warehouse, exported as training examples."""

from __future__ import annotations

import json
from pathlib import Path

from newsmon.config import Settings
from newsmon.files import write_atomically
from newsmon.pipeline.store import connection, publish_snapshot


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


def export_feedback(settings: Settings) -> tuple[Path, int]:
    """Write the warehouse's label feedback as training examples to <data_dir>/feedback/feedback.jsonl."""
    from warehouse.feedback import feedback_examples

    with connection(settings, read_only=True) as con:
        examples = feedback_examples(con)
    target = settings.data_dir / "feedback" / "feedback.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in examples))
    return target, len(examples)
