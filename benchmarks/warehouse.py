"""Warehouse load and query speed on synthetic articles: 1k, 10k, 100k and 1M.

Usage: python -m benchmarks.warehouse [--sizes 1000,10000,100000,1000000] [--runs 3]

For each size: staging files (JSON lines, as crawls write them, ~700 bytes an article over 50
sources and 52 weeks) are loaded into a new DuckDB file by the real load step (one transaction:
upsert into articles), and again (the idempotent re-load, every row an update). Then scores of one
model (two labels, about 15% flagged), sector tags and stories are added in SQL, and every analyst
view is materialised in full (`create temp table ... as select * from view`). The full-text index
build is timed on its own. Medians of the runs; the DuckDB file is new for each run.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from newsmon.domain import SECTORS
from warehouse.db import connect, migrate, write_transaction
from warehouse.load import upsert_articles
from warehouse.search import rebuild_index

VIEWS = ("flagged_articles", "trend_weekly", "trend_by_sector", "top_sources_by_label", "stories",
         "source_health", "date_disagreements")
_WORDS = ("robots warehouse port cranes hospital triage school tutor grid battery farm drones factory "
          "inspection platform protocol federated app store sideloading cooperative mesh network open "
          "model chip funding startup regulator court ruling creators subscription local inference edge "
          "logistics retail energy agriculture mobility finance media government").split()


def write_staging(directory: Path, count: int, seed: int = 11) -> list[Path]:
    """count synthetic articles in 50 per-source files."""
    rng = random.Random(seed)
    start = datetime(2025, 11, 24)
    handles = {s: (directory / f"source-{s:02d}.jsonl").open("w", encoding="utf-8") for s in range(50)}
    for n in range(count):
        source = rng.randrange(50)
        published = start + timedelta(minutes=rng.randrange(364 * 24 * 60))
        title = " ".join(rng.choice(_WORDS) for _ in range(9)).capitalize()
        text = " ".join(rng.choice(_WORDS) for _ in range(80))
        url = f"https://source-{source:02d}.example/news/{n}"
        record = {"article_id": f"{n:016x}", "url": url, "canonical_url": url, "source": f"source-{source:02d}",
                  "title": title, "text": text, "fetched_at": (published + timedelta(hours=2)).isoformat(),
                  "published_at": published.isoformat(), "published_from": "feed", "language": "en",
                  "content_hash": f"{rng.getrandbits(64):016x}", "extraction_method": "synthetic",
                  "run_id": published.date().isoformat(), "published_confidence": "medium"}
        handles[source].write(json.dumps(record) + "\n")
    for handle in handles.values():
        handle.close()
    return sorted(directory.glob("*.jsonl"))


# The same articles as write_staging's in shape (50 sources, 52 weeks from 2025-11-24, 9-word titles and
# 80-word texts from _WORDS, a published date two hours before fetching), made set-based inside DuckDB from
# hash(n, ...) of each row number: 1M articles in seconds where writing and loading staging files takes
# minutes. Deterministic for a seed; ids numbered from `first`.
_SYNTHETIC = """
select printf('%016x', n) as article_id, url, url as canonical_url, source, title, null as author,
       published_at, 'feed' as published_from, published_at + interval 2 hour as fetched_at, 'en' as language,
       text, printf('%016x', hash(n, $seed, 'content')) as content_hash, 'synthetic' as extraction_method,
       null as feed_url, strftime(published_at, '%Y-%m-%d') as run_id, 'medium' as published_confidence,
       null::json as published_candidates, null::double as date_disagreement_hours
from (
  select n, 'source-' || lpad(s::varchar, 2, '0') as source,
         'https://source-' || lpad(s::varchar, 2, '0') || '.example/news/' || n as url,
         timestamp '2025-11-24' + to_minutes((hash(n, $seed, 'minute') % (364 * 24 * 60))::bigint) as published_at,
         upper(left(t, 1)) || substr(t, 2) as title, text
  from (
    select n, (hash(n, $seed, 'source') % 50)::integer as s,
           array_to_string(list_transform(range(9), i -> $words[(hash(n, $seed, 'title', i) % $n_words)::integer + 1]),
                           ' ') as t,
           array_to_string(list_transform(range(80), i -> $words[(hash(n, $seed, i) % $n_words)::integer + 1]),
                           ' ') as text
    from range($first, $first + $count) as r(n)
  )
)
"""


def generate_articles(con, count: int, *, seed: int = 11, first: int = 0) -> None:
    """Insert count synthetic articles straight into the articles table (no staging files, no load step)."""
    con.execute(f"insert into articles by name {_SYNTHETIC}",
                {"seed": seed, "first": first, "count": count, "words": list(_WORDS), "n_words": len(_WORDS)})


def _enrich(con) -> None:
    """One model's scores, sector tags and stories for every article, in SQL."""
    con.execute("insert into models values ('bench', 'synthetic', 'frozen', '2026-11-01', '{}', null, '2026-11-01')")
    con.execute("insert into classifications select article_id, 'bench', label, s, s > 0.85, "
                " case when s > 0.85 then left(text, 120) end, '2026-11-20'"
                " from (select article_id, text, label, random() as s from articles,"
                "       (values ('integration'), ('decentralization')) as l(label))")
    con.execute("insert into article_sectors select article_id, 'bench',"
                " list_extract(?::varchar[], (hash(article_id) % ?)::integer + 1), 0.7 from articles",
                [list(SECTORS), len(SECTORS)])
    con.execute("insert into article_stories select article_id,"
                " coalesce(lag(article_id) over (partition by source order by published_at), article_id),"
                " 'similar', 0.6, null, '2026-11-20' from articles")


def _timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def run_once(size: int, root: Path, index: bool = True) -> dict[str, float]:
    staging = root / f"staging-{size}"
    staging.mkdir(exist_ok=True)
    paths = sorted(staging.glob("*.jsonl")) or write_staging(staging, size)
    database = root / f"bench-{size}.duckdb"
    database.unlink(missing_ok=True)
    con = connect(database)
    migrate(con)
    times = {"load": _timed(lambda: write_transaction(con, lambda: upsert_articles(con, paths))),
             "reload": _timed(lambda: write_transaction(con, lambda: upsert_articles(con, paths)))}
    times["fts_index"] = _timed(lambda: rebuild_index(con)) if index else float("nan")
    _enrich(con)
    for view in VIEWS:
        times[view] = _timed(lambda view=view: con.execute(f"create or replace temp table v as select * from {view}"))
    con.close()
    database.unlink()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.warehouse")
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-index", action="store_true", help="skip timing the full-text index build")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="newsmon-bench-") as tmp:
        for size in sizes:
            runs = [run_once(size, Path(tmp), index=not args.no_index) for _ in range(args.runs)]
            results[size] = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    console = Console(width=160)
    table = Table("articles", "load (s)", "articles/s", "re-load (s)", "full-text index (s)",
                  title=f"Loading staging into DuckDB, median of {args.runs} runs")
    for size, t in results.items():
        table.add_row(f"{size:,}", f"{t['load']:.2f}", f"{size / t['load']:,.0f}", f"{t['reload']:.2f}",
                      f"{t['fts_index']:.2f}")
    console.print(table)
    table = Table("view", *(f"{size:,} articles (s)" for size in sizes),
                  title=f"Each view materialised in full, median of {args.runs} runs")
    for view in VIEWS:
        table.add_row(view, *(f"{results[size][view]:.3f}" for size in sizes))
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
