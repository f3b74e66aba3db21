"""Serve the bundled Circuit Ledger site on a local port, with conditional GET on feeds and a request log."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

PACKAGE_DIR = Path(__file__).resolve().parent
SITE_DIR = PACKAGE_DIR / "site"
MANIFEST_PATH = PACKAGE_DIR / "manifest.json"
# Every absolute link in the static files is written against this placeholder, so one copy of the
# site works on whatever port the tests pick.
PLACEHOLDER = b"__BASE_URL__"

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}
_NOT_FOUND = (b"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Page not found"
              b" | Circuit Ledger</title></head><body><h1>Page not found</h1>"
              b"<p><a href=\"/\">Back to the front page</a></p></body></html>")

Request = tuple[str, str, int]


def load_manifest() -> list[dict]:
    """One dict per article page: path, title, author, published, labels, feeds, story, test strings."""
    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))


def content_type(path: Path) -> str:
    """Feeds are told apart by file name, because RSS and Atom readers branch on the media type."""
    if path.suffix == ".xml":
        if "atom" in path.name:
            return "application/atom+xml"
        if "rss" in path.name:
            return "application/rss+xml"
    return _CONTENT_TYPES.get(path.suffix, "application/octet-stream")


def _is_text(ctype: str) -> bool:
    return ctype.startswith("text/") or "xml" in ctype or "json" in ctype


def _is_conditional(path: Path) -> bool:
    # Only feeds and sitemaps are polled repeatedly, so only they get validators (as on many real sites).
    return path.suffix == ".xml"


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def _etag_matches(header: str, etag: str) -> bool:
    # Weak comparison (RFC 9110 13.1.2): a W/ prefix does not stop a match for GET.
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


def _not_modified_since(header: str, modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return modified <= since


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "CircuitLedger/1.0"

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_POST(self) -> None:
        # The newsletter and comment forms post here; a static copy cannot take them.
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, b"", {"Allow": "GET, HEAD"}, send_body=False)

    def send_response(self, code: int, message: str | None = None) -> None:
        # Recorded before the headers are flushed, so a client never sees a response its log lacks.
        self.server.site.record(self.command or "", urlsplit(getattr(self, "path", "")).path, int(code))
        super().send_response(code, message)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def _serve(self, send_body: bool) -> None:
        file = self._resolve(urlsplit(self.path).path)
        if file is None:
            self._send(HTTPStatus.NOT_FOUND, _NOT_FOUND, {"Content-Type": "text/html; charset=utf-8"},
                       send_body)
            return
        ctype = content_type(file)
        body = file.read_bytes()
        if _is_text(ctype):
            body = body.replace(PLACEHOLDER, self.server.site.base_url.encode("ascii"))
        headers = {"Content-Type": ctype}
        if _is_conditional(file):
            modified = datetime.fromtimestamp(int(file.stat().st_mtime), UTC)
            headers["ETag"] = _etag(body)
            headers["Last-Modified"] = format_datetime(modified, usegmt=True)
            if self._not_modified(headers["ETag"], modified):
                self._send(HTTPStatus.NOT_MODIFIED, b"", headers, send_body=False, length=False)
                return
        self._send(HTTPStatus.OK, body, headers, send_body)

    def _not_modified(self, etag: str, modified: datetime) -> bool:
        # If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 13.2.2).
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return _etag_matches(if_none_match, etag)
        if_modified_since = self.headers.get("If-Modified-Since")
        return if_modified_since is not None and _not_modified_since(if_modified_since, modified)

    def _resolve(self, url_path: str) -> Path | None:
        relative = unquote(url_path).lstrip("/")
        if relative == "" or relative.endswith("/"):
            relative += "index.html"
        root = self.server.site.root
        candidate = (root / relative).resolve()
        if not candidate.is_relative_to(root) or not candidate.is_file():
            return None
        return candidate

    def _send(self, status: HTTPStatus, body: bytes, headers: dict[str, str], send_body: bool,
              length: bool = True) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], site: SampleSite) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.site = site
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that hang up early (crawlers timing out, tests closing sockets) are not news.
        pass


class SampleSite:
    """The Circuit Ledger site on a background thread; use as a context manager or start()/stop()."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.root = SITE_DIR
        self.base_url = ""
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SampleSite:
        if self._server is not None:
            return self
        server = _Server((self.host, self.port), self)
        host, port = server.server_address[:2]
        self.port = port
        self.base_url = f"http://{_url_host(str(host))}:{port}"
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"sample-site:{port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> SampleSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def record(self, method: str, path: str, status: int) -> None:
        """Log one response as (method, URL path without query, status); called from handler threads."""
        with self._lock:
            self.requests.append((method, path, status))

    def feed_urls(self) -> dict[str, str]:
        return {"rss": f"{self.base_url}/feeds/rss.xml", "atom": f"{self.base_url}/feeds/atom.xml"}


def _url_host(host: str) -> str:
    # A wildcard bind is reachable on loopback; links must name an address a client can dial.
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host
