"""One-off blocking fetches for interactive checks (`newsmon sources check`); crawls use Scrapy."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    content_type: str
    body: bytes
    error: str | None = None


def fetch(url: str, *, user_agent: str, timeout: float, max_bytes: int) -> Fetched:
    """GET a URL; failures come back as Fetched.error, never raised."""
    if not url.startswith(("http://", "https://")):
        return Fetched(url, 0, "", b"", error="not an http(s) URL")
    request = urllib.request.Request(url, headers={"User-Agent": user_agent, "Accept-Encoding": "identity"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                return Fetched(response.url, response.status, "", b"", error="too large")
            return Fetched(response.url, response.status, response.headers.get("Content-Type", ""), body)
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
