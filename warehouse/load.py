"""Loading staging files into the warehouse: the single writer, idempotent upserts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb

from newsmon.domain import CrawlResult, Source
from warehouse.db import merge, upsert

# Column types of a staging record; read_json skips torn or malformed lines (ignore_errors).
_STAGING_COLUMNS = {
    "article_id": "varchar", "url": "varchar", "canonical_url": "varchar", "source": "varchar",
    "title": "varchar", "text": "varchar", "fetched_at": "timestamp", "author": "varchar",
    "published_at": "timestamp", "published_from": "varchar", "language": "varchar",
    "content_hash": "varchar", "extraction_method": "varchar", "feed_url": "varchar",
    "run_id": "varchar", "published_confidence": "varchar", "published_candidates": "json",
    "date_disagreement_hours": "double",
}
_ARTICLE_COLUMNS = list(_STAGING_COLUMNS)
# Facts of first sight stay as they were; what the page says is refreshed.
_REFRESHED = ["title", "text", "author", "published_at", "published_from", "language",
              "content_hash", "extraction_method", "published_confidence", "published_candidates",
              "date_disagreement_hours"]


def upsert_sources(con: duckdb.DuckDBPyConnection, sources: Iterable[Source]) -> int:
    rows = [[s.name, s.homepage, list(s.feeds), list(s.sitemaps), list(s.sections), s.enabled]
            for s in sources]
    return upsert(con, "sources", ["name", "homepage", "feeds", "sitemaps", "sections", "enabled"], rows,
                  keys=["name"])


def upsert_articles(con: duckdb.DuckDBPyConnection, staging_paths: Sequence[Path]) -> dict[str, int]:
    """Upsert complete staging records; return {'read', 'inserted', 'updated'} counts. Run it inside
    the caller's transaction (warehouse.db.write_transaction) so a load lands whole or not at all."""
    paths = [str(p) for p in staging_paths if Path(p).exists() and Path(p).stat().st_size > 0]
    if not paths:
        return {"read": 0, "inserted": 0, "updated": 0}
    con.execute(
        "create or replace temp table staged as "
        "select * from read_json(?, format = 'newline_delimited', columns = ?, ignore_errors = true)"
        " where article_id is not null and url is not null and canonical_url is not null"
        "   and source is not null and title is not null and text is not null"
        "   and fetched_at is not null and content_hash is not null"
        # the same article staged twice in one load (two feeds, two sources, http and https): the
        # https copy wins, then the source first by name, so the result depends on what was
        # staged, not on which crawl fetched first
        " qualify row_number() over (partition by article_id"
        "   order by canonical_url like 'https://%' desc, source, url, fetched_at) = 1",
        [paths, _STAGING_COLUMNS],
    )
    read = con.execute("select count(*) from staged").fetchone()[0]
    inserted = con.execute(
        "select count(*) from staged where article_id not in (select article_id from articles)"
    ).fetchone()[0]
    merge(con, "articles", "staged", _ARTICLE_COLUMNS, keys=["article_id"], update=_REFRESHED)
    # an article first stored under http and now seen under https keeps the https address
    con.execute(
        "update articles set url = s.url, canonical_url = s.canonical_url from staged as s"
        " where articles.article_id = s.article_id"
        "   and articles.canonical_url like 'http://%' and s.canonical_url like 'https://%'")
    con.execute("drop table staged")
    return {"read": read, "inserted": inserted, "updated": read - inserted}


def record_crawl_runs(con: duckdb.DuckDBPyConnection, results: Iterable[CrawlResult]) -> int:
    rows = [
        [r.run_id, r.source, r.started_at, r.finished_at, r.ok, r.articles, r.entries_seen,
         r.pages_fetched, r.skipped_known, _failures_total(r), r.error, json.dumps(list(r.failures)),
         json.dumps(r.counts)]
        for r in results
    ]
    return upsert(con, "crawl_runs", _CRAWL_RUN_COLUMNS, rows, keys=["run_id", "source"])


_CRAWL_RUN_COLUMNS = ["run_id", "source", "started_at", "finished_at", "ok", "articles", "entries_seen",
                      "pages_fetched", "skipped_known", "failures_total", "error", "failures", "counts"]


def _failures_total(result: CrawlResult) -> int:
    """All failures, also those past the ones kept verbatim in the failures list."""
    counted = sum(v for k, v in result.counts.items() if k.startswith("failed_"))
    return max(counted, len(result.failures), 0 if result.ok else 1)


def known_urls(con: duckdb.DuckDBPyConnection, domains: Sequence[str]) -> list[str]:
    """URLs and canonical URLs of articles on these domains (or their subdomains), whichever
    source staged them, so a crawl does not fetch them again."""
    if not domains:
        return []
    rows = con.execute(
        "with hosts as (select url, canonical_url,"
        "   lower(regexp_extract(url, '^[a-z]+://([^/:?#]+)', 1)) as host from articles)"
        " select url, canonical_url from hosts, unnest(?::varchar[]) as d(domain)"
        " where host = lower(domain) or host like '%.' || lower(domain)",
        [list(domains)],
    ).fetchall()
    return sorted({u for row in rows for u in row})


_FEED_STATE_COLUMNS = ["feed_url", "source", "etag", "last_modified", "body_hash", "not_modified_streak",
                       "validators_unreliable", "fetched_at", "changed_at", "status"]


def upsert_feed_states(con: duckdb.DuckDBPyConnection, results: Iterable[CrawlResult]) -> int:
    rows = [[s["url"], r.source, s.get("etag"), s.get("last_modified"), s.get("body_hash"),
             s.get("not_modified_streak", 0), bool(s.get("validators_unreliable")), s.get("fetched_at"),
             s.get("changed_at"), s.get("status")]
            for r in results for s in r.feed_states]
    return upsert(con, "feed_states", _FEED_STATE_COLUMNS, rows, keys=["feed_url"])


def feed_states(con: duckdb.DuckDBPyConnection, source: str) -> list[dict]:
    """Stored states of a source's feeds and sitemaps (child sitemaps too), as crawl specs carry them."""
    result = con.execute(
        "select feed_url as url, etag, last_modified, body_hash, not_modified_streak, validators_unreliable,"
        " strftime(fetched_at, '%Y-%m-%dT%H:%M:%S') as fetched_at,"
        " strftime(changed_at, '%Y-%m-%dT%H:%M:%S') as changed_at, status"
        " from feed_states where source = ?", [source])
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
