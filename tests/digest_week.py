"""A warehouse with known rows around ISO week 2026-W47 (Mon 16 - Sun 22 Nov 2026), for the digest tests.

Numbers the tests expect, worked out by hand:
- W43-W46 have 4 articles each (all from alpha); W42 has 6, all flagged integration, and lies
  outside the 4-week baseline. Integration shares W43-W46: 1/4, 1/4, 0, 2/4 (mean 0.25);
  decentralization 1/4, 1/4, 2/4, 2/4 (mean 0.375). Volume mean 4.
- W47 has 10 articles from alpha (4), beta, gamma, delta (2 each). Integration per source:
  2/4, 1/2, 2/2, 0/2 -> normalised share 0.5 (+25.0 pp); decentralization 0, 1/2, 0, 1/2 -> 0.25
  (-12.5 pp). Volume 10 vs 4: +150%.
- Integration stories of W47, by max score x (1 + ln sources) x recency:
  PORT (alpha w1 0.80 + beta w5 0.90, last report Wed 12:00): 0.9 x 1.6931 x 0.6786 = 1.0341
  BUS (gamma w7 0.95, Sun 12:00): 0.95 x 1 x 0.9643 = 0.9161
  WELD (alpha w2 0.70, Thu 12:00): 0.70 x 1 x 0.75 = 0.525
  WARD (gamma w8 0.99, Mon 06:00, not clustered): 0.99 x 1 x 0.5179 = 0.5127
  delta's w11 joins PORT in W48 and must not count.
- Decentralization stories of W47: only RADIO (beta w6); delta's w9 is flagged this week but joins a
  story first flagged in W46 (p46x), so it was that week's.
- Rising (>= 3 articles): integration/logistics 3 of 3 vs 1 of 4 over W43-W46, +75.0 pp; media is
  flagged 2 of 2 for decentralization but has only 2 articles.
- Source health: delta failed its last 3 runs (broken), epsilon saw no entries in its last 3 runs
  (broken, no error), beta failed once; alpha's failure is in W48, gamma's in W46, omega is disabled.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from newsmon import pipeline

WEEK = "2026-W47"
MONDAY = datetime(2026, 11, 16)

TITLES = {
    "PORT": "Kessling port lets an AI schedule its cranes",
    "BUS": "Harbour City buses get a driverless night route",
    "WELD": "Norrvik welding line runs on a vision model",
    "WARD": "Hospital ward robots fetch medicines at night",
    "RADIO": "Regional radio stations leave the big streaming app",
}

# article id, source, published, integration score, decentralization score, story id, sectors, title
# (a score >= 0.5 is flagged; story None: not clustered yet)
_WEEK_ARTICLES = [
    ("w1", "alpha", MONDAY + timedelta(days=1, hours=9), 0.80, 0.10, "w1", ["logistics"], TITLES["PORT"]),
    ("w2", "alpha", MONDAY + timedelta(days=3, hours=12), 0.70, 0.20, "w2", ["manufacturing"], TITLES["WELD"]),
    ("w3", "alpha", MONDAY + timedelta(hours=10), 0.10, 0.10, None, ["finance"], "Bank results beat forecasts"),
    ("w4", "alpha", MONDAY + timedelta(days=4, hours=10), 0.20, 0.30, None, ["finance"], "Insurer raises prices"),
    ("w5", "beta", MONDAY + timedelta(days=2, hours=12), 0.90, 0.10, "w1", ["logistics", "manufacturing"],
     "AI crane scheduling goes live at Kessling"),
    ("w6", "beta", MONDAY + timedelta(days=5, hours=9), 0.30, 0.85, "w6", ["media"], TITLES["RADIO"]),
    ("w7", "gamma", MONDAY + timedelta(days=6, hours=12), 0.95, 0.10, "w7", ["logistics"], TITLES["BUS"]),
    ("w8", "gamma", MONDAY + timedelta(hours=6), 0.99, 0.20, None, ["healthcare"], TITLES["WARD"]),
    ("w9", "delta", MONDAY + timedelta(days=1, hours=15), 0.10, 0.75, "p46x", ["media"],
     "Podcasters keep leaving exclusive deals"),
    ("w10", "delta", MONDAY + timedelta(days=2, hours=8), 0.20, 0.20, None, ["finance"], "Shares slip"),
    # the next week: joins PORT, must not count in W47's "also reported by"
    ("w11", "delta", MONDAY + timedelta(days=7, hours=8), 0.97, 0.10, "w1", ["logistics"], "Cranes, again"),
]


def _previous_articles() -> list[tuple]:
    rows = []
    # week start -> (integration flags, decentralization flags, logistics-tagged ids) among 4 articles
    plan = {
        datetime(2026, 10, 19): ({0}, {1}, set()),
        datetime(2026, 10, 26): ({0}, {1}, set()),
        datetime(2026, 11, 2): (set(), {0, 1}, {2, 3}),
        datetime(2026, 11, 9): ({0, 1}, {2, 3}, {0, 3}),
    }
    for start, (integration, decentralization, logistics) in plan.items():
        week = f"p{start.isocalendar()[1]}"
        for i in range(4):
            article_id = "p46x" if (week, i) == ("p46", 3) else f"{week}{'abcd'[i]}"
            published = start + timedelta(days=6 if article_id == "p46x" else i, hours=20 if article_id == "p46x" else 10)
            rows.append((article_id, "alpha", published, 0.9 if i in integration else 0.1,
                         0.9 if i in decentralization else 0.1, "p46x" if article_id == "p46x" else None,
                         ["logistics"] if i in logistics else [], f"Earlier story {article_id}"))
    # W42: outside the 4-week baseline
    for i in range(6):
        rows.append((f"p42{i}", "alpha", datetime(2026, 10, 12 + i, 10), 0.9, 0.1, None, [], f"Old story {i}"))
    return rows


def _runs() -> list[tuple]:
    """(run_id, source, started_at, ok, entries_seen, error)"""
    runs = []
    for day in range(7):
        started = MONDAY + timedelta(days=day, hours=6)
        run_id = started.date().isoformat()
        runs.append((run_id, "alpha", started, True, 5, None))
        runs.append((run_id, "gamma", started, True, 5, None))
        failed_beta = day == 3
        runs.append((run_id, "beta", started, not failed_beta, 0 if failed_beta else 5,
                     "http: 503 Service Unavailable on https://beta.example/feed" if failed_beta else None))
        failed_delta = day >= 4
        runs.append((run_id, "delta", started, not failed_delta, 0 if failed_delta else 5,
                     f"dns: no such host delta.example (day {day})" if failed_delta else None))
        runs.append((run_id, "epsilon", started, True, 0, None))
        runs.append((run_id, "omega", started, False, 0, "timeout: disabled source"))
    runs.append(("2026-11-12", "gamma", datetime(2026, 11, 12, 6), False, 0, "timeout: last week"))
    runs.append(("2026-11-23", "alpha", datetime(2026, 11, 23, 6), False, 0, "http: 500 next week"))
    return runs


def build_digest_week(settings) -> None:
    """Write the rows above into the settings' warehouse (migrated, otherwise empty)."""
    articles = _previous_articles() + _WEEK_ARTICLES
    with pipeline.connection(settings) as con:
        con.execute("insert into models values ('m1', 'base', 'test', '2026-11-01', '{}', null, '2026-11-01')")
        for name, enabled in [("alpha", True), ("beta", True), ("gamma", True), ("delta", True),
                              ("epsilon", True), ("omega", False)]:
            con.execute("insert into sources (name, homepage, feeds, enabled) values (?, ?, ?, ?)",
                        [name, f"https://{name}.example/", [f"https://{name}.example/feed"], enabled])
        for article_id, source, published, integration, decentralization, story, sectors, title in articles:
            text = f"{title}. Body of {article_id}."
            con.execute(
                "insert into articles (article_id, url, canonical_url, source, title, published_at,"
                " published_from, fetched_at, text, content_hash) values (?, ?, ?, ?, ?, ?, 'feed', ?, ?, ?)",
                # fetched with a tracking parameter; the digest links the canonical URL
                [article_id, f"https://{source}.example/{article_id}?utm_source=feed", f"https://{source}.example/{article_id}",
                 source, title, published, published + timedelta(hours=1), text, f"hash-{article_id}"])
            for label, score in (("integration", integration), ("decentralization", decentralization)):
                con.execute("insert into classifications values (?, 'm1', ?, ?, ?, ?, ?)",
                            [article_id, label, score, score >= 0.5,
                             f"Evidence for {label} in {article_id}." if score >= 0.5 else None,
                             published + timedelta(hours=2)])
            for sector in sectors:
                con.execute("insert into article_sectors values (?, 'm1', ?, 0.8)", [article_id, sector])
            if story is not None:
                method = "first" if story == article_id else "similar"
                con.execute("insert into article_stories values (?, ?, ?, ?, ?, ?)",
                            [article_id, story, method, None if method == "first" else 0.7,
                             None if method == "first" else story, published + timedelta(hours=2)])
        for run_id, source, started, ok, entries, error in _runs():
            con.execute(
                "insert into crawl_runs (run_id, source, started_at, finished_at, ok, articles, entries_seen,"
                " error, failures, counts) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, source, started, started + timedelta(minutes=2), ok, entries, entries, error,
                 json.dumps([]), json.dumps({})])
