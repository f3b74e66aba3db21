"""How analysts reach the warehouse: full-text search, exports, and read-only SQL beside a writer."""

import csv
import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from newsmon import pipeline
from newsmon.config import Settings, WarehouseSettings
from newsmon.domain import Article, article_id, content_hash
from tests.support.cli import newsmon
from tests.support.warehouse import ARTICLES


def test_search_ranks_by_bm25_and_filters_by_label_and_date(loaded: Settings):
    hits = pipeline.search_articles(loaded, "humanoid robots")
    titles = [h.title for h in hits]
    # stemming finds "robot"/"robots"; the article with both words in its title ranks first
    assert titles[0].startswith("Humanoid robots join")
    assert set(titles) == {ARTICLES[0][0], ARTICLES[1][0], ARTICLES[3][0]}
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    flagged = pipeline.search_articles(loaded, "robots", label="integration", since=datetime(2026, 11, 15))
    assert [h.title for h in flagged] == [ARTICLES[3][0]]
    assert flagged[0].labels == ["integration"]
    assert pipeline.search_articles(loaded, "zeppelin") == []


def test_search_cli_prints_json_and_rejects_unknown_label(loaded: Settings):
    result = newsmon("search", "federated", "--format", "json", data_dir=loaded.data_dir)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["title"] for r in rows] == [ARTICLES[2][0]]
    bad = newsmon("search", "robots", "--label", "robots", data_dir=loaded.data_dir)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: unknown label 'robots': use one of integration, decentralization"


def test_index_follows_each_load(loaded: Settings):
    run = pipeline.run_dir(loaded, "2026-11-21")
    run.mkdir(parents=True)
    url = "https://news.example/new"
    record = Article(article_id=article_id(url), url=url, canonical_url=url, source="s0",
                     title="Zeppelin freight trial over the Baltic", text="A cargo airship flew a route.",
                     fetched_at=datetime(2026, 11, 21), published_at=datetime(2026, 11, 21),
                     content_hash=content_hash("x")).to_record()
    (run / "s.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    pipeline.load_run(loaded, "2026-11-21", results=[])
    assert [h.title for h in pipeline.search_articles(loaded, "zeppelin")] == ["Zeppelin freight trial over the Baltic"]


def test_parquet_export_is_partitioned_by_week_and_reads_back(loaded: Settings, tmp_path: Path):
    target = tmp_path / "export"
    result = pipeline.export(loaded, target, fmt="parquet", since=datetime(2026, 11, 11))
    assert (result["rows"], result["weeks"]) == (3, 2)
    assert sorted(p.name for p in target.iterdir()) == ["week=2026-W46", "week=2026-W47"]
    rows = duckdb.sql(f"select week, title, integration, decentralization, sectors from "
                      f"read_parquet('{target}/*/*.parquet', hive_partitioning = true) order by published_at").fetchall()
    assert rows == [("2026-W46", ARTICLES[1][0], False, False, []),
                    ("2026-W47", ARTICLES[2][0], False, True, []),
                    ("2026-W47", ARTICLES[3][0], True, False, [])]


def test_csv_export_without_text_and_refusal_to_overwrite(loaded: Settings, tmp_path: Path):
    target = tmp_path / "articles.csv"
    result = newsmon("export", str(target), "--format", "csv", "--no-text", data_dir=loaded.data_dir)
    assert result.returncode == 0, result.stderr
    with target.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["title"] for r in rows] == [a[0] for a in ARTICLES]
    assert "text" not in rows[0] and rows[0]["sectors"] == "[manufacturing]"
    again = newsmon("export", str(target), "--format", "csv", data_dir=loaded.data_dir)
    assert again.returncode == 1
    assert again.stderr.strip() == f"error: {target} exists and is not empty: choose a new path or remove it"


