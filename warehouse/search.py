"""Full-text search over article titles and texts: DuckDB's fts extension, ranked by BM25.

The index is a snapshot (schema fts_main_articles); each load rebuilds it, so it never lags the
articles table by more than the load that is running."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from newsmon.domain import LABELS, NewsmonError
from warehouse.db import backend

INDEX_SCHEMA = "fts_main_articles"
MAX_LIMIT = 10_000


class SearchError(NewsmonError):
    """A search that cannot run as asked."""


@dataclass(frozen=True)
class Hit:
    article_id: str
    score: float
    title: str
    source: str
    published_at: datetime | None
    url: str
    labels: list[str]
    snippet: str


def rebuild_index(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build the BM25 index over title and text, English stemming and stop words (a DuckDB
    file only: on DuckLake each search indexes in memory)."""
    if backend(con) == "ducklake":
        return
    con.execute("pragma create_fts_index('articles', 'article_id', 'title', 'text',"
                " stemmer = 'english', stopwords = 'english', lower = 1, strip_accents = 1, overwrite = 1)")


def _lake_matches(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """DuckLake keeps no macros, so no stored index: index title and text in an in-memory scratch
    database for this search and return the table of (article_id, score) it found."""
    current = con.execute("select current_database()").fetchone()[0]
    con.execute("attach if not exists ':memory:' as scratch")
    con.execute("create or replace table scratch.docs as select article_id, title, text from articles")
    con.execute("use scratch")
    try:
        con.execute("pragma create_fts_index('docs', 'article_id', 'title', 'text', stemmer = 'english',"
                    " stopwords = 'english', lower = 1, strip_accents = 1, overwrite = 1)")
        con.execute("create or replace table hits as select article_id, score from"
                    " (select article_id, fts_main_docs.match_bm25(article_id, ?) as score from docs)"
                    " where score is not null", [query])
    finally:
        con.execute(f"use {current}")
    return "scratch.hits"


def has_index(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("select count(*) from duckdb_tables() where schema_name = ?",
                            [INDEX_SCHEMA]).fetchone()[0])


def search(con: duckdb.DuckDBPyConnection, query: str, *, label: str | None = None,
           since: datetime | None = None, limit: int = 20) -> list[Hit]:
    """Articles matching the query, best BM25 score first; label keeps those the current model
    flags for it, since those published on or after it."""
    if not query.strip():
        raise SearchError("empty search query")
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchError(f"limit {str(limit)[:30]}: give 1 to {MAX_LIMIT:,} results")
    if label is not None and label not in LABELS:
        raise SearchError(f"unknown label {label!r}: use one of {', '.join(LABELS)}")
    if backend(con) == "ducklake":
        matches = _lake_matches(con, query)
    elif has_index(con):
        matches = f"(select article_id, {INDEX_SCHEMA}.match_bm25(article_id, $query) as score from articles)"
    else:
        raise SearchError("no search index yet: it is built by each load (`newsmon load`), "
                          "or now with `newsmon db reindex`")
    rows = con.execute(
        f"""
        with matches as (select * from {matches}),
        flags as (
            select c.article_id, list(c.label order by c.label) as labels
            from classifications as c
            join current_model as m using (model_version)
            where c.flagged
            group by c.article_id
        )
        select a.article_id, m.score, a.title, a.source, a.published_at, a.url,
               coalesce(f.labels, []::varchar[]) as labels, left(a.text, 400) as snippet
        from matches as m
        join articles as a using (article_id)
        left join flags as f using (article_id)
        where m.score is not null
          and ($label is null or list_contains(f.labels, $label))
          and ($since is null or a.published_at >= $since)
        order by m.score desc, a.published_at desc nulls last, a.article_id
        limit $limit
        """,
        {"query": query, "label": label, "since": since, "limit": limit} if "$query" in matches else
        {"label": label, "since": since, "limit": limit},
    ).fetchall()
    return [Hit(*row) for row in rows]
