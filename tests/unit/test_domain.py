from datetime import UTC, datetime, timedelta, timezone

from newsmon.domain import (
    Article,
    article_id,
    canonical_url,
    content_hash,
    normalize_url,
    strip_controls,
    utc_naive,
)


def test_normalize_url_drops_tracking_fragment_and_default_port():
    url = "HTTPS://Example.COM:443/a/b?utm_source=rss&id=7&fbclid=xyz&b=2#comments"
    assert normalize_url(url) == "https://example.com/a/b?b=2&id=7"


def test_normalize_url_keeps_meaningful_query_and_custom_port():
    assert normalize_url("http://127.0.0.1:8080/story?page=2") == "http://127.0.0.1:8080/story?page=2"
    assert normalize_url("https://example.com") == "https://example.com/"


def test_canonical_link_on_same_site_wins_over_fetch_url():
    fetched = "https://www.example.com/news/1?utm_medium=feed"
    assert canonical_url(fetched, "https://example.com/news/one") == "https://example.com/news/one"


def test_canonical_link_to_other_site_is_ignored():
    fetched = "https://example.com/news/1?utm_medium=feed"
    assert canonical_url(fetched, "https://aggregator.net/copy/1") == "https://example.com/news/1"
    assert canonical_url(fetched, "javascript:alert(1)") == "https://example.com/news/1"


def test_article_id_is_stable_and_follows_canonical_url():
    a = article_id(canonical_url("https://example.com/x?utm_source=a"))
    b = article_id(canonical_url("https://EXAMPLE.com/x#top"))
    assert a == b
    assert len(a) == 16
    assert a != article_id(canonical_url("https://example.com/y"))


def test_content_hash_folds_case_and_whitespace_only():
    assert content_hash("Robots  arrive\n\nat the port.") == content_hash("robots arrive at the PORT.")
    assert content_hash("Robots arrive at the port.") != content_hash("Robots leave the port.")


def test_utc_naive_converts_aware_times():
    aware = datetime(2026, 11, 17, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    assert utc_naive(aware) == datetime(2026, 11, 17, 8, 0)
    assert utc_naive(datetime(2026, 1, 1, tzinfo=UTC)).tzinfo is None


def test_article_record_round_trip():
    article = Article(article_id="abc", url="https://e.com/a", canonical_url="https://e.com/a",
                      source="s", title="T", text="body", fetched_at=datetime(2026, 11, 20, 8),
                      published_at=datetime(2026, 11, 19, 7, 30), content_hash="h")
    assert Article.from_record(article.to_record()) == article


def test_strip_controls_keeps_layout_and_drops_the_rest():
    hostile = "a\x00b\x1bc\x07d\x7fe\x85f\x9bg\u202ah\u202ei\u2066j\u2069k"
    assert strip_controls(hostile) == "abcdefghijk"
    assert strip_controls("tab\tnew\nline\r ok \u00e9\u200d\u05d0") == "tab\tnew\nline\r ok \u00e9\u200d\u05d0"
