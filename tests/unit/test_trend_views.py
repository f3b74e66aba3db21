"""trend_weekly and top_sources_by_label on a small warehouse with known scores: exact numbers."""

from datetime import datetime

import pytest

from warehouse.db import connect, migrate


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    migrate(con)
    con.execute("insert into models values ('old', 'b', 'm', '2026-10-01', '{}', null, '2026-10-01'),"
                " ('new', 'b', 'm', '2026-11-01', '{}', null, '2026-11-01')")
    # week W46 (Nov 9-15): big source 10 articles, 1 flagged; small source 2 articles, 2 flagged
    # week W47 (Nov 16-22): big 10 articles, 5 flagged; small 2 articles, 0 flagged
    rows = []
    for week_day, big_flags, small_flags in ((datetime(2026, 11, 10, 9), 1, 2), (datetime(2026, 11, 17, 9), 5, 0)):
        for i in range(10):
            rows.append((f"b{week_day.day}-{i}", "big", week_day, i < big_flags))
        for i in range(2):
            rows.append((f"s{week_day.day}-{i}", "small", week_day, i < small_flags))
    for article_id, source, published, flagged in rows:
        con.execute("insert into articles (article_id, url, canonical_url, source, title, published_at, fetched_at,"
                    " text, content_hash) values (?, ?, ?, ?, 't', ?, ?, 'x', 'h')",
                    [article_id, f"https://e/{article_id}", f"https://e/{article_id}", source, published, published])
        for label, value in (("integration", flagged), ("decentralization", False)):
            con.execute("insert into classifications values (?, 'new', ?, ?, ?, null, '2026-11-23')",
                        [article_id, label, 0.9 if value else 0.1, value])
        # an old model's verdicts must not count
        con.execute("insert into classifications values (?, 'old', 'integration', 0.99, true, null, '2026-10-02')",
                    [article_id])
    yield con
    con.close()


def test_trend_weekly_normalises_by_source(con):
    rows = con.execute("select week, label, crawled, flagged, sources, share, normalized_share, change_pp"
                       " from trend_weekly where label = 'integration'").fetchall()
    assert rows == [
        ("2026-W46", "integration", 12, 3, 2, 0.25, 0.55, None),   # (0.1 + 1.0) / 2
        ("2026-W47", "integration", 12, 5, 2, 0.4167, 0.25, -30.0),  # (0.5 + 0.0) / 2
    ]
    zero = con.execute("select flagged, normalized_share from trend_weekly where label = 'decentralization'").fetchall()
    assert zero == [(0, 0.0), (0, 0.0)]


def test_top_sources_by_label(con):
    rows = con.execute("select source, articles, flagged, share, last_flagged_at from top_sources_by_label"
                       " where label = 'integration'").fetchall()
    assert rows == [("big", 20, 6, 0.3, datetime(2026, 11, 17, 9)), ("small", 4, 2, 0.5, datetime(2026, 11, 10, 9))]
