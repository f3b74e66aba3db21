"""The model that scores: where it is, training and distilling it, loading and evaluating it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from newsmon.config import Settings
from newsmon.pipeline.common import PipelineError
from newsmon.pipeline.feedback import export_feedback

# steps(stage, completed, total): progress of long model work, for the CLI's bars (models.progress)
Steps = Callable[[str, int, int], None]


def _no_steps(stage: str, completed: int, total: int) -> None:
    pass


def model_path(settings: Settings) -> Path | None:
    """The model that scores: model.path when set, else the current one under <data_dir>/models
    (LATEST), else the one that ships with newsmon (models/shipped; checked when it is loaded)."""
    from models.artifact import latest_model, shipped_model

    if settings.model.path:
        return settings.model.path
    return latest_model(settings.models_dir) or shipped_model()


def train_config(settings: Settings):
    """The models.train.TrainConfig that the settings ask for."""
    from models.train import TrainConfig

    return TrainConfig(base_model=settings.model.base_model, max_length=settings.model.max_length,
                       max_chunks=settings.model.max_chunks, batch_size=settings.model.batch_size,
                       seed=settings.model.seed, method=settings.model.method, epochs=settings.model.epochs,
                       held_out_fold=settings.model.held_out_fold)


def train_model(settings: Settings, *, data_dir: Path | None = None, with_feedback: bool = False,
                progress: Callable[[str], None] = lambda _: None, steps: Steps | None = None) -> Path:
    """Train on the repository's examples (data_dir) and the real-news corpus (model.extra_data, its
    training part), plus the warehouse's label feedback when asked; feedback examples only ever
    join the training split."""
    from models.dataset import load_examples
    from models.train import train

    extra = []
    if with_feedback:
        path, count = export_feedback(settings)
        progress(f"{count} feedback examples exported to {path}")
        extra.append(path)
    examples = load_examples(data_dir, extra=extra, extra_data=settings.model.extra_data)
    return train(examples, train_config(settings), settings.models_dir, progress=progress, steps=steps or _no_steps,
                 vector_cache=settings.data_dir / "cache" / "vectors")


def distill_model(settings: Settings, distill_config=None, *, teacher: Path | None = None, data_dir: Path | None = None,
                  progress: Callable[[str], None] = lambda _: None, steps: Steps | None = None, **fields) -> Path:
    """Distil the teacher (default: the current model) into a student shaped by distill_config (a
    models.distill.DistillConfig, whose defaults are the student newsmon scores with) with fields
    replaced (layers=..., ffn=..., ...); the student becomes the current model, the teacher stays
    beside it."""
    from dataclasses import replace

    from models.dataset import load_examples
    from models.distill import DistillConfig, distill

    teacher = teacher or model_path(settings)
    if teacher is None or not teacher.exists():
        raise PipelineError("no trained model to distil: run `newsmon train` first")
    shape = replace(distill_config or DistillConfig(), **fields, seed=settings.model.seed)
    student = distill(teacher, load_examples(data_dir, extra_data=settings.model.extra_data), shape,
                      settings.models_dir, progress=progress, steps=steps or _no_steps)
    _publish(settings, student, progress)
    return student


def train_and_distill(settings: Settings, *, with_feedback: bool = False, data_dir: Path | None = None,
                      distill_config=None, progress: Callable[[str], None] = lambda _: None,
                      steps: Steps | None = None) -> tuple[Path, Path | None]:
    """What `newsmon train` does: train (train_model); then, with model.distill on (the default), distil it
    (fine-tuned, or the frozen MiniLM with its heads) into a student (distill_config, default
    models.distill's), which scores from then on. Returns the trained model and the student (or None)."""
    trained = train_model(settings, data_dir=data_dir, with_feedback=with_feedback, progress=progress, steps=steps)
    if not settings.model.distill:
        _publish(settings, trained, progress)
        return trained, None
    progress("distilling it into the smaller model that scores from now on (model.distill; 15-40 min on 2 cores)")
    return trained, distill_model(settings, distill_config, teacher=trained, data_dir=data_dir, progress=progress,
                                  steps=steps)


def _publish(settings: Settings, model: Path, progress: Callable[[str], None]) -> None:
    """With NEWSMON_MODELS_URL set, put the model that now scores in the object store, where the
    workers of other machines fetch it (newsmon.pipeline.shared)."""
    from newsmon.pipeline.shared import share_model

    if url := share_model(settings, model):
        progress(f"model published to {url}")


def require_model(settings: Settings) -> Path:
    """The current model's path (model_path: model.path, data/models, else the one shipped with
    newsmon); when there is none, fail with one line saying to train one. Never trains: a scheduled
    task must not train for half an hour."""
    path = _existing_model(settings)
    if path is None:
        _no_model_at_setting(settings)
        raise PipelineError(f"no trained model in {settings.models_dir}: run `newsmon train` first")
    return path


def _existing_model(settings: Settings) -> Path | None:
    path = model_path(settings)
    return path if path is not None and path.exists() else None


def _no_model_at_setting(settings: Settings) -> None:
    """A model.path that names nothing is the user's to fix: training would not put a model there."""
    if settings.model.path:
        raise PipelineError(f"no trained model at {settings.model.path}: run `newsmon train`")


def load_classifier(settings: Settings):
    from models.classifier import Classifier

    path = model_path(settings)
    if path is None:
        raise PipelineError("no trained model: run `newsmon train` first")
    return Classifier.load(path, batch_size=settings.model.batch_size, precision=settings.model.precision)


def evaluate_model(settings: Settings, card_path: Path | None = None) -> tuple[str, dict]:
    """Measure the current model on the test splits (the real one when model.extra_data is there,
    and the written one); write its model card to card_path if given, with the real test split's
    reliability chart beside it."""
    from models.analysis.results import card_evidence
    from models.card import render_card, write_reliability_chart
    from models.dataset import load_examples
    from models.evaluate import evaluate

    classifier = load_classifier(settings)
    metrics = evaluate(classifier, load_examples(extra_data=settings.model.extra_data))
    if card_path is not None:
        chart = write_reliability_chart(metrics, card_path.with_name("reliability.png"))
        card_path.write_text(render_card(classifier.config, metrics, classifier.encoder.precision,
                                         chart=chart.name if chart else None, evidence=card_evidence()),
                             encoding="utf-8")
    return classifier.version, metrics


def model_for_run(settings: Settings, new_articles: int,
                  progress: Callable[[str], None] = lambda _: None) -> Path | None:
    """The model a run scores with: the current one; when there is none, one trained now
    (train_and_distill) if the run brought new articles, else None (nothing to score is no reason
    to train for minutes)."""
    path = _existing_model(settings)
    if path is not None:
        return path
    if not new_articles:
        progress("no trained model and no new articles: nothing scored (`newsmon train` builds the model)")
        return None
    _no_model_at_setting(settings)
    progress("no trained model yet: training one")
    trained, student = train_and_distill(settings, progress=progress)
    return student or trained
