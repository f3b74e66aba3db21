"""Nothing vanishes without a word: staging lines the loader cannot use, dates it drops, and URLs
too long for Scrapy are counted failures of their source, in the load's report and in crawl_runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

import pytest

from newsmon import pipeline
from newsmon.domain import Article, CrawlResult, Source, article_id, content_hash


def _record(n: int, **changes) -> dict:
    url = f"https://news.example/2026/11/{n}"
    record = Article(article_id=article_id(url), url=url, canonical_url=url, source="s1", title=f"Title {n}",
                     text=f"Body {n}.", fetched_at=datetime(2026, 11, 17, 8, n),
                     published_at=datetime(2026, 11, 16, 9, n), published_from="feed",
                     content_hash=content_hash(f"Body {n}.")).to_record()
    record.update(changes)
    return record


def _stage(settings, run_id: str) -> None:
    directory = pipeline.run_dir(settings, run_id)
    directory.mkdir(parents=True)
    lines = [
        json.dumps(_record(1)),
        "this is not json",
        json.dumps([1, 2, 3]),
        json.dumps(_record(2, title=None)),
        json.dumps({k: v for k, v in _record(3).items() if k != "url"}),
        json.dumps(_record(4, fetched_at="yesterday")),
        json.dumps(_record(5, published_at="2026-02-30T25:00:00")),
        "",
        json.dumps(_record(6)),
        json.dumps(_record(8, published_at="20261116")),  # ISO to Python, not a timestamp to DuckDB
    ]
    (directory / "s1.jsonl").write_text("\n".join(lines) + "\n" + json.dumps(_record(7))[:40], encoding="utf-8")
    result = CrawlResult(source="s1", run_id=run_id, staging_path=str(directory / "s1.jsonl"), ok=True,
                         articles=8, entries_seen=8, counts={"articles": 8})
    (directory / "s1.spec.json").write_text("{}", encoding="utf-8")
    (directory / "s1.summary.json").write_text(json.dumps(result.to_record()), encoding="utf-8")


def test_bad_staging_lines_and_dates_are_counted_per_source(settings):
    _stage(settings, "r1")
    source = Source(name="s1", homepage="https://news.example/", feeds=("https://news.example/f",))
    report = pipeline.load_run(settings, "r1", [source])
    assert report.read == 4  # lines 1, 5 (its date dropped), 6 and 8 (its date dropped)
    assert report.skipped == {"torn_line": 1, "bad_line": 4, "bad_date": 3}
    assert report.problems() == "; at load: 3 bad_date, 4 bad_line, 1 torn_line"
    _, rows = pipeline.run_sql(settings, "select url, published_at, published_from from articles order by url")
    assert rows == [("https://news.example/2026/11/1", datetime(2026, 11, 16, 9, 1), "feed"),
                    ("https://news.example/2026/11/5", None, None),
                    ("https://news.example/2026/11/6", datetime(2026, 11, 16, 9, 6), "feed"),
                    ("https://news.example/2026/11/8", None, None)]
    _, (run,) = pipeline.run_sql(settings, "select failures_total, counts, failures from crawl_runs")
    failures_total, counts, failures = run[0], json.loads(run[1]), json.loads(run[2])
    assert failures_total == 8
    assert {k: v for k, v in counts.items() if k.startswith("failed_")} == {
        "failed_torn_line": 1, "failed_bad_line": 4, "failed_bad_date": 3}
    assert [f["kind"] for f in failures] == ["bad_line", "bad_line", "bad_line", "bad_line", "bad_date"]
    assert failures[0]["message"] == "at load: line 2: not JSON"
    # the staging file is left as the crawl wrote it, and a second load records the same
    assert "this is not json" in (pipeline.run_dir(settings, "r1") / "s1.jsonl").read_text(encoding="utf-8")
    again = pipeline.load_run(settings, "r1", [source])
    assert again.skipped == report.skipped
    _, rows = pipeline.run_sql(settings, "select count(*), sum(failures_total) from crawl_runs")
    assert rows == [(1, 8)]


def test_newsmon_load_says_what_it_skipped(tmp_path):
    from newsmon.config import Settings

    settings = Settings(data_dir=tmp_path / "data", sources_file=tmp_path / "sources.yaml")
    _stage(settings, "r1")
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    env = {**os.environ, "NEWSMON_DATA_DIR": str(tmp_path / "data"), "NEWSMON_SOURCES_FILE": str(tmp_path / "sources.yaml")}
    result = subprocess.run([sys.executable, "-m", "newsmon", "load", "--run-id", "r1"], capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "4 articles read" in result.stdout
    assert "at load: 3 bad_date, 4 bad_line, 1 torn_line" in result.stdout


@pytest.mark.slow
def test_urls_too_long_for_scrapy_are_counted(settings):
    from tests.servers import Route, RoutedServer

    long_path = "/2026/11/20/" + "-".join(["word"] * 500)
    feed = ('<?xml version="1.0"?><rss version="2.0"><channel><title>s</title>'
            f'<item><title>Too long</title><link>{{base}}{long_path}</link></item>'
            '<item><title>Fine</title><link>{base}/2026/11/20/a-fine-article-page</link></item>'
            '</channel></rss>')
    page = ("<html><head><title>Fine</title></head><body><article><h1>Fine</h1>"
            + "<p>Port robots moved the night shift to a depot the operator runs itself. </p>" * 12
            + "</article></body></html>")
    with RoutedServer({"/feed.xml": Route(feed, content_type="application/rss+xml"),
                       "/2026/11/20/a-fine-article-page": Route(page)}) as server:
        source = Source(name="longurls", homepage=f"{server.base_url}/", feeds=(f"{server.base_url}/feed.xml",),
                        allowed_domains=("127.0.0.1",), allow_private_hosts=True)
        result = pipeline.crawl_source(source, run_id="r", settings=settings)
        requested = [path for _, path, _ in server.requests]
    assert result.ok and result.articles == 1
    assert result.counts["failed_url_too_long"] == 1
    (failure,) = [f for f in result.failures if f["kind"] == "url_too_long"]
    assert "past the 2,083 limit" in failure["message"]
    assert long_path not in requested