def test_sql_is_read_only_and_says_when_a_writer_holds_the_file(loaded: Settings):
    refused = newsmon("sql", "delete from articles", data_dir=loaded.data_dir)
    assert refused.returncode == 1 and "read-only" in refused.stderr and "--write" in refused.stderr
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
         "print('locked', flush=True); time.sleep(60)", loaded.warehouse_path],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        # by default sql reads the readers' snapshot: no wait for the writer
        snapshot = newsmon("sql", "select count(*) as n from articles", "--format", "csv", data_dir=loaded.data_dir,
                           NEWSMON_WAREHOUSE__LOCK_TIMEOUT="0")
        assert snapshot.stdout.splitlines() == ["n", "4"], snapshot.stderr
        started = time.monotonic()
        blocked = newsmon("sql", "select count(*) from articles", "--live", data_dir=loaded.data_dir,
                          NEWSMON_WAREHOUSE__LOCK_TIMEOUT="2")
        waited = time.monotonic() - started
        assert blocked.returncode == 1
        last = blocked.stderr.strip().splitlines()[-1]
        assert last.startswith(f"error: warehouse {loaded.warehouse_path} is locked by process {holder.pid}")
        assert "after waiting 2 s" in last
        assert waited >= 2  # it did wait (bounded: the test would hang otherwise)
    finally:
        holder.kill()
        holder.wait()
    ok = newsmon("sql", "select count(*) as n from articles", "--format", "csv", data_dir=loaded.data_dir)
    assert ok.stdout.splitlines() == ["n", "4"]


def test_lock_timeout_setting_is_validated():
    with pytest.raises(ValueError):
        Settings(warehouse=WarehouseSettings(lock_timeout=-1))


def test_label_feedback_is_recorded_and_exported_as_training_examples(loaded: Settings):
    flagged_id = article_id("https://news.example/0")  # the model flags integration
    quiet_id = article_id("https://news.example/1")    # flags nothing
    wrong = newsmon("label", flagged_id, "integration", "wrong", "--note", "a demo, not a deployment",
                    data_dir=loaded.data_dir, NEWSMON_USER="ana")
    assert wrong.returncode == 0, wrong.stderr
    assert "the model flagged it (wrong); recorded that the label does not apply" in wrong.stdout
    assert newsmon("label", quiet_id, "decentralization", "yes", data_dir=loaded.data_dir).returncode == 0
    # a second word on the same pair replaces the first
    assert newsmon("label", flagged_id, "integration", "right", data_dir=loaded.data_dir).returncode == 0
    assert newsmon("label", flagged_id, "integration", "wrong", data_dir=loaded.data_dir,
                   NEWSMON_USER="ana").returncode == 0
    _, rows = pipeline.run_sql(loaded, "select article_id, label, value, verdict, model_flagged, labeled_by"
                                       " from label_feedback order by article_id, label")
    assert sorted(rows) == sorted([(flagged_id, "integration", 0, "wrong", True, "ana"),
                                   (quiet_id, "decentralization", 1, "set", False, os.environ.get("USER"))])

    path, count = pipeline.export_feedback(loaded)
    examples = {e["id"]: e for e in map(json.loads, path.read_text(encoding="utf-8").splitlines())}
    assert count == 2
    first = examples[f"feedback-{flagged_id}"]
    assert (first["title"], first["integration"], first["decentralization"]) == (ARTICLES[0][0], 0, 0)
    assert first["sectors"] == ["manufacturing"]  # the current model's tags
    second = examples[f"feedback-{quiet_id}"]
    assert (second["integration"], second["decentralization"]) == (0, 1)


def test_label_refuses_unknown_article_label_and_verdict(loaded: Settings):
    known = article_id("https://news.example/0")
    for args, message in (
        (("nope", "integration", "wrong"), "error: no article with id 'nope' in the warehouse"),
        ((known, "robots", "wrong"), "error: unknown label 'robots': use one of integration, decentralization"),
        ((known, "integration", "maybe"), "error: unknown verdict 'maybe': use right, wrong, yes or no"),
    ):
        result = newsmon("label", *args, data_dir=loaded.data_dir)
        assert result.returncode == 1
        assert result.stderr.strip() == message
    _, rows = pipeline.run_sql(loaded, "select count(*) from label_feedback")
    assert rows == [(0,)]
