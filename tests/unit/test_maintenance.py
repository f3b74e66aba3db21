"""DuckLake upkeep (warehouse.maintenance): many small loads leave many small files; upkeep merges
them, expires old snapshots and deletes what nothing refers to, rows unchanged."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsmon.domain import Article, article_id, content_hash
from warehouse.db import WarehouseError, connect_lake, migrate, write_transaction
from warehouse.load import upsert_articles
from warehouse.maintenance import lake_state, upkeep


def _staging(path: Path, first: int, count: int) -> Path:
    lines = []
    for i in range(first, first + count):
        url = f"https://news.example/{i}"
        text = f"Body of article {i}."
        lines.append(json.dumps(Article(
            article_id=article_id(url), url=url, canonical_url=url, source="s1", title=f"Title {i}", text=text,
            fetched_at=datetime(2026, 12, 1, 8, i % 60), published_at=datetime(2026, 12, 1, 7, i % 60),
            published_from="feed", content_hash=content_hash(text)).to_record(), default=str))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _checksum(con) -> tuple:
    return con.execute("select count(*), sum(hash(article_id, title, text)) from articles").fetchone()


def test_upkeep_merges_small_files_expires_snapshots_and_deletes_unreferenced_files(tmp_path: Path):
    files = tmp_path / "files"
    lake = connect_lake(f"ducklake:{tmp_path / 'catalog.ducklake'}", data_path=str(files))
    migrate(lake)
    for n in range(8):
        staging = _staging(tmp_path / f"s{n}.jsonl", n * 10, 10)
        write_transaction(lake, lambda staging=staging: upsert_articles(lake, [staging]))
    stray = files / "main" / "articles" / "left-by-a-killed-writer.parquet"
    lake.execute(f"copy (select 1 as x) to '{stray}' (format parquet)")
    rows = _checksum(lake)
    before = lake_state(lake)
    assert before.stored_files > before.live_files >= 8
    now = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)  # a run a while after the loads
    report = upkeep(lake, now=now, keep_snapshots=timedelta(0), grace=timedelta(0))
    assert report.before == before
    after = report.after
    assert after.live_files < before.live_files and after.stored_files == after.live_files
    assert after.snapshots < before.snapshots and report.expired_snapshots > 0
    assert not stray.exists()
    assert _checksum(lake) == rows
    assert "data files" in report.message() and f"{before.live_files} -> {after.live_files} live" in report.message()
    lake.close()


def test_upkeep_keeps_what_the_retention_window_covers(tmp_path: Path):
    lake = connect_lake(f"ducklake:{tmp_path / 'catalog.ducklake'}", data_path=str(tmp_path / "files"))
    migrate(lake)
    for n in range(3):
        staging = _staging(tmp_path / f"s{n}.jsonl", n * 10, 10)
        write_transaction(lake, lambda staging=staging: upsert_articles(lake, [staging]))
    now = datetime.now(UTC).replace(tzinfo=None)
    report = upkeep(lake, now=now, keep_snapshots=timedelta(days=7), grace=timedelta(days=7))
    # merged, but the old files stay for time travel and running readers until the window passes
    assert report.expired_snapshots == 0 and report.deleted_files == 0
    assert report.after.stored_files >= report.before.stored_files
    lake.close()


def test_upkeep_refuses_a_duckdb_file(con):
    with pytest.raises(WarehouseError, match="upkeep is for a DuckLake warehouse"):
        upkeep(con, now=datetime(2026, 12, 1), keep_snapshots=timedelta(days=7), grace=timedelta(days=7))


def test_the_weekly_step_runs_on_a_lake_and_skips_a_duckdb_file(tmp_path: Path):
    from newsmon.config import Settings, WarehouseSettings
    from newsmon.pipeline.store import _open, migrate_warehouse
    from newsmon.pipeline.upkeep import upkeep_warehouse

    lake = Settings(data_dir=tmp_path / "data", warehouse=WarehouseSettings(
        url=f"ducklake:{tmp_path / 'catalog.ducklake'}", data_path=str(tmp_path / "files")))
    migrate_warehouse(lake)
    con = _open(lake, create=False)
    for n in range(3):
        staging = _staging(tmp_path / f"s{n}.jsonl", n * 10, 10)
        write_transaction(con, lambda staging=staging: upsert_articles(con, [staging]))
    con.close()
    done = upkeep_warehouse(lake, now=datetime.now(UTC) + timedelta(days=30))
    assert done["after"]["live_files"] < done["before"]["live_files"] and done["expired_snapshots"] > 0
    assert done["message"].startswith("data files ")
    plain = Settings(data_dir=tmp_path / "plain")
    assert upkeep_warehouse(plain, now=datetime.now(UTC)) == {"skipped": "a DuckDB file warehouse needs no upkeep"}
    # the DAG's task: the same counts, JSON-safe for XCom, without the message (logged instead)
    from newsmon import tasks

    again = tasks.upkeep_warehouse(lake, datetime.now(UTC) + timedelta(days=60))
    assert json.loads(json.dumps(again)) == again and "message" not in again and again["after"]["snapshots"] >= 1
