"""Evaluation of a trained artifact on the fixed test splits, exactly as prediction sees articles:
the real test split (real published news, when the model's data had it) and the written one."""

from __future__ import annotations

import numpy as np

from models.classifier import Classifier
from models.dataset import Example
from models.metrics import compute_metrics, reliability, sector_metrics

REAL_TEST = "real_test"  # metrics.json: the real test split's metrics under this key


def _split_metrics(classifier: Classifier, rows: list[Example], scores: np.ndarray,
                   sector_scores: np.ndarray) -> dict:
    truth = np.asarray([[ex.labels[label] for label in classifier.labels] for ex in rows]).reshape(
        len(rows), len(classifier.labels))
    metrics = compute_metrics(truth, scores, classifier.thresholds, classifier.labels)
    if classifier.sectors:
        metrics["sectors"] = sector_metrics(
            rows, sector_scores, list(classifier.sectors),
            dict(zip(classifier.sectors, classifier.sector_thresholds.tolist(), strict=True)))
    return metrics


def test_metrics(classifier: Classifier, rows: list[Example], vectors: np.ndarray) -> dict:
    """Metrics of the test rows' document vectors: the real test split's under "real_test" (with
    its reliability bins) when there are real rows, the written split's per label at the top level
    (and "sectors")."""
    scores = classifier.score_vectors(vectors)
    sector_scores = classifier.sector_scores(vectors)
    real = np.asarray([ex.source != "written" for ex in rows], dtype=bool)
    out: dict = {}
    if real.any():
        picked = [ex for ex, r in zip(rows, real, strict=True) if r]
        out[REAL_TEST] = _split_metrics(classifier, picked, scores[real], sector_scores[real])
        out[REAL_TEST]["reliability"] = {
            label: reliability(np.asarray([ex.labels[label] for ex in picked]), scores[real, j])
            for j, label in enumerate(classifier.labels)}
    written = [ex for ex, r in zip(rows, real, strict=True) if not r]
    out.update(_split_metrics(classifier, written, scores[~real], sector_scores[~real]))
    return out


def evaluate(classifier: Classifier, examples: list[Example]) -> dict[str, dict]:
    """Per-label precision, recall, F1, confusion counts and calibration on the test splits (see
    test_metrics), and under "sectors" the sector tags' scores when the model has sector heads."""
    test = [ex for ex in examples if ex.split == "test"]
    vectors = classifier.encoder.encode_documents([ex.title for ex in test], [ex.text for ex in test],
                                                  classifier.max_chunks)
    return test_metrics(classifier, test, vectors)


def label_rows(metrics: dict) -> list[tuple[str, str, dict]]:
    """(split, label, metrics) rows of a metrics.json: the real test split first, then the written."""
    rows = []
    for split, block in ((REAL_TEST, metrics.get(REAL_TEST) or {}), ("test", metrics)):
        name = "real test" if split == REAL_TEST else "written test"
        rows += [(name, label, m) for label, m in block.items() if label not in ("sectors", "reliability", REAL_TEST)]
        if "sectors" in block:
            rows.append((name, "sector tags (micro)", block["sectors"]["micro"]))
    return rows
