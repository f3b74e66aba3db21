import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from newsmon.domain import Article, CrawlResult, Source, article_id, content_hash
from warehouse.db import WarehouseError, applied_versions, connect, migrate, migrations
from warehouse.load import record_crawl_runs, upsert_articles, upsert_sources


def _article(n: int, *, source: str = "s1", title: str | None = None) -> dict:
    url = f"https://news.example/{n}"
    text = f"Body of article {n}."
    return Article(article_id=article_id(url), url=url, canonical_url=url, source=source,
                   title=title or f"Title {n}", text=text, fetched_at=datetime(2026, 11, 17, 8, n),
                   published_at=datetime(2026, 11, 16, 9, n), published_from="feed",
                   content_hash=content_hash(text)).to_record()


def _write_jsonl(path: Path, records: list[dict], tail: str = "") -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + tail, encoding="utf-8")
    return path


def _checksum(con) -> tuple:
    return con.execute(
        "select count(*), sum(hash(article_id, title, text, published_at, source)) from articles"
    ).fetchone()


def test_migrations_apply_once_in_order(tmp_path: Path):
    con = connect(tmp_path / "w.duckdb")
    assert migrate(con) == [m.version for m in migrations()]
    assert migrate(con) == []
    assert applied_versions(con) == [m.version for m in migrations()]
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert {"sources", "crawl_runs", "articles", "classifications", "models", "flagged_articles"} <= tables


def _uncommented(con) -> list[tuple[str, str | None]]:
    """Tables, views and their columns without a comment, as (name, column or None)."""
    return con.execute(
        "select table_name, null from duckdb_tables() where schema_name = 'main' and comment is null"
        " union all select view_name, null from duckdb_views() where not internal and schema_name = 'main'"
        "   and comment is null"
        " union all select table_name, column_name from duckdb_columns() where schema_name = 'main'"
        "   and not internal and comment is null"
        " order by all"
    ).fetchall()


def _view_names(con) -> set[str]:
    return {r[0] for r in con.execute(
        "select view_name from duckdb_views() where not internal and schema_name = 'main'").fetchall()}


def test_every_table_view_and_column_is_commented(con):
    assert [m for m in _uncommented(con) if m[0] != "schema_migrations"] == []
    views = _view_names(con)
    assert {"flagged_articles", "trend_weekly", "trend_by_sector", "stories", "source_health"} <= views
    view_columns = con.execute("select count(*) from duckdb_columns() where not internal and table_name in"
                               " (select view_name from duckdb_views() where not internal)").fetchone()[0]
    assert view_columns >= 69


def test_a_view_recreated_by_a_later_migration_keeps_its_comments(con):
    """CREATE OR REPLACE VIEW drops comments; the view's file brings them back each time."""
    from warehouse.db import _expand_views

    for view in sorted(_view_names(con)):
        con.execute(_expand_views(f"-- @view {view}"))
    assert [m for m in _uncommented(con) if m[0] != "schema_migrations"] == []
    assert con.execute("select comment from duckdb_columns() where table_name = 'trend_weekly'"
                       " and column_name = 'change_pp'").fetchone()[0].endswith(
        "in percentage points (2 decimals); null for the first week.")


def test_an_older_warehouse_gets_the_view_comments_when_migrated(tmp_path: Path):
    import gzip
    import shutil

    fixture = Path(__file__).parent.parent / "fixtures" / "warehouse-schema-v5.duckdb.gz"
    with gzip.open(fixture, "rb") as src, (tmp_path / "v5.duckdb").open("wb") as dst:
        shutil.copyfileobj(src, dst)
    old = connect(tmp_path / "v5.duckdb")
    assert old.execute("select count(*) from duckdb_views() where not internal and comment is not null"
                       ).fetchone()[0] == 0
    migrate(old)
    assert [m for m in _uncommented(old) if m[0] != "schema_migrations"] == []
    old.close()


def test_view_comments_on_ducklake_keep_the_views_own(tmp_path: Path):
    """DuckLake takes COMMENT ON VIEW but no comment on a view's column: those are left out there."""
    from warehouse.db import connect_lake

    lake = connect_lake(f"ducklake:{tmp_path / 'catalog.ducklake'}", data_path=str(tmp_path / "files"))
    migrate(lake)
    views = lake.execute("select view_name, comment from duckdb_views() where not internal"
                         " and database_name = current_database()").fetchall()
    assert len(views) >= 8 and all(comment for _, comment in views)
    missing_table_columns = lake.execute(
        "select table_name, column_name from duckdb_columns() where database_name = current_database()"
        " and comment is null and table_name not in (select view_name from duckdb_views())"
        " and table_name <> 'schema_migrations'").fetchall()
    assert missing_table_columns == []
    lake.close()


