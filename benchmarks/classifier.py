"""The classifier: how long articles are read, and how fast articles are scored.

Usage: python -m benchmarks.classifier [MODEL_DIR]   (default: the newest artifact under data/models)

1. Reading long articles. Every test-split article is cut into 256-token windows (title repeated in
   each); the table compares ways to turn windows into one verdict with the model's own thresholds:
   the first window only (what a 256-token truncation sees), the mean of the window vectors (what
   newsmon does), and the highest window score. Per label, on all test articles and on the long ones
   (more than one window).
2. Speed. Articles of news length (synthetic, built from the test split's sentences) scored three
   ways: one at a time, as a naive loop would; in batches in input order; and as newsmon does, in
   length-sorted batches under inference_mode. Throughput in articles/s, and the share of this
   machine's measured matrix-multiply peak the encoder reaches.
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
from models.metrics import binary_metrics
from models.train import latest_model


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


def _speed_rows(classifier: Classifier, count: int) -> tuple[list[list[str]], float]:
    torch = classifier.encoder.torch
    encoder = classifier.encoder
    titles, texts = _articles(count)
    params = sum(p.numel() for name, p in encoder.model.named_parameters() if "embeddings" not in name)
    rows = []

    def naive() -> int:  # one article at a time, gradients tracked, as a first script would
        tokens = 0
        for title, text in zip(titles, texts, strict=True):
            chunks = encoder.chunk([title], [text], classifier.max_chunks)
            batch = encoder.tokenizer(chunks.texts, padding=True, truncation=True, max_length=encoder.max_length,
                                      return_tensors="pt")
            encoder.model(**batch)
            tokens += int(batch["attention_mask"].sum())
        return tokens

    def unsorted() -> int:  # batches in input order, no gradients
        chunks = encoder.chunk(titles, texts, classifier.max_chunks)
        tokens = 0
        with torch.inference_mode():
            for start in range(0, len(chunks.texts), encoder.batch_size):
                batch = encoder.tokenizer(chunks.texts[start:start + encoder.batch_size], padding=True,
                                          truncation=True, max_length=encoder.max_length, return_tensors="pt")
                encoder.model(**batch)
                tokens += int(batch["attention_mask"].sum())
        return tokens

    def newsmon() -> int:  # what Classifier.predict does (evidence off: encoder cost only)
        classifier.predict(titles, texts, evidence=False)
        chunks = encoder.chunk(titles, texts, classifier.max_chunks)
        return sum(len(ids) for ids in encoder.tokenizer(chunks.texts, truncation=True,
                                                          max_length=encoder.max_length)["input_ids"])

    peak = _matmul_peak(torch)
    for name, run in (("one at a time, gradients on", naive), ("batches of 32 in input order", unsorted),
                      ("length-sorted batches, inference_mode (newsmon)", newsmon)):
        started = time.perf_counter()
        tokens = run()
        seconds = time.perf_counter() - started
        achieved = 2 * params * tokens / seconds
        rows.append([name, f"{count / seconds:.1f}", f"{tokens / seconds:,.0f}", f"{100 * achieved / peak:.0f}%"])
    return rows, peak


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else latest_model(Path("data") / "models")
    if path is None:
        print("error: no trained model: run `newsmon train` or pass a model directory", file=sys.stderr)
        return 1
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
    speed, peak = _speed_rows(classifier, 200)
    table = Table("scoring", "articles/s", "tokens/s", "of matmul peak",
                  title=f"Scoring speed, 200 news-length articles, {classifier.max_chunks} windows max, "
                        f"{torch_threads()} threads; matmul peak {peak / 1e9:.0f} GFLOP/s")
    for row in speed:
        table.add_row(*row)
    console.print(table)
    return 0


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


if __name__ == "__main__":
    sys.exit(main())
