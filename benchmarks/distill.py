"""A smaller encoder distilled from a trained model: does it keep the model's F1?

Usage: python -m benchmarks.distill [MODEL_DIR] [--layers 0,2,4] [--mixes 4000] [--epochs 3]

The student is the trained model's own fine-tuned encoder with only some of its layers kept
(`--layers`, counted from the bottom). It learns to give the teacher's token vectors for the same
window, so everything newsmon builds on them (the document vector, both label heads, the sector
heads, the evidence sentences) carries over with the teacher's heads and thresholds unchanged.
What it reads: the training split only (the test split is what it is measured on), as production
windows of each article, plus `--mixes` made-up windows (sentences drawn from one or two training
articles, shuffled, 30-250 tokens), so it sees more than 1,464 texts' worth of the teacher. Targets
are the teacher's token vectors at bfloat16, as production scores. The loss is the tokens' mean
squared error (scaled by the teacher's variance) plus the squared error of the label and sector
logits of the pooled vector.

The student is written as a model directory beside the teacher (`<version>-L<k>`): Classifier.load
reads it like any other, so `python -m benchmarks.classifier` times it. Prints the test-split F1 of
teacher and student, how often they agree, and the training time.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from models.classifier import Classifier, split_sentences
from models.dataset import load_examples
from models.metrics import prediction_f1
from models.train import model_dir_or_exit


def _mixes(rows, count: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """Made-up texts: sentences of one or two training articles, shuffled, of varied length."""
    sentences = [split_sentences(r.text) for r in rows]
    titles, texts = [], []
    for _ in range(count):
        first = rng.randrange(len(rows))
        pool = list(sentences[first])
        if rng.random() < 0.5:
            pool += sentences[rng.randrange(len(rows))]
        rng.shuffle(pool)
        words = rng.choice((25, 50, 100, 150, 200))
        body = []
        while pool and sum(len(s.split()) for s in body) < words:
            body.append(pool.pop())
        titles.append(rows[first].title if rng.random() < 0.8 else "")
        texts.append(" ".join(body))
    return titles, texts


def _student_model(teacher_location: str, layers: list[int]):
    from transformers import AutoModel

    model = AutoModel.from_pretrained(teacher_location)
    import torch

    model.encoder.layer = torch.nn.ModuleList([model.encoder.layer[i] for i in layers])
    model.config.num_hidden_layers = len(layers)
    return model


def _pooled(torch, hidden, mask):
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)
    return torch.nn.functional.normalize(pooled, dim=-1)


def distill(teacher: Classifier, layers: list[int], mixes: int, epochs: int, seed: int,
            console: Console) -> tuple[object, float]:
    import torch

    rng = random.Random(seed)
    torch.manual_seed(seed)
    encoder = teacher.encoder
    train_rows = [ex for ex in load_examples() if ex.split != "test"]
    windows = encoder.windows([r.title for r in train_rows], [r.text for r in train_rows], teacher.max_chunks)
    mix_titles, mix_texts = _mixes(train_rows, mixes, rng)
    mixed = encoder.windows(mix_titles, mix_texts, 1)
    inputs = windows.ids + mixed.ids
    heads = [torch.from_numpy(teacher.coef), torch.from_numpy(teacher.intercept)]
    if teacher.sector_head is not None:
        heads = [torch.from_numpy(np.concatenate([teacher.coef, teacher.sector_head[0]])),
                 torch.from_numpy(np.concatenate([teacher.intercept, teacher.sector_head[1]]))]
    coef, intercept = heads

    # batches of similar length (little padding), fixed for targets and training
    order = sorted(range(len(inputs)), key=lambda i: len(inputs[i]))
    batches = []
    for start in range(0, len(order), 32):
        index = order[start:start + 32]
        length = max(len(inputs[i]) for i in index)
        ids = torch.zeros((len(index), length), dtype=torch.long)
        mask = torch.zeros((len(index), length), dtype=torch.long)
        for row, i in enumerate(index):
            ids[row, :len(inputs[i])] = torch.tensor(inputs[i])
            mask[row, :len(inputs[i])] = 1
        batches.append([ids, mask])
    tokens = sum(len(ids) for ids in inputs)
    console.print(f"{len(windows.ids)} windows of {len(train_rows)} training articles and {len(mixed.ids)} made-up "
                  f"windows: {tokens:,} tokens in {len(batches)} batches")

    started = time.perf_counter()
    with Progress(console=console) as progress:
        task = progress.add_task("teacher targets", total=len(batches))
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            for batch in batches:
                hidden = encoder.model(input_ids=batch[0], attention_mask=batch[1]).last_hidden_state.float()
                batch.append(hidden.to(torch.bfloat16))
                batch.append(_pooled(torch, hidden, batch[1]) @ coef.T + intercept)
                progress.advance(task)
    variance = float(torch.stack([b[2].float().var() for b in batches[::10]]).mean())
    console.print(f"teacher targets in {time.perf_counter() - started:.0f} s")

    student = _student_model(str(teacher.path / teacher.config["encoder"]), layers)
    student.train()
    optimizer = torch.optim.AdamW(student.parameters(), lr=1e-4, weight_decay=0.01)
    steps = epochs * len(batches)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps))
    with Progress(console=console) as progress:
        task = progress.add_task("student", total=steps)
        for epoch in range(epochs):
            rng.shuffle(batches)
            totals = np.zeros(2)
            for ids, mask, target, logits in batches:
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    hidden = student(input_ids=ids, attention_mask=mask).last_hidden_state
                hidden = hidden.float()
                keep = mask.bool()
                token_loss = ((hidden - target.float()) ** 2)[keep].mean() / variance
                logit_loss = ((_pooled(torch, hidden, mask) @ coef.T + intercept - logits) ** 2).mean()
                loss = token_loss + logit_loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                totals += (float(token_loss.detach()), float(logit_loss.detach()))
                progress.advance(task)
            console.print(f"epoch {epoch + 1}: token loss {totals[0] / len(batches):.4f}, "
                          f"logit loss {totals[1] / len(batches):.4f}")
    student.eval()
    return student, time.perf_counter() - started


def _write_student(teacher: Classifier, student, layers: list[int]) -> Path:
    name = f"{teacher.version}-L{''.join(map(str, layers))}"
    final = teacher.path.parent / name
    tmp = teacher.path.parent / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    config = dict(teacher.config, model_version=name, distilled_from=teacher.version, student_layers=layers)
    (tmp / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    shutil.copy(teacher.path / "head.npz", tmp / "head.npz")
    student.save_pretrained(tmp / config["encoder"])
    teacher.encoder.tokenizer.save_pretrained(tmp / config["encoder"])
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    return final


def _test_predictions(path: Path):
    classifier = Classifier.load(path, precision="bfloat16")
    test = [ex for ex in load_examples() if ex.split == "test"]
    predictions = classifier.predict([ex.title for ex in test], [ex.text for ex in test], evidence=False)
    return classifier, test, predictions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.distill")
    parser.add_argument("model", nargs="?", help="teacher model directory (default: the newest under data/models)")
    parser.add_argument("--layers", default="0,2,4", help="teacher layers the student keeps (default 0,2,4)")
    parser.add_argument("--mixes", type=int, default=4000, help="made-up windows beside the real ones")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    path = model_dir_or_exit([args.model] if args.model else [])
    layers = [int(x) for x in args.layers.split(",")]
    console = Console(width=150)
    teacher = Classifier.load(path, precision="bfloat16")
    if not teacher.config.get("encoder"):
        raise SystemExit(f"error: {path} has no fine-tuned encoder to distil")
    if any(not 0 <= i < teacher.encoder.model.config.num_hidden_layers for i in layers):
        raise SystemExit(f"error: --layers {args.layers}: the teacher has "
                         f"{teacher.encoder.model.config.num_hidden_layers} layers")
    student, seconds = distill(teacher, layers, args.mixes, args.epochs, args.seed, console)
    out = _write_student(teacher, student, layers)
    console.print(f"student written to {out} ({seconds / 60:.1f} min)")

    _, test, teacher_predictions = _test_predictions(path)
    classifier, _, student_predictions = _test_predictions(out)
    truth = [ex.labels for ex in test]
    table = Table("model", "layers", *(f"{label} F1" for label in classifier.labels), "same labels as teacher",
                  title=f"Test split ({len(test)} articles), bfloat16, evidence off")
    for name, n, predictions in (("teacher", teacher.encoder.model.config.num_hidden_layers, teacher_predictions),
                                 ("student", len(layers), student_predictions)):
        f1 = prediction_f1(truth, [p.labels for p in predictions], classifier.labels)
        agree = np.mean([set(p.labels) == set(q.labels)
                         for p, q in zip(predictions, teacher_predictions, strict=True)])
        table.add_row(name, str(n), *(f"{v:.3f}" for v in f1.values()), f"{agree:.3f}")
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
