"""The warehouse on DuckLake: catalog in a real PostgreSQL server, data files in a shared folder.
The same migrations, loads, views and search as on the DuckDB file; two loads writing at once."""

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from newsmon import pipeline
from newsmon.config import Settings, WarehouseSettings
from newsmon.demo import demo_sources
from newsmon.domain import Source
from newsmon.sample_site import load_manifest
from tests.conftest import fast_crawl
from tests.servers import RoutedServer
from tests.sites.wire_site import STORIES, routes
from tests.support.models import install_model

pytestmark = pytest.mark.slow




@pytest.fixture
def lake(postgres, tmp_path: Path, request) -> Settings:
    name = "lake_" + request.node.name.replace("[", "_").replace("]", "").lower()[:40]
    dsn = postgres.create_database(name)
    return Settings(data_dir=tmp_path / "data", crawl=fast_crawl(),
                    warehouse=WarehouseSettings(url=f"ducklake:postgres:{dsn}", data_path=str(tmp_path / "lake-files")))


def _env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "NEWSMON_DATA_DIR": str(settings.data_dir),
            "NEWSMON_WAREHOUSE__URL": settings.warehouse.url,
            "NEWSMON_WAREHOUSE__DATA_PATH": settings.warehouse.data_path}


def _newsmon(settings: Settings, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "newsmon", *args], env=_env(settings),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_pipeline_on_ducklake_with_two_loads_at_once(lake: Settings, sample_site, trained_model_dir, tmp_path):
    migrate = _newsmon(lake, "db", "migrate")
    out, err = migrate.communicate(timeout=120)
    assert migrate.returncode == 0, err
    assert "applied migrations: [1, 2" in out

    # two crawls of two sites into two runs
    sample = demo_sources(sample_site.base_url)
    sample_results = pipeline.crawl_sources(sample, run_id="sample", settings=lake)
    with RoutedServer({}) as site:
        site.routes.update(routes(site.base_url))
        base = site.base_url
        wire = Source(name="harbourline", homepage=f"{base}/", feeds=(f"{base}/feeds/legacy.rss",),
                      sitemaps=(f"{base}/robots.txt",), sections=(f"{base}/sections/industry",),
                      allowed_domains=("127.0.0.1",), include=(r"/(story|drafts)/",))
        (wire_result,) = pipeline.crawl_sources([wire], run_id="wire", settings=lake, since=datetime(2026, 1, 1))
    assert all(r.ok for r in sample_results) and wire_result.ok
    # the same story staged by both runs: one row however the two loads interleave
    first_file = sorted(pipeline.run_dir(lake, "sample").glob("*.jsonl"))[0]
    shared = json.loads(first_file.read_text(encoding="utf-8").splitlines()[0])
    with (pipeline.run_dir(lake, "wire") / "harbourline.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(shared) + "\n")

    sources_file = tmp_path / "sources.yaml"
    sources_file.write_text("sources: []\n", encoding="utf-8")
    loads = [_newsmon(lake, "load", "--run-id", run, "--sources", str(sources_file)) for run in ("sample", "wire")]
    for load in loads:
        out, err = load.communicate(timeout=300)
        assert load.returncode == 0, err

    staged = {json.loads(line)["article_id"] for run in ("sample", "wire")
              for path in pipeline.run_dir(lake, run).glob("*.jsonl") for line in path.read_text().splitlines()}
    expected = len(staged)
    assert expected >= len(load_manifest()) + len(STORIES) - 2
    _, rows = pipeline.run_sql(lake, "select count(*), count(distinct article_id) from articles")
    assert rows == [(expected, expected)]
    _, runs = pipeline.run_sql(lake, "select run_id, source, articles from crawl_runs order by run_id")
    assert sorted((r[0], r[1]) for r in runs) == sorted([("sample", s.name) for s in sample] + [("wire", "harbourline")])

    # classify on the lake with the session's model, then the views answer
    install_model(trained_model_dir, lake.models_dir, link=True)
    assert pipeline.classify_unscored(lake) == expected
    assert pipeline.cluster_unclustered(lake) == expected
    _, scored = pipeline.run_sql(lake, "select count(*), count(distinct (article_id, label)) from classifications")
    assert scored == [(2 * expected, 2 * expected)]
    _, rows = pipeline.run_sql(lake, "select count(*), count(distinct article_id) from article_stories")
    assert rows == [(expected, expected)]
    _, flagged = pipeline.run_sql(lake, "select count(*) from flagged_articles")
    manifest_flags = sum(a["integration"] + a["decentralization"] for a in load_manifest())
    assert flagged[0][0] >= manifest_flags // 2  # the views run on the lake; the model finds flags
    for view in ("trend_weekly", "trend_by_sector", "top_sources_by_label", "stories", "source_health",
                 "date_disagreements"):
        pipeline.run_sql(lake, f"select * from {view}")
    hits = pipeline.search_articles(lake, "app stores")
    assert any("app store" in h.title.lower() for h in hits)

    # loading both runs again changes nothing
    _, before = pipeline.run_sql(lake, "select count(*), sum(hash(article_id, title, text)) from articles")
    pipeline.load_run(lake, "sample", [])
    _, after = pipeline.run_sql(lake, "select count(*), sum(hash(article_id, title, text)) from articles")
    assert before == after
    assert list(Path(lake.warehouse.data_path).rglob("*.parquet"))  # the data lives in the shared path
