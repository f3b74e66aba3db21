"""Crawl one source in this process: `python -m crawlers.run SPEC.json`.

The spec names the source, the staging file to append to and the summary file to write. A rerun
with the same staging file resumes: complete lines are kept, a torn last line is cut off, and the
URLs already staged are not fetched again.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from crawlers.conditional import ListingState
from newsmon.domain import known_key, same_article_url
from newsmon.files import write_atomically


def repair_staging(path: Path) -> set[str]:
    """Cut a torn last line off a staging file; return the URLs of its complete records (as
    newsmon.domain.known_key gives them)."""
    if not path.exists():
        return set()
    data = path.read_bytes()
    keep = data[: data.rfind(b"\n") + 1]
    if len(keep) != len(data):
        with path.open("r+b") as handle:
            handle.truncate(len(keep))
    urls: set[str] = set()
    for line in keep.decode("utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        urls.update({known_key(record["url"]), same_article_url(record["canonical_url"])})
    return urls


def _write_json_atomically(path: Path, data: dict) -> None:
    write_atomically(path, json.dumps(data, indent=2, ensure_ascii=False))


def crawl(spec: dict) -> dict:
    """Run the spider for one source to completion and return its summary record."""
    from scrapy.crawler import CrawlerProcess

    from crawlers.settings import scrapy_settings
    from crawlers.spiders.source import SourceSpider

    source = spec["source"]
    staging = Path(spec["staging_path"])
    staging.parent.mkdir(parents=True, exist_ok=True)
    known = set(spec.get("known_urls") or []) | repair_staging(staging)
    started = datetime.now(UTC)
    settings = scrapy_settings(
        spec["crawl"], source=source["name"], run_id=spec["run_id"], staging_path=str(staging),
        log_path=spec["log_path"], crawl_delay=source.get("crawl_delay"),
        allow_private_hosts=bool(source.get("allow_private_hosts")),
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SourceSpider)
    since = datetime.fromisoformat(spec["since"]) if spec.get("since") else None
    until = datetime.fromisoformat(spec["until"]) if spec.get("until") else None
    states = {r["url"]: ListingState.from_record(r) for r in spec.get("feed_states") or []}
    process.crawl(crawler, source=source, known_urls=frozenset(known), since=since, until=until,
                  max_articles=source.get("max_articles") or spec["crawl"]["max_articles_per_source"],
                  listing_states=states, revalidate_after=spec["crawl"].get("feed_revalidate_after", 4),
                  extract_workers=spec["crawl"].get("extract_workers", 0))
    process.start()
    spider = crawler.spider
    health = spider.health
    # a source is ok when at least one of its listings (feeds, sitemaps) was read
    listings = sum(len(source.get(kind) or []) for kind in ("feeds", "sitemaps", "sections"))
    listings_read = (health.counts["feeds_fetched"] + health.counts["feeds_not_modified"]
                     + health.counts["sitemaps_fetched"] + health.counts["sitemaps_not_modified"]
                     + health.counts["sections_fetched"]
                     - sum(1 for f in health.failures if f["feed"] and f["kind"] == "parse"))
    failed_listing = next((f for f in health.failures if f["feed"]), None)
    ok = (listings == 0 or listings_read > 0) and not spider.staging_error
    return {
        "source": source["name"],
        "run_id": spec["run_id"],
        "staging_path": str(staging),
        "ok": ok,
        "articles": health.counts["articles"],
        "entries_seen": health.counts["entries_seen"],
        "pages_fetched": health.counts["pages_fetched"],
        "skipped_known": health.counts["skipped_known"],
        "failures": health.failures,
        "error": f"staging: {spider.staging_error}" if spider.staging_error else
        None if ok else f"{failed_listing['kind']}: {failed_listing['message']}" if failed_listing else None,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "counts": dict(health.counts),
        "feed_states": [state.to_record() for state in spider.listing_states.values() if state.status],
    }


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent_pid: int | None) -> None:
    """Have the kernel SIGKILL this process when the process that started it dies (Linux
    PR_SET_PDEATHSIG): a `newsmon crawl` killed with SIGKILL cannot take its crawls down itself, and
    an orphaned crawl would go on fetching and staging past its source_timeout. Elsewhere, nothing."""
    if not sys.platform.startswith("linux") or parent_pid is None:
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before the signal was asked for
        os._exit(1)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m crawlers.run SPEC.json", file=sys.stderr)
        return 2
    spec = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    die_with_parent(spec.get("parent_pid"))
    summary = crawl(spec)
    _write_json_atomically(Path(spec["summary_path"]), summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
