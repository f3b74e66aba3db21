"""Threshold choice and calibration measures."""

import numpy as np

from models.metrics import best_threshold, calibration


def test_threshold_lands_mid_plateau_not_on_a_lone_spike():
    # negatives up to 0.2, positives from 0.6: every cut between them is perfect; the chosen cut
    # is the middle of that gap, not its edge
    truth = np.array([0] * 20 + [1] * 20)
    scores = np.concatenate([np.linspace(0.0, 0.2, 20), np.linspace(0.6, 1.0, 20)])
    assert 0.35 <= best_threshold(truth, scores) <= 0.45

    # one positive alone at 0.93 among negatives up to 0.95: cutting just below it wins F1 at one
    # point only; the broad plateau of the other positives (0.30-0.50) wins on average
    truth = np.array([0] * 30 + [1] * 12 + [1])
    scores = np.concatenate([np.linspace(0.0, 0.28, 28), [0.94, 0.95], np.linspace(0.5, 0.9, 12), [0.93]])
    cut = best_threshold(truth, scores)
    assert 0.28 < cut <= 0.5


def test_calibration_measures():
    truth = np.array([1, 0] * 50)
    assert calibration(truth, np.full(100, 0.5)) == {"brier": 0.25, "ece": 0.0}
    off = calibration(truth, np.full(100, 0.9))
    assert off["ece"] == 0.4 and off["brier"] == 0.41
