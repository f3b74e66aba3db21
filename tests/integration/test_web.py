"""The review app over real HTTP on 127.0.0.1 (uvicorn) and a real DuckDB warehouse: its pages, the
readers' snapshot, the feedback queue, and its guards (token, CSRF, CSP, escaping, loopback binding)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

import duckdb
import pytest

from newsmon import pipeline
from newsmon.domain import NewsmonError
from newsmon.web.app import check_binding, create_app
from tests.digest_week import TITLES, WEEK
from tests.servers import free_port
from tests.web_client import HOSTILE_TITLE, HOSTILE_URL, Client, build_review_warehouse, csrf_of, served


@pytest.fixture
def review_settings(settings):
    build_review_warehouse(settings)
    return settings


@pytest.fixture
def app_port(review_settings):
    with served(create_app(pipeline.open_review(review_settings), user="tester")) as port:
        yield port


def _feedback_rows(settings) -> list[tuple]:
    with pipeline.connection(settings, read_only=True) as con:
        return con.execute("select article_id, label, value, verdict, model_version, model_flagged, labeled_by"
                           " from label_feedback order by all").fetchall()


def _queued(settings) -> list:
    return sorted(pipeline.feedback_queue_dir(settings).glob("*.json"))


# ---------------------------------------------------------------- pages

def test_week_page_lists_the_digest_stories_in_the_digest_order(app_port):
    status, headers, html = Client(app_port).get(f"/week?week={WEEK}")
    assert status == 200
    integration = html[html.index('id="integration"'):html.index('id="decentralization"')]
    # the digest's ranking (tests/digest_week.py): PORT, BUS, WELD (hostile title), WARD
    order = [integration.index(TITLES["PORT"]), integration.index(TITLES["BUS"]),
             integration.index("&lt;script&gt;alert"), integration.index(TITLES["WARD"])]
    assert order == sorted(order)
    decentralization = html[html.index('id="decentralization"'):]
    assert TITLES["RADIO"] in decentralization and TITLES["PORT"] not in decentralization
    assert "Evidence for integration in w5." in integration  # PORT's best-scoring article's evidence
    assert "score 0.90" in integration and "also beta" in integration
    assert 'href="https://alpha.example/w1"' in integration  # the canonical URL, no tracking parameter
    assert f'<option value="{WEEK}" selected>' in html


def test_week_picker_defaults_to_the_newest_week_and_refuses_a_bad_one(app_port):
    client = Client(app_port)
    status, _, html = client.get("/week")
    assert status == 200 and '<option value="2026-W48" selected>' in html
    status, _, html = client.get("/week?week=2026-13")
    assert status == 400 and "not an ISO week" in html


def test_search_finds_an_article_with_filters_and_pages(app_port):
    client = Client(app_port)
    status, _, html = client.get("/search?q=cranes")
    assert status == 200 and TITLES["PORT"] in html and 'href="/article/w1"' in html
    _, _, html = client.get("/search?q=cranes&source=beta")
    assert "AI crane scheduling goes live at Kessling" in html and TITLES["PORT"] not in html
    _, _, html = client.get("/search?label=decentralization&sector=media&since=2026-11-16&until=2026-11-22")
    assert TITLES["RADIO"] in html and "2 articles" in html  # w6 and w9, both flagged and tagged media
    _, _, page1 = client.get("/search?since=2026-10-01")
    _, _, page2 = client.get("/search?since=2026-10-01&page=2")
    assert "33 articles" in page1 and "page 1 of 2" in page1 and "page 2 of 2" in page2
    assert len(re.findall(r'class="hit"', page1)) == 20 and len(re.findall(r'class="hit"', page2)) == 13
    status, _, html = client.get("/search?since=yesterday")
    assert status == 400 and "since: not a date" in html


def test_article_page_shows_dates_scores_and_story(review_settings, app_port):
    with pipeline.connection(review_settings) as con:  # an older model's scores stay beside the current one's
        con.execute("insert into models values ('m0', 'base', 'test', '2026-10-01', '{}', null, '2026-10-01')")
        con.execute("insert into classifications values ('w1', 'm0', 'integration', 0.42, false, null, '2026-11-17')")
    pipeline.publish_warehouse(review_settings)
    status, _, html = Client(app_port).get("/article/w1")
    assert status == 200 and TITLES["PORT"] in html
    assert "from feed" in html and "2026-11-17 09:00" in html  # published, with where the date came from
    assert "m1 (current)" in html and "0.800" in html and "m0" in html and "0.420" in html
    assert "AI crane scheduling goes live at Kessling" in html and "Cranes, again" in html  # siblings
    status, _, html = Client(app_port).get("/article/nope")
    assert status == 404 and "no article with id" in html


def test_sources_page_lists_broken_sources_first(app_port):
    status, _, html = Client(app_port).get("/sources")
    assert status == 200
    rows = re.findall(r'<tr class="(\w+)">\s*<td>(\w+)</td>', html)
    assert [name for _, name in rows[:2]] == ["delta", "epsilon"] and {c for c, _ in rows[:2]} == {"broken"}
    assert "dns: no such host delta.example (day 6)" in html


def test_trends_page_and_its_charts(app_port):
    client = Client(app_port)
    status, _, html = client.get(f"/trends?week={WEEK}")
    assert status == 200 and f'src="/charts/trend.png?week={WEEK}"' in html and "logistics" in html
    for name in ("trend", "sectors"):
        status, headers, body = client.request("GET", f"/charts/{name}.png?week={WEEK}")
        assert status == 200 and headers["content-type"] == "image/png"


# ---------------------------------------------------------------- safety

def test_every_page_has_the_csp_and_no_script_and_escapes_the_web(app_port):
    client = Client(app_port)
    for path in (f"/week?week={WEEK}", f"/trends?week={WEEK}", "/search?q=welding", "/article/w2", "/article/w7",
                 "/sources", "/article/missing"):
        status, headers, html = client.get(path)
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp and "'unsafe-inline'" not in csp, path
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert "<script" not in html.lower() and "<img src=x" not in html, path
    _, _, html = client.get("/article/w2")
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    _, _, html = client.get("/article/w7")
    assert "javascript:" in html and 'href="javascript:' not in html  # shown, never a link
    assert HOSTILE_URL not in re.findall(r'href="([^"]*)"', html)
    _, _, html = client.get(f"/week?week={WEEK}")
    assert f"<span>{TITLES['BUS']}</span>" in html  # its link is javascript:, so the headline is unlinked
    assert HOSTILE_TITLE not in html


def test_the_app_reads_read_only_and_cannot_reach_files(review_settings):
    review = pipeline.open_review(review_settings)
    cur = review._cursor()
    try:
        with pytest.raises(duckdb.Error):
            cur.execute("select * from read_text('/etc/passwd')").fetchall()
        with pytest.raises(duckdb.Error):
            cur.execute("delete from articles")
        with pytest.raises(duckdb.Error):
            cur.execute("set enable_external_access = true")
    finally:
        cur.close()
    assert os.path.realpath(review.path) != str(pipeline.snapshot_file(review_settings))  # a copy, not the writer's


def test_feedback_needs_the_pages_csrf_token(review_settings, app_port):
    client = Client(app_port)
    _, _, html = client.get(f"/week?week={WEEK}")
    token = csrf_of(html)
    form = {"article_id": "w1", "label": "integration", "verdict": "wrong", "next": "/week"}
    assert client.post("/feedback", form)[0] == 403  # no token
    assert client.post("/feedback", {**form, "csrf": "0" * 64})[0] == 403
    stranger = Client(app_port)  # another browser: its own cookie, so the page's token is not its
    stranger.get("/sources")
    assert stranger.post("/feedback", {**form, "csrf": token})[0] == 403
    status, _, body = client.post("/feedback", {**form, "csrf": token}, headers={"Origin": "http://evil.example"})
    assert status == 403 and "origin" in body
    assert client.post("/feedback", {**form, "csrf": token}, headers={"Sec-Fetch-Site": "cross-site"})[0] == 403
    assert _queued(review_settings) == []
    status, headers, _ = client.post("/feedback", {**form, "csrf": token, "next": "https://evil.example/"})
    assert status == 303 and headers["location"] == "/week"  # never redirected off the app


def test_feedback_is_queued_shown_at_once_and_stored_by_the_next_write_step(review_settings, app_port):
    client = Client(app_port)
    _, _, html = client.get("/article/w1")
    status, headers, _ = client.post("/feedback", {"csrf": csrf_of(html), "article_id": "w1", "label": "integration",
                                                   "verdict": "wrong", "next": "/article/w1"})
    assert status == 303 and headers["location"] == "/article/w1"
    assert len(_queued(review_settings)) == 1 and _feedback_rows(review_settings) == []
    _, _, html = client.get("/article/w1")
    assert "wrong: integration does not apply (queued)" in html
    kept = review_settings.data_dir / "kept.json"
    shutil.copy(_queued(review_settings)[0], kept)

    pipeline.publish_warehouse(review_settings)  # what load, classify and cluster do after their commits
    expected = [("w1", "integration", 0, "wrong", "m1", True, "tester")]
    assert _feedback_rows(review_settings) == expected and _queued(review_settings) == []
    _, _, html = client.get("/article/w1")
    assert "wrong: integration does not apply" in html and "(queued)" not in html
    # the step killed after its commit, before removing the file: applied again, nothing changes
    shutil.copy(kept, pipeline.feedback_queue_dir(review_settings) / kept.name)
    pipeline.publish_warehouse(review_settings)
    assert _feedback_rows(review_settings) == expected
    # and it is what `newsmon train --with-feedback` trains on
    path, count = pipeline.export_feedback(review_settings)
    assert count == 1 and '"integration": 0' in path.read_text(encoding="utf-8")


def test_a_later_newsmon_label_wins_over_an_older_queued_click(review_settings, app_port):
    client = Client(app_port)
    _, _, html = client.get("/article/w3")
    client.post("/feedback", {"csrf": csrf_of(html), "article_id": "w3", "label": "integration", "verdict": "wrong"})
    time.sleep(0.01)
    pipeline.label_article(review_settings, "w3", "integration", "right", user="cli")  # publishes, applying the queue first
    assert [r[2:4] for r in _feedback_rows(review_settings)] == [(0, "right")]


def test_feedback_is_validated_as_newsmon_label_validates_it(review_settings, app_port):
    client = Client(app_port)
    _, _, html = client.get("/article/w1")
    token = csrf_of(html)
    for form, message in [
        ({"article_id": "w1", "label": "crypto", "verdict": "wrong"}, "unknown label &#39;crypto&#39;"),
        ({"article_id": "w1", "label": "integration", "verdict": "maybe"}, "unknown verdict &#39;maybe&#39;"),
        ({"article_id": "zzz", "label": "integration", "verdict": "right"}, "no article with id &#39;zzz&#39;"),
    ]:
        status, _, html = client.post("/feedback", {**form, "csrf": token})
        assert status == 400 and message in html, html
    assert _queued(review_settings) == []


# ---------------------------------------------------------------- token and binding

def test_a_token_is_required_of_every_page_when_set(review_settings):
    with served(create_app(pipeline.open_review(review_settings), token="s3cret-token")) as port:
        client = Client(port)
        status, headers, _ = client.get(f"/week?week={WEEK}")
        assert status == 303 and headers["location"].startswith("/login")
        assert client.get("/static/app.css")[0] == 200
        assert client.get("/sources", headers={"Authorization": "Bearer wrong"})[0] == 303
        assert client.post("/feedback", {"article_id": "w1"})[0] == 401
        assert Client(port).get("/sources", headers={"Authorization": "Bearer s3cret-token"})[0] == 200
        _, _, html = client.get("/login?next=/sources")
        status, _, html = client.post("/login", {"csrf": csrf_of(html), "token": "nope", "next": "/sources"})
        assert status == 401 and "not the token" in html
        status, headers, _ = client.post("/login", {"csrf": csrf_of(html), "token": "s3cret-token", "next": "/sources"})
        assert status == 303 and headers["location"] == "/sources"
        assert client.get("/sources")[0] == 200


def test_binding_beyond_loopback_needs_a_token():
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_binding(host, None)
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.org"):
        with pytest.raises(NewsmonError, match="NEWSMON_SERVE__TOKEN"):
            check_binding(host, None)
        check_binding(host, "a-token")


def _cli_env(settings, **extra) -> dict:
    return {**os.environ, "NEWSMON_DATA_DIR": str(settings.data_dir), **extra}


def test_serve_refuses_other_interfaces_without_a_token(review_settings):
    result = subprocess.run([sys.executable, "-m", "newsmon", "serve", "--host", "0.0.0.0"], capture_output=True,
                            text=True, env=_cli_env(review_settings), timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "NEWSMON_SERVE__TOKEN" in result.stderr


def _listening(port: int) -> list[str]:
    """Local addresses (hex, as /proc/net/tcp writes them) listening on port."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if os.path.exists(table):
            for line in open(table).read().splitlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                if state == "0A" and int(local.split(":")[1], 16) == port:
                    found.append(local.split(":")[0])
    return found


