"""Evaluation of a trained artifact on the fixed test split, exactly as prediction sees articles."""

from __future__ import annotations

import numpy as np

from models.classifier import Classifier
from models.dataset import Example
from models.metrics import compute_metrics, sector_metrics


def evaluate(classifier: Classifier, examples: list[Example]) -> dict[str, dict]:
    """Per-label precision, recall, F1 and confusion counts on the test split, and under "sectors"
    the sector tags' per-sector and micro-averaged scores when the model has sector heads."""
    test = [ex for ex in examples if ex.split == "test"]
    vectors = classifier.encoder.encode_documents([ex.title for ex in test], [ex.text for ex in test],
                                                  classifier.max_chunks)
    scores = classifier.score_vectors(vectors)
    truth = np.asarray([[ex.labels[label] for label in classifier.labels] for ex in test])
    metrics = compute_metrics(truth, scores, classifier.thresholds, classifier.labels)
    if classifier.sectors:
        metrics["sectors"] = sector_metrics(
            test, classifier.sector_scores(vectors), list(classifier.sectors),
            dict(zip(classifier.sectors, classifier.sector_thresholds.tolist(), strict=True)))
    return metrics
