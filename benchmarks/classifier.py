"""The classifier: how long articles are read, and how fast articles are scored.

Usage: python -m benchmarks.classifier [MODEL_DIR]   (default: the newest artifact under data/models)

1. Reading long articles. Every test-split article is cut into 256-token windows (title repeated in
   each); the table compares ways to turn windows into one verdict with the model's own thresholds:
   the first window only (what a 256-token truncation sees), the mean of the window vectors (what
   newsmon does), and the highest window score. Per label, on all test articles and on the long ones
   (more than one window).
2. Speed. Articles of news length (synthetic, built from the test split's sentences) scored by the
   plain transformers text-classification pipeline on the same encoder (model load included,
   default batch size), and by newsmon (length-sorted batches under inference_mode, float32 and int8
   dynamic quantization), with each variant's per-label F1 on the test split. Throughput in
   articles/s and tokens/s, and the share of this machine's measured float32 matmul peak reached
   (2 x non-embedding parameters FLOPs per token; attention adds a little on top).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from models.classifier import Classifier
from models.dataset import load_examples
from models.metrics import binary_metrics, prediction_f1
from models.train import model_dir_or_exit


def _pooling_rows(classifier: Classifier) -> list[list[str]]:
    test = [ex for ex in load_examples() if ex.split == "test"]
    encoder = classifier.encoder
    chunks = encoder.chunk([ex.title for ex in test], [ex.text for ex in test], classifier.max_chunks)
    vectors = encoder.encode(chunks.texts)
    owner = chunks.owner
    n = len(test)
    windows = np.bincount(owner, minlength=n)
    first = np.zeros((n, encoder.dim), dtype=np.float32)
    seen = set()
    for i, doc in enumerate(owner):
        if doc not in seen:
            first[doc] = vectors[i]
            seen.add(doc)
    mean = np.zeros((n, encoder.dim), dtype=np.float32)
    np.add.at(mean, owner, vectors)
    if encoder.normalize:
        mean /= np.clip(np.linalg.norm(mean, axis=1, keepdims=True), 1e-9, None)
    else:
        mean /= np.clip(windows, 1, None)[:, None]
    chunk_scores = classifier.score_vectors(vectors)
    max_scores = np.zeros((n, len(classifier.labels)))
    np.maximum.at(max_scores, owner, chunk_scores)
    variants = {"first window only": classifier.score_vectors(first),
                "mean of windows (newsmon)": classifier.score_vectors(mean),
                "highest window score": max_scores}
    long = windows > 1
    rows = []
    for name, scores in variants.items():
        row = [name]
        for j, label in enumerate(classifier.labels):
            truth = np.asarray([ex.labels[label] for ex in test])
            predicted = scores[:, j] >= classifier.thresholds[j]
            row.append(f"{binary_metrics(truth, predicted)['f1']:.3f}")
            row.append(f"{binary_metrics(truth[long], predicted[long])['f1']:.3f}")
        rows.append(row)
    return rows, int(long.sum()), n


def _articles(count: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """News-length articles (80-900 words) assembled from the test split's sentences."""
    rng = random.Random(seed)
    sentences = [s for ex in load_examples() for s in ex.text.replace("\n", " ").split(". ") if len(s) > 30]
    titles, texts = [], []
    for _ in range(count):
        words = rng.choice((80, 150, 300, 500, 900))
        body: list[str] = []
        while sum(len(s.split()) for s in body) < words:
            body.append(rng.choice(sentences))
        titles.append(rng.choice(sentences)[:90])
        texts.append(". ".join(body) + ".")
    return titles, texts


def _matmul_peak(torch) -> float:
    """FLOP/s of a large float32 matrix multiply on this machine: the practical CPU peak."""
    a = torch.randn(2048, 2048)
    b = torch.randn(2048, 2048)
    torch.mm(a, b)
    started = time.perf_counter()
    repeats = 5
    for _ in range(repeats):
        torch.mm(a, b)
    return repeats * 2 * 2048 ** 3 / (time.perf_counter() - started)


