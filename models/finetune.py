"""Full fine-tuning of the encoder with a linear multi-label head (BCE), batches bucketed by length."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import numpy as np

from models.artifact import freeze_embeddings, round_to_storage
from models.dataset import Example
from models.encoder import Encoder, mean_pool
from models.progress import Steps, no_steps
from newsmon.domain import LABELS


def _text(example: Example) -> str:
    return f"{example.title}. {example.text}"


def _bucketed(rows: list[Example], batch_size: int, rng: random.Random) -> list[list[Example]]:
    """Batches of similar length (less padding), in random order."""
    ordered = sorted(rows, key=lambda r: len(_text(r)) + rng.random() * 40)
    batches = [ordered[i:i + batch_size] for i in range(0, len(ordered), batch_size)]
    rng.shuffle(batches)
    return batches


def finetune(encoder: Encoder, fit: list[Example], *, epochs: int, learning_rate: float,
             batch_size: int, seed: int,
             progress: Callable[[str], None] = lambda _: None,
             steps: Steps = no_steps) -> tuple[np.ndarray, np.ndarray]:
    """Train encoder.model in place with a dropout + linear head; return the head (coef, intercept).
    The embeddings stay the base encoder's (an artifact then stores only the layers), and the
    weights end rounded to the precision they are stored at."""
    import torch

    rng = random.Random(seed)
    torch.manual_seed(seed)
    model, tokenizer = encoder.model, encoder.tokenizer
    head = torch.nn.Linear(encoder.dim, len(LABELS))
    dropout = torch.nn.Dropout(0.1)
    freeze_embeddings(model)
    params = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=learning_rate, weight_decay=0.01)
    per_epoch = (len(fit) + batch_size - 1) // batch_size
    total = epochs * per_epoch
    warmup = max(1, int(0.1 * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (total - s) / total))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    started = time.monotonic()
    for epoch in range(epochs):
        loss_sum = 0.0
        stage = f"fine-tuning, epoch {epoch + 1}/{epochs}"
        steps(stage, 0, per_epoch)
        for done, batch_rows in enumerate(_bucketed(fit, batch_size, rng), 1):
            batch = tokenizer([_text(r) for r in batch_rows], padding=True, truncation=True,
                              max_length=encoder.max_length, return_tensors="pt")
            target = torch.tensor([[r.labels[label] for label in LABELS] for r in batch_rows], dtype=torch.float)
            pooled = mean_pool(model(**batch).last_hidden_state, batch["attention_mask"])
            loss = loss_fn(head(dropout(pooled)), target)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            loss_sum += float(loss.detach()) * len(batch_rows)
            steps(stage, done, per_epoch)
        progress(f"epoch {epoch + 1}/{epochs}: loss {loss_sum / len(fit):.4f} ({time.monotonic() - started:.0f} s)")
    model.eval()
    round_to_storage(model)
    return (head.weight.detach().numpy().astype(np.float32),
            head.bias.detach().numpy().astype(np.float32))
