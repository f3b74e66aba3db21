"""The comparison's held-out fold (models.analysis.compare): the real training articles that
`newsmon train --method finetune` keeps out of fine-tuning, on which frozen head variants and
trained models are set side by side; and the card's table that shows it."""

import json

import numpy as np
import pytest

from models import artifact
from models.analysis.compare import _heldout_metrics, heldout_rows
from models.card import Evidence, render_card
from models.dataset import Example
from models.train import TrainConfig, held_out_config, held_out_of_tuning, story_folds


def _examples() -> list[Example]:
    rows = []
    for k in range(60):
        labels = {"integration": int(k % 3 == 0), "decentralization": int(k % 4 == 0)}
        rows.append(Example(id=f"w{k}", title=f"written {k}", text="text", labels=labels))
    for k in range(80):
        labels = {"integration": int(k % 2 == 0), "decentralization": int(k % 5 < 2)}
        # two reports of each story, from two outlets
        rows.append(Example(id=f"r{k}", title=f"real {k}", text="text", labels=labels, source="realnews",
                            group=f"story{k // 2}", split="test" if k >= 70 else "train"))
    return rows


def test_the_held_out_fold_is_real_training_articles_of_whole_stories():
    examples, config = _examples(), TrainConfig()
    held = heldout_rows(examples, config)
    assert held and all(examples[i].source != "written" and examples[i].split == "train" for i in held)
    # the same fold the fine-tuning method holds out (story_folds over the real training articles, fold 0)
    train = [e for e in examples if e.split == "train"]
    real = [e for e in train if e.source != "written"]
    expected = {e.id for e, k in zip(real, story_folds(real, config.folds, config.seed), strict=True) if k == 0}
    assert {examples[i].id for i in held} == expected
    stories = {examples[i].story for i in held}
    assert all(e.id in expected for e in train if e.story in stories)
    assert 0.1 < len(held) / sum(e.source != "written" for e in train) < 0.35


def test_written_examples_added_later_never_move_the_held_out_fold():
    examples, config = _examples(), TrainConfig()
    held = {examples[i].id for i in heldout_rows(examples, config)}
    more = examples + [Example(id=f"x{k}", title=f"more {k}", text="text",
                               labels={"integration": k % 2, "decentralization": int(k % 3 == 0)}) for k in range(45)]
    assert {more[i].id for i in heldout_rows(more, config)} == held
    # the rule before TrainConfig.held_out_from: the fold drawn from every training row, which the
    # added examples reshuffle (the shipped teachers up to finetune-97e1e2845f were made so)
    before = TrainConfig(held_out_from="all")
    train = [e for e in more if e.split == "train"]
    everyone = {e.id for e, k in zip(train, story_folds(train, before.folds, before.seed), strict=True)
                if k == 0 and e.source != "written"}
    assert {more[i].id for i in heldout_rows(more, before)} == everyone != held


def test_held_out_average_precision_ranks_without_a_threshold():
    rows = [Example(id=str(k), title="t", text="x", labels={"integration": k % 2, "decentralization": int(k < 2)})
            for k in range(6)]
    perfect = np.asarray([[0.9 if r.labels["integration"] else 0.1, 0.8 if r.labels["decentralization"] else 0.2]
                          for r in rows])
    out = _heldout_metrics(rows, perfect, {"integration": 0.95, "decentralization": 0.95})
    # a threshold above every score flags nothing, yet the ranking is perfect
    assert out["integration"]["f1"] == 0 and out["integration"]["average_precision"] == 1.0
    out = _heldout_metrics(rows, 1 - perfect, {"integration": 0.5, "decentralization": 0.5})
    assert out["integration"]["average_precision"] < 0.6


