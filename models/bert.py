"""A BERT encoder for inference only, in plain torch, read straight from a model directory's config.json
and model.safetensors: the same forward pass as transformers' BertModel without importing transformers
(whose import and model construction were about 1.5 of the 2.5 s every classify run spent loading)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import torch
from torch import nn
from torch.nn import functional as F


def loadable(location: str) -> bool:
    """Whether location is a local BERT directory this module can read (weights in safetensors and a
    tokenizer.json beside them); anything else is left to transformers."""
    folder = Path(location)
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (config.get("model_type") == "bert" and config.get("position_embedding_type", "absolute") == "absolute"
            and config.get("hidden_act") == "gelu" and (folder / "model.safetensors").is_file()
            and (folder / "tokenizer.json").is_file())


class _Layer(nn.Module):
    def __init__(self, d: int, ff: int, heads: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.attention_out, self.attention_norm = nn.Linear(d, d), nn.LayerNorm(d, eps=eps)
        self.intermediate, self.out, self.out_norm = nn.Linear(d, ff), nn.Linear(ff, d), nn.LayerNorm(d, eps=eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, d = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:  # (batch, heads, length, head size)
            return t.view(batch, length, self.heads, d // self.heads).transpose(1, 2)

        mixed = F.scaled_dot_product_attention(split(self.query(x)), split(self.key(x)), split(self.value(x)),
                                               attn_mask=mask, scale=1.0 / math.sqrt(d // self.heads))
        x = self.attention_norm(self.attention_out(mixed.transpose(1, 2).reshape(batch, length, d)) + x)
        return self.out_norm(self.out(F.gelu(self.intermediate(x))) + x)


class BertEncoder(nn.Module):
    """BertModel's last_hidden_state: called as model(input_ids=..., attention_mask=...), with
    .config (hidden_size, num_hidden_layers, intermediate_size, ...) as in transformers."""

    _NEEDS = ("vocab_size", "hidden_size", "max_position_embeddings", "type_vocab_size", "layer_norm_eps",
              "num_hidden_layers", "intermediate_size", "num_attention_heads")

    def __init__(self, config: dict) -> None:
        super().__init__()
        missing = [key for key in self._NEEDS if key not in config]
        if missing:
            raise ValueError(f"config.json has no {missing[0]}")
        self.config = SimpleNamespace(**config)
        c = self.config
        self.word = nn.Embedding(c.vocab_size, c.hidden_size)
        self.position = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.layers = nn.ModuleList(_Layer(c.hidden_size, c.intermediate_size, c.num_attention_heads,
                                           c.layer_norm_eps) for _ in range(c.num_hidden_layers))

    @classmethod
    def from_directory(cls, location: str) -> BertEncoder:
        from safetensors.torch import load_file

        folder = Path(location)
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        return cls.from_state(config, load_file(str(folder / "model.safetensors")), str(folder))

    @classmethod
    def from_state(cls, config: dict, weights: dict[str, torch.Tensor], location: str) -> BertEncoder:
        """From a config and a state dict in transformers' BertModel names (optionally "bert."-prefixed)."""
        model = cls(config)
        prefix = "bert." if any(k.startswith("bert.") for k in weights) else ""
        names = {"word.weight": "embeddings.word_embeddings.weight",
                 "position.weight": "embeddings.position_embeddings.weight",
                 "token_type.weight": "embeddings.token_type_embeddings.weight",
                 "norm.weight": "embeddings.LayerNorm.weight", "norm.bias": "embeddings.LayerNorm.bias"}
        parts = {"query": "attention.self.query", "key": "attention.self.key", "value": "attention.self.value",
                 "attention_out": "attention.output.dense", "attention_norm": "attention.output.LayerNorm",
                 "intermediate": "intermediate.dense", "out": "output.dense", "out_norm": "output.LayerNorm"}
        for i in range(model.config.num_hidden_layers):
            for ours, theirs in parts.items():
                for kind in ("weight", "bias"):
                    names[f"layers.{i}.{ours}.{kind}"] = f"encoder.layer.{i}.{theirs}.{kind}"
        missing = [theirs for theirs in names.values() if prefix + theirs not in weights]
        if missing:
            raise ValueError(f"the weights at {location} have no {missing[0]}")
        model.load_state_dict({ours: weights[prefix + theirs] for ours, theirs in names.items()}, assign=True)
        model.config.name_or_path = location
        model.name_or_path = location
        return model.eval()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> SimpleNamespace:
        length = input_ids.shape[1]
        positions = torch.arange(length, device=input_ids.device)
        x = self.word(input_ids) + self.position(positions)[None] + self.token_type.weight[0]
        x = self.norm(x)
        # every query may look at the real tokens of its own input, never at its padding
        mask = attention_mask.bool()[:, None, None, :]
        for layer in self.layers:
            x = layer(x, mask)
        return SimpleNamespace(last_hidden_state=x)


_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


class WordPieceTokenizer:
    """The model directory's tokenizer.json run by the tokenizers library itself, called as the
    transformers tokenizer is for the uses here (ids, offsets, truncation to max_length with the
    special tokens kept): the same ids and offsets, without importing transformers."""

    def __init__(self, location: str) -> None:
        from tokenizers import Tokenizer

        self.location = Path(location)
        self._tokenizer = Tokenizer.from_file(str(self.location / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        try:
            config = json.loads((self.location / "tokenizer_config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            config = {}
        pad = config.get("pad_token") or "[PAD]"
        self.pad_token_id = self._tokenizer.token_to_id(pad if isinstance(pad, str) else pad.get("content", "[PAD]"))
        plain = self._tokenizer.encode("x", add_special_tokens=False).ids
        framed = self._tokenizer.encode("x").ids
        at = framed.index(plain[0])
        self._prefix, self._suffix = framed[:at], framed[at + len(plain):]

    def __call__(self, texts: str | list[str], *, add_special_tokens: bool = True, truncation: bool = False,
                 max_length: int | None = None, return_offsets_mapping: bool = False) -> dict:
        single = isinstance(texts, str)
        encodings = self._tokenizer.encode_batch([texts] if single else list(texts), add_special_tokens=False)
        keep = None
        if truncation:
            if max_length is None:
                raise ValueError("truncation needs max_length")
            keep = max_length - (len(self._prefix) + len(self._suffix) if add_special_tokens else 0)
        ids, offsets = [], []
        for encoding in encodings:
            body, spans = encoding.ids[:keep], encoding.offsets[:keep]
            if add_special_tokens:
                body = self._prefix + body + self._suffix
                spans = [(0, 0)] * len(self._prefix) + spans + [(0, 0)] * len(self._suffix)
            ids.append(body)
            offsets.append(spans)
        out = {"input_ids": ids[0] if single else ids}
        if return_offsets_mapping:
            out["offset_mapping"] = offsets[0] if single else offsets
        return out

    def save_pretrained(self, folder: str | Path) -> None:
        """Copy the tokenizer's files, as transformers' save_pretrained would write them."""
        import shutil

        for name in _TOKENIZER_FILES:
            if (self.location / name).is_file():
                shutil.copyfile(self.location / name, Path(folder) / name)
