"""One article of week 2026-W47, loaded by the real load step and flagged by model m1 (the digest tests' seed)."""

import json
from datetime import datetime

from newsmon import pipeline
from newsmon.domain import Article, content_hash


def seed_flagged_article(settings, title: str, url: str = "https://news.example/a", published=datetime(2026, 11, 18, 9)):
    """Load article a1 (title, url, published) through staging and flag it as integration (0.91)."""
    staging = pipeline.run_dir(settings, "r1")
    staging.mkdir(parents=True, exist_ok=True)
    article = Article(article_id="a1", url=url, canonical_url=url, source="s1", title=title,
                      text="Robots sort parcels.", fetched_at=published, published_at=published,
                      content_hash=content_hash("Robots sort parcels."))
    (staging / "s1.jsonl").write_text(json.dumps(article.to_record()) + "\n")
    pipeline.load_run(settings, "r1")
    with pipeline.connection(settings) as con:
        con.execute("insert into models values ('m1', 'base', 'test', '2026-11-01', '{}', null, '2026-11-01')")
        con.execute("insert into classifications values ('a1', 'm1', 'integration', 0.91, true,"
                    " 'A parcel hub <b>now</b> runs sorting robots.', '2026-11-19')")
