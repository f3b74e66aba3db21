"""What helps on real news: training data mixes, window pooling and encoders, measured on the real
test split (the written split beside it), chosen by cross-validation on the real training articles.

Usage: python -m models.compare [--trained MODEL_DIR] [--finetuned ENCODER_DIR] [--cache DIR]
       (writes models/comparison.json)

Every variant is a logistic head per label on document vectors, fitted and thresholded exactly as
`newsmon train` does (models.train.fit_heads: C and thresholds from 5-fold out-of-fold F1 on the
real training articles, folds grouped by story). The encoder's window vectors are computed once and
cached (--cache, default data/cache/vectors, where `newsmon train` keeps them too), so each variant costs seconds:
- data: written only / real only / both / both with each real article weighted 2x and 4x;
- pooling of an article's windows: token-weighted mean (production), element-wise max, first window;
- encoder: the frozen MiniLM, and with --finetuned a fine-tuned encoder directory (its vectors under
  the same heads);
- with --trained, a model `newsmon train` wrote (NEWSMON_MODEL__METHOD=finetune: the encoder tuned
  end to end with its own head), measured as it scores.

Every row is also measured on the held-out fold: the real training articles of the first
story-grouped fold, which `newsmon train --method finetune` holds out of fine-tuning to set its
thresholds; head variants are scored there by heads fitted without them. The choice: among head
variants, the best mean cross-validated F1 on the real training articles; that one against each
trained model, the best mean average precision on the held-out fold (threshold-free, since a
trained model's thresholds come from that fold). The test splits are reported, never used to
choose. The model card shows the table.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from models.analysis.results import COMPARISON, write_result
from models.dataset import Example, load_examples, snapshot_hash
from models.metrics import binary_metrics
from newsmon.domain import LABELS

POOLINGS = {"mean": "token-weighted mean of windows", "max": "element-wise max of windows", "first": "first window"}
DATA_MIXES = (("written", 1.0), ("real", 1.0), ("both", 1.0), ("both", 2.0), ("both", 4.0))


def _window_cache(encoder_location: str, examples: list[Example], max_length: int, max_chunks: int,
                  cache: Path, normalize: bool, progress) -> dict[str, np.ndarray]:
    """Window vectors of every example (owner, token count), from the cache (models.vectors) where
    this encoder and reading budget read them before."""
    from models.encoder import Encoder
    from models.vectors import window_vectors

    progress(f"window vectors of {len(examples)} articles from {encoder_location} (cache: {cache})")
    encoder = Encoder(encoder_location, max_length=max_length, normalize=normalize)
    found = window_vectors(encoder, [e.title for e in examples], [e.text for e in examples], max_chunks, cache)
    return {"vectors": found.vectors, "owner": found.owner, "lengths": found.lengths}


def pool(windows: dict[str, np.ndarray], documents: int, how: str, normalize: bool = True) -> np.ndarray:
    """Document vectors from window vectors: token-weighted mean (as models.encoder.Encoder.pool),
    element-wise max, or the first window."""
    vectors, owner, lengths = windows["vectors"], windows["owner"], windows["lengths"].astype(np.float32)
    docs = np.zeros((documents, vectors.shape[1]), dtype=np.float32)
    if how == "mean":
        np.add.at(docs, owner, vectors * lengths[:, None])
        if not normalize:
            docs /= np.clip(np.bincount(owner, weights=lengths, minlength=documents), 1, None)[:, None]
    elif how == "max":
        docs[:] = -np.inf
        np.maximum.at(docs, owner, vectors)
    elif how == "first":
        first = np.unique(owner, return_index=True)[1]
        docs[owner[first]] = vectors[first]
    else:
        raise ValueError(f"unknown pooling {how!r}")
    if normalize:
        docs /= np.clip(np.linalg.norm(docs, axis=1, keepdims=True), 1e-9, None)
    return docs


def _scores(x: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    from models.classifier import probabilities

    return probabilities(x, coef, intercept)


def _split_metrics(rows: list[Example], scores: np.ndarray, thresholds: dict[str, float]) -> dict:
    return {label: binary_metrics(np.asarray([r.labels[label] for r in rows]), scores[:, j] >= thresholds[label])
            for j, label in enumerate(LABELS)}


def variant(x: np.ndarray, examples: list[Example], data: str, real_weight: float, config) -> dict:
    """Fit the heads on the chosen training rows (models.train.fit_heads) and measure: the
    cross-validated F1 on the real training articles (for written-only training, whose folds hold
    no real article, its scores of them: they are all unseen), and the two test splits."""
    from models.train import fit_heads

    index = {"written": lambda e: e.source == "written", "real": lambda e: e.source != "written",
             "both": lambda e: True}[data]
    train = [i for i, e in enumerate(examples) if e.split == "train" and index(e)]
    rows = [examples[i] for i in train]
    coef, intercept, thresholds, details = fit_heads(x[train], rows, replace(config, real_weight=real_weight))
    real_train = [i for i, e in enumerate(examples) if e.split == "train" and e.source != "written"]
    if data == "written":
        cv = _split_metrics([examples[i] for i in real_train], _scores(x[real_train], coef, intercept), thresholds)
    else:
        cv = details["cross_validated"]
    out = {"cv_real_train": cv, "thresholds": thresholds, "regularization_C": details["regularization_C"]}
    for name, real in (("real_test", True), ("written_test", False)):
        test = [i for i, e in enumerate(examples) if e.split == "test" and (e.source != "written") == real]
        out[name] = _split_metrics([examples[i] for i in test], _scores(x[test], coef, intercept), thresholds)
    # the held-out fold: heads fitted without it (written-only heads never saw a real article)
    held = heldout_rows(examples, config)
    if data != "written":
        from models.train import _out_of_fold

        position = {i: k for k, i in enumerate(train)}
        held_at = np.asarray([position[i] for i in held])
        fit_at = np.setdiff1d(np.arange(len(train)), held_at)
        weights = np.asarray([real_weight if examples[i].source != "written" else 1.0 for i in train])
        scores = np.column_stack([
            _out_of_fold(x[train], np.asarray([examples[i].labels[label] for i in train]), [(fit_at, held_at)],
                         details["regularization_C"][label], weights)[held_at] for label in LABELS])
    else:
        scores = _scores(x[held], coef, intercept)
    out["heldout_fold"] = _heldout_metrics([examples[i] for i in held], scores, thresholds)
    return out


def heldout_rows(examples: list[Example], config) -> list[int]:
    """The real training articles of the first story-grouped fold of the training split: the ones
    `newsmon train --method finetune` holds out of fine-tuning (models.train._train_finetuned), so
    every variant, frozen or fine-tuned, can be measured on text its encoder and heads never saw."""
    from models.train import held_out_of_tuning

    train = [i for i, e in enumerate(examples) if e.split == "train"]
    _, held = held_out_of_tuning([examples[i] for i in train], config)
    ids = {r.id for r in held}
    return [i for i in train if examples[i].id in ids]


def _heldout_metrics(rows: list[Example], scores: np.ndarray, thresholds: dict[str, float]) -> dict:
    """F1 at the variant's thresholds and average precision (threshold-free: fair to a model whose
    thresholds were chosen on this fold) on the held-out fold."""
    from sklearn.metrics import average_precision_score

    out = _split_metrics(rows, scores, thresholds)
    for j, label in enumerate(LABELS):
        out[label]["average_precision"] = round(float(average_precision_score(
            [r.labels[label] for r in rows], scores[:, j])), 4)
    return out


def read_the_heldout_fold(facts: dict) -> bool:
    """Whether a model (its config.json) learned from the held-out fold's texts: a student distilled
    with DistillConfig.read_held_out on (every student before the option) read them as its
    teacher's vectors, so its figures there are not on unseen text."""
    distilled = facts.get("distillation")
    return bool(distilled) and not distilled.get("unread_articles")


