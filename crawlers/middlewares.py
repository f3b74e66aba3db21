"""Downloader middlewares and the DNS resolver: Scrapy's retries with exponential backoff (and
Retry-After), and the address guard that keeps the crawler on http(s), its source's hosts and
public addresses."""

from __future__ import annotations

import asyncio
from urllib.parse import urljoin, urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError

from crawlers.guard import address_refusal, addresses_refusal, on_domains, resolve, scheme_refusal

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


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


class BlockedRequest(IgnoreRequest):
    """A request the address guard refused; recorded as a failure of kind `blocked`."""


class AddressGuardMiddleware:
    """Refuses, on every request and redirect: schemes other than http(s); redirects to a host that is
    neither the redirecting one nor on the source's allowed domains; hosts that resolve to a private,
    loopback, link-local or reserved address, unless NEWSMON_ALLOW_PRIVATE_HOSTS.

    It sits on the downloader side of RedirectMiddleware, so it reads a 3xx before Scrapy follows it
    (Scrapy's offsite filter would drop a redirect to another host silently, unrecorded); the followed
    request passes through process_request again, so its address is checked too."""

    def __init__(self, crawler, allow_private: bool) -> None:
        self.crawler = crawler
        self.allow_private = allow_private
        self._addresses: dict[str, list[str] | None] = {}  # host -> addresses; None: did not resolve

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.getbool("NEWSMON_ALLOW_PRIVATE_HOSTS"))

    async def process_request(self, request, spider=None):
        reason = scheme_refusal(request.url)
        if reason:
            raise BlockedRequest(f"{reason}")
        if self.allow_private:
            return None
        host = urlparse_cached(request).hostname or ""
        addresses = await self._resolve(host)
        if addresses is None:
            return None  # Scrapy's own lookup fails the same way and records it as dns
        reason = addresses_refusal(host, addresses)
        if reason:
            raise BlockedRequest(f"{reason}")
        return None

    async def _resolve(self, host: str) -> list[str] | None:
        if host not in self._addresses:
            try:
                self._addresses[host] = await asyncio.to_thread(resolve, host)
            except (OSError, UnicodeError):
                self._addresses[host] = None
        return self._addresses[host]

    def process_response(self, request, response, spider=None):
        location = response.headers.get(b"Location")
        if (response.status not in _REDIRECT_STATUSES or not location or request.meta.get("dont_redirect")
                or response.status in request.meta.get("handle_httpstatus_list", ())):
            return response
        try:
            target = urljoin(request.url, location.decode("latin-1").strip())
            host = urlsplit(target).hostname or ""
        except ValueError:
            raise BlockedRequest(f"redirect to an unparseable URL {location[:100]!r}") from None
        reason = scheme_refusal(target)
        if reason is None and host != urlparse_cached(request).hostname:
            domains = getattr(self.crawler.spider, "allowed_domains", None) or ()
            if not on_domains(host, domains):
                reason = f"another host {host}"
        if reason:
            raise BlockedRequest(f"redirect to {target[:120]} ({reason})")
        return response


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing private, loopback and link-local answers (unless
    NEWSMON_ALLOW_PRIVATE_HOSTS): the address the crawler connects to is the one checked, so a name
    that answered the guard with a public address cannot answer the connection with a private one."""

    allow_private = False

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private = crawler.settings.getbool("NEWSMON_ALLOW_PRIVATE_HOSTS")
        return resolver

    def getHostByName(self, name, timeout=()):  # noqa: N802 (Twisted's naming)
        found = super().getHostByName(name, timeout)
        if not self.allow_private:
            found.addCallback(self._refuse_private, name)
        return found

    @staticmethod
    def _refuse_private(address: str, name: str) -> str:
        reason = address_refusal(address)
        if reason:
            raise DNSLookupError(f"{name}: refused, resolves to {reason}")
        return address
