"""Story clustering: the same story from several outlets grouped as one, within a time window.

Exact copies share a content hash. Rewrites are found by a similarity that averages two cosines:
sentence embeddings of headline and lead (what the story is about, in any wording) and TF-IDF over
the names and figures the article mentions (capitalised words and numbers: which company, place and
amount). Either alone confuses neighbours, e.g. the same company's other news or the same kind of
event elsewhere; together they tell them apart (benchmarks/stories.py measures this on 190 labelled
articles). Without an embedding function the entity cosine is averaged with a TF-IDF cosine of the
words instead, with its own threshold.

Assignment is incremental and stable: an article new to clustering joins the story of its most
similar earlier article within the window when the similarity reaches the threshold, else it
founds a story whose id is its own article_id. Stories already assigned never move.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import numpy as np

from newsmon.domain import utc_now
from warehouse.db import upsert

DEFAULT_WINDOW_HOURS = 72
DEFAULT_THRESHOLD = 0.55  # embeddings + entities
LEXICAL_THRESHOLD = 0.30  # words + entities, when no embedding function is given
_BODY_CHARS = 1500
_EMBED_CHARS = 1200
_BLOCK = 1000
_ENTITY = re.compile(r"\b(?:[A-Z][A-Za-z'’-]+|\$?\d[\d.,]*%?)")

Embed = Callable[[list[str]], np.ndarray]


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


def embed_text(title: str, text: str) -> str:
    """What the embedding reads: headline and lead."""
    return f"{title}. {(text or '')[:_EMBED_CHARS]}"


def entities(title: str, text: str) -> str:
    """The names and figures of an article, as space-separated lower-case tokens."""
    return " ".join(m.lower() for m in _ENTITY.findall(f"{title}. {(text or '')[:3000]}"))


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def _similarity_parts(articles: list[StoryArticle], vectors: np.ndarray | None):
    """Two (sparse or dense) row-normalised matrices whose products give the two cosines."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    entity = TfidfVectorizer(sublinear_tf=True, token_pattern=r"\S+", lowercase=False, dtype=np.float32)
    try:
        first = entity.fit_transform([entities(a.title, a.text) for a in articles])
    except ValueError:  # no names or figures anywhere
        first = np.zeros((len(articles), 1), dtype=np.float32)
    if vectors is not None:
        return first, _unit_rows(np.asarray(vectors, dtype=np.float32))
    words = TfidfVectorizer(sublinear_tf=True, stop_words="english", dtype=np.float32)
    try:
        second = words.fit_transform([story_text(a.title, a.text) for a in articles])
    except ValueError:
        second = np.zeros((len(articles), 1), dtype=np.float32)
    return first, second


def _dense(product) -> np.ndarray:
    return product.toarray() if hasattr(product, "toarray") else np.asarray(product)


def cluster(existing: list[StoryArticle], new: list[StoryArticle], *, window: timedelta,
            threshold: float, vectors: dict[str, np.ndarray] | None = None
            ) -> list[tuple[str, str, str, float, str | None]]:
    """Assign each new article a story: (article_id, story_id, method, similarity, matched_id).

    existing articles carry their story_id; new ones are taken in (time, id) order, and each may
    join the story of an existing article or of a new one taken before it. vectors, when given,
    holds an embedding for every article of both lists."""
    new = sorted(new, key=lambda a: (a.at, a.article_id))
    pool = existing + new
    if not new:
        return []
    embedded = np.stack([vectors[a.article_id] for a in pool]) if vectors is not None else None
    first, second = _similarity_parts(pool, embedded)
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
        sims = (_dense(first[block] @ first[candidates].T) + _dense(second[block] @ second[candidates].T)) / 2
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


def _vectors_for(con: duckdb.DuckDBPyConnection, articles: list[StoryArticle], embed: Embed,
                 model: str) -> dict[str, np.ndarray]:
    """Embeddings of these articles: from story_vectors when this model made them, else computed
    and stored there for the next load."""
    ids = [a.article_id for a in articles]
    cached = dict(con.execute(
        "select article_id, vector from story_vectors where model = ? and article_id in (select unnest(?::varchar[]))",
        [model, ids]).fetchall())
    missing = [a for a in articles if a.article_id not in cached]
    if missing:
        computed = embed([embed_text(a.title, a.text) for a in missing])
        new_ids = [a.article_id for a in missing]
        upsert(con, "story_vectors", ["article_id", "model", "vector"],
               [[k, model, v] for k, v in zip(new_ids, computed.astype(float).round(5).tolist(), strict=True)],
               keys=["article_id"])
        cached.update(zip(new_ids, computed, strict=True))
    return {k: np.asarray(v, dtype=np.float32) for k, v in cached.items()}


def unclustered_count(con: duckdb.DuckDBPyConnection) -> int:
    """Articles that have no story yet."""
    return con.execute("select count(*) from articles anti join article_stories using (article_id)").fetchone()[0]


def assign_stories(con: duckdb.DuckDBPyConnection, *, window_hours: int = DEFAULT_WINDOW_HOURS,
                   threshold: float | None = None, embed: Embed | None = None, embed_model: str = "",
                   now: datetime | None = None) -> dict[str, int]:
    """Give every article without a story one; return counts by method. With embed (texts ->
    vectors), the similarity uses embeddings (threshold default DEFAULT_THRESHOLD), else words
    (LEXICAL_THRESHOLD)."""
    counts = {"first": 0, "exact": 0, "similar": 0}
    new = _rows(con,
                "select a.article_id, coalesce(a.published_at, a.fetched_at), a.title, a.text,"
                " a.content_hash, null from articles as a anti join article_stories as s using (article_id)",
                [])
    if not new:
        return counts
    if threshold is None:
        threshold = DEFAULT_THRESHOLD if embed else LEXICAL_THRESHOLD
    window = timedelta(hours=window_hours)
    lo = min(a.at for a in new) - window
    hi = max(a.at for a in new) + window
    existing = _rows(con,
                     "select a.article_id, coalesce(a.published_at, a.fetched_at), a.title, a.text,"
                     " a.content_hash, s.story_id from articles as a join article_stories as s using (article_id)"
                     " where coalesce(a.published_at, a.fetched_at) between ? and ?"
                     " order by 2, 1",
                     [lo, hi])
    vectors = _vectors_for(con, existing + new, embed, embed_model) if embed else None
    assigned = cluster(existing, new, window=window, threshold=threshold, vectors=vectors)
    stamp = now or utc_now()
    upsert(con, "article_stories",
           ["article_id", "story_id", "method", "similarity", "matched_article_id", "clustered_at"],
           [[*row, stamp] for row in assigned], keys=["article_id"], update=[])
    if embed:  # vectors older than two windows before the newest article are not needed again
        con.execute("delete from story_vectors where article_id in (select article_id from articles"
                    " where coalesce(published_at, fetched_at) < (select max(coalesce(published_at, fetched_at))"
                    " from articles) - ?::interval)", [f"{2 * window_hours} hours"])
    for row in assigned:
        counts[row[2]] += 1
    return counts
