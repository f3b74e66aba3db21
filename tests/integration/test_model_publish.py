"""`newsmon train` publishes the model it trained to NEWSMON_MODELS_URL (here moto's S3 server on
127.0.0.1), so a worker on another machine fetches it; with no URL set nothing leaves data_dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon import pipeline
from newsmon.config import ModelSettings, Settings
from newsmon.pipeline import shared
from tests.object_store import MotoServer
from tests.support.models import small_data_dir

pytestmark = [pytest.mark.slow, pytest.mark.model]


def test_training_publishes_the_model_that_scores_and_a_worker_fetches_it(tmp_path: Path, monkeypatch):
    with MotoServer(tmp_path / "moto.log") as moto:
        for name, value in moto.environment().items():
            monkeypatch.setenv(name, value)
        bucket = moto.make_bucket("newsmon")
        model = ModelSettings(method="frozen", extra_data=None, distill=False)
        trainer = Settings(data_dir=tmp_path / "trainer", models_url=f"{bucket}/models", model=model)
        progress: list[str] = []
        trained, student = pipeline.train_and_distill(trainer, data_dir=small_data_dir(tmp_path, per_stratum=6),
                                                      progress=progress.append)
        assert student is None

        files = sorted(p.relative_to(trained).as_posix() for p in trained.rglob("*") if p.is_file())
        assert moto.keys("newsmon", "models/") == sorted(
            ["models/LATEST", *(f"models/{trained.name}/{name}" for name in files)])
        assert f"model published to {bucket}/models/{trained.name}" in progress

        # a worker with its own, empty data dir scores with it
        worker = Settings(data_dir=tmp_path / "worker", models_url=f"{bucket}/models")
        fetched = shared.fetch_model(worker)
        assert fetched == worker.models_dir / trained.name
        assert pipeline.require_model(worker) == fetched
        assert (fetched / "checksums.sha256").read_bytes() == (trained / "checksums.sha256").read_bytes()
