"""A day's gaps and health: crawls that left nothing are recorded as missing, check_health fails a
day with too many failed or broken sources, and a run with nothing new never trains a model."""

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from newsmon import pipeline
from newsmon.config import AlertSettings
from newsmon.domain import CrawlResult
from tests.servers import free_port


def _write_sources(settings, *names: str) -> None:
    settings.sources_file.write_text(yaml.safe_dump({"sources": [
        {"name": name, "homepage": "http://127.0.0.1/", "feeds": [f"http://127.0.0.1:{free_port()}/feed.xml"],
         "allowed_domains": ["127.0.0.1"]} for name in names]}))


def _stage(settings, run_id: str, **ok: bool) -> None:
    """Crawl summaries as the crawls leave them: a spec and a summary per source."""
    directory = pipeline.run_dir(settings, run_id)
    directory.mkdir(parents=True, exist_ok=True)
    for name, good in ok.items():
        result = CrawlResult(source=name, run_id=run_id, ok=good, staging_path=str(directory / f"{name}.jsonl"),
                             entries_seen=3 if good else 0, error=None if good else f"connection: <b>refused</b> {run_id}",
                             started_at=datetime.fromisoformat(run_id), finished_at=datetime.fromisoformat(run_id))
        (directory / f"{name}.spec.json").write_text("{}")
        (directory / f"{name}.summary.json").write_text(json.dumps(result.to_record()))


def test_a_crawl_that_left_nothing_is_recorded_as_missing(settings):
    _write_sources(settings, "alpha", "beta", "gamma")
    _stage(settings, "2026-11-20", alpha=True)
    loaded = pipeline.load_day(settings, run_id="2026-11-20")
    assert loaded["missing"] == ["beta", "gamma"]
    _, runs = pipeline.run_sql(settings, "select source, ok, error from crawl_runs order by source")
    assert [(s, ok) for s, ok, _ in runs] == [("alpha", True), ("beta", False), ("gamma", False)]
    assert runs[1][2].startswith("missing: the crawl task did not finish")
    with pytest.raises(pipeline.PipelineError) as failed:  # 2 of 3 is more than half
        pipeline.check_health(settings, "2026-11-20")
    assert str(failed.value).splitlines() == [
        "run 2026-11-20: 2 of 3 sources failed (more than 50%):",
        "  beta: missing: the crawl task did not finish (failed, timed out or never ran)",
        "  gamma: missing: the crawl task did not finish (failed, timed out or never ran)"]


def test_a_day_that_never_started_a_crawl_is_all_missing(settings):
    _write_sources(settings, "alpha")
    assert pipeline.load_day(settings, run_id="2026-11-21")["missing"] == ["alpha"]
    # a manual run's subset: only those were expected
    _write_sources(settings, "alpha", "beta")
    assert pipeline.load_day(settings, run_id="2026-11-22", only=["beta"])["missing"] == ["beta"]


def test_a_source_with_three_runs_of_nothing_is_broken_and_fails_the_day(settings):
    _write_sources(settings, "alpha", "beta", "gamma")
    for day in ("2026-11-20", "2026-11-21"):
        _stage(settings, day, alpha=True, beta=True, gamma=False)
        pipeline.load_day(settings, run_id=day)
        assert pipeline.check_health(settings, day).ok  # 1 of 3 failed: within the share, not yet broken
    _stage(settings, "2026-11-22", alpha=True, beta=True, gamma=False)
    pipeline.load_day(settings, run_id="2026-11-22")
    with pytest.raises(pipeline.PipelineError) as failed:
        pipeline.check_health(settings, "2026-11-22")
    assert str(failed.value).splitlines() == ["1 source(s) broken (their last 3 runs saw nothing):",
                                              "  gamma: connection: <b>refused</b> 2026-11-22"]
    # the share is a setting: with none allowed to fail, the failed crawl is named too
    strict = settings.model_copy(update={"alert": AlertSettings(max_failed_share=0.0)})
    with pytest.raises(pipeline.PipelineError, match="1 of 3 sources failed"):
        pipeline.check_health(strict, "2026-11-22")


@pytest.mark.slow
@pytest.mark.timeout(600)  # a guard against training (minutes), not a speed goal
def test_newsmon_run_against_a_dead_source_without_a_model_does_not_train(tmp_path: Path):
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({"sources": [
        {"name": "dead", "homepage": "http://127.0.0.1/", "feeds": [f"http://127.0.0.1:{free_port()}/feed.xml"],
         "allowed_domains": ["127.0.0.1"], "allow_private_hosts": True}]}))
    data_dir = tmp_path / "data"
    env = {**os.environ, "NEWSMON_DATA_DIR": str(data_dir), "NEWSMON_SOURCES_FILE": str(sources),
           "NEWSMON_CRAWL__RETRY_TIMES": "0", "NEWSMON_CRAWL__DOWNLOAD_TIMEOUT": "5"}
    result = subprocess.run([sys.executable, "-m", "newsmon", "run", "--date", "2026-11-22"], env=env,
                            capture_output=True, text=True, timeout=570)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "0/1 sources ok" in result.stdout and "0 scored" in result.stdout, result.stdout
    assert "training" not in (result.stdout + result.stderr).lower()
    assert not (data_dir / "models").exists()  # no model was trained into data/
