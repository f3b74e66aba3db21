"""Full fine-tuning of the encoder with a linear multi-label head (BCE), batches bucketed by length.

By default an article is read as "title. body" cut at max_length tokens. With `chunks`, it is read
as it is scored instead: up to that many windows cut by models.encoder.Encoder.windows, its vector
the mean of all their tokens (the token-weighted mean of the window means scoring takes); with
`real_weight`, a real article's loss weighs that many written ones'. Measured in
benchmarks/README.md (held-out average precision 0.914 / 0.875 with 4 windows and real weighted 2x,
against 0.923 / 0.875 for the default): not the default."""

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


def _windows(encoder: Encoder, rows: list[Example], chunks: int):
    """Padded window ids, their mask, and each window's article (an index into rows)."""
    import torch

    windows = encoder.windows([r.title for r in rows], [r.text for r in rows], chunks)
    length = max(len(ids) for ids in windows.ids)
    ids = torch.full((len(windows.ids), length), encoder.tokenizer.pad_token_id or 0, dtype=torch.long)
    mask = torch.zeros((len(windows.ids), length), dtype=torch.long)
    for row, window in enumerate(windows.ids):
        ids[row, :len(window)] = torch.tensor(window, dtype=torch.long)
        mask[row, :len(window)] = 1
    return ids, mask, torch.from_numpy(windows.owner)


def document_vectors(hidden, mask, owner, documents: int):
    """Each article's mean over the tokens of all its windows (owner: each window's article)."""
    import torch

    weights = mask.unsqueeze(-1).to(hidden.dtype)
    sums = torch.zeros((documents, hidden.shape[-1]), dtype=hidden.dtype).index_add(0, owner, (hidden * weights).sum(1))
    counts = torch.zeros(documents, dtype=hidden.dtype).index_add(0, owner, weights.sum((1, 2)))
    return sums / counts.clamp(min=1).unsqueeze(-1)


def _pooled(encoder: Encoder, rows: list[Example], chunks: int | None):
    if chunks is None:
        batch = encoder.tokenizer([_text(r) for r in rows], padding=True, truncation=True,
                                  max_length=encoder.max_length, return_tensors="pt")
        return mean_pool(encoder.model(**batch).last_hidden_state, batch["attention_mask"])
    ids, mask, owner = _windows(encoder, rows, chunks)
    return document_vectors(encoder.model(input_ids=ids, attention_mask=mask).last_hidden_state, mask, owner,
                            len(rows))


def finetune(encoder: Encoder, fit: list[Example], *, epochs: int, learning_rate: float,
             batch_size: int, seed: int, chunks: int | None = None, real_weight: float = 1.0,
             progress: Callable[[str], None] = lambda _: None,
             steps: Steps = no_steps) -> tuple[np.ndarray, np.ndarray]:
    """Train encoder.model in place with a dropout + linear head; return the head (coef, intercept).
    The embeddings stay the base encoder's (an artifact then stores only the layers), and the
    weights end rounded to the precision they are stored at."""
    import torch

    rng = random.Random(seed)
    torch.manual_seed(seed)
    model = encoder.model
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
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="mean" if real_weight == 1.0 else "none")
    model.train()
    started = time.monotonic()
    for epoch in range(epochs):
        loss_sum = 0.0
        stage = f"fine-tuning, epoch {epoch + 1}/{epochs}"
        steps(stage, 0, per_epoch)
        for done, batch_rows in enumerate(_bucketed(fit, batch_size, rng), 1):
            target = torch.tensor([[r.labels[label] for label in LABELS] for r in batch_rows], dtype=torch.float)
            loss = loss_fn(head(dropout(_pooled(encoder, batch_rows, chunks))), target)
            if real_weight != 1.0:
                weight = torch.tensor([real_weight if r.source != "written" else 1.0 for r in batch_rows])
                loss = (loss.mean(1) * weight).sum() / weight.sum()
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
