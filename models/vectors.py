"""An on-disk cache of a frozen encoder's window vectors, per article.

A frozen encoder gives an article the same window vectors every time (models.encoder batches
inputs so that a vector never depends on its batch-mates), so training the frozen method again, or
`python -m models.compare` trying data mixes, poolings and heads, need not run the encoder again
for articles it has read. One file per encoder and reading budget; each article is keyed by a hash
of its title and text; articles not yet cached are encoded and added.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from newsmon.files import write_atomically


@dataclass(frozen=True)
class WindowVectors:
    """Window vectors of many articles, flattened: each window's vector, its article (owner) and
    its token count."""

    vectors: np.ndarray
    owner: np.ndarray
    lengths: np.ndarray


def _article_key(title: str, text: str) -> str:
    return hashlib.sha256(json.dumps([title, text]).encode()).hexdigest()[:24]


def _encoder_key(encoder, max_chunks: int) -> str:
    """What the window vectors depend on besides the text: the weights (by their file's size and
    time), the arithmetic, the reading budget and whether vectors are normalized."""
    location = str(getattr(encoder.model, "name_or_path", encoder.base_model))
    weights = [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(Path(location).glob("*.safetensors"))
               ] if Path(location).is_dir() else []
    facts = [location, weights, encoder.precision, encoder.normalize, encoder.max_length, max_chunks]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:16]


def window_vectors(encoder, titles: list[str], texts: list[str], max_chunks: int,
                   cache_dir: Path | None = None) -> WindowVectors:
    """Every article's window vectors (Encoder.windows, Encoder.encode_ids), read from cache_dir
    where cached, the rest encoded (and added to the cache)."""
    keys = [_article_key(t, x) for t, x in zip(titles, texts, strict=True)]
    store: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"windows-{_encoder_key(encoder, max_chunks)}.npz"
        if path.exists():
            with np.load(path) as cached:  # each item read once: an NpzFile reads its array on every access
                starts, vectors, lengths = cached["starts"], cached["vectors"], cached["lengths"]
                for k, key in enumerate(cached["keys"].tolist()):
                    store[key] = (vectors[starts[k]:starts[k + 1]], lengths[starts[k]:starts[k + 1]])
    todo = [i for i, key in enumerate(keys) if key not in store]
    if todo:
        windows = encoder.windows([titles[i] for i in todo], [texts[i] for i in todo], max_chunks)
        vectors, _ = encoder.encode_ids(windows.ids)
        lengths = np.asarray([len(ids) for ids in windows.ids], dtype=np.int64)
        for j, i in enumerate(todo):
            mine = windows.owner == j
            store[keys[i]] = (vectors[mine], lengths[mine])
        if path is not None:
            _save(path, store)
    parts = [store[key] for key in keys]
    dim = encoder.dim
    return WindowVectors(
        vectors=np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, dim), np.float32),
        owner=np.concatenate([np.full(len(p[0]), i, dtype=np.int64) for i, p in enumerate(parts)])
        if parts else np.zeros(0, np.int64),
        lengths=np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64))


def _save(path: Path, store: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    keys = sorted(store)
    sizes = [len(store[k][0]) for k in keys]
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez(buffer, keys=np.asarray(keys), starts=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
             vectors=np.concatenate([store[k][0] for k in keys]), lengths=np.concatenate([store[k][1] for k in keys]))
    write_atomically(path, buffer.getvalue())


def documents(encoder, titles: list[str], texts: list[str], max_chunks: int,
              cache_dir: Path | None = None) -> np.ndarray:
    """Document vectors exactly as Encoder.encode_documents makes them (the token-weighted mean of
    the windows), from cached window vectors where there are some."""
    found = window_vectors(encoder, titles, texts, max_chunks, cache_dir)
    return encoder.pool(found.owner, found.vectors, len(titles), found.lengths)