def test_the_card_shows_the_held_out_column_and_a_model_trained_end_to_end():
    shipped = artifact.shipped_model()
    config = json.loads((shipped / "config.json").read_text(encoding="utf-8"))
    metrics = json.loads((shipped / "metrics.json").read_text(encoding="utf-8"))
    block = {label: {"precision": 0.5, "recall": 0.5, "f1": 0.5, "average_precision": 0.625}
             for label in config["labels"]}
    comparison = {"winner": "tuned", "data_snapshot": config["data_snapshot"], "real_train_examples": 7,
                  "heldout_examples": 3, "chosen_by": "held-out average precision",
                  "rows": [{"name": "heads", "cv_real_train": block, "heldout_fold": block, "real_test": block,
                            "written_test": block},
                           {"name": "tuned", "heldout_fold": block, "real_test": block, "written_test": block},
                           {"name": "pupil", "heldout_fold": block, "read_heldout": True, "real_test": block,
                            "written_test": block}]}
    card = render_card(config, metrics, evidence=Evidence(comparison=json.loads(json.dumps(comparison))))
    assert "held-out fold average precision" in card and "the 3 real training articles" in card
    assert "| **tuned** (chosen) | - (trained end to end) | 0.625 / 0.625 |" in card
    assert "| pupil | - (trained end to end) | 0.625 / 0.625 (read them: not on unseen text) |" in card


def test_a_student_that_read_the_held_out_fold_is_no_finalist():
    from models.analysis.compare import read_the_heldout_fold, winner

    def block(value: float) -> dict:
        return {label: {"f1": value, "average_precision": value} for label in ("integration", "decentralization")}

    assert read_the_heldout_fold({"distillation": {"windows": 10}})
    assert not read_the_heldout_fold({"distillation": {"windows": 10, "unread_articles": 204}})
    assert not read_the_heldout_fold({"method": "finetune"})  # a teacher never reads its own held-out fold
    rows = [{"name": "heads a", "cv_real_train": block(0.8), "heldout_fold": block(0.99)},
            {"name": "heads b", "cv_real_train": block(0.7), "heldout_fold": block(0.5)},
            {"name": "teacher", "heldout_fold": block(0.92)},
            {"name": "student that read it", "heldout_fold": block(0.95), "read_heldout": True},
            {"name": "student", "heldout_fold": block(0.91)}]
    # among head variants only the cross-validated best is a finalist, whatever its held-out figure
    assert winner(rows)["name"] == "heads a"
    rows[0]["heldout_fold"] = block(0.6)
    assert winner(rows)["name"] == "teacher"  # not the student whose 0.95 came from reading the fold
    rows[2]["heldout_fold"] = block(0.90)
    assert winner(rows)["name"] == "student"


def test_each_held_out_fold_is_another_fifth_of_whole_stories_and_fold_0_is_the_default():
    examples = _examples()
    train = [e for e in examples if e.split == "train"]
    real = {e.id for e in train if e.source != "written"}
    folds = [held_out_of_tuning(train, TrainConfig(held_out_fold=k))[0] for k in range(TrainConfig.folds)]
    assert folds[0] == held_out_of_tuning(train, TrainConfig())[0]
    # the five folds split the real training articles between them, each story in one fold
    assert set().union(*folds) == real and sum(map(len, folds)) == len(real)
    story = {e.id: e.story for e in train}
    assert all({story[i] for i in a}.isdisjoint({story[i] for i in b})
               for j, a in enumerate(folds) for b in folds[j + 1:])
    # a model's config.json gives back the fold it held out
    config = {"seed": TrainConfig.seed, "training": {"held_out_from": "real", "held_out_fold": 3}}
    assert held_out_of_tuning(train, held_out_config(config))[0] == folds[3]
    assert held_out_of_tuning(train, held_out_config({"seed": TrainConfig.seed,
                                                      "training": {"held_out_from": "real"}}))[0] == folds[0]


def test_a_held_out_fold_past_the_last_is_refused_by_name():
    with pytest.raises(ValueError, match="held_out_fold must be 0-4, not 5"):
        held_out_of_tuning([e for e in _examples() if e.split == "train"], TrainConfig(held_out_fold=5))