def winner(rows: list[dict]) -> dict:
    """The best head variant (mean cross-validated real-train F1) against each model trained end to
    end, by mean average precision on the held-out fold, threshold-free; a model that read that fold
    is no finalist."""
    heads = [r for r in rows if "cv_real_train" in r]
    finalists = ([max(heads, key=lambda r: np.mean([m["f1"] for m in r["cv_real_train"].values()]))] if heads
                 else []) + [r for r in rows if "cv_real_train" not in r and not r.get("read_heldout")]
    return max(finalists, key=lambda r: np.mean([m["average_precision"] for m in r["heldout_fold"].values()]))


def trained_row(path: Path, examples: list[Example], cache: Path, config, progress) -> dict:
    """A model `newsmon train` wrote (e.g. NEWSMON_MODEL__METHOD=finetune), measured as it scores:
    its own encoder, heads and thresholds, on the two test splits and the held-out fold."""
    from models.classifier import Classifier

    model = Classifier.load(path)
    facts = model.config
    held = heldout_rows(examples, config)
    wanted = held + [i for i, e in enumerate(examples) if e.split == "test"]
    rows = [examples[i] for i in wanted]
    location = str(path / facts["encoder"]) if facts.get("encoder") else facts["base_model"]
    windows = _window_cache(location, rows, facts["max_length"], facts["max_chunks"], cache,
                            facts.get("normalize", True), progress)
    scores = model.score_vectors(pool(windows, len(rows), "mean", facts.get("normalize", True)))
    thresholds = facts["thresholds"]
    out = {"name": f"{facts['method']} {path.name} (newsmon train), {POOLINGS['mean']}, written + real",
           "encoder": facts["method"], "encoder_location": path.name, "pooling": "mean", "data": "both",
           "real_weight": 1.0, "thresholds": thresholds,
           "threshold_source": facts.get("training", {}).get("threshold_source"),
           **({"read_heldout": True} if read_the_heldout_fold(facts) else {})}
    at = {i: k for k, i in enumerate(wanted)}
    out["heldout_fold"] = _heldout_metrics([examples[i] for i in held], scores[[at[i] for i in held]], thresholds)
    for name, real in (("real_test", True), ("written_test", False)):
        test = [i for i, e in enumerate(examples) if e.split == "test" and (e.source != "written") == real]
        out[name] = _split_metrics([examples[i] for i in test], scores[[at[i] for i in test]], thresholds)
    return out


