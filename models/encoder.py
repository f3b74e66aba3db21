"""A transformer encoder that turns titles and long texts into vectors: for scoring, a local BERT
directory is run by models.bert (plain torch, no transformers import); for training, and for any
other architecture, by transformers' AutoModel."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# defined at the bottom of models/ (models.base); importable from here too
from models.base import DEFAULT_BASE_MODEL, ModelError, resolve_base_model  # noqa: F401


@functools.cache
def _malloc_trim():
    """glibc's malloc_trim, or None where there is none (musl, macOS)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's malloc_trim; elsewhere nothing).
    Batches of ever-different tensor shapes leave glibc's heap fragmented and never returned: a
    classify run's resident memory climbed from 680 to 1,216 MiB over 18,000 articles without
    this, and stays near 630 MiB with it, at no measurable cost (benchmarks/README.md, bulk)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def mean_pool(hidden, mask):
    """Mean of the token vectors under the attention mask (torch tensors)."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


PRECISIONS = ("auto", "float32", "bfloat16", "int8")
# inputs are padded to the next multiple of this many tokens, and batched only with inputs of the
# same padded length: an input's padding depends on its own length alone, never on its batch-mates
# (16 ran 12% faster than exact lengths, which create a kernel per distinct length; 32 no faster)
_LENGTH_STEP = 16


def bf16_native() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX-512 BF16 or AMX): where it does not,
    bfloat16 is emulated and slower than float32."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


@dataclass(frozen=True)
class Windows:
    """Token windows of many documents, flattened: the model input of each window (special tokens
    included), the document it belongs to, and where each of its body tokens came from (the token's
    position in the window and its character span in the document's text)."""

    ids: list[list[int]]
    owner: np.ndarray
    positions: list[np.ndarray]
    char_spans: list[np.ndarray]


def _load_lean(base_model: str, location: str):
    from safetensors import SafetensorError

    from models.bert import BertEncoder, WordPieceTokenizer

    try:
        return WordPieceTokenizer(location), BertEncoder.from_directory(location)
    except (OSError, ValueError, RuntimeError, SafetensorError) as exc:
        raise ModelError(f"cannot load encoder {base_model!r}: {str(exc).splitlines()[0]}") from None


def quiet_transformers() -> None:
    """transformers offline, without its warnings and progress bars (which would break the CLI's
    one-line errors and rich progress)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def _load_transformers(base_model: str, location: str):
    quiet_transformers()
    from transformers import AutoModel, AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(location), AutoModel.from_pretrained(location)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load encoder {base_model!r}: {str(exc).splitlines()[0]}") from None


def _load_packed(base_model: str, location: str, trainable: bool):
    """An artifact's encoder (models.artifact.write_encoder): its own tensors plus the base encoder's
    embeddings and tokenizer, checked against their hashes."""
    from models import artifact

    config, state, tokenizer_location = artifact.read_encoder(location)
    if not trainable:
        from models.bert import BertEncoder, WordPieceTokenizer

        try:
            return WordPieceTokenizer(str(tokenizer_location)), BertEncoder.from_state(config, state, location)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelError(f"cannot load encoder {base_model!r}: {str(exc).splitlines()[0]}") from None
    quiet_transformers()
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    try:
        kind = config.pop("model_type")
        model = AutoModel.from_config(AutoConfig.for_model(kind, **config))
        model.load_state_dict(state, strict=False)
        missing = [name for name in model.state_dict() if name not in state and not name.endswith("position_ids")]
        if missing:
            raise ValueError(f"the weights at {location} have no {missing[0]}")
        model.name_or_path = location
        return AutoTokenizer.from_pretrained(str(tokenizer_location)), model
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ModelError(f"cannot load encoder {base_model!r}: {str(exc).splitlines()[0]}") from None


class Encoder:
    """Mean-pooled sentence vectors (L2-normalised if normalize). Inputs are padded to a multiple of
    16 tokens and batched only with inputs of that same padded length, so a text's vector never
    depends on what it was batched with (with batch-wide padding, bfloat16 scores moved by ~1e-3
    between batchings) and a rerun reproduces every score."""

    def __init__(self, base_model: str, *, max_length: int = 256, batch_size: int = 32,
                 normalize: bool = True, precision: str = "float32", trainable: bool = False) -> None:
        """trainable loads transformers' model (which fine-tuning trains and save_pretrained writes);
        otherwise a local BERT directory is read by models.bert (at least 0.8 s and 117 MiB less per
        classify run in benchmarks/README.md, the same vectors within float rounding), anything else by
        transformers."""
        import torch

        from models import artifact, bert

        if precision not in PRECISIONS:
            raise ModelError(f"unknown precision {precision!r}: use one of {', '.join(PRECISIONS)}")
        if precision == "auto":
            precision = "bfloat16" if bf16_native() else "float32"

        location = resolve_base_model(base_model)
        if artifact.is_packed(location):
            self.tokenizer, self.model = _load_packed(base_model, location, trainable)
        elif not trainable and bert.loadable(location):
            self.tokenizer, self.model = _load_lean(base_model, location)
        else:
            self.tokenizer, self.model = _load_transformers(base_model, location)
        self.model.eval()
        if precision == "int8":
            # int8 weights (per output channel) for the Linear layers, activations quantized on the
            # fly per batch: inference only, and a vector then depends a little on its batch
            from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

            self.model = quantize_dynamic(self.model, {torch.nn.Linear: per_channel_dynamic_qconfig},
                                          dtype=torch.qint8)
        self.precision = precision
        self.torch = torch
        self.base_model = base_model
        self.max_length = max_length
        self.batch_size = batch_size
        self.dim = int(self.model.config.hidden_size)
        self.normalize = normalize
        marker = self.tokenizer("x", add_special_tokens=False)["input_ids"]
        framed = self.tokenizer("x")["input_ids"]
        at = framed.index(marker[0])
        self._prefix, self._suffix = framed[:at], framed[at + len(marker):]
        self._joiner = self.tokenizer(".", add_special_tokens=False)["input_ids"]

    def _autocast(self):
        if self.precision == "bfloat16":
            return self.torch.autocast("cpu", dtype=self.torch.bfloat16)
        return contextlib.nullcontext()

    def encode_ids(self, inputs: list[list[int]], spans: list[list[np.ndarray]] | None = None,
                   on_batch: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """One mean-pooled vector per input; with spans (per input, arrays of token positions), also
        the mean of the token vectors at each span's positions, from the same forward pass.
        on_batch(inputs done, inputs) is called after each batch."""
        out = np.zeros((len(inputs), self.dim), dtype=np.float32)
        pooled_spans: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(inputs)
        if not inputs:
            return out, pooled_spans
        torch = self.torch
        by_length: dict[int, list[int]] = {}
        for i, ids in enumerate(inputs):
            by_length.setdefault(-(-len(ids) // _LENGTH_STEP) * _LENGTH_STEP, []).append(i)
        pad = self.tokenizer.pad_token_id or 0
        # one batch holds about batch_size windows of max_length tokens' worth of short inputs
        budget = self.batch_size * self.max_length
        done = 0
        with torch.inference_mode(), self._autocast():
            for length in sorted(by_length, reverse=True):
                members = by_length[length]
                step = max(1, min(len(members), budget // max(length, 1)))
                for start in range(0, len(members), step):
                    index = members[start:start + step]
                    ids = torch.full((len(index), length), pad, dtype=torch.long)
                    mask = torch.zeros((len(index), length), dtype=torch.long)
                    for row, i in enumerate(index):
                        ids[row, :len(inputs[i])] = torch.tensor(inputs[i], dtype=torch.long)
                        mask[row, :len(inputs[i])] = 1
                    hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state.float()
                    pooled = mean_pool(hidden, mask)
                    if self.normalize:
                        pooled = torch.nn.functional.normalize(pooled, dim=-1)
                    out[index] = pooled.numpy()
                    done += len(index)
                    if on_batch is not None:
                        on_batch(done, len(inputs))
                    if spans is not None:
                        for row, i in enumerate(index):
                            if spans[i]:
                                tokens = hidden[row].numpy()
                                pooled_spans[i] = np.stack([tokens[p].mean(axis=0) if len(p) else
                                                            np.zeros(self.dim, np.float32) for p in spans[i]])
        release_freed_memory()
        return out, pooled_spans

    def encode(self, texts: list[str]) -> np.ndarray:
        """One vector per text (truncated at max_length tokens)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        ids = self.tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]
        return self.encode_ids(ids)[0]

    def windows(self, titles: list[str], texts: list[str], max_chunks: int) -> Windows:
        """Split each body into token windows, each prefixed with its title ("title. body"), at most
        max_chunks each. Tokenized once: the windows are cut from the body's token ids."""
        if not texts:
            return Windows([], np.zeros(0, dtype=np.int64), [], [])
        budget = self.max_length - len(self._prefix) - len(self._suffix)
        # no window is longer than budget, so nothing past max_chunks * budget tokens is ever read
        bodies = self.tokenizer(texts, add_special_tokens=False, truncation=True, max_length=max_chunks * budget,
                                return_offsets_mapping=True)
        title_ids = self.tokenizer(titles, add_special_tokens=False)["input_ids"]
        ids_out: list[list[int]] = []
        owner: list[int] = []
        positions: list[np.ndarray] = []
        char_spans: list[np.ndarray] = []
        for doc, (title, body, offsets) in enumerate(zip(title_ids, bodies["input_ids"],
                                                         bodies["offset_mapping"], strict=True)):
            head = title[: budget // 3]
            if head and body:
                head = head + self._joiner
            window = max(budget - len(head), 16)
            for start in range(0, max(len(body), 1), window)[:max_chunks]:
                piece = body[start:start + window]
                ids_out.append(self._prefix + head + piece + self._suffix)
                first = len(self._prefix) + len(head)
                positions.append(np.arange(first, first + len(piece)))
                char_spans.append(np.asarray(offsets[start:start + window], dtype=np.int64).reshape(-1, 2))
                owner.append(doc)
        return Windows(ids_out, np.asarray(owner, dtype=np.int64), positions, char_spans)

    def encode_documents(self, titles: list[str], texts: list[str], max_chunks: int,
                         on_batch: Callable[[int, int], None] | None = None) -> np.ndarray:
        """One vector per document: the mean of its window vectors weighted by their token counts
        (re-normalised if vectors are); on_batch(windows done, windows) after each batch."""
        return self.encode_documents_and_spans(titles, texts, max_chunks, on_batch=on_batch)[0]

    def encode_documents_and_spans(self, titles: list[str], texts: list[str], max_chunks: int,
                                   spans: list[list[tuple[int, int]]] | None = None,
                                   on_batch: Callable[[int, int], None] | None = None,
                                   ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Document vectors, and with spans (per document, character ranges of its text, e.g. its
        sentences) a vector per span: the mean of the span's token vectors in context, taken from
        the same forward pass. A span past the windows read gets a zero vector."""
        windows = self.windows(titles, texts, max_chunks)
        token_spans = None
        if spans is not None:
            token_spans = []
            for w, doc in enumerate(windows.owner):
                starts = windows.char_spans[w][:, 0]
                token_spans.append([windows.positions[w][(starts >= a) & (starts < b)] for a, b in spans[doc]])
        vectors, window_spans = self.encode_ids(windows.ids, token_spans, on_batch)
        # each window weighs by its length: a 30-token tail must not count as much as a full window
        # (benchmarks/classifier.py: on long test articles this beats the plain mean and the first
        # window alone)
        docs = self.pool(windows.owner, vectors, len(titles), [len(ids) for ids in windows.ids])
        if spans is None:
            return docs, []
        return docs, self._span_vectors(windows, token_spans, window_spans, spans)

    def pool(self, owner: np.ndarray, vectors: np.ndarray, documents: int, weights=None) -> np.ndarray:
        """Per document, the weighted mean of its window vectors (owner[i] is window i's document;
        weights default to 1), re-normalised if vectors are."""
        weight = np.ones(len(owner), np.float32) if weights is None else np.asarray(weights, np.float32)
        docs = np.zeros((documents, self.dim), dtype=np.float32)
        np.add.at(docs, owner, vectors * weight[:, None])
        if self.normalize:
            docs /= np.clip(np.linalg.norm(docs, axis=1, keepdims=True), 1e-9, None)
        else:
            totals = np.bincount(owner, weights=weight, minlength=documents).astype(np.float32)
            docs /= np.clip(totals, 1, None)[:, None]
        return docs

    def _span_vectors(self, windows: Windows, token_spans, window_spans, spans) -> list[np.ndarray]:
        """Combine each span's token means over the windows it falls in, weighted by token count."""
        sums = [np.zeros((len(s), self.dim), np.float32) for s in spans]
        counts = [np.zeros(len(s), np.float32) for s in spans]
        for w, doc in enumerate(windows.owner):
            if not len(window_spans[w]):
                continue
            n = np.asarray([len(p) for p in token_spans[w]], np.float32)
            sums[doc] += window_spans[w] * n[:, None]
            counts[doc] += n
        out = []
        for total, n in zip(sums, counts, strict=True):
            vectors = total / np.clip(n, 1, None)[:, None]
            if self.normalize:
                vectors /= np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9, None)
            vectors[n == 0] = 0.0
            out.append(vectors)
        return out
