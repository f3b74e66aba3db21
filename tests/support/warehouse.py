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
