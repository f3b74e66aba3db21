"""Story clustering: the same story from several outlets grouped as one, within a time window.

Exact copies share a content hash. Rewrites are found by TF-IDF cosine similarity of the headline
(counted twice) and the first part of the body: outlets reporting one story share its names,
numbers and places even when no sentence is the same. Assignment is incremental and stable: an
article that is new to the warehouse joins the story of its most similar earlier article within the
window when the similarity reaches the threshold, else it founds a story whose id is its own
article_id. Stories already assigned never move, so loading more articles never renames a story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np

from warehouse.db import upsert

DEFAULT_WINDOW_HOURS = 72
DEFAULT_THRESHOLD = 0.20
_BODY_CHARS = 1500
_BLOCK = 1000


@dataclass(frozen=True)
class StoryArticle:
    article_id: str
    at: datetime
    title: str
    text: str
    content_hash: str
    story_id: str | None = None


def story_text(title: str, text: str) -> str:
    """What is compared: the headline weighs as much as the lead."""
    return f"{title}\n{title}\n{(text or '')[:_BODY_CHARS]}"


def _vectors(articles: list[StoryArticle]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", ngram_range=(1, 2),
                                 min_df=1, dtype=np.float32,
                                 token_pattern=r"(?u)\b[\w$%][\w.,$%-]*\w\b|\b\w\b")
    return vectorizer.fit_transform([story_text(a.title, a.text) for a in articles])


def cluster(existing: list[StoryArticle], new: list[StoryArticle], *, window: timedelta,
            threshold: float) -> list[tuple[str, str, str, float, str | None]]:
    """Assign each new article a story: (article_id, story_id, method, similarity, matched_id).

    existing articles carry their story_id; new ones are taken in (time, id) order, and each may
    join the story of an existing article or of a new one taken before it."""
    new = sorted(new, key=lambda a: (a.at, a.article_id))
    pool = existing + new
    if not new:
        return []
    matrix = _vectors(pool)
    times = np.asarray([a.at.timestamp() for a in pool])
    order_of_new = {a.article_id: len(existing) + i for i, a in enumerate(new)}
    story_of: dict[int, str] = {i: a.story_id for i, a in enumerate(existing) if a.story_id}
    by_hash: dict[str, list[int]] = {}
    for i, a in enumerate(existing):
        by_hash.setdefault(a.content_hash, []).append(i)
    span = window.total_seconds()
    sorted_idx = np.argsort(times, kind="stable")
    sorted_times = times[sorted_idx]
    out = []
    for start in range(0, len(new), _BLOCK):
        block = [order_of_new[a.article_id] for a in new[start:start + _BLOCK]]
        lo = np.searchsorted(sorted_times, times[block].min() - span, side="left")
        hi = np.searchsorted(sorted_times, times[block].max() + span, side="right")
        candidates = np.sort(sorted_idx[lo:hi])
        sims = (matrix[block] @ matrix[candidates].T).toarray()
        for row, i in enumerate(block):
            article = pool[i]
            twins = [j for j in by_hash.get(article.content_hash, ())
                     if j in story_of and abs(times[j] - times[i]) <= span]
            if twins:
                j = min(twins, key=lambda k: (times[k], pool[k].article_id))
                story_of[i] = story_of[j]
                out.append((article.article_id, story_of[j], "exact", 1.0, pool[j].article_id))
            else:
                best, best_sim = None, threshold
                for col, j in enumerate(candidates):
                    if j == i or j not in story_of or abs(times[j] - times[i]) > span:
                        continue
                    sim = float(sims[row, col])
                    if sim >= best_sim and (best is None or sim > best_sim):
                        best, best_sim = j, sim
                if best is None:
                    story_of[i] = article.article_id
                    out.append((article.article_id, article.article_id, "first", None, None))
                else:
                    story_of[i] = story_of[best]
                    out.append((article.article_id, story_of[best], "similar", round(best_sim, 4),
                                pool[best].article_id))
            by_hash.setdefault(article.content_hash, []).append(i)
    return out


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[StoryArticle]:
    return [StoryArticle(*row) for row in con.execute(sql, params).fetchall()]


def assign_stories(con: duckdb.DuckDBPyConnection, *, window_hours: int = DEFAULT_WINDOW_HOURS,
                   threshold: float = DEFAULT_THRESHOLD, now: datetime | None = None) -> dict[str, int]:
    """Give every article without a story one; return counts by method."""
    new = _rows(con,
                "select a.article_id, coalesce(a.published_at, a.fetched_at), a.title, a.text,"
                " a.content_hash, null from articles as a anti join article_stories as s using (article_id)",
                [])
    if not new:
        return {"first": 0, "exact": 0, "similar": 0}
    window = timedelta(hours=window_hours)
    lo = min(a.at for a in new) - window
    hi = max(a.at for a in new) + window
    existing = _rows(con,
                     "select a.article_id, coalesce(a.published_at, a.fetched_at), a.title, a.text,"
                     " a.content_hash, s.story_id from articles as a join article_stories as s using (article_id)"
                     " where coalesce(a.published_at, a.fetched_at) between ? and ?"
                     " order by 2, 1",
                     [lo, hi])
    assigned = cluster(existing, new, window=window, threshold=threshold)
    stamp = now or datetime.now(UTC).replace(tzinfo=None)
    upsert(con, "article_stories",
           ["article_id", "story_id", "method", "similarity", "matched_article_id", "clustered_at"],
           [[*row, stamp] for row in assigned], keys=["article_id"], update=[])
    counts = {"first": 0, "exact": 0, "similar": 0}
    for row in assigned:
        counts[row[2]] += 1
    return counts
