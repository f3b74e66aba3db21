"""One-off blocking fetches for interactive checks (`newsmon sources check`); crawls use Scrapy.

The same guard as the crawl's: http(s) only, and no private, loopback or link-local addresses
(unless allowed), checked for the URL and for every redirect it takes."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from crawlers.guard import addresses_refusal, resolve, scheme_refusal


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    content_type: str
    body: bytes
    error: str | None = None


class _Blocked(Exception):
    """The guard refused a URL; the message says why."""


def _check(url: str, allow_private: bool) -> None:
    """Raise _Blocked when the guard refuses url; a host that does not resolve is left to urlopen."""
    reason = scheme_refusal(url)
    if reason:
        raise _Blocked(reason)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises for a port that is not one)
    except ValueError:
        raise _Blocked("unparseable URL") from None
    if allow_private:
        return
    host = parts.hostname or ""
    try:
        addresses = resolve(host)
    except (OSError, UnicodeError):
        return
    reason = addresses_refusal(host, addresses)
    if reason:
        raise _Blocked(reason)


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    """Checks a redirect's target before urllib follows it (urllib itself would follow ftp:)."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def http_error_302(self, req, fp, code, msg, headers):
        location = headers.get("Location") or headers.get("URI")
        if location:
            try:
                target = urljoin(req.full_url, location.strip())
                _check(target, self.allow_private)
            except _Blocked as exc:
                fp.close()
                raise _Blocked(f"redirect to {location.strip()[:120]}: {exc}") from None
            except ValueError:
                fp.close()
                raise _Blocked(f"redirect to an unparseable URL {location[:120]!r}") from None
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def fetch(url: str, *, user_agent: str, timeout: float, max_bytes: int, allow_private: bool = False) -> Fetched:
    """GET a URL; failures come back as Fetched.error, never raised. allow_private lets it reach
    private, loopback and link-local addresses (a local test site)."""
    try:
        _check(url, allow_private)
    except _Blocked as exc:
        return Fetched(url, 0, "", b"", error=f"blocked: {exc}")
    request = urllib.request.Request(url, headers={"User-Agent": user_agent, "Accept-Encoding": "identity"})
    opener = urllib.request.build_opener(_GuardedRedirects(allow_private))
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                return Fetched(response.url, response.status, "", b"", error="too large")
            return Fetched(response.url, response.status, response.headers.get("Content-Type", ""), body)
    except _Blocked as exc:
        return Fetched(url, 0, "", b"", error=f"blocked: {exc}")
    except urllib.error.HTTPError as exc:
        return Fetched(url, exc.code, "", b"", error=f"HTTP {exc.code}")
    except urllib.error.URLError as exc:
        reason = str(exc.reason)
        kind = "dns" if any(w in reason.lower() for w in ("name or service", "resolution")) else "connection"
        return Fetched(url, 0, "", b"", error=f"{kind}: {reason}")
    except TimeoutError:
        return Fetched(url, 0, "", b"", error="timeout")
    except OSError as exc:
        return Fetched(url, 0, "", b"", error=f"connection: {exc}")
