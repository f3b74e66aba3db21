"""`newsmon demo` (what `make demo` runs): the sample site on a fixed port, so a rerun adds nothing."""

import io
import socket
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from newsmon.demo import DEMO_PORT
from newsmon.sample_site import load_manifest
from tests.servers import free_port
from tests.support.cli import newsmon

# Logs of each run, not facts about the articles: a rerun rightly records its own crawl (one row per
# run and source) and its feeds' 304s (validators, not-modified streak).
RUN_LOGS = {"crawl_runs", "feed_states", "write_lock", "schema_migrations"}


def _tables(path: Path) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent digest of every row, per warehouse table."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'main'"
                                           " order by table_name").fetchall()]
        return {name: con.execute(f"select count(*), md5(coalesce(string_agg(t::varchar, '|'"
                                  f" order by t::varchar), '')) from {name} as t").fetchone()
                for name in names}
    finally:
        con.close()


def _demo(port: int) -> str:
    """One `newsmon demo` in this process (the CLI's own function, no interpreter start-up); its stdout."""
    from newsmon.config import get_settings
    from newsmon.demo import run_demo

    get_settings.cache_clear()
    out = io.StringIO()
    try:
        run_demo(port=port, console=Console(file=out, width=200, soft_wrap=True), progress=lambda _: None)
    finally:
        get_settings.cache_clear()
    return out.getvalue()


@pytest.mark.slow
@pytest.mark.timeout(1500)  # the session's model may be trained inside it, on a shared machine
def test_demo_twice_the_second_run_adds_and_changes_nothing(tmp_path, trained_model_dir, monkeypatch):
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEWSMON_MODEL__PATH", str(trained_model_dir))  # no training in the demo
    port = free_port()
    first = _demo(port)
    demo_dir = tmp_path / "demo"
    warehouse = demo_dir / "newsmon.duckdb"
    assert f"warehouse:      {warehouse}" in first
    assert f"digest preview: {demo_dir / 'digest-preview.html'}" in first
    assert first.count(".venv/bin/newsmon sql") == 3
    assert (demo_dir / "digest-preview.html").read_text().count('class="story"') >= 1
    articles = len(load_manifest())
    assert f"{articles} new articles ({articles} read), {articles} newly scored" in first
    before = _tables(warehouse)
    assert before["articles"][0] == articles
    assert before["classifications"][0] == 2 * articles
    assert before["article_stories"][0] == articles

    second = _demo(port)
    # today's staging is read again, and nothing is new
    assert f"0 new articles ({articles} read), 0 newly scored" in second
    after = _tables(warehouse)
    assert set(after) == set(before)
    facts = set(before) - RUN_LOGS
    assert {"articles", "classifications", "models", "article_stories", "story_vectors", "sources"} <= facts
    assert {t: after[t] for t in facts} == {t: before[t] for t in facts}
    # the same URLs: every article is the one the first run loaded
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*), count(distinct url) from articles").fetchone() == (articles, articles)
    # the second crawl fetched no page: both feeds answered 304 (its crawl_runs rows replace the first's)
    assert con.execute("select source, pages_fetched, json_extract(counts, '$.feeds_not_modified')::int"
                       " from crawl_runs order by source").fetchall() == [
        ("circuit-ledger-atom", 0, 1), ("circuit-ledger-rss", 0, 1)]
    con.close()
    # it ends by saying what to do next
    tail = second[second.index("\nnext:"):]
    assert f"NEWSMON_DATA_DIR={demo_dir} .venv/bin/newsmon serve   then open http://127.0.0.1:8050/" in tail
    assert "digest-preview.html" in tail and f"newsmon.sample_site --port {port}" in tail
    assert "make run" in tail and "make demo" in tail


def test_the_demo_port_is_fixed_and_a_taken_one_is_one_line(tmp_path):
    holder = socket.socket()
    try:
        try:
            holder.bind(("127.0.0.1", DEMO_PORT))
            holder.listen()
        except OSError:
            pass  # something else holds it already: taken either way
        result = newsmon("demo", data_dir=tmp_path)
    finally:
        holder.close()
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(f"error: port {DEMO_PORT} on 127.0.0.1 is taken")
    assert "--port" in lines[0]
    assert not (tmp_path / "demo" / "newsmon.duckdb").exists()


def test_next_steps_take_the_default_relative_data_dir():
    """`make demo` runs with the relative data dir data/demo: the preview's link must still be a file URI."""
    from newsmon.config import Settings
    from newsmon.demo import _next_steps

    relative = Path("data/demo")
    steps = _next_steps(Settings(data_dir=relative), relative / "digest-preview.html", 8765)
    assert any(f"file://{Path.cwd()}/data/demo/digest-preview.html" in step for step in steps)
