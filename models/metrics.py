"""Pure metric functions: per-label precision, recall, F1 and confusion counts; threshold choice."""

from __future__ import annotations

import numpy as np


def binary_metrics(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float | int]:
    truth = truth.astype(bool)
    predicted = predicted.astype(bool)
    tp = int((truth & predicted).sum())
    fp = int((~truth & predicted).sum())
    fn = int((truth & ~predicted).sum())
    tn = int((~truth & ~predicted).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "tp": tp, "fp": fp, "fn": fn, "tn": tn, "support": tp + fn}


def compute_metrics(truth: np.ndarray, scores: np.ndarray, thresholds: np.ndarray,
                    labels: tuple[str, ...]) -> dict[str, dict]:
    """truth and scores are (n, labels); one metrics dict per label."""
    return {label: binary_metrics(truth[:, j], scores[:, j] >= thresholds[j])
            for j, label in enumerate(labels)}


def best_threshold(truth: np.ndarray, scores: np.ndarray) -> float:
    """The score cut that maximises F1 on held-out scores (midpoint between neighbouring scores)."""
    candidates = np.unique(np.round(scores, 4))
    best, best_f1 = 0.5, -1.0
    for cut in candidates:
        f1 = binary_metrics(truth, scores >= cut)["f1"]
        if f1 > best_f1:
            best, best_f1 = float(cut), f1
    return round(best, 4)


def prediction_f1(truth_rows: list[dict[str, int]], flagged_rows: list[list[str]], labels) -> dict[str, float]:
    """Per-label F1 of predicted label lists against {label: 0/1} truths, row by row."""
    return {label: binary_metrics(np.asarray([t[label] for t in truth_rows]),
                                  np.asarray([label in f for f in flagged_rows]))["f1"]
            for label in labels}


def sector_metrics(rows: list, scores: np.ndarray, tags: list[str],
                   thresholds: dict[str, float]) -> dict:
    """Per-sector and micro-averaged precision/recall/F1 of the sector tags."""
    truth = np.asarray([[int(t in r.sectors) for t in tags] for r in rows]).reshape(len(rows), len(tags))
    predicted = scores >= np.asarray([thresholds[t] for t in tags])
    per = {t: binary_metrics(truth[:, j], predicted[:, j]) for j, t in enumerate(tags)}
    return {"micro": binary_metrics(truth.ravel(), predicted.ravel()), "per_sector": per}