def _test_f1(classifier: Classifier) -> list[str]:
    test = [ex for ex in load_examples() if ex.split == "test"]
    predictions = classifier.predict([ex.title for ex in test], [ex.text for ex in test], evidence=False)
    scores = prediction_f1([ex.labels for ex in test], [p.labels for p in predictions], classifier.labels)
    return [f"{f1:.3f}" for f1 in scores.values()]


def _speed_rows(path: Path, count: int) -> tuple[list[list[str]], float]:
    import torch
    from transformers import pipeline as hf_pipeline

    classifier = Classifier.load(path)
    encoder = classifier.encoder
    titles, texts = _articles(count)
    params = sum(p.numel() for name, p in encoder.model.named_parameters() if "embeddings" not in name)
    peak = _matmul_peak(torch)
    rows = []

    def tokens_of(pieces: list[str]) -> int:
        encoded = encoder.tokenizer(pieces, truncation=True, max_length=encoder.max_length)
        return sum(len(ids) for ids in encoded["input_ids"])

    # (a) the plain transformers pipeline on the same encoder: model load included, default batch
    # size, one 512-token window per article (its classification head is untrained: speed only)
    location = str(path / classifier.config["encoder"]) if classifier.config.get("encoder") else None
    from models.encoder import resolve_base_model

    location = location or resolve_base_model(classifier.config["base_model"])
    started = time.perf_counter()
    plain = hf_pipeline("text-classification", model=location, truncation=True, device="cpu")
    inputs = [f"{t}\n{x}" for t, x in zip(titles, texts, strict=True)]
    plain(inputs)
    seconds = time.perf_counter() - started
    plain_tokens = sum(min(len(ids), 512) for ids in plain.tokenizer(inputs, truncation=True)["input_ids"])
    plain_rate = count / seconds
    share = 100 * 2 * params * plain_tokens / seconds / peak
    rows.append(["transformers pipeline (load included, 1 window of 512)", f"{plain_rate:.1f}", "1.0x",
                 f"{plain_tokens / seconds:,.0f}", f"{share:.0f}%", "-", "-"])

    variants = (("newsmon, float32 (load included)", False),
                ("newsmon, int8 dynamic quantization (load included)", True))
    for name, quantize in variants:
        started = time.perf_counter()
        variant = Classifier.load(path, quantize=quantize)
        variant.predict(titles, texts, evidence=False)
        seconds = time.perf_counter() - started
        tokens = tokens_of(variant.encoder.chunk(titles, texts, variant.max_chunks).texts)
        share = 100 * 2 * params * tokens / seconds / peak
        rows.append([name, f"{count / seconds:.1f}", f"{count / seconds / plain_rate:.1f}x", f"{tokens / seconds:,.0f}",
                     f"{share:.0f}%", *_test_f1(variant)])
    return rows, peak


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = model_dir_or_exit(args)
    classifier = Classifier.load(path)
    console = Console(width=140)
    rows, long, total = _pooling_rows(classifier)
    table = Table("windows to verdict", *(f"{label} F1 ({scope})" for label in classifier.labels
                                          for scope in ("all", "long")),
                  title=f"Reading long articles: {total} test articles, {long} longer than one window; "
                        f"model {classifier.version}")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    speed, peak = _speed_rows(path, 300)
    table = Table("scoring", "articles/s", "vs pipeline", "tokens/s", "of matmul peak",
                  *(f"{label} F1" for label in classifier.labels),
                  title=f"Scoring speed, 300 news-length articles, up to {classifier.max_chunks} windows of "
                        f"{classifier.config['max_length']} tokens, {torch_threads()} threads; "
                        f"matmul peak {peak / 1e9:.0f} GFLOP/s")
    for row in speed:
        table.add_row(*row)
    console.print(table)
    return 0


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


if __name__ == "__main__":
    sys.exit(main())
