"""The review app on a DuckLake warehouse (catalog in a real PostgreSQL server, data files in a
folder): no snapshot file, the app reads the lake itself, read-only in the sandbox; a writer's
commit shows on the next page; feedback is stored in the lake by the app at once, from a data dir
of its own (as on another machine than the write steps'), in its own write transaction; a lake out
of reach is an error page, with nothing stored or queued."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
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


@pytest.fixture
def app_settings(lake, tmp_path) -> Settings:
    """The app's machine: the writer's lake, its own data dir (where a queue would stay unseen by
    the write steps). The lake's label_feedback starts empty."""
    with pipeline.connection(lake) as con:
        con.execute("delete from label_feedback")
    return lake.model_copy(update={"data_dir": tmp_path / "app-data"})


def _stored_feedback(settings: Settings) -> list[tuple]:
    """label_feedback read through a fresh connection to the lake (as another machine reads it)."""
    con = connect_lake(settings.warehouse.url, data_path=settings.warehouse.data_path, read_only=True)
    try:
        return con.execute("select article_id, label, value, verdict, labeled_by from label_feedback"
                           " order by all").fetchall()
    finally:
        con.close()


def _queue_files(settings: Settings) -> list[Path]:
    queue = pipeline.feedback_queue_dir(settings)
    return sorted(queue.iterdir()) if queue.exists() else []


def test_feedback_on_a_lake_is_stored_by_the_app_at_once_even_from_another_machine(lake, app_settings):
    assert app_settings.data_dir != lake.data_dir
    with served(create_app(pipeline.open_review(app_settings), user="tester")) as port:
        client = Client(port)
        _, _, html = client.get("/article/w1")
        token = csrf_of(html)
        before = _lake_snapshot(lake)
        # a writer inside its transaction, holding its claim on the lake's write lock row
        # (warehouse.db.write_transaction): the click is not kept waiting for it
        writer_con = connect_lake(lake.warehouse.url, data_path=lake.warehouse.data_path)
        writer_con.execute("begin transaction")
        writer_con.execute("update write_lock set holder = 'test', claimed_at = now()::timestamp")
        try:
            status, headers, _ = client.post("/feedback", {"csrf": token, "article_id": "w1", "label": "integration",
                                                           "verdict": "wrong", "next": "/article/w1"})
            assert status == 303 and headers["location"] == "/article/w1"
            # in the lake now, through its own write transaction, which claimed the lock row too
            assert _stored_feedback(lake) == [("w1", "integration", 0, "wrong", "tester")]
            assert _lake_snapshot(lake) == before + 1
            with pytest.raises(duckdb.TransactionException, match="(?i)conflict"):
                writer_con.execute("commit")  # the slower writer loses; write_transaction retries it
        finally:
            writer_con.close()
        assert _queue_files(app_settings) == [] and _queue_files(lake) == []
        html = client.get("/article/w1")[2]
        assert "wrong: integration does not apply" in html and "(queued)" not in html

        # refused as `newsmon label` refuses it: nothing written, nothing queued
        status, _, html = client.post("/feedback", {"csrf": token, "article_id": "nope", "label": "integration",
                                                    "verdict": "wrong", "next": "/week"})
        assert status == 400 and "no article with id" in html
        assert _lake_snapshot(lake) == before + 1 and _queue_files(app_settings) == []

    # the writer's machine trains on it (`newsmon train --with-feedback` exports this) without any write step
    path, count = pipeline.export_feedback(lake)
    assert count == 1 and '"integration": 0' in path.read_text(encoding="utf-8")


def test_a_later_newsmon_label_on_a_lake_is_not_overwritten_by_an_earlier_click(lake, app_settings):
    from warehouse.feedback import judge_feedback
    from warehouse.feedback_queue import enqueue

    clicked = datetime.now(UTC).replace(tzinfo=None)
    # a click an older newsmon queued on the app's machine, before `newsmon label` said otherwise
    con = connect_lake(lake.warehouse.url, data_path=lake.warehouse.data_path, read_only=True)
    try:
        old = judge_feedback(con, "w3", "integration", "wrong", user="old-app", now=clicked - timedelta(minutes=5))
    finally:
        con.close()
    enqueue(pipeline.feedback_queue_dir(app_settings), old)
    pipeline.label_article(lake, "w3", "integration", "right", user="cli")  # on the writer's machine
    review = pipeline.open_review(app_settings)
    # a click given before that label but stored after it (its transaction retried behind the label's)
    review.submit_feedback("w3", "integration", "wrong", user="slow", now=clicked - timedelta(minutes=1))
    assert _stored_feedback(lake) == [("w3", "integration", 0, "right", "cli")]

    with served(create_app(review, user="tester")) as port:
        client = Client(port)
        token = csrf_of(client.get("/article/w1")[2])
        status, _, _ = client.post("/feedback", {"csrf": token, "article_id": "w1", "label": "integration",
                                                 "verdict": "wrong", "next": "/article/w1"})
        assert status == 303
    # the click stored its own row and the queued one where the lake had no later word: the label stands
    assert _stored_feedback(lake) == [("w1", "integration", 0, "wrong", "tester"), ("w3", "integration", 0, "right", "cli")]
    assert _queue_files(app_settings) == []


