"""Models for the tests: a trained model put where newsmon finds it, as `newsmon train` leaves one, and
a small training data dir."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from models.artifact import make_current
from models.dataset import default_data_dir, load_examples
from newsmon.config import ModelSettings, Settings


def install_model(artifact: Path, models_dir: Path, *, link: bool = False) -> Path:
    """Copy the model at artifact into models_dir (with link, a symlink to it instead) and make it
    the current one (LATEST); return where it now is."""
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / artifact.name
    if link:
        target.symlink_to(artifact)
    else:
        shutil.copytree(artifact, target)
    make_current(models_dir, artifact.name)
    return target


def small_data_dir(tmp_path: Path, per_stratum: int = 12) -> Path:
    """A training data dir of a few written examples per split and label combination (with the
    committed written test split), so a training test runs in minutes."""
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


@dataclass(frozen=True)
class SmallFinetuned:
    """A small fine-tuned model and its student, trained and distilled as `newsmon train` does with
    model.distill on (train_small_finetuned), with the progress steps it reported."""

    settings: Settings
    data_dir: Path
    teacher: Path
    student: Path
    steps: list[tuple[str, int, int]]


def small_finetuned_settings(data_dir: Path) -> Settings:
    """The small fine-tuned config: one epoch of fine-tuning, written examples only, distilled."""
    return Settings(data_dir=data_dir, model=ModelSettings(method="finetune", epochs=1, extra_data=None, distill=True))


def train_small_finetuned(data_dir: Path, small: Path, steps=None) -> tuple[Path, Path]:
    """Train and distil the small fine-tuned config on the data dir small (small_data_dir(per_stratum=4))
    into data_dir/models; the one definition both the session's copy (tests/integration/conftest.py)
    and test_shipped_model's fresh-process rebuild use, so both are built from the same inputs."""
    from models.distill import DistillConfig
    from newsmon import pipeline

    trained, student = pipeline.train_and_distill(small_finetuned_settings(data_dir), data_dir=small, steps=steps,
                                                  distill_config=DistillConfig(epochs=1, mixes=20, blends=20))
    assert student is not None
    return trained, student
