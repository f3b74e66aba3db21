"""`newsmon sql` without --write is a sandbox: it reads the warehouse and writes, reads or connects
to nothing else. Each hostile statement through the real CLI: refused in one line, exit 1, and
nothing on disk or on the wire changed. Then what still works: queries, views, EXPLAIN, search."""

from __future__ import annotations

import hashlib
import socket
import threading
from pathlib import Path

import duckdb
import pytest

from newsmon import pipeline
from newsmon.config import Settings
from tests.servers import RoutedServer
from tests.support.cli import newsmon
from tests.support.warehouse import ARTICLES


class ConnectionRecorder:
    """A TCP listener on 127.0.0.1 that counts the connections made to it (a stand-in PostgreSQL)."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self.port = self._sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            client.close()

    def __enter__(self) -> ConnectionRecorder:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._sock.close()


def _state(*paths: Path) -> dict:
    """What each path holds: bytes hash and mtime for a file, its listing for a folder, None if absent."""
    state = {}
    for path in paths:
        if path.is_file():
            state[path] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        elif path.is_dir():
            state[path] = sorted((str(p.relative_to(path)), p.stat().st_size) for p in path.rglob("*"))
        else:
            state[path] = None
    return state


@pytest.fixture
def arena(loaded: Settings, tmp_path: Path) -> dict:  # noqa: F811 (the fixture imported above)
    """The loaded warehouse, a run's staging folder, another DuckDB file and a private file outside the data dir."""
    other = tmp_path / "other" / "newsmon.duckdb"
    other.parent.mkdir()
    con = duckdb.connect(str(other))
    con.execute("create table articles as select 'kept' as title")
    con.close()
    private = tmp_path / "private"
    private.mkdir()
    (private / "secret.txt").write_text("api_key,s3cr3t\n", encoding="utf-8")
    staging = pipeline.run_dir(loaded, "2026-11-21")
    staging.mkdir(parents=True)
    return {"settings": loaded, "warehouse": Path(loaded.warehouse_path), "data": loaded.data_dir,
            "staging": staging, "other": other, "private": private}


