"""benchmarks.cuts: F1 at every cut, which tells a badly placed cut from a weak ranking."""

import numpy as np

from benchmarks.cuts import at
from models.metrics import CUT_GRID, f1_by_cut


def test_f1_by_cut_peaks_where_the_scores_separate_the_labels():
    truth = np.asarray([1, 1, 1, 0, 0, 0, 0, 0])
    scores = np.asarray([0.9, 0.8, 0.45, 0.4, 0.3, 0.2, 0.1, 0.05])
    curve = f1_by_cut(truth, scores)
    assert curve.shape == CUT_GRID.shape
    assert at(curve, 0.45) == 1.0 and at(curve, 0.42) == 1.0  # any cut between 0.40 and 0.45 is perfect
    assert at(curve, 0.40) < 1.0 and at(curve, 0.46) < 1.0
    assert at(curve, 0.85) == 0.5  # one of three found, none wrongly
    assert curve.max() == 1.0 and CUT_GRID[int(curve.argmax())] == 0.41
