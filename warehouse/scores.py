"""Classifier versions and their scores: keyed by (article, model version, label), never rewritten."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime

import duckdb

from newsmon.domain import Score
from warehouse.db import upsert


def register_model(con: duckdb.DuckDBPyConnection, *, model_version: str, base_model: str,
                   method: str, trained_at: datetime, thresholds: dict, metrics: dict | None,
                   activated_at: datetime) -> None:
    """Record a model version and make it current, unless it is current already."""
    if current_model_version(con) == model_version:
        return
    upsert(con, "models", ["model_version", "base_model", "method", "trained_at", "thresholds", "metrics",
                           "activated_at"],
           [[model_version, base_model, method, trained_at, json.dumps(thresholds),
             json.dumps(metrics) if metrics is not None else None, activated_at]],
           keys=["model_version"], update=["activated_at"])


def current_model_version(con: duckdb.DuckDBPyConnection) -> str | None:
    """The version of the model that scores now (the current_model view), or None before any."""
    row = con.execute("select model_version from current_model").fetchone()
    return row[0] if row else None


def unscored_ids(con: duckdb.DuckDBPyConnection, model_version: str, *, history: bool = True) -> list[str]:
    """Ids of the articles that have no score from this model version, in id order; without
    history, only those that no model has scored yet (new articles)."""
    return [row[0] for row in con.execute(
        "select a.article_id from articles as a"
        " where not exists (select 1 from classifications as c"
        "   where c.article_id = a.article_id and c.model_version = $version)"
        " and ($history or not exists (select 1 from classifications as o where o.article_id = a.article_id))"
        " order by a.article_id",
        {"version": model_version, "history": history},
    ).fetchall()]


def article_batches(con: duckdb.DuckDBPyConnection, ids: list[str],
                    batch_size: int = 256) -> Iterator[list[tuple[str, str, str]]]:
    """(article_id, title, text) of these articles, a batch at a time; the caller may write between
    batches, since the ids were read before."""
    for start in range(0, len(ids), batch_size):
        yield con.execute(
            "select article_id, title, text from articles where article_id in"
            " (select unnest(?::varchar[])) order by article_id",
            [ids[start:start + batch_size]],
        ).fetchall()


def insert_scores(con: duckdb.DuckDBPyConnection, scores: Iterable[Score], scored_at: datetime) -> int:
    rows = [[s.article_id, s.model_version, s.label, s.score, s.flagged, s.evidence, scored_at]
            for s in scores]
    return upsert(con, "classifications",
                  ["article_id", "model_version", "label", "score", "flagged", "evidence", "scored_at"], rows,
                  keys=["article_id", "model_version", "label"], update=[])


def insert_sectors(con: duckdb.DuckDBPyConnection, rows: Iterable[tuple[str, str, str, float]]) -> int:
    """Store (article_id, model_version, sector, score) tags; an existing tag is kept as it was."""
    return upsert(con, "article_sectors", ["article_id", "model_version", "sector", "score"],
                  [list(r) for r in rows], keys=["article_id", "model_version", "sector"], update=[])


def history_without_scores(con: duckdb.DuckDBPyConnection, model_version: str) -> int:
    """Articles scored by an earlier model but not by this one: what `classify --rescore` would score."""
    return con.execute(
        "select count(distinct c.article_id) from classifications as c"
        " where not exists (select 1 from classifications as d"
        "   where d.article_id = c.article_id and d.model_version = ?)",
        [model_version],
    ).fetchone()[0]
