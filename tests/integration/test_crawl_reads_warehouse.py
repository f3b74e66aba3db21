"""A crawl first reads what the warehouse knows (known URLs, listing states). No warehouse yet (the
first run) means nothing is known and everything is crawled; a warehouse that is there but cannot be
read (corrupt, or locked past the lock timeout) fails the crawl in one line before it starts,
instead of silently recrawling every article as new (the Airflow task then fails and retries)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from newsmon import pipeline
from newsmon.domain import Source
from tests.servers import Route, RoutedServer

PAGE = ("<html><head><title>Depot robots</title></head><body><article><h1>Depot robots</h1>"
        + "<p>Port robots moved the night shift to a depot the operator runs itself. </p>" * 12
        + "</article></body></html>")


def _feed(base: str) -> str:
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>s</title>'
            f'<item><title>Depot robots</title><link>{base}/2026/11/20/depot-robots</link></item>'
            '</channel></rss>')


def _source(base: str) -> Source:
    return Source(name="s", homepage=f"{base}/", feeds=(f"{base}/feed.xml",), allowed_domains=("127.0.0.1",),
                  allow_private_hosts=True)


def test_without_a_warehouse_the_crawl_knows_nothing_and_stages_everything(settings):
    with RoutedServer({"/feed.xml": Route(_feed("{base}"), content_type="application/rss+xml"),
                       "/2026/11/20/depot-robots": Route(PAGE)}) as server:
        result = pipeline.crawl_source(_source(server.base_url), run_id="r1", settings=settings)
    spec = json.loads((pipeline.run_dir(settings, "r1") / "s.spec.json").read_text(encoding="utf-8"))
    assert spec["known_urls"] == [] and spec["feed_states"] == []
    assert result.ok and result.articles == 1
    assert not Path(settings.warehouse_path).exists()  # reading created nothing


def test_a_warehouse_without_the_tables_yet_knows_nothing(settings):
    path = Path(settings.warehouse_path)
    path.parent.mkdir(parents=True)
    duckdb.connect(str(path)).close()  # a DuckDB file, no schema
    source = _source("http://127.0.0.1:9")
    assert pipeline.crawl.known_url_keys(settings, source) == []


def test_a_corrupt_warehouse_fails_the_crawl_in_one_line_before_it_starts(settings):
    path = Path(settings.warehouse_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a DuckDB database\n" * 200)
    with pytest.raises(pipeline.PipelineError) as failed:
        pipeline.crawl_source(_source("http://127.0.0.1:9"), run_id="r1", settings=settings)
    message = str(failed.value)
    assert "\n" not in message and str(path) in message and "cannot read" in message
    assert not (pipeline.run_dir(settings, "r1") / "s.spec.json").exists()  # no crawl was started


def test_a_warehouse_locked_past_the_timeout_fails_the_crawl_in_one_line(settings):
    path = Path(settings.warehouse_path)
    path.parent.mkdir(parents=True)
    holder = subprocess.Popen(  # another process holds the writer's lock
        [sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
         "print('holding', flush=True); time.sleep(120)", str(path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        quick = settings.model_copy(update={"warehouse": settings.warehouse.model_copy(update={"lock_timeout": 0.5})})
        with pytest.raises(pipeline.PipelineError, match=r"locked by process \d+") as failed:
            pipeline.crawl_source(_source("http://127.0.0.1:9"), run_id="r1", settings=quick)
        assert "\n" not in str(failed.value)
    finally:
        holder.kill()
        holder.wait()
    assert not (pipeline.run_dir(settings, "r1") / "s.spec.json").exists()
