"""With real articles in the training data, the heads' thresholds come from the real articles'
out-of-fold scores (folds grouped by story), not from the written examples'."""

import numpy as np
from sklearn.linear_model import LogisticRegression

from models.dataset import Example
from models.metrics import best_threshold
from models.train import FROZEN, TrainConfig, fit_heads, story_folds


def _rows_and_vectors():
    rng = np.random.default_rng(7)
    rows, vectors = [], []
    for i in range(200):
        real = i >= 100
        labels = {"integration": int(rng.random() < 0.4), "decentralization": int(rng.random() < 0.4)}
        # written examples are far apart by label; real ones overlap (their best cut differs)
        spread = 0.6 if real else 2.5
        vector = rng.normal(size=8) + spread * np.asarray([labels["integration"], labels["decentralization"]] + [0] * 6)
        rows.append(Example(id=f"{'r' if real else 'w'}-{i:03d}", title="t", text="x", labels=labels,
                            source="realnews" if real else "written", group=f"story-{i // 3}" if real else None))
        vectors.append(vector)
    return rows, np.asarray(vectors, dtype=np.float32)


def test_thresholds_are_the_real_articles_cross_validated_cuts():
    rows, x = _rows_and_vectors()
    config = TrainConfig(method=FROZEN)
    _, _, thresholds, details = fit_heads(x, rows, config)
    real = np.asarray([r.source == "realnews" for r in rows])
    fold = story_folds(rows, config.folds, config.seed)
    weights = np.where(real, config.real_weight, 1.0)  # real articles weigh more in the fit
    for label in ("integration", "decentralization"):
        y = np.asarray([r.labels[label] for r in rows])
        oof = np.zeros(len(rows))
        for k in range(config.folds):
            model = LogisticRegression(C=details["regularization_C"][label], class_weight="balanced", max_iter=2000)
            model.fit(x[fold != k], y[fold != k], sample_weight=weights[fold != k])
            oof[fold == k] = model.predict_proba(x[fold == k])[:, 1]
        assert thresholds[label] == best_threshold(y[real], oof[real])
        assert details["cross_validated"][label]["support"] == int(y[real].sum())
    assert "100 real training articles (folds grouped by story)" in details["threshold_source"]


def test_story_folds_keep_a_story_in_one_fold():
    rows, _ = _rows_and_vectors()
    fold = story_folds(rows, 5, 13)
    by_story: dict[str, set[int]] = {}
    for row, k in zip(rows, fold, strict=True):
        by_story.setdefault(row.story, set()).add(int(k))
    assert all(len(ks) == 1 for ks in by_story.values())
    assert set(fold.tolist()) == set(range(5))


def test_without_real_articles_thresholds_come_from_every_row():
    rows, x = _rows_and_vectors()
    written = [i for i, r in enumerate(rows) if r.source == "written"]
    _, _, _, details = fit_heads(x[written], [rows[i] for i in written], TrainConfig(method=FROZEN))
    assert details["threshold_source"] == "5-fold out-of-fold scores"
    assert details["cross_validated"]["integration"]["support"] == sum(rows[i].labels["integration"] for i in written)
