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


def _tag(con, article_id: str, sector: str, model: str = "new", score: float = 0.8) -> None:
    con.execute("insert into article_sectors values (?, ?, ?, ?)", [article_id, model, sector, score])


def test_trend_by_sector_counts_tagged_articles_per_week(con):
    for i in range(10):
        _tag(con, f"b10-{i}", "manufacturing")
        _tag(con, f"b17-{i}", "manufacturing")
    _tag(con, "s10-0", "logistics")
    _tag(con, "s10-0", "manufacturing", score=0.6)  # two sectors: counts in both
    _tag(con, "s17-0", "logistics")
    _tag(con, "s17-1", "logistics", model="old")  # an old model's tags do not count
    rows = con.execute("select week, sector, articles, flagged, share, change_pp from trend_by_sector"
                       " where label = 'integration' order by week, sector").fetchall()
    assert rows == [
        ("2026-W46", "logistics", 1, 1, 1.0, None),
        ("2026-W46", "manufacturing", 11, 2, 0.1818, None),   # b10-0 and s10-0 flagged
        ("2026-W47", "logistics", 1, 0, 0.0, -100.0),
        ("2026-W47", "manufacturing", 10, 5, 0.5, 31.82),
    ]


def test_flagged_articles_carry_evidence_sectors_and_story(con):
    _tag(con, "s10-0", "logistics", score=0.9)
    _tag(con, "s10-0", "manufacturing", score=0.6)
    con.execute("update classifications set evidence = 'Robots sort parcels.' where article_id = 's10-0'"
                " and model_version = 'new' and label = 'integration'")
    con.execute("insert into article_stories values ('s10-0', 'b10-0', 'similar', 0.4, 'b10-0', '2026-11-23')")
    row = con.execute("select label, score, evidence, sectors, story_id, source from flagged_articles"
                      " where article_id = 's10-0'").fetchall()
    assert row == [("integration", 0.9, "Robots sort parcels.", ["logistics", "manufacturing"], "b10-0", "small")]
    # only current-model flags: 8 flagged by 'new' (3 in W46, 5 in W47), none of the old model's
    assert con.execute("select count(*) from flagged_articles").fetchone()[0] == 8
    assert con.execute("select sectors from flagged_articles where article_id = 'b17-0'").fetchone()[0] == []


def test_stories_view_groups_articles_with_first_source_and_labels(con):
    # b10-0 founds a story; s10-0 (small, same time) and b17-1 join it; b10-2 stays alone
    con.execute("update articles set published_at = '2026-11-10 08:00' where article_id = 'b10-0'")
    for article_id, story, method in (("b10-0", "b10-0", "first"), ("s10-0", "b10-0", "similar"),
                                      ("b17-1", "b10-0", "similar"), ("b10-2", "b10-2", "first")):
        con.execute("insert into article_stories values (?, ?, ?, null, null, '2026-11-23')",
                    [article_id, story, method])
    rows = con.execute("select story_id, first_source, first_published_at, last_published_at, sources,"
                       " articles, source_names, labels from stories order by story_id").fetchall()
    assert rows == [
        ("b10-0", "big", datetime(2026, 11, 10, 8), datetime(2026, 11, 17, 9), 2, 3, ["big", "small"],
         ["integration"]),
        ("b10-2", "big", datetime(2026, 11, 10, 9), datetime(2026, 11, 10, 9), 1, 1, ["big"], []),
    ]
