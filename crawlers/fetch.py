"""One-off blocking fetches for interactive checks (`newsmon sources check`); crawls use Scrapy.

The same guard as the crawl's: http(s) only, and no private, loopback or link-local addresses
(unless allowed), checked for the URL and for every redirect it takes. The timeout bounds the whole
fetch (connecting, redirects, headers and body), as Scrapy's DOWNLOAD_TIMEOUT does: a server that
drips a byte at a time cannot hold it past the deadline."""

from __future__ import annotations

import http.client
import socket
import threading
import time
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


class _Deadline:
    """One fetch's deadline: every connection it opens is shut down when the time is up, which ends
    whatever read is blocked on it (socket timeouts alone bound each read, not the response)."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self.expire)
        self._timer.daemon = True

    def remaining(self) -> float:
        return max(0.001, self.at - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if not self.expired:
                return
        self._shut(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def connection(self, base: type[http.client.HTTPConnection]) -> type[http.client.HTTPConnection]:
        deadline = self

        class Connection(base):
            def connect(self) -> None:
                self.timeout = min(self.timeout, deadline.remaining())
                super().connect()
                deadline.watch(self.sock)

        return Connection

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


class _DeadlineHTTP(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def do_open(self, http_class, req, **kwargs):
        return super().do_open(self.deadline.connection(http_class), req, **kwargs)


class _DeadlineHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def do_open(self, http_class, req, **kwargs):
        return super().do_open(self.deadline.connection(http_class), req, **kwargs)


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
    private, loopback and link-local addresses (a local test site). `timeout` is the deadline of the
    whole fetch; a response not complete by then is the error `timeout: ...`, with the bytes read."""
    try:
        _check(url, allow_private)
    except _Blocked as exc:
        return Fetched(url, 0, "", b"", error=f"blocked: {exc}")
    request = urllib.request.Request(url, headers={"User-Agent": user_agent, "Accept-Encoding": "identity"})
    received = 0

    def timed_out() -> Fetched:
        return Fetched(url, 0, "", b"", error=f"timeout: no complete response within {timeout:g} s "
                                                f"({received:,} bytes received)")

    with _Deadline(timeout) as deadline:
        opener = urllib.request.build_opener(_GuardedRedirects(allow_private), _DeadlineHTTP(deadline),
                                             _DeadlineHTTPS(deadline))
        try:
            with opener.open(request, timeout=timeout) as response:
                chunks: list[bytes] = []
                while chunk := response.read1(65536):
                    chunks.append(chunk)
                    received += len(chunk)
                    if received > max_bytes:
                        return Fetched(response.url, response.status, "", b"", error="too large")
                    if deadline.expired:
                        return timed_out()
                if deadline.expired:  # the shutdown looks like the end of the body
                    return timed_out()
                return Fetched(response.url, response.status, response.headers.get("Content-Type", ""),
                               b"".join(chunks))
        except _Blocked as exc:
            return Fetched(url, 0, "", b"", error=f"blocked: {exc}")
        except urllib.error.HTTPError as exc:
            return Fetched(url, exc.code, "", b"", error=f"HTTP {exc.code}")
        except urllib.error.URLError as exc:
            if deadline.expired or isinstance(exc.reason, TimeoutError):
                return timed_out()
            reason = str(exc.reason)
            kind = "dns" if any(w in reason.lower() for w in ("name or service", "resolution")) else "connection"
            return Fetched(url, 0, "", b"", error=f"{kind}: {reason}")
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            if deadline.expired or isinstance(exc, TimeoutError):
                return timed_out()
            return Fetched(url, 0, "", b"", error=f"connection: {exc}")
