"""models.bert reads a BERT directory without transformers: the same token ids and offsets as
transformers' tokenizer, the same hidden states as its BertModel, and the one-line error on a
broken directory."""

import json
import shutil

import numpy as np
import pytest
import torch

from models import bert
from models.dataset import load_examples
from models.encoder import DEFAULT_BASE_MODEL, Encoder, ModelError, resolve_base_model

# loads the packaged MiniLM: not in the fast lane (`make test-fast`)
pytestmark = [pytest.mark.slow, pytest.mark.model]
MINILM = resolve_base_model(DEFAULT_BASE_MODEL)

TEXTS = [
    "Robots sort parcels at the Leipzig hub; the AI routes 40,000 a day.",
    "Café owners in São Paulo leave the delivery apps — co-ops take 8 % instead of 30 %.",
    "",
    "ÉCOLE 42's naïve façade: über-long hyphenated-words-and_underscores, 3.14159 and €2,5bn!",
    "中文新闻：工厂里的人工智能。日本語のテキストも。",
    "Emoji 🤖🏭 and tabs\tand\nnewlines and   runs of spaces.",
]


@pytest.fixture(scope="module")
def reference():
    from transformers import AutoModel, AutoTokenizer

    return AutoTokenizer.from_pretrained(MINILM), AutoModel.from_pretrained(MINILM).eval()


def test_the_packaged_minilm_is_read_by_the_lean_loader():
    assert bert.loadable(MINILM)
    encoder = Encoder(DEFAULT_BASE_MODEL)
    assert isinstance(encoder.model, bert.BertEncoder)
    assert isinstance(encoder.tokenizer, bert.WordPieceTokenizer)
    assert not isinstance(Encoder(DEFAULT_BASE_MODEL, trainable=True).model, bert.BertEncoder)


def test_token_ids_and_offsets_match_transformers_on_the_whole_dataset(reference):
    theirs, _ = reference
    ours = bert.WordPieceTokenizer(MINILM)
    assert ours.pad_token_id == theirs.pad_token_id
    texts = TEXTS + [ex.text for ex in load_examples()] + [ex.title for ex in load_examples()]
    for kwargs in ({}, {"add_special_tokens": False}, {"truncation": True, "max_length": 40},
                   {"add_special_tokens": False, "truncation": True, "max_length": 700}):
        a = ours(texts, return_offsets_mapping=True, **kwargs)
        b = theirs(texts, return_offsets_mapping=True, **kwargs)
        assert a["input_ids"] == b["input_ids"], kwargs
        assert [list(map(tuple, o)) for o in a["offset_mapping"]] == \
               [list(map(tuple, o)) for o in b["offset_mapping"]], kwargs
    assert ours(TEXTS[1])["input_ids"] == theirs(TEXTS[1])["input_ids"]


def _batch(tokenizer):
    ids = tokenizer(TEXTS, truncation=True, max_length=64)["input_ids"]
    width = max(map(len, ids))
    input_ids = torch.zeros((len(ids), width), dtype=torch.long)
    mask = torch.zeros_like(input_ids)
    for row, seq in enumerate(ids):
        input_ids[row, :len(seq)] = torch.tensor(seq)
        mask[row, :len(seq)] = 1
    return input_ids, mask


def test_hidden_states_match_transformers_bert_under_padding(reference):
    tokenizer, model = reference
    ours = bert.BertEncoder.from_directory(MINILM)
    input_ids, mask = _batch(tokenizer)
    with torch.inference_mode():
        a = ours(input_ids=input_ids, attention_mask=mask).last_hidden_state
        b = model(input_ids=input_ids, attention_mask=mask).last_hidden_state
    real = mask.bool()
    assert torch.isfinite(a[real]).all()
    assert (a[real] - b[real]).abs().max().item() < 1e-4
    assert ours.config.num_hidden_layers == model.config.num_hidden_layers
    assert ours.config.hidden_size == model.config.hidden_size


def test_encoder_vectors_are_the_same_from_either_loader():
    titles = ["Hospital AI triage", "Farmers sell direct", "Weather"]
    texts = [TEXTS[0] * 30, TEXTS[1] * 30, "Rain tomorrow."]
    lean = Encoder(DEFAULT_BASE_MODEL).encode_documents(titles, texts, max_chunks=3)
    full = Encoder(DEFAULT_BASE_MODEL, trainable=True).encode_documents(titles, texts, max_chunks=3)
    assert np.abs(lean - full).max() < 1e-5
    assert not np.allclose(lean[0], lean[1])


def test_a_checkpoint_with_the_bert_prefix_loads(tmp_path, reference):
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "prefixed"
    shutil.copytree(MINILM, folder)
    weights = load_file(str(folder / "model.safetensors"))
    save_file({("bert." + k if not k.startswith("bert.") else k): v.contiguous() for k, v in weights.items()},
              str(folder / "model.safetensors"))
    tokenizer, model = reference
    input_ids, mask = _batch(tokenizer)
    with torch.inference_mode():
        a = bert.BertEncoder.from_directory(str(folder))(input_ids=input_ids, attention_mask=mask).last_hidden_state
        b = model(input_ids=input_ids, attention_mask=mask).last_hidden_state
    assert (a[mask.bool()] - b[mask.bool()]).abs().max().item() < 1e-4


def test_truncated_weights_are_a_one_line_model_error(tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(MINILM, folder)
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match=r"^cannot load encoder '.*broken'") as caught:
        Encoder(str(folder))
    assert "\n" not in str(caught.value)


def test_missing_layer_weights_name_the_missing_tensor(tmp_path):
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "short"
    shutil.copytree(MINILM, folder)
    weights = load_file(str(folder / "model.safetensors"))
    save_file({k: v.contiguous() for k, v in weights.items() if ".layer.5." not in k}, str(folder / "model.safetensors"))
    with pytest.raises(ModelError, match=r"encoder\.layer\.5\."):
        Encoder(str(folder))


def test_other_architectures_are_left_to_transformers(tmp_path):
    folder = tmp_path / "relative"
    shutil.copytree(MINILM, folder)
    config = json.loads((folder / "config.json").read_text())
    config["position_embedding_type"] = "relative_key"
    (folder / "config.json").write_text(json.dumps(config))
    assert not bert.loadable(str(folder))
    assert bert.loadable(MINILM)
    assert not bert.loadable(str(tmp_path / "nowhere"))