def test_serve_binds_loopback_by_default(review_settings):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "newsmon", "serve", "--port", str(port)], stderr=subprocess.PIPE,
                            text=True, env=_cli_env(review_settings))
    try:
        deadline = time.monotonic() + 60
        while not _listening(port):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else "timeout"
            time.sleep(0.2)
        assert _listening(port) == ["0100007F"]  # 127.0.0.1, not 0.0.0.0
        assert Client(port).get(f"/week?week={WEEK}")[0] == 200
    finally:
        proc.terminate()
        proc.wait(30)


# ---------------------------------------------------------------- the snapshot

def test_sql_and_search_read_the_snapshot_unless_live(review_settings):
    with pipeline.connection(review_settings) as con:  # a write that publishes nothing
        con.execute("update articles set title = 'Renamed in the live file' where article_id = 'w3'")
    env = _cli_env(review_settings)
    query = "select title from articles where article_id = 'w3'"
    snap = subprocess.run([sys.executable, "-m", "newsmon", "sql", query, "-f", "csv"], capture_output=True, text=True,
                          env=env, timeout=60)
    live = subprocess.run([sys.executable, "-m", "newsmon", "sql", query, "-f", "csv", "--live"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert snap.stdout.splitlines()[1] == "Bank results beat forecasts"
    assert live.stdout.splitlines()[1] == "Renamed in the live file"
    found = subprocess.run([sys.executable, "-m", "newsmon", "search", "Renamed", "--live", "-f", "csv"],
                           capture_output=True, text=True, env=env, timeout=60)
    assert found.returncode == 0, found.stderr


HOLD = """
import sys, time
from newsmon.config import Settings
from newsmon import pipeline
with pipeline.connection(Settings()) as con:
    con.execute("update articles set title = 'held' where article_id = 'w4'")
    print("holding", flush=True)
    time.sleep(float(sys.argv[1]))
"""


def test_readers_do_not_wait_for_a_writer_holding_the_file(review_settings):
    env = _cli_env(review_settings, NEWSMON_WAREHOUSE__LOCK_TIMEOUT="0")
    writer = subprocess.Popen([sys.executable, "-c", HOLD, "60"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert writer.stdout.readline().strip() == "holding"
        result = subprocess.run([sys.executable, "-m", "newsmon", "sql", "select count(*) from articles", "-f", "csv"],
                                capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 0 and result.stdout.splitlines()[1] == "33", result.stderr
        live = subprocess.run([sys.executable, "-m", "newsmon", "sql", "select 1", "--live"], capture_output=True,
                              text=True, env=env, timeout=60)
        assert live.returncode == 1 and "locked" in live.stderr  # what every reader met before the snapshot
        with served(create_app(pipeline.open_review(review_settings))) as port:
            assert Client(port).get(f"/week?week={WEEK}")[0] == 200
    finally:
        writer.kill()
        writer.wait()


def test_a_writer_publishes_while_the_app_holds_the_snapshot_open(review_settings, app_port):
    client = Client(app_port)
    assert "Bank results beat forecasts" in client.get("/search?q=bank")[2]
    with pipeline.connection(review_settings) as con:
        con.execute("update articles set title = 'Bank results miss forecasts' where article_id = 'w3'")
        first = pipeline.publish_snapshot(review_settings, con)
    _, _, html = client.get("/article/w3")  # the next request reads the new copy
    assert "Bank results miss forecasts" in html
    for _ in range(3):  # nothing changed: no new copy
        assert pipeline.publish_warehouse(review_settings) == first
    with pipeline.connection(review_settings) as con:
        con.execute("update articles set title = 'Bank results miss forecasts again' where article_id = 'w3'")
        second = pipeline.publish_snapshot(review_settings, con)
    copies = sorted((review_settings.data_dir / "snapshots").glob("*.duckdb"))
    assert copies == [second] and second != first  # only the current copy kept
    assert os.path.islink(pipeline.snapshot_file(review_settings))
    assert "Bank results miss forecasts again" in client.get("/article/w3")[2]


def test_serve_without_a_warehouse_is_one_line(settings):
    result = subprocess.run([sys.executable, "-m", "newsmon", "serve", "--port", str(free_port())], capture_output=True,
                            text=True, env=_cli_env(settings), timeout=60)
    assert result.returncode == 1 and result.stderr.startswith("error: warehouse not found at")
    assert result.stderr.strip().count("\n") == 0 and not (settings.data_dir / "newsmon.duckdb").exists()


def test_live_mode_reads_the_writers_file_and_lets_go_of_it(review_settings):
    from concurrent.futures import ThreadPoolExecutor

    with pipeline.connection(review_settings) as con:  # not published: only the writer's file has it
        con.execute("update articles set title = 'Only in the live file' where article_id = 'w3'")
    with served(create_app(pipeline.open_review(review_settings, live=True))) as port:
        with ThreadPoolExecutor(6) as pool:  # requests at once share one read of the file
            pages = list(pool.map(lambda _: Client(port).get("/article/w3"), range(12)))
        assert all(status == 200 and "Only in the live file" in html for status, _, html in pages)
        with pipeline.connection(review_settings) as con:  # no request running: the writer gets the file
            con.execute("select 1")
