"""Classify: score with the current model the warehouse's articles it has not scored
(classify_unscored), or texts given as records (classify_texts)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime

from newsmon.config import Settings
from newsmon.domain import LABELS, Score, utc_now
from newsmon.pipeline.common import warn
from newsmon.pipeline.model import load_classifier
from newsmon.pipeline.store import connection, publish_snapshot


def classify_texts(settings: Settings, records: list[dict]) -> Iterator[dict]:
    """Score given {"id", "title", "text"} records (`newsmon classify --input`); yields {"id",
    "scores", "labels", "evidence"}. Reads and writes no warehouse."""
    classifier = load_classifier(settings)
    batch = max(settings.model.batch_size * 4, 64)
    for start in range(0, len(records), batch):
        chunk = records[start:start + batch]
        predictions = classifier.predict([str(r.get("title") or "") for r in chunk],
                                         [str(r.get("text") or "") for r in chunk])
        for record, prediction in zip(chunk, predictions, strict=True):
            out = {"id": record.get("id")}
            if prediction.skipped:
                out["skipped"] = prediction.skipped
            else:
                out.update(scores=prediction.scores, labels=prediction.labels,
                           evidence=prediction.evidence)
            yield out


def classify_unscored(settings: Settings, *, rescore: bool = False,
                       on_batch: Callable[[int, int], None] | None = None) -> int:
    """Score the articles no model has scored yet with the current model; with rescore, also the
    history scored by earlier versions (old scores stay, keyed by their version). Return how many."""
    from warehouse.db import write_transaction
    from warehouse.scores import article_batches, insert_scores, insert_sectors, register_model, unscored_ids

    classifier = load_classifier(settings)
    facts = classifier.config  # the artifact's config.json: version, base model, thresholds
    now = utc_now()
    scored = 0
    with connection(settings) as con:
        register_model(con, model_version=classifier.version, base_model=facts["base_model"],
                       method=facts.get("method", ""), trained_at=datetime.fromisoformat(facts["trained_at"]),
                       thresholds=facts["thresholds"], metrics=_metrics_of(classifier), activated_at=now)
        ids = unscored_ids(con, classifier.version, history=rescore)
        for rows in article_batches(con, ids, batch_size=256):
            predictions = classifier.predict([r[1] for r in rows], [r[2] for r in rows])
            scores = [
                Score(article_id=row[0], model_version=classifier.version, label=label,
                      score=p.scores.get(label, 0.0), flagged=label in p.labels,
                      evidence=p.evidence.get(label))
                for row, p in zip(rows, predictions, strict=True) for label in LABELS
            ]
            tags = [(row[0], classifier.version, sector, score)
                    for row, p in zip(rows, predictions, strict=True) for sector, score in p.sectors.items()]

            def write(scores=scores, tags=tags) -> None:  # a batch's scores and sector tags land together
                insert_scores(con, scores, scored_at=now)
                insert_sectors(con, tags)

            write_transaction(con, write, on_retry=warn)
            scored += len(rows)
            if on_batch:
                on_batch(scored, len(ids))
        publish_snapshot(settings, con)
    return scored


def _metrics_of(classifier) -> dict | None:
    metrics = classifier.path / "metrics.json"
    return json.loads(metrics.read_text(encoding="utf-8")) if metrics.exists() else None


def history_pending(settings: Settings) -> int:
    """Articles scored by earlier model versions but not by the current one."""
    from warehouse.scores import current_model_version, history_without_scores

    with connection(settings, read_only=True) as con:
        current = current_model_version(con)
        return history_without_scores(con, current) if current else 0
