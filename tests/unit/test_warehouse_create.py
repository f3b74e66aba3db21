"""A write open never creates a warehouse and never migrates one: only `newsmon db migrate` does
(warehouse.db.open_target with create=True, then migrate). A worker that lacks the file, or a lake
URL with a typo, fails in one line naming the command instead of starting an empty warehouse."""

from pathlib import Path

import pytest

from warehouse.db import WarehouseError, check_current, migrate, migrations, open_target


def test_a_write_open_of_a_missing_file_fails_and_creates_nothing(tmp_path: Path):
    path = tmp_path / "data" / "newsmon.duckdb"
    with pytest.raises(WarehouseError, match=r"^no warehouse at .*newsmon\.duckdb: create it once with "
                                             r"`newsmon db migrate`$"):
        open_target(path, create=False)
    assert not path.exists() and not path.parent.exists()


def test_create_then_migrate_makes_a_current_warehouse(tmp_path: Path):
    path = tmp_path / "data" / "newsmon.duckdb"
    con = open_target(path, create=True)
    with pytest.raises(WarehouseError, match=r"has no schema yet: create it once with `newsmon db migrate`$"):
        check_current(con, str(path))
    migrate(con)
    check_current(con, str(path))
    con.close()
    open_target(path, create=False).close()  # an existing file opens for writing as before


def test_a_warehouse_behind_or_ahead_of_the_code_is_refused_not_migrated(tmp_path: Path):
    con = open_target(tmp_path / "w.duckdb", create=True)
    migrate(con)
    last = migrations()[-1].version
    con.execute("delete from schema_migrations where version = ?", [last])
    with pytest.raises(WarehouseError, match=rf"needs migrations \[{last}\]: run `newsmon db migrate`$"):
        check_current(con, "w")
    con.execute("insert into schema_migrations values (?, 'redo', now()), (9999, 'future', now())", [last])
    with pytest.raises(WarehouseError, match=r"has migrations \[9999\] that this newsmon does not know"):
        check_current(con, "w")
    con.close()


def test_a_missing_ducklake_is_not_created_by_a_write_open(tmp_path: Path):
    catalog = tmp_path / "catalog.ducklake"
    url = f"ducklake:{catalog}"
    with pytest.raises(WarehouseError, match=r"^no DuckLake at .*: create it once with `newsmon db migrate`$"):
        open_target(url, data_path=str(tmp_path / "files"), create=False)
    assert not catalog.exists()
    lake = open_target(url, data_path=str(tmp_path / "files"), create=True)
    migrate(lake)
    lake.close()
    lake = open_target(url, data_path=str(tmp_path / "files"), create=False)
    check_current(lake, url)
    lake.close()


def test_a_task_on_a_worker_without_the_warehouse_fails_and_creates_nothing(tmp_path: Path):
    """newsmon.pipeline.store.require_warehouse, which every warehouse task calls first."""
    from newsmon.config import Settings
    from newsmon.pipeline.store import migrate_warehouse, require_warehouse

    settings = Settings(data_dir=tmp_path / "worker")
    with pytest.raises(WarehouseError, match=r"^no warehouse at .*: create it once with `newsmon db migrate`$"):
        require_warehouse(settings)
    assert not (tmp_path / "worker").exists()
    migrate_warehouse(settings)
    require_warehouse(settings)
    con = open_target(settings.warehouse_path, create=False)
    con.execute("delete from schema_migrations where version = (select max(version) from schema_migrations)")
    con.close()
    with pytest.raises(WarehouseError, match=r"needs migrations \[\d+\]: run `newsmon db migrate`$"):
        require_warehouse(settings)
    con = open_target(settings.warehouse_path, create=False)
    assert len(con.execute("select * from schema_migrations").fetchall()) == len(migrations()) - 1  # not migrated
    con.close()


def test_every_warehouse_task_on_a_fresh_worker_fails_in_one_line_and_creates_nothing(tmp_path: Path):
    from datetime import date

    from newsmon import tasks
    from newsmon.config import Settings

    settings = Settings(data_dir=tmp_path / "worker", sources_file=tmp_path / "sources.yaml")
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    calls = [lambda: tasks.load_staging(settings, run_id="2026-12-01"),
             lambda: tasks.check_health(settings, "2026-12-01"),
             lambda: tasks.classify_articles(settings),
             lambda: tasks.cluster_stories(settings),
             lambda: tasks.send_digest(settings, date(2026, 12, 7))]
    for call in calls:
        with pytest.raises(WarehouseError, match=r"^no warehouse at .*: create it once with `newsmon db migrate`$"):
            call()
    assert not list((tmp_path / "worker").rglob("*.duckdb"))
