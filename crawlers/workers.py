"""Article extraction in worker processes: extract_article is CPU-bound, and a crawl process is one
core. With 0 workers pages are extracted in the crawl process itself, as before."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from crawlers.extract import ArticleDraft, extract_article


def _exit_with(crawl: int) -> None:
    """A worker's parent is the fork server, which a crawl killed with SIGKILL (a source timeout)
    does not take down at once: each worker leaves when the crawl process is gone."""
    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(crawl, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=watch, name="exit-with-crawl", daemon=True).start()


class ExtractionPool:
    """`await pool.extract(html, url)`: in `workers` processes, started at the first page."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # forkserver, not fork: the crawl process runs reactor threads; the server preloads the
            # extraction modules once, so each worker starts warm
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["crawlers.extract"])
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context,
                                             initializer=_exit_with, initargs=(os.getpid(),))
        return self._pool

    async def extract(self, html: str, url: str) -> ArticleDraft | None:
        if self.workers <= 0:
            return extract_article(html, url)
        try:
            return await asyncio.wrap_future(self._executor().submit(extract_article, html, url))
        except BrokenProcessPool:
            # a worker was killed (out of memory, a signal): this page and the rest are extracted here
            self.close(wait=False)
            self.workers = 0
            return extract_article(html, url)

    def close(self, wait: bool = True) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None