def test_load_is_idempotent_and_skips_torn_lines(con, tmp_path: Path):
    staging = _write_jsonl(tmp_path / "s1.jsonl", [_article(1), _article(2)], tail='{"article_id": "tor')
    first = upsert_articles(con, [staging])
    assert first == {"read": 2, "inserted": 2, "updated": 0}
    before = _checksum(con)
    second = upsert_articles(con, [staging])
    assert second == {"read": 2, "inserted": 0, "updated": 2}
    assert _checksum(con) == before


def test_same_article_in_two_files_is_one_row_whatever_the_fetch_order(con, tmp_path: Path):
    fetched_later = _article(1, source="alpha")
    fetched_later["fetched_at"] = "2026-11-18T00:00:00"
    a = _write_jsonl(tmp_path / "a.jsonl", [fetched_later])
    b = _write_jsonl(tmp_path / "b.jsonl", [_article(1, source="beta")])
    upsert_articles(con, [b, a])
    # the source first by name, not the crawl that happened to fetch first: reruns agree
    assert con.execute("select count(*), any_value(source) from articles").fetchone() == (1, "alpha")


def test_reload_refreshes_page_facts_but_keeps_first_source(con, tmp_path: Path):
    upsert_articles(con, [_write_jsonl(tmp_path / "a.jsonl", [_article(1)])])
    upsert_articles(con, [_write_jsonl(tmp_path / "b.jsonl", [_article(1, source="other", title="Fixed title")])])
    assert con.execute("select title, source from articles").fetchall() == [("Fixed title", "s1")]


def test_crawl_runs_and_sources_upsert(con):
    result = CrawlResult(source="s1", run_id="2026-11-17", staging_path="x", ok=False, error="dns: DNS lookup failed",
                         failures=({"kind": "dns", "url": "https://x/feed", "message": "DNS lookup failed", "feed": True},))
    record_crawl_runs(con, [result])
    record_crawl_runs(con, [result])
    row = con.execute("select ok, error, failures_total, failures->>'$[0].kind' from crawl_runs").fetchall()
    assert row == [(False, "dns: DNS lookup failed", 1, "dns")]
    upsert_sources(con, [Source(name="s1", homepage="https://x/", feeds=("https://x/feed",))])
    upsert_sources(con, [Source(name="s1", homepage="https://x/", feeds=("https://x/rss",))])
    assert con.execute("select feeds from sources").fetchall() == [(["https://x/rss"],)]


def test_read_only_connection_refuses_writes_and_missing_file(tmp_path: Path, con):
    with pytest.raises(WarehouseError, match="warehouse not found"):
        connect(tmp_path / "nope.duckdb", read_only=True)
    con.close()
    ro = connect(tmp_path / "w.duckdb", read_only=True)
    with pytest.raises(duckdb.Error, match="read-only"):
        ro.execute("delete from articles")
    ro.close()


def test_known_urls_match_domain_and_subdomains_only(con, tmp_path: Path):
    records = [_article(1), _article(2)]
    records[1]["url"] = records[1]["canonical_url"] = "https://www.other.example/2"
    upsert_articles(con, [_write_jsonl(tmp_path / "a.jsonl", records)])
    from warehouse.load import known_urls

    assert known_urls(con, ["news.example"]) == ["https://news.example/1"]
    assert known_urls(con, ["other.example"]) == ["https://www.other.example/2"]
    assert known_urls(con, ["ews.example"]) == []
    assert known_urls(con, []) == []


def test_publication_date_provenance_loads_and_disagreements_are_listed(con, tmp_path: Path):
    agreed, disputed = _article(1), _article(2)
    agreed.update(published_confidence="high", date_disagreement_hours=3.0,
                  published_candidates={"feed": "2026-11-16T09:01:00", "page": "2026-11-16T06:01:00"})
    disputed.update(published_confidence="low", date_disagreement_hours=168.0,
                    published_candidates={"feed": "2026-11-16T09:02:00", "page": "2026-11-09T09:02:00"})
    upsert_articles(con, [_write_jsonl(tmp_path / "a.jsonl", [agreed, disputed])])
    rows = con.execute("select title, published_confidence, date_disagreement_hours,"
                       " published_candidates->>'page' from date_disagreements").fetchall()
    assert rows == [("Title 2", "low", 168.0, "2026-11-09T09:02:00")]
    assert con.execute("select published_confidence from articles where title = 'Title 1'").fetchone() == ("high",)
