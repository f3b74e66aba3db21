"""Loading staging files into the warehouse: the single writer, idempotent upserts."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
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


# What the loader skips or repairs in a staging file, by kind (failure kinds of source health too):
# a torn last line (a crawl killed mid-write), a line that is not a complete record (not JSON, not
# an object, a required field missing or null), a date that does not parse (fetched_at: the line is
# skipped; published_at: the date is dropped and the article kept).
STAGING_PROBLEMS = ("torn_line", "bad_line", "bad_date")
_REQUIRED = ("article_id", "url", "canonical_url", "source", "title", "text", "fetched_at", "content_hash")
_DATE_FIELDS = ("published_from", "published_confidence", "published_candidates", "date_disagreement_hours")


def _iso(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass
class StagingCheck:
    """One staging file read line by line: the good lines and the problems found."""

    path: Path
    good: int = 0
    problems: Counter = field(default_factory=Counter)
    examples: list[tuple[str, str]] = field(default_factory=list)  # a few (kind, one line) problems
    repaired: bytes | None = None  # the file without its bad lines, when it had any

    def note(self, kind: str, number: int, what: str) -> None:
        self.problems[kind] += 1
        if len(self.examples) < 5:
            self.examples.append((kind, f"line {number}: {what}"))


def check_staging(path: Path) -> StagingCheck:
    """Every line of a staging file checked as the loader needs it; bad lines counted by kind."""
    check = StagingCheck(Path(path))
    data = check.path.read_bytes()
    lines = data.split(b"\n")
    kept: list[bytes] = []
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        number = index + 1
        try:
            record = json.loads(line)
        except ValueError:
            last = index == len(lines) - 1  # no newline after it: the write was cut
            check.note("torn_line" if last else "bad_line", number,
                       "cut off (no newline at the end)" if last else "not JSON")
            continue
        if not isinstance(record, dict):
            check.note("bad_line", number, f"a JSON {type(record).__name__}, not an object")
            continue
        missing = next((k for k in _REQUIRED if record.get(k) is None), None)
        if missing:
            check.note("bad_line", number, f"{missing} is missing")
            continue
        if not _iso(record["fetched_at"]):
            check.note("bad_date", number, f"fetched_at {record['fetched_at'][:40]!r} is not a date")
            continue
        published = record.get("published_at")
        if published is not None and not _iso(published):
            check.note("bad_date", number, f"published_at {str(published)[:40]!r} is not a date (dropped)")
            record.update({"published_at": None, **dict.fromkeys(_DATE_FIELDS)})
            line = json.dumps(record, ensure_ascii=False).encode("utf-8")
        kept.append(line)
        check.good += 1
    if check.problems:
        check.repaired = b"".join(line + b"\n" for line in kept)
    return check


def _nonblank_lines(path: Path) -> int:
    return sum(1 for line in path.read_bytes().split(b"\n") if line.strip())


# dates and numbers read as text and cast here, where a value that does not parse can be seen
# (read_json would make it null without a word)
_AS_TEXT = {**_STAGING_COLUMNS, "fetched_at": "varchar", "published_at": "varchar",
            "date_disagreement_hours": "varchar"}
_UNDATED = "published_at is not null and try_cast(published_at as timestamp) is null"
_READ_STAGING = (
    "select * replace (try_cast(fetched_at as timestamp) as fetched_at,"
    "                  try_cast(published_at as timestamp) as published_at,"
    # a date that does not parse takes what was said about it along (as check_staging does)
    + "".join(f" case when {_UNDATED} then null else {c} end as {c}," for c in _DATE_FIELDS[:-1])
    + f"               case when {_UNDATED} then null"
    "                  else try_cast(date_disagreement_hours as double) end as date_disagreement_hours),"
    "  article_id is not null and url is not null and canonical_url is not null and source is not null"
    "  and title is not null and text is not null and content_hash is not null"
    "  and try_cast(fetched_at as timestamp) is not null as usable,"
    f"  {_UNDATED} as bad_published"
    " from read_json(?, format = 'newline_delimited', columns = ?, ignore_errors = true, filename = true)"
)


def upsert_articles(con: duckdb.DuckDBPyConnection, staging_paths: Sequence[Path],
                    checks: list[StagingCheck] | None = None) -> dict[str, int]:
    """Upsert complete staging records; return {'read', 'inserted', 'updated'} counts. Run it inside
    the caller's transaction (warehouse.db.write_transaction) so a load lands whole or not at all.

    Lines that cannot be loaded are skipped and counted, never silently: a file whose usable rows
    fall short of its lines (or that has a bad date) is read again line by line (check_staging),
    and only its good lines are loaded, from a scratch copy (the staging file stays as written).
    Pass a list as `checks` to receive each file's StagingCheck."""
    files = [Path(p) for p in staging_paths if Path(p).exists() and Path(p).stat().st_size > 0]
    if not files:
        return {"read": 0, "inserted": 0, "updated": 0}
    con.execute(f"create or replace temp table staged_lines as {_READ_STAGING}", [[str(f) for f in files], _AS_TEXT])
    per_file = {name: (usable, bad) for name, usable, bad in con.execute(
        "select filename, count(*) filter (where usable), count(*) filter (where usable and bad_published)"
        " from staged_lines group by filename").fetchall()}
    found: list[StagingCheck] = []
    with tempfile.TemporaryDirectory(prefix="newsmon-load-") as scratch:
        for n, path in enumerate(files):
            usable, bad = per_file.get(str(path), (0, 0))
            if usable == _nonblank_lines(path) and not bad:
                found.append(StagingCheck(path, good=usable))
                continue
            check = check_staging(path)
            found.append(check)
            copy = Path(scratch) / f"{n}-{path.name}"
            copy.write_bytes(check.repaired if check.repaired is not None else path.read_bytes())
            con.execute("delete from staged_lines where filename = ?", [str(path)])
            if check.good:
                con.execute(f"insert into staged_lines {_READ_STAGING}", [[str(copy)], _AS_TEXT])
            refused, undated = con.execute(
                "select count(*) filter (where not usable), count(*) filter (where usable and bad_published)"
                " from staged_lines where filename = ?", [str(copy)]).fetchone()
            if refused:  # what DuckDB reads otherwise than the checks here (a date form it refuses)
                check.problems["bad_line"] += refused
                check.examples.append(("bad_line", f"{refused} line(s) the warehouse could not read"))
            if undated:
                check.problems["bad_date"] += undated
    if checks is not None:
        checks.extend(found)
    con.execute(
        "create or replace temp table staged as"
        " select * exclude (filename, usable, bad_published) from staged_lines where usable"
        # the same article staged twice in one load (two feeds, two sources, http and https): the
        # https copy wins, then the source first by name, so the result depends on what was
        # staged, not on which crawl fetched first
        " qualify row_number() over (partition by article_id"
        "   order by canonical_url like 'https://%' desc, source, url, fetched_at) = 1")
    con.execute("drop table staged_lines")
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


