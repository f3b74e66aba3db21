"""models.distill.prune_ffn: a student keeps the feed-forward neurons that matter most, stays a plain
BERT that both loaders read, and its mistakes are one line."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from models import bert
from models.dataset import load_examples
from models.distill import _check_ffn, prune_ffn
from models.encoder import DEFAULT_BASE_MODEL, ModelError, resolve_base_model

# loads the packaged MiniLM: not in the fast lane (`make test-fast`)
pytestmark = [pytest.mark.slow, pytest.mark.model]
MINILM = resolve_base_model(DEFAULT_BASE_MODEL)


def _student():
    from transformers import AutoModel

    model = AutoModel.from_pretrained(MINILM).eval()
    model.encoder.layer = torch.nn.ModuleList([model.encoder.layer[i] for i in (0, 3)])
    model.config.num_hidden_layers = 2
    return model


def _batches(texts: list[str]) -> list[list[torch.Tensor]]:
    tokenizer = bert.WordPieceTokenizer(MINILM)
    out = []
    for start in range(0, len(texts), 16):
        ids = tokenizer(texts[start:start + 16], truncation=True, max_length=128)["input_ids"]
        width = max(map(len, ids))
        batch = torch.zeros((len(ids), width), dtype=torch.long)
        mask = torch.zeros((len(ids), width), dtype=torch.long)
        for row, seq in enumerate(ids):
            batch[row, :len(seq)], mask[row, :len(seq)] = torch.tensor(seq), 1
        out.append([batch, mask])
    return out


def _hidden(model, batches) -> list[np.ndarray]:
    with torch.inference_mode():
        return [model(input_ids=ids, attention_mask=mask).last_hidden_state[mask.bool()].numpy()
                for ids, mask in batches]


def _error(model, reference: list[np.ndarray], batches) -> float:
    return float(np.mean([np.mean((a - b) ** 2) for a, b in zip(_hidden(model, batches), reference, strict=True)]))


@pytest.fixture(scope="module")
def data():
    examples = load_examples()
    train = [f"{ex.title}. {ex.text}" for ex in examples if ex.split == "train"][:64]
    test = [f"{ex.title}. {ex.text}" for ex in examples if ex.split == "test"][:48]
    return _batches(train), _batches(test)


def test_pruning_keeps_the_neurons_that_matter(data):
    train, test = data
    full = _student()
    reference = _hidden(full, test)
    pruned = _student()
    prune_ffn(pruned, train, 384)
    assert pruned.config.intermediate_size == 384
    for layer in pruned.encoder.layer:
        assert layer.intermediate.dense.weight.shape == (384, 384)
        assert layer.output.dense.weight.shape == (384, 384)
    # measured on articles it did not see: keeping the important quarter changes the token vectors
    # far less than keeping a random quarter does
    chosen = _error(pruned, reference, test)
    generator = torch.Generator().manual_seed(5)
    random_errors = []
    for _ in range(3):
        other = _student()
        for layer in other.encoder.layer:
            kept = torch.sort(torch.randperm(1536, generator=generator)[:384]).values
            inner, outer = layer.intermediate.dense, layer.output.dense
            with torch.no_grad():
                inner.weight, inner.bias = torch.nn.Parameter(inner.weight[kept]), torch.nn.Parameter(inner.bias[kept])
                outer.weight = torch.nn.Parameter(outer.weight[:, kept])
        random_errors.append(_error(other, reference, test))
    assert chosen < 0.7 * min(random_errors), (chosen, random_errors)


def test_a_pruned_student_is_a_plain_bert_both_loaders_read(data, tmp_path):
    train, test = data
    student = _student()
    prune_ffn(student, train, 512)
    student.save_pretrained(tmp_path)
    shutil.copy(Path(MINILM) / "tokenizer.json", tmp_path)  # as distill writes the teacher's tokenizer beside it
    assert bert.loadable(str(tmp_path))
    lean = bert.BertEncoder.from_directory(str(tmp_path))
    assert lean.config.intermediate_size == 512
    ids, mask = test[0]
    with torch.inference_mode():
        ours = lean(input_ids=ids, attention_mask=mask).last_hidden_state[mask.bool()]
        theirs = student(input_ids=ids, attention_mask=mask).last_hidden_state[mask.bool()]
    assert torch.allclose(ours, theirs, atol=1e-4)


@pytest.mark.parametrize("ffn", [0, 1536, 4000])
def test_keeping_none_or_all_neurons_is_refused(ffn):
    with pytest.raises(ModelError, match=f"ffn {ffn}: keep between 1 and 1535"):
        _check_ffn(ffn, 1536)
    _check_ffn(None, 1536)
    _check_ffn(768, 1536)


@pytest.mark.parametrize("dropout", [True, False])
def test_dropout_during_distillation_is_on_only_when_asked(data, dropout):
    import random
    from types import SimpleNamespace

    from transformers import AutoModel

    from models.distill import DistillConfig, _Distiller

    train, _ = data
    teacher_model = AutoModel.from_pretrained(MINILM).eval()
    teacher = SimpleNamespace(encoder=SimpleNamespace(model=teacher_model), coef=np.zeros((2, 384), np.float32),
                              intercept=np.zeros(2, np.float32), sector_head=None)
    distiller = _Distiller(teacher, DistillConfig())
    batches = [list(train[0])]
    variance = distiller.targets(batches, lambda *_: None)
    student = _student()
    seen: set[bool] = set()
    hooks = [m.register_forward_hook(lambda module, *_: seen.add(module.training))
             for m in student.modules() if isinstance(m, torch.nn.Dropout)]
    distiller.train(student, batches, variance, DistillConfig(epochs=1, dropout=dropout), random.Random(0),
                    lambda _: None)
    for hook in hooks:
        hook.remove()
    assert seen == {dropout}
    assert not student.training  # it is measured and stored in eval mode either way
