"""Training writes a complete, loadable artifact; both methods, the fine-tuned one on a small set."""

import json
import shutil

import pytest

from models.classifier import Classifier
from models.dataset import default_data_dir, load_examples
from newsmon import pipeline
from newsmon.config import ModelSettings, Settings

pytestmark = pytest.mark.slow


def _small_data_dir(tmp_path, per_stratum: int = 12):
    examples = load_examples()
    picked: dict[tuple, list] = {}
    for ex in examples:
        bucket = picked.setdefault((ex.split, ex.stratum), [])
        if len(bucket) < per_stratum:
            bucket.append(ex)
    rows = [ex for bucket in picked.values() for ex in bucket]
    directory = tmp_path / "data-small"
    directory.mkdir()
    (directory / "small.jsonl").write_text("".join(
        json.dumps({"id": ex.id, "title": ex.title, "text": ex.text, **ex.labels, "sectors": list(ex.sectors)}) + "\n"
        for ex in rows))
    shutil.copy(default_data_dir() / "test_split.txt", directory / "test_split.txt")
    return directory


def test_finetuned_artifact_carries_its_encoder_and_predicts(tmp_path):
    settings = Settings(data_dir=tmp_path, model=ModelSettings(method="finetune", epochs=1))
    path = pipeline.train_model(settings, data_dir=_small_data_dir(tmp_path))
    assert path.name.startswith("finetune-")
    config = json.loads((path / "config.json").read_text())
    assert (path / "encoder" / "config.json").exists()
    assert config["normalize"] is False and config["encoder"] == "encoder"
    assert set(config["thresholds"]) == {"integration", "decentralization"}
    card = (path / "MODEL_CARD.md").read_text()
    assert config["data_snapshot"] in card and "fine-tuned encoder" in card
    classifier = Classifier.load(path)
    (prediction,) = classifier.predict(["Harbour cranes now scheduled by a model"], ["The port says waits fell."])
    assert set(prediction.scores) == {"integration", "decentralization"}
    assert (tmp_path / "models" / "LATEST").read_text() == path.name


def test_training_is_reproducible_with_the_fixed_seed(tmp_path, trained_model_dir):
    again = pipeline.train_model(Settings(data_dir=tmp_path, model=ModelSettings(method="frozen")))
    assert again.name == trained_model_dir.name
    first = json.loads((trained_model_dir / "metrics.json").read_text())
    assert json.loads((again / "metrics.json").read_text()) == first


def test_evaluate_reproduces_training_metrics_and_writes_the_card(model_settings, trained_model_dir, tmp_path):
    card = tmp_path / "MODEL_CARD.md"
    version, metrics = pipeline.evaluate_model(model_settings, card)
    assert version == trained_model_dir.name
    assert metrics == json.loads((trained_model_dir / "metrics.json").read_text())
    text = card.read_text()
    assert version in text and "| integration |" in text