def with_staging_problems(result: CrawlResult, check: StagingCheck) -> CrawlResult:
    """A source's crawl result with the load's problems in its file added as failures of their kinds
    (counted as failed_<kind> and kept, a few, in failures), so source health shows them."""
    if not check.problems:
        return result
    counts = dict(result.counts)
    failures = list(result.failures)
    for kind, number in sorted(check.problems.items()):
        counts[f"failed_{kind}"] = counts.get(f"failed_{kind}", 0) + number
    failures += [{"kind": kind, "url": str(check.path), "message": f"at load: {what}"[:300], "feed": False}
                 for kind, what in check.examples]
    return replace(result, counts=counts, failures=tuple(failures))


def record_crawl_runs(con: duckdb.DuckDBPyConnection, results: Iterable[CrawlResult]) -> int:
    rows = [
        [r.run_id, r.source, r.started_at, r.finished_at, r.ok, r.articles, r.entries_seen,
         r.pages_fetched, r.skipped_known, _failures_total(r), r.error, json.dumps(list(r.failures)),
         json.dumps(r.counts, sort_keys=True)]
        for r in results
    ]
    return upsert(con, "crawl_runs", _CRAWL_RUN_COLUMNS, rows, keys=["run_id", "source"])


_CRAWL_RUN_COLUMNS = ["run_id", "source", "started_at", "finished_at", "ok", "articles", "entries_seen",
                      "pages_fetched", "skipped_known", "failures_total", "error", "failures", "counts"]


def _failures_total(result: CrawlResult) -> int:
    """All failures, also those past the ones kept verbatim in the failures list."""
    counted = sum(v for k, v in result.counts.items() if k.startswith("failed_"))
    return max(counted, len(result.failures), 0 if result.ok else 1)


def article_count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select count(*) from articles").fetchone()[0]


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


_LISTING_STATE_COLUMNS = ["feed_url", "source", "etag", "last_modified", "body_hash", "not_modified_streak",
                       "validators_unreliable", "fetched_at", "changed_at", "status"]


def upsert_listing_states(con: duckdb.DuckDBPyConnection, results: Iterable[CrawlResult]) -> int:
    """Store each listing's conditional-GET state (feeds, sitemaps) from the crawls, in the
    feed_states table (named before sitemaps were listings too)."""
    rows = [[s["url"], r.source, s.get("etag"), s.get("last_modified"), s.get("body_hash"),
             s.get("not_modified_streak", 0), bool(s.get("validators_unreliable")), s.get("fetched_at"),
             s.get("changed_at"), s.get("status")]
            for r in results for s in r.feed_states]
    return upsert(con, "feed_states", _LISTING_STATE_COLUMNS, rows, keys=["feed_url"])


def listing_states(con: duckdb.DuckDBPyConnection, source: str) -> list[dict]:
    """Stored states of a source's listings, feeds and sitemaps (child sitemaps too), as crawl specs
    carry them."""
    result = con.execute(
        "select feed_url as url, etag, last_modified, body_hash, not_modified_streak, validators_unreliable,"
        " strftime(fetched_at, '%Y-%m-%dT%H:%M:%S') as fetched_at,"
        " strftime(changed_at, '%Y-%m-%dT%H:%M:%S') as changed_at, status"
        " from feed_states where source = ?", [source])
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
