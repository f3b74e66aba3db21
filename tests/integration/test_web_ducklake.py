"""The review app on a DuckLake warehouse (catalog in a real PostgreSQL server, data files in a
folder): no snapshot file, the app reads the lake itself, read-only in the sandbox; a writer's
commit shows on the next page; feedback is queued while a writer holds the lake's write lock and
stored by the next write step."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from newsmon import pipeline
from newsmon.config import Settings, WarehouseSettings
from newsmon.web.app import create_app
from tests.conftest import fast_crawl
from tests.digest_week import TITLES, WEEK, build_digest_week
from tests.servers import free_port
from tests.web_client import Client, csrf_of, served
from warehouse.db import LAKE_ALIAS, connect_lake, migrate

pytestmark = pytest.mark.slow




@pytest.fixture(scope="module")
def lake(postgres, tmp_path_factory) -> Settings:
    """The digest tests' week in a lake (built once: every commit is a lake snapshot in PostgreSQL)."""
    root = tmp_path_factory.mktemp("web-lake")
    dsn = postgres.create_database("web_lake")
    settings = Settings(data_dir=root / "data", crawl=fast_crawl(),
                        warehouse=WarehouseSettings(url=f"ducklake:postgres:{dsn}", data_path=str(root / "lake-files")))
    con = connect_lake(settings.warehouse.url, data_path=settings.warehouse.data_path)
    try:
        migrate(con)
    finally:
        con.close()
    build_digest_week(settings)
    return settings


def _lake_snapshot(settings: Settings) -> int:
    con = connect_lake(settings.warehouse.url, data_path=settings.warehouse.data_path, read_only=True)
    try:
        return con.execute("select id from ducklake_current_snapshot(?)", [LAKE_ALIAS]).fetchone()[0]
    finally:
        con.close()


def test_the_app_reads_the_lake_in_the_sandbox_and_sees_each_commit(lake):
    review = pipeline.open_review(lake)
    assert review.lake and not (lake.data_dir / "snapshots").exists()  # no snapshot file on DuckLake
    with served(create_app(review, user="tester")) as port:
        client = Client(port)
        status, _, html = client.get(f"/week?week={WEEK}")
        assert status == 200 and TITLES["PORT"] in html and "Evidence for integration in w5." in html
        status, _, html = client.get("/search?q=bank")  # BM25 over an in-memory index of the lake
        assert status == 200 and "Bank results beat forecasts" in html
        assert client.get("/search?q=bank&label=integration")[0] == 200
        assert "Bank results" in client.get("/article/w3")[2]
        assert client.get("/sources")[0] == 200 and client.get(f"/trends?week={WEEK}")[0] == 200

        # a writer commits: the next page reads the lake's new snapshot (cached pages included)
        with pipeline.connection(lake) as con:
            con.execute("update articles set title = 'Bank results miss forecasts' where article_id = 'w3'")
        assert "Bank results miss forecasts" in client.get("/article/w3")[2]
        assert "Bank results miss forecasts" in client.get("/search?q=bank")[2]

    cur = review._cursor()
    try:
        with pytest.raises(duckdb.Error):
            cur.execute("delete from articles")  # attached read-only
        with pytest.raises(duckdb.Error):
            cur.execute("select * from read_text('/etc/passwd')").fetchall()
        with pytest.raises(duckdb.Error):
            cur.execute("set enable_external_access = true")
    finally:
        cur.close()
    with pipeline.connection(lake) as con:
        con.execute("update articles set title = 'Bank results beat forecasts' where article_id = 'w3'")


def test_feedback_is_queued_while_a_writer_holds_the_lake_and_stored_by_the_next_write_step(lake):
    queue = pipeline.feedback_queue_dir(lake)
    with served(create_app(pipeline.open_review(lake), user="tester")) as port:
        client = Client(port)
        _, _, html = client.get("/article/w1")
        token = csrf_of(html)
        before = _lake_snapshot(lake)
        # a writer inside its transaction, holding the lake's write lock row (warehouse.db.write_transaction)
        writer_con = connect_lake(lake.warehouse.url, data_path=lake.warehouse.data_path)
        writer_con.execute("begin transaction")
        writer_con.execute("update write_lock set holder = 'test', claimed_at = now()::timestamp")
        try:
            started = time.monotonic()
            status, headers, _ = client.post("/feedback", {"csrf": token, "article_id": "w1", "label": "integration",
                                                           "verdict": "wrong", "next": "/article/w1"})
            assert status == 303 and headers["location"] == "/article/w1"
            assert time.monotonic() - started < 30  # answered, not stuck behind the writer
            assert len(list(queue.glob("*.json"))) == 1
            assert "wrong: integration does not apply (queued)" in client.get("/article/w1")[2]
            # refused as `newsmon label` refuses it, nothing queued
            status, _, html = client.post("/feedback", {"csrf": token, "article_id": "nope", "label": "integration",
                                                        "verdict": "wrong", "next": "/week"})
            assert status == 400 and "no article with id" in html
            assert len(list(queue.glob("*.json"))) == 1
        finally:
            writer_con.execute("commit")
            writer_con.close()
        assert _lake_snapshot(lake) == before + 1  # only the writer's commit: the click wrote nothing to the lake

        pipeline.publish_warehouse(lake)  # what load, classify and cluster do after their commits
        assert list(queue.glob("*.json")) == []
        _, rows = pipeline.run_sql(lake, "select article_id, label, value, verdict, labeled_by from label_feedback")
        assert rows == [("w1", "integration", 0, "wrong", "tester")]
        html = client.get("/article/w1")[2]
        assert "wrong: integration does not apply" in html and "(queued)" not in html


def test_newsmon_serve_on_a_lake(lake):
    port = free_port()
    env = {**os.environ, "NEWSMON_DATA_DIR": str(lake.data_dir), "NEWSMON_WAREHOUSE__URL": lake.warehouse.url,
           "NEWSMON_WAREHOUSE__DATA_PATH": lake.warehouse.data_path}
    proc = subprocess.Popen([sys.executable, "-m", "newsmon", "serve", "--port", str(port)], stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, _, html = Client(port).get(f"/week?week={WEEK}")
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "newsmon serve did not start"
                time.sleep(0.3)
        assert status == 200 and TITLES["PORT"] in html
    finally:
        proc.terminate()
        proc.wait(30)
    assert not Path(lake.data_dir, "newsmon.snapshot.duckdb").exists()