def _refused(arena: dict, sql: str, *watched: Path,
             prefix: str = "error: refused: the warehouse is opened read-only") -> str:
    """Run sql through the CLI; assert one refusal line, exit 1 and every watched path unchanged."""
    paths = (arena["warehouse"], arena["data"], *watched)
    before = _state(*paths)
    result = newsmon("sql", sql, data_dir=arena["data"])
    assert result.returncode == 1, (sql, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, (sql, result.stderr)
    assert lines[0].startswith(prefix), (sql, lines[0])
    assert not result.stdout.strip()
    assert _state(*paths) == before, sql
    return lines[0]


def test_copy_cannot_overwrite_the_warehouse_or_plant_staging(arena):
    warehouse, staging = arena["warehouse"], arena["staging"]
    for sql in (
        f"copy (select 'x' as a) to '{warehouse}' (format csv)",
        # DuckDB itself allows the open database file and its WAL: these are what the statement check stops
        f"copy (select 'x' as a) to '{warehouse}' (format csv, use_tmp_file false)",
        f"copy (select 'x' as a) to '{warehouse}.wal' (format csv, use_tmp_file false)",
        f"explain analyze copy (select 'x' as a) to '{warehouse}' (format csv, use_tmp_file false)",
        f"explain (analyze) copy (select 'x' as a) to '{warehouse}' (format csv, use_tmp_file false)",
        f"explain analyze /* a comment */ copy (select 'x' as a) to '{warehouse}' (format csv, use_tmp_file false)",
        f"prepare p as copy (select 'x' as a) to '{warehouse}' (format csv, use_tmp_file false); execute p",
        f"select 1; copy (select 'x' as a) to '{warehouse}' (format csv, use_tmp_file false)",
        f"copy (select * from articles) to '{staging}/x.jsonl'",
        f"export database '{staging}'",
    ):
        _refused(arena, sql, staging / "x.jsonl", staging)
    assert not list(staging.iterdir())
    assert pipeline.run_sql(arena["settings"], "select count(*) from articles")[1] == [(len(ARTICLES),)]


def test_no_other_database(arena):
    other = arena["other"]
    line = _refused(arena, f"attach '{other}' as o (READ_WRITE); delete from o.articles", other, other.parent)
    assert "statement 1 is ATTACH" in line
    _refused(arena, f"attach '{other}' as o", other, other.parent)
    _refused(arena, "detach newsmon", other)
    con = duckdb.connect(str(other), read_only=True)
    assert con.execute("select title from articles").fetchall() == [("kept",)]
    con.close()


def test_no_local_files(arena):
    private = arena["private"]
    for sql in (
        "select * from read_csv('/etc/passwd', sep = ':')",
        f"select * from read_csv('{private}/secret.txt')",
        f"select * from read_text('{private}/secret.txt')",
        f"select * from read_blob('{private}/secret.txt')",
        f"select * from glob('{private}/*')",
        "select * from glob('/root/*')",
    ):
        line = _refused(arena, sql, private)
        assert "--write" in line and "s3cr3t" not in line
    # a path in FROM is no table when external access is off: DuckDB does not look for the file
    line = _refused(arena, f"select * from '{private}/secret.txt'", private, prefix="error: query failed: Catalog Error")
    assert "s3cr3t" not in line


def test_no_network(arena):
    with RoutedServer({}) as web, ConnectionRecorder() as postgres:
        for sql in (
            f"install x from '{web.base_url}'",
            f"select * from read_csv('{web.base_url}/data.csv')",
            f"attach 'host=127.0.0.1 port={postgres.port} dbname=x user=x' as p (type postgres)",
            "load postgres",
            "set enable_external_access = true",
            "set lock_configuration = false",
            "set autoinstall_known_extensions = true",
        ):
            _refused(arena, sql)
        assert web.paths_requested() == []
        assert postgres.connections == 0
        # the same statements with --write do reach the servers: the counts above are not blind
        newsmon("sql", f"install x from '{web.base_url}'", "--write", data_dir=arena["data"])
        newsmon("sql", f"attach 'host=127.0.0.1 port={postgres.port} dbname=x user=x connect_timeout=2' "
                       "as p (type postgres)", "--write", data_dir=arena["data"])
        assert web.paths_requested(), "DuckDB asked for the extension with --write"
        assert postgres.connections >= 1


def test_duckdb_itself_refuses_files_network_and_settings(arena):
    """The first layer alone, without the statement check: the sandbox connection's own settings."""
    from warehouse.sandbox import open_sandbox

    con = open_sandbox(arena["warehouse"])
    try:
        settings = dict(con.execute(
            "select name, value from duckdb_settings() where name in ('enable_external_access', "
            "'lock_configuration', 'autoinstall_known_extensions', 'autoload_known_extensions', "
            "'allow_community_extensions', 'access_mode')").fetchall())
        assert settings == {"enable_external_access": "false", "lock_configuration": "true",
                            "autoinstall_known_extensions": "false", "autoload_known_extensions": "false",
                            "allow_community_extensions": "false", "access_mode": "read_only"}
        for sql in (
            "select * from read_csv('/etc/passwd')",
            f"select * from glob('{arena['private']}/*')",
            f"copy (select 1) to '{arena['staging']}/x.jsonl'",
            f"attach '{arena['other']}' as o",
            "install x from 'http://127.0.0.1:9'",
            "load postgres",
            "set enable_external_access = true",
            "delete from articles",
        ):
            with pytest.raises(duckdb.Error):
                con.execute(sql)
    finally:
        con.close()


def test_queries_views_explain_and_search_still_work(arena):
    data = arena["data"]
    counted = newsmon("sql", "select count(*) as n from articles", "--format", "csv", data_dir=data)
    assert counted.stdout.splitlines() == ["n", str(len(ARTICLES))], counted.stderr
    flagged = newsmon("sql", "select count(*) as n from flagged_articles", "--format", "csv", data_dir=data)
    assert flagged.returncode == 0 and flagged.stdout.splitlines()[0] == "n", flagged.stderr
    for sql in ("describe articles", "pragma table_info('articles')", "show tables", "summarize articles",
                "explain select * from articles", "explain analyze select count(*) from trend_weekly",
                "with t as (select title from articles) from t limit 1",
                "select article_id, fts_main_articles.match_bm25(article_id, 'robots') as s from articles"):
        result = newsmon("sql", sql, "--format", "json", data_dir=data)
        assert result.returncode == 0, (sql, result.stderr)
        assert result.stdout.strip(), sql
    several = newsmon("sql", "select 1 as a; select 2 as b", "--format", "csv", data_dir=data)
    assert several.stdout.splitlines() == ["b", "2"]
    found = newsmon("search", "humanoid", "--format", "json", data_dir=data)
    assert found.returncode == 0, found.stderr
    assert ARTICLES[0][0] in found.stdout
    bad = newsmon("sql", "selec nothing", data_dir=data)
    assert bad.returncode == 1 and bad.stderr.startswith("error: query failed:")


def test_write_help_says_full_access(tmp_path):
    result = newsmon("sql", "--help", data_dir=tmp_path, COLUMNS="400")
    (line,) = [line for line in result.stdout.splitlines() if "--write" in line and "Full access" in line]
    assert "files" in line and "network" in line and "other databases" in line




def test_ducklake_sandbox(postgres, tmp_path: Path):
    """On DuckLake the catalog stays attached (read-only) and the data path readable: what is refused
    there, and that the refusals leave the catalog and the data files as they were."""
    import json

    from newsmon.config import WarehouseSettings
    from newsmon.domain import Article, article_id, content_hash

    files = tmp_path / "lake-files"
    lake = Settings(data_dir=tmp_path / "data", warehouse=WarehouseSettings(
        url=f"ducklake:postgres:{postgres.create_database('sandbox')}", data_path=str(files)))
    run = pipeline.run_dir(lake, "r1")
    run.mkdir(parents=True)
    records = [Article(article_id=article_id(f"https://news.example/{n}"), url=f"https://news.example/{n}",
                       canonical_url=f"https://news.example/{n}", source="s", title=title, text=text,
                       fetched_at=published, published_at=published, published_from="feed",
                       content_hash=content_hash(text)).to_record()
               for n, (title, text, published, _) in enumerate(ARTICLES)]
    (run / "s.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    pipeline.load_run(lake, "r1", results=[])
    env = {"NEWSMON_WAREHOUSE__URL": lake.warehouse.url, "NEWSMON_WAREHOUSE__DATA_PATH": str(files)}
    private = tmp_path / "private"
    private.mkdir()
    (private / "secret.txt").write_text("s3cr3t\n", encoding="utf-8")

    def catalog() -> list:
        return pipeline.run_sql(lake, "select snapshot_id, changes from ducklake_snapshots('lake')", write=True)[1]

    before = (catalog(), _state(files, private))
    with ConnectionRecorder() as other_server:
        for sql in (
            f"copy (select * from articles) to '{files}/main/articles/x.parquet'",
            f"select * from postgres_scan('host=127.0.0.1 port={other_server.port} dbname=x', 'public', 'x')",
            f"select * from query('select * from postgres_scan(''host=127.0.0.1 port={other_server.port}"
            " dbname=x'', ''public'', ''x'')')",
            "select * from postgres_query('__ducklake_metadata_lake', 'delete from ducklake_snapshot')",
            "call postgres_execute('__ducklake_metadata_lake', 'delete from ducklake_snapshot')",
            "select * from ducklake_cleanup_old_files('lake', cleanup_all => true)",
            "select * from ducklake_expire_snapshots('lake', older_than => now())",
            f"attach 'host=127.0.0.1 port={other_server.port} dbname=x' as p (type postgres)",
            "delete from articles",
            f"select * from read_text('{private}/secret.txt')",
            "select * from read_csv('/etc/passwd')",
        ):
            result = newsmon("sql", sql, data_dir=lake.data_dir, **env)
            assert result.returncode == 1, (sql, result.stdout, result.stderr)
            (line,) = result.stderr.strip().splitlines()
            assert line.startswith("error: refused: the warehouse is opened read-only"), (sql, line)
        assert other_server.connections == 0
        newsmon("sql", f"select * from postgres_scan('host=127.0.0.1 port={other_server.port} dbname=x "
                       "connect_timeout=2', 'public', 'x')", "--write", data_dir=lake.data_dir, **env)
        assert other_server.connections >= 1  # with --write the same query does connect
    assert (catalog(), _state(files, private)) == before

    # what the sandbox reads on DuckLake: the lake's tables and views, its search, its own data files
    counted = newsmon("sql", "select count(*) as n from articles", "--format", "csv", data_dir=lake.data_dir, **env)
    assert counted.stdout.splitlines() == ["n", str(len(ARTICLES))], counted.stderr
    found = newsmon("search", "humanoid", "--format", "json", data_dir=lake.data_dir, **env)
    assert found.returncode == 0 and ARTICLES[0][0] in found.stdout, found.stderr
    data_files = newsmon("sql", f"select count(*) as n from glob('{files}/**/*.parquet')", "--format", "csv",
                         data_dir=lake.data_dir, **env)
    assert data_files.returncode == 0 and int(data_files.stdout.splitlines()[1]) > 0, data_files.stderr
    exported = pipeline.export(lake, tmp_path / "out.csv", fmt="csv")
    assert exported["rows"] == len(ARTICLES) and (tmp_path / "out.csv").is_file()
