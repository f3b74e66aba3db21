"""Two workers that share nothing but PostgreSQL and an S3 bucket (moto's server on 127.0.0.1):
each has its own data dir, no shared folder. The warehouse is a DuckLake whose catalog is in
PostgreSQL and whose data files are in the bucket; staging and the model travel through the bucket
(newsmon.pipeline.shared). Worker A crawls the sample site, worker B loads and scores; the next day
worker B crawls and finds nothing new, from what the shared warehouse knows. The Airflow+Celery
version of the same is the slow scale-out DAG test; this one runs the steps in process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from newsmon import pipeline
from newsmon.config import Settings, WarehouseSettings
from newsmon.demo import demo_sources
from newsmon.pipeline import shared
from newsmon.pipeline.store import require_warehouse
from tests.conftest import fast_crawl
from tests.object_store import MotoServer

pytestmark = pytest.mark.slow




@pytest.fixture
def aws(tmp_path, monkeypatch):
    with MotoServer(tmp_path / "moto.log") as server:
        for name, value in server.environment().items():
            monkeypatch.setenv(name, value)
        yield server


def _worker(root: Path, dsn: str, bucket: str) -> Settings:
    return Settings(data_dir=root, sources_file=root / "sources.yaml", crawl=fast_crawl(),
                    warehouse=WarehouseSettings(url=f"ducklake:postgres:{dsn}", data_path=f"{bucket}/warehouse/"),
                    staging_url=f"{bucket}/staging", models_url=f"{bucket}/models")


def test_two_workers_share_staging_model_and_warehouse_only_through_postgres_and_the_bucket(
        aws, postgres, sample_site, tmp_path: Path):
    from models.artifact import shipped_model
    from warehouse.db import WarehouseError

    bucket = aws.make_bucket("newsmon")
    dsn = postgres.create_database("scaleout_workers")
    a = _worker(tmp_path / "worker-a", dsn, bucket)
    b = _worker(tmp_path / "worker-b", dsn, bucket)
    sources = demo_sources(sample_site.base_url)

    # before `newsmon db migrate`, a warehouse task fails in one line and creates nothing
    with pytest.raises(WarehouseError, match="create it once with `newsmon db migrate`"):
        require_warehouse(b)
    pipeline.migrate_warehouse(_worker(tmp_path / "admin", dsn, bucket))  # run once, anywhere
    require_warehouse(b)

    # a model trained elsewhere is published to the bucket (here: the shipped one)
    trained = tmp_path / "trainer" / shipped_model().name
    shutil.copytree(shipped_model(), trained)
    shared.share_model(a, trained)

    # day one: A crawls and shares its staging; B fetches it, loads, fetches the model, scores
    crawled = 0
    for source in sources:
        result = pipeline.crawl_source(source, run_id="2026-12-01", settings=a)
        assert result.ok, result.error
        crawled += result.articles
        assert shared.share_staging(a, "2026-12-01", source.name) == 3
    assert crawled > 0
    assert shared.fetch_staging(b, "2026-12-01") == 3 * len(sources)
    for path in (a.staging_dir / "2026-12-01").glob("*.jsonl"):
        assert (b.staging_dir / "2026-12-01" / path.name).read_bytes() == path.read_bytes()
    # the two feeds list some articles both: one row each
    staged = {json.loads(line)["article_id"] for path in (b.staging_dir / "2026-12-01").glob("*.jsonl")
              for line in path.read_text(encoding="utf-8").splitlines()}
    report = pipeline.load_run(b, "2026-12-01", sources)
    assert report.inserted == len(staged) > 0
    fetched = shared.fetch_model(b)
    assert fetched == b.models_dir / trained.name and pipeline.model_path(b) == fetched
    assert pipeline.classify_warehouse(b) == len(staged)

    # day two, on the other worker, which never saw day one's staging: nothing new to fetch
    again = [pipeline.crawl_source(source, run_id="2026-12-02", settings=b) for source in sources]
    assert all(r.ok for r in again) and sum(r.articles for r in again) == 0

    # one warehouse, in PostgreSQL and the bucket: no DuckDB file on either worker
    assert not list(tmp_path.glob("worker-*/*.duckdb"))
    assert [k for k in aws.keys("newsmon", "warehouse/") if k.endswith(".parquet")]
    with pipeline.warehouse(a, read_only=True) as con:
        assert con.execute("select count(*), count(distinct article_id) from articles").fetchone() == (
            len(staged), len(staged))
        assert con.execute("select count(distinct article_id), min(model_version), max(model_version)"
                           " from classifications").fetchone() == (len(staged), trained.name, trained.name)
