"""http and https of one host and path are one article: one id, one row (the https one), and older
warehouses re-keyed by migration 0011."""

import json
from datetime import datetime
from pathlib import Path

from newsmon.domain import Article, article_id, canonical_url, content_hash, known_key
from warehouse.db import migrate
from warehouse.load import known_urls, upsert_articles


def _record(url: str, *, source: str = "s1", title: str = "Depot robots") -> dict:
    canonical = canonical_url(url)
    return Article(article_id=article_id(canonical), url=url, canonical_url=canonical, source=source,
                   title=title, text="Body.", fetched_at=datetime(2026, 11, 17, 8),
                   content_hash=content_hash("Body.")).to_record()


def _staged(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_http_and_https_give_one_id_and_one_known_key():
    assert article_id(canonical_url("http://news.example/a?utm_source=x")) == article_id(
        canonical_url("https://news.example/a"))
    assert known_key("HTTP://News.example:80/a#c") == known_key("https://news.example/a") == "https://news.example/a"
    assert article_id("https://news.example/a") != article_id("https://news.example/b")


def test_loading_http_then_https_keeps_one_row_with_the_https_address(con, tmp_path: Path):
    upsert_articles(con, [_staged(tmp_path / "a.jsonl", _record("http://news.example/a"))])
    counts = upsert_articles(con, [_staged(tmp_path / "b.jsonl", _record("https://news.example/a", title="New"))])
    assert counts == {"read": 1, "inserted": 0, "updated": 1}
    assert con.execute("select url, canonical_url, title from articles").fetchall() == [
        ("https://news.example/a", "https://news.example/a", "New")]
    # and https first, http later: the https address stays
    upsert_articles(con, [_staged(tmp_path / "c.jsonl", _record("http://news.example/a"))])
    assert con.execute("select count(*), any_value(url) from articles").fetchone() == (1, "https://news.example/a")
    assert {known_key(u) for u in known_urls(con, ["news.example"])} == {"https://news.example/a"}


def test_both_schemes_in_one_load_are_one_row_with_https(con, tmp_path: Path):
    upsert_articles(con, [_staged(tmp_path / "a.jsonl", _record("http://news.example/a", source="alpha"),
                                  _record("https://news.example/a", source="beta"))])
    assert con.execute("select url, source from articles").fetchall() == [("https://news.example/a", "beta")]


def _old_id(url: str) -> str:
    import hashlib

    return hashlib.sha256(url.encode()).hexdigest()[:16]


def test_migration_0011_rekeys_http_articles_and_merges_twins(con):
    """Rows as the old rule stored them (id = hash of the http URL), then migration 0011 again."""
    now = datetime(2026, 11, 17)
    lone, twin_http, twin_https = "http://n.example/lone", "http://n.example/twin", "https://n.example/twin"
    ids = {"lone": _old_id(lone), "twin_http": _old_id(twin_http), "twin_https": _old_id(twin_https),
           "kept": "hand-made-id"}
    rows = [(ids["lone"], lone), (ids["twin_http"], twin_http), (ids["twin_https"], twin_https),
            (ids["kept"], "http://n.example/hand")]
    for aid, url in rows:
        con.execute("insert into articles (article_id, url, canonical_url, source, title, text, fetched_at,"
                    " content_hash) values (?, ?, ?, 's', 't', 'x', ?, 'h')", [aid, url, url, now])
    for aid in ids.values():
        con.execute("insert into classifications (article_id, model_version, label, score, flagged, scored_at)"
                    " values (?, 'm1', 'integration', 0.9, true, ?)", [aid, now])
        con.execute("insert into article_stories (article_id, story_id, method, clustered_at)"
                    " values (?, ?, 'first', ?)", [aid, ids["lone"], now])
    con.execute("insert into label_feedback (article_id, label, value, verdict, labeled_at) values"
                " (?, 'integration', 1, 'right', ?), (?, 'decentralization', 0, 'set', ?)",
                [ids["twin_http"], now, ids["lone"], now])
    con.execute("insert into digests (week, recipients, sent_at, message_id, subject, article_ids)"
                " values ('2026-W47', ['a@b.example'], ?, '<m@x>', 's', ?)", [now, [ids["twin_https"], ids["lone"]]])
    con.execute("delete from schema_migrations where version = 11")

    assert migrate(con) == [11]

    new_lone = article_id(lone)
    assert new_lone != ids["lone"] and article_id(twin_http) == ids["twin_https"]
    assert sorted(con.execute("select article_id, url from articles").fetchall()) == sorted([
        (new_lone, lone), (ids["twin_https"], twin_https), (ids["kept"], "http://n.example/hand")])
    assert sorted(r[0] for r in con.execute("select article_id from classifications").fetchall()) == sorted(
        [new_lone, ids["twin_https"], ids["kept"]])
    assert set(con.execute("select story_id from article_stories").fetchall()) == {(new_lone,)}
    assert sorted(con.execute("select article_id, label from label_feedback").fetchall()) == sorted([
        (ids["twin_https"], "integration"), (new_lone, "decentralization")])
    assert con.execute("select article_ids from digests").fetchone()[0] == [ids["twin_https"], new_lone]