def test_a_lake_out_of_reach_is_an_error_for_the_reviewer_and_stores_nothing(postgres, lake, app_settings):
    with served(create_app(pipeline.open_review(app_settings), user="tester")) as port:
        client = Client(port)
        token = csrf_of(client.get("/article/w1")[2])
        form = {"csrf": token, "article_id": "w1", "label": "integration", "verdict": "wrong", "next": "/week"}
        postgres.halt()  # the lake's catalog server is down
        try:
            status, _, html = client.post("/feedback", form)
        finally:
            postgres.resume()
        message = re.search(r'<p class="error">(.*?)</p>', html, re.DOTALL)[1]
        assert status == 503 and message.startswith("feedback not saved: ") and "\n" not in message, html
        assert message.endswith("Connection refused; nothing was stored, try again")
        assert _queue_files(app_settings) == [] and _stored_feedback(lake) == []
        # the lake back: the same click is stored
        assert client.post("/feedback", form)[0] == 303
        assert _stored_feedback(lake) == [("w1", "integration", 0, "wrong", "tester")]


def test_the_first_page_after_a_catalog_restart_nobody_saw_reads_the_lake(postgres, lake, app_settings):
    """The server restarts between two pages (no request meanwhile): the connection the app kept
    to the catalog is dead, and the next page still reads, instead of failing once."""
    page = f"/week?week={WEEK}"
    with served(create_app(pipeline.open_review(app_settings), user="tester")) as port:
        client = Client(port)
        status, _, html = client.get(page)
        assert status == 200 and TITLES["PORT"] in html
        postgres.halt()
        postgres.resume()
        status, _, again = client.get(page)  # the first request since the restart
        assert status == 200 and again == html, again


def test_pages_read_the_lake_again_once_its_catalog_server_is_back(postgres, lake, app_settings):
    pages = ("/article/w3", f"/week?week={WEEK}", "/search?q=bank")
    with served(create_app(pipeline.open_review(app_settings), user="tester")) as port:
        client = Client(port)
        before = {path: client.get(path) for path in pages}
        assert all(status == 200 for status, _, _ in before.values())
        assert "Bank results" in before["/article/w3"][2] and TITLES["PORT"] in before[f"/week?week={WEEK}"][2]
        postgres.halt()  # the lake's catalog server restarts; pages asked meanwhile are an error page
        try:
            for path in (*pages, "/sources"):  # pages read before (cached) and one not yet read
                status, _, html = client.get(path)
                message = re.search(r'<p class="error">(.*?)</p>', html, re.DOTALL)
                assert status == 503 and message, html  # out of reach, not a bad request
                assert message[1].startswith("cannot read the DuckLake: ") and "\n" not in message[1], message[1]
        finally:
            postgres.resume()
        # the same app, not restarted: the same pages as before the restart
        for path, (_, _, html) in before.items():
            status, _, again = client.get(path)
            assert status == 200 and again == html, path
        assert client.get("/sources")[0] == 200


def test_newsmon_serve_on_a_lake(lake, app_settings):
    port = free_port()
    env = {**os.environ, "NEWSMON_DATA_DIR": str(app_settings.data_dir), "NEWSMON_WAREHOUSE__URL": lake.warehouse.url,
           "NEWSMON_WAREHOUSE__DATA_PATH": lake.warehouse.data_path, "NEWSMON_USER": "ana"}
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
        client = Client(port)
        token = csrf_of(client.get("/article/w1")[2])
        status, _, _ = client.post("/feedback", {"csrf": token, "article_id": "w1", "label": "integration",
                                                 "verdict": "right", "next": "/week"})
        assert status == 303 and _stored_feedback(lake) == [("w1", "integration", 1, "right", "ana (web)")]
    finally:
        proc.terminate()
        proc.wait(30)
    assert not Path(app_settings.data_dir, "newsmon.snapshot.duckdb").exists() and _queue_files(app_settings) == []
