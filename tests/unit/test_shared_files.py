"""newsmon.pipeline.shared over a local folder standing in for the bucket (fsspec treats a path and
s3:// alike; the S3 runs are tests/integration/test_object_store.py and test_scaleout_workers.py)."""

from pathlib import Path

import pytest

from newsmon.config import Settings
from newsmon.pipeline import shared
from newsmon.pipeline.common import PipelineError


def _worker(root: Path, store: Path) -> Settings:
    return Settings(data_dir=root, staging_url=str(store / "staging"), models_url=str(store / "models"))


def test_staging_goes_up_spec_last_and_comes_down_on_another_worker(tmp_path: Path):
    a, b = _worker(tmp_path / "a", tmp_path / "store"), _worker(tmp_path / "b", tmp_path / "store")
    run = a.staging_dir / "2026-12-01"
    run.mkdir(parents=True)
    for suffix, text in ((".jsonl", '{"x": 1}\n'), (".summary.json", "{}"), (".spec.json", "{}"), (".log", "log")):
        (run / f"alpha{suffix}").write_text(text, encoding="utf-8")
    assert shared.share_staging(a, "2026-12-01", "alpha") == 3  # the log stays on the worker
    assert shared.fetch_staging(b, "2026-12-01") == 3
    assert sorted(p.name for p in (b.staging_dir / "2026-12-01").iterdir()) == [
        "alpha.jsonl", "alpha.spec.json", "alpha.summary.json"]
    assert shared.fetch_staging(b, "2026-12-02") == 0  # no crawl shared that day: all missing at load
    assert shared.share_staging(Settings(data_dir=tmp_path / "solo"), "2026-12-01", "alpha") == 0


def test_a_model_is_fetched_once_and_made_current(tmp_path: Path):
    a, b = _worker(tmp_path / "a", tmp_path / "store"), _worker(tmp_path / "b", tmp_path / "store")
    with pytest.raises(PipelineError, match=r"no model published at .* \(no LATEST there\)"):
        shared.fetch_model(b)
    model = tmp_path / "trained" / "frozen-abc"
    (model / "encoder").mkdir(parents=True)
    (model / "config.json").write_text("{}", encoding="utf-8")
    (model / "encoder" / "weights.bin").write_bytes(b"\x00" * 100)
    shared.share_model(a, model)
    fetched = shared.fetch_model(b)
    assert fetched == b.models_dir / "frozen-abc"
    assert (fetched / "encoder" / "weights.bin").read_bytes() == b"\x00" * 100
    assert (b.models_dir / "LATEST").read_text(encoding="utf-8") == "frozen-abc"
    assert not [p for p in b.models_dir.iterdir() if p.name.startswith(".")]
    assert shared.fetch_model(Settings(data_dir=tmp_path / "solo")) is None
