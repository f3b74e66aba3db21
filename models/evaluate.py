"""Evaluation of a trained artifact on the fixed test split, exactly as prediction sees articles."""

from __future__ import annotations

import numpy as np

from models.classifier import Classifier
from models.dataset import Example
from models.metrics import compute_metrics


def evaluate(classifier: Classifier, examples: list[Example]) -> dict[str, dict]:
    """Per-label precision, recall, F1 and confusion counts on the test split."""
    test = [ex for ex in examples if ex.split == "test"]
    vectors = classifier.encoder.encode_documents([ex.title for ex in test], [ex.text for ex in test],
                                                  classifier.max_chunks)
    scores = classifier.score_vectors(vectors)
    truth = np.asarray([[ex.labels[label] for label in classifier.labels] for ex in test])
    return compute_metrics(truth, scores, classifier.thresholds, classifier.labels)