def compare(finetuned: list[Path], cache: Path, progress=print, trained: tuple[Path, ...] = ()) -> dict:
    from models.realnews import default_corpus_dir
    from models.train import TrainConfig

    corpus = default_corpus_dir()
    if corpus is None:
        raise SystemExit("error: no real-news corpus at ../shared/realnews: the comparison needs it")
    examples = load_examples(extra_data=corpus)
    config = TrainConfig()
    rows = []
    encoders = [("frozen", config.base_model, True)] + [("fine-tuned", str(path), False) for path in finetuned]
    for kind, location, normalize in encoders:
        windows = _window_cache(location, examples, config.max_length, config.max_chunks, cache, normalize, progress)
        poolings = POOLINGS if kind == "frozen" else {"mean": POOLINGS["mean"]}
        for how in poolings:
            x = pool(windows, len(examples), how, normalize)
            mixes = DATA_MIXES if (kind, how) == ("frozen", "mean") else (("both", 1.0),)
            for data, weight in mixes:
                started = time.monotonic()
                result = variant(x, examples, data, weight, config)
                name = (f"{kind} {Path(location).name if kind != 'frozen' else config.base_model}, {POOLINGS[how]}, "
                        + {"written": "written only", "real": "real only", "both": "written + real"}[data]
                        + (f" (real weighted {weight:g}x)" if data == "both" and weight != 1.0 else ""))
                row = {"name": name, "encoder": kind, "encoder_location": location if kind != "frozen" else None,
                       "pooling": how, "data": data, "real_weight": weight,
                       "seconds": round(time.monotonic() - started, 1)} | result
                f1 = {k: " / ".join(f"{m['f1']:.3f}" for m in result[k].values())
                      for k in ("cv_real_train", "real_test")}
                progress(f"{name}: CV real-train F1 {f1['cv_real_train']}, real test F1 {f1['real_test']}")
                rows.append(row)
    for path in trained:
        row = trained_row(path, examples, cache, config, progress)
        ap = " / ".join(f"{m['average_precision']:.3f}" for m in row["heldout_fold"].values())
        progress(f"{row['name']}: held-out fold average precision {ap}")
        rows.append(row)
    return {"data_snapshot": snapshot_hash(examples),
            "real_test_examples": sum(e.split == "test" and e.source != "written" for e in examples),
            "written_test_examples": sum(e.split == "test" and e.source == "written" for e in examples),
            "real_train_examples": sum(e.split == "train" and e.source != "written" for e in examples),
            "chosen_by": "among head variants, mean cross-validated F1 on the real training articles (5 folds "
                         "grouped by story); that one against each model trained end to end, mean average "
                         "precision on the real articles held out of fine-tuning (the first story fold; a "
                         "student that read them while it was distilled is no finalist)",
            "heldout_examples": len(heldout_rows(examples, config)),
            "winner": winner(rows)["name"], "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.compare")
    parser.add_argument("--finetuned", type=Path, action="append", default=[],
                        help="a fine-tuned encoder directory to compare too (repeatable)")
    parser.add_argument("--cache", type=Path, default=Path("data") / "cache" / "vectors",
                        help="where window vectors are cached (newsmon train's frozen method reads the same)")
    parser.add_argument("--trained", type=Path, action="append", default=[],
                        help="a model directory newsmon train wrote (e.g. method finetune), measured as it scores")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    for path in args.trained:
        if not (path / "config.json").exists() or not (path / "heads.safetensors").exists():
            print(f"error: {path} is not a model directory newsmon train wrote", file=sys.stderr)
            return 2
    for path in args.finetuned:
        if not (path / "config.json").exists():
            print(f"error: {path} is not an encoder directory (no config.json)", file=sys.stderr)
            return 2
    result = compare(args.finetuned, args.cache, trained=tuple(args.trained))
    path = write_result(COMPARISON, result)
    print(f"winner ({result['chosen_by']}): {result['winner']}\nwritten {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
