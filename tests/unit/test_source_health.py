"""The source_health view on a small warehouse with known runs: exact numbers."""

from datetime import datetime, timedelta

from newsmon.domain import CrawlResult, Source
from warehouse.db import connect, migrate
from warehouse.load import record_crawl_runs, upsert_sources

DAY0 = datetime(2026, 11, 1, 6, 0)


def _run(source: str, day: int, *, ok: bool = True, articles: int = 0, entries: int = 10,
         failures: int = 0) -> CrawlResult:
    start = DAY0 + timedelta(days=day)
    return CrawlResult(source=source, run_id=f"2026-11-{day + 1:02d}", staging_path="x", ok=ok, articles=articles,
                       entries_seen=entries if ok else 0, started_at=start, finished_at=start + timedelta(minutes=3),
                       error=None if ok else "dns: DNS lookup failed",
                       counts={"failed_dns": 1} if not ok else ({"failed_http": failures} if failures else {}))


def test_source_health_numbers(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    migrate(con)
    upsert_sources(con, [Source(name=n, homepage="https://x/", feeds=("https://x/f",)) for n in ("steady", "dying", "idle")])
    runs = []
    for day in range(20):  # newest run: day 19; window: days 6..19
        runs.append(_run("steady", day, articles=3, failures=1 if day == 19 else 0))
        runs.append(_run("dying", day, ok=day < 17, articles=2 if day < 17 else 0))
    runs.append(_run("idle", 19, entries=0))
    record_crawl_runs(con, runs)

    rows = con.execute("select source, last_run_id, last_success, runs_14d, articles_14d, articles_per_day_14d,"
                       " error_rate_14d, failures_14d, broken, last_error from source_health").fetchall()
    assert rows == [
        ("dying", "2026-11-20", DAY0 + timedelta(days=16, minutes=3), 14, 22, 1.57, 0.214, 3, True,
         "dns: DNS lookup failed"),
        ("idle", "2026-11-20", DAY0 + timedelta(days=19, minutes=3), 1, 0, 0.0, 0.0, 0, False, None),
        ("steady", "2026-11-20", DAY0 + timedelta(days=19, minutes=3), 14, 42, 3.0, 0.0, 1, False, None),
    ]


def test_upgrade_from_first_schema_keeps_rows(tmp_path):
    """A warehouse made by schema 0001 (with data) upgrades in place."""
    from warehouse.db import _expand_views, _views_named, migrations

    con = connect(tmp_path / "old.duckdb")
    con.execute("create table schema_migrations (version integer primary key, name varchar not null,"
                " applied_at timestamp not null)")
    first, *rest = migrations()
    con.execute(_expand_views(first.sql, later=set().union(*(_views_named(m.sql) for m in rest))))
    con.execute("insert into schema_migrations values (1, 'initial', '2026-11-01')")
    con.execute("insert into crawl_runs (run_id, source, ok, articles) values ('2026-11-01', 'old', true, 5)")
    assert migrate(con) == [m.version for m in migrations()[1:]]
    assert con.execute("select source, articles, counts from crawl_runs").fetchall() == [("old", 5, None)]
    assert con.execute("select source, runs_14d from source_health").fetchall() == [("old", 0)]
