"""A small warehouse for the readers' tests: four articles, one model's scores, loaded by the real load step."""

import json
from datetime import datetime

import duckdb

from newsmon import pipeline
from newsmon.config import Settings
from newsmon.domain import Article, article_id, content_hash

ARTICLES = [
    ("Humanoid robots join the night shift at a Gdansk car plant",
     "Two humanoid robots now move parts between stations on the night shift, the plant said.",
     datetime(2026, 11, 10, 9), "integration"),
    ("Robot vacuum maker cuts prices before the holidays",
     "The vacuums map rooms with lidar; the company cut prices by a fifth.", datetime(2026, 11, 12, 9), None),
    ("Town council moves its newsletter off the big social platforms",
     "The council now publishes on its own site and a federated server.", datetime(2026, 11, 18, 9),
     "decentralization"),
    ("Hospital porters get help from delivery robots in Leeds",
     "Delivery robots carry samples between wards; humanoid designs were ruled out.",
     datetime(2026, 11, 19, 9), "integration"),
]


def load_articles(settings: Settings) -> Settings:
    """A warehouse with four articles, one model's scores, loaded by the real load step."""
    run = pipeline.run_dir(settings, "2026-11-20")
    run.mkdir(parents=True)
    records = []
    for n, (title, text, published, _) in enumerate(ARTICLES):
        url = f"https://news.example/{n}"
        records.append(Article(article_id=article_id(url), url=url, canonical_url=url, source=f"s{n % 2}",
                               title=title, text=text, fetched_at=published, published_at=published,
                               published_from="feed", content_hash=content_hash(text)).to_record())
    (run / "s.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    pipeline.load_run(settings, "2026-11-20", results=[])
    con = duckdb.connect(settings.warehouse_path)
    con.execute("insert into models values ('m1', 'b', 'frozen', '2026-11-01', '{}', null, '2026-11-01')")
    for n, (*_, label) in enumerate(ARTICLES):
        for name in ("integration", "decentralization"):
            con.execute("insert into classifications values (?, 'm1', ?, ?, ?, null, '2026-11-20')",
                        [article_id(f"https://news.example/{n}"), name, 0.9 if name == label else 0.1, name == label])
    con.execute("insert into article_sectors values (?, 'm1', 'manufacturing', 0.8)",
                [article_id("https://news.example/0")])
    con.close()
    pipeline.publish_warehouse(settings)  # readers read the snapshot a write step publishes
    return settings


# Columns that record when something happened on this machine, not what was found: left out when
# two warehouses are compared. write_lock holds only a claim time.
WALL_CLOCK = {"fetched_at", "scored_at", "started_at", "finished_at", "clustered_at", "activated_at",
              "applied_at", "changed_at", "sent_at", "labeled_at", "claimed_at"}
# ... and the same inside JSON objects (published_candidates holds the first_seen time)
WALL_CLOCK_PATCH = json.dumps(dict.fromkeys(sorted(WALL_CLOCK | {"first_seen"})))


def warehouse_checksums(settings: Settings) -> dict[str, tuple[int, int]]:
    """(rows, order-independent hash) per table over every column but the wall-clock ones; the
    tables and columns come from the catalog, so a new table or column is covered without edits."""
    _, columns = pipeline.run_sql(
        settings,
        "select t.table_name, list((c.column_name, c.data_type) order by c.column_index) from duckdb_tables() t"
        " join duckdb_columns() c using (database_name, schema_name, table_name)"
        " where t.schema_name = 'main' and not t.internal group by all order by 1")
    sums = {}
    for table, names in columns:
        kept = [f"""case when json_type("{n}") = 'OBJECT' then json_merge_patch("{n}", '{WALL_CLOCK_PATCH}')"""
                f' else "{n}" end' if kind == "JSON" else f'"{n}"' for n, kind in names if n not in WALL_CLOCK]
        if not kept:
            continue
        _, rows = pipeline.run_sql(settings, f'select count(*), coalesce(sum(hash({", ".join(kept)})), 0) from "{table}"')
        sums[table] = (int(rows[0][0]), int(rows[0][1]))
    return sums
