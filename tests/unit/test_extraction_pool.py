"""Extraction in worker processes (NEWSMON_CRAWL__EXTRACT_WORKERS) gives what extraction in the crawl
process gives, and a worker killed mid-crawl costs no page."""

import asyncio
import os
import signal
from pathlib import Path

from crawlers.extract import extract_article
from crawlers.workers import ExtractionPool

CASE = sorted((Path(__file__).parents[1] / "fixtures" / "html").iterdir())[0]
HTML = (CASE / "page.html").read_text(encoding="utf-8")
URL = (CASE / "url.txt").read_text(encoding="utf-8").strip()


def test_workers_extract_what_the_crawl_process_extracts():
    async def both():
        pool = ExtractionPool(1)
        try:
            return await ExtractionPool(0).extract(HTML, URL), await pool.extract(HTML, URL)
        finally:
            pool.close()

    inline, pooled = asyncio.run(both())
    assert inline is not None
    assert pooled == inline == extract_article(HTML, URL)


def test_a_killed_worker_falls_back_to_the_crawl_process():
    async def kill_then_extract():
        pool = ExtractionPool(1)
        try:
            await pool.extract(HTML, URL)
            for pid in list(pool._pool._processes):
                os.kill(pid, signal.SIGKILL)
            return pool.workers, await pool.extract(HTML, URL), pool.workers
        finally:
            pool.close()

    before, draft, after = asyncio.run(kill_then_extract())
    assert (before, after) == (1, 0)
    assert draft == extract_article(HTML, URL)
