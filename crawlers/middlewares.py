"""Downloader middleware: Scrapy's retries, with exponential backoff (and Retry-After) between tries."""

from __future__ import annotations

import asyncio

from scrapy.downloadermiddlewares.retry import RetryMiddleware


class BackoffRetryMiddleware(RetryMiddleware):
    """Retries 5xx/429 responses and network errors like Scrapy's own, but waits first:
    base * 2**(try - 1) seconds, or the server's Retry-After when it says so, capped at max.
    Only this request waits; the rest of the crawl goes on."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("NEWSMON_RETRY_BACKOFF", 2.0)
        self.cap = settings.getfloat("NEWSMON_RETRY_BACKOFF_MAX", 60.0)

    def delay(self, request, response=None) -> float:
        attempt = request.meta.get("retry_times", 0) + 1
        wait = self.base * 2 ** (attempt - 1)
        retry_after = response.headers.get(b"Retry-After") if response is not None else None
        if retry_after and retry_after.strip().isdigit():
            wait = max(wait, float(retry_after))
        return min(wait, self.cap)

    async def process_response(self, request, response, spider=None):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = self.delay(request, response)
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        await asyncio.sleep(wait)
        return retry

    async def process_exception(self, request, exception, spider=None):
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await asyncio.sleep(self.delay(request))
        return retry
