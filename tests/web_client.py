"""Helpers of the review app's tests: a warehouse built from the digest tests' week, the app served
by uvicorn on 127.0.0.1 in a thread, and a tiny HTTP client with cookies (no redirects followed)."""

from __future__ import annotations

import http.client
import re
import threading
import time
from contextlib import contextmanager
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from newsmon import pipeline
from tests.digest_week import build_digest_week

HOSTILE_TITLE = '<script>alert("t")</script><img src=x onerror=alert(2)> Hostile "title" & more'
HOSTILE_URL = "javascript:alert(document.cookie)"


def build_review_warehouse(settings) -> None:
    """The digest tests' week (2026-W47) with a search index, a hostile title on w2 (WELD, flagged for
    integration) and a javascript: URL on w7 (BUS); the readers' snapshot published."""
    from warehouse.search import rebuild_index  # tests may import the libraries

    build_digest_week(settings)
    with pipeline.connection(settings) as con:
        con.execute("update articles set title = ? where article_id = 'w2'", [HOSTILE_TITLE])
        con.execute("update articles set canonical_url = ?, url = ? where article_id = 'w7'", [HOSTILE_URL, HOSTILE_URL])
        rebuild_index(con)
    pipeline.publish_warehouse(settings)


@contextmanager
def served(app):
    """The ASGI app on a free 127.0.0.1 port: yields the port."""
    import uvicorn

    from tests.servers import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


class Client:
    """HTTP/1.1 to 127.0.0.1:port, keeping cookies like a browser; responses are (status, headers, body)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, form: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read().decode("utf-8", "replace")
        for value in response.headers.get_all("set-cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            self.cookies.update({k: m.value for k, m in cookie.items()})
        conn.close()
        return response.status, response.headers, data

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, form: dict, **kw):
        return self.request("POST", path, form=form, **kw)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "no CSRF token in the page"
    return found[1]
