"""Servers on 127.0.0.1 for tests: a small routed HTTP server for crawl tests (canned responses,
request log), and the start and stop of the server processes other tests run (LocalServer)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Route:
    body: bytes | str
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] | None = None
    delay: float = 0.0  # seconds before answering (slow servers)
    fail_first: int = 0  # answer 503 to this many requests first (flaky servers)
    # chunks written one by one instead of body, with no Content-Length unless headers give one
    # (endless, slow or huge responses); the server stops when the client goes away
    stream: Callable[[], Iterator[bytes]] | None = None


class RoutedServer:
    """Serves `routes` (path -> Route); '{base}' in a body becomes the server's base URL."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.requests: list[tuple[str, str, int]] = []
        self.times: dict[str, list[float]] = {}  # path -> monotonic arrival times
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                route = server.routes.get(self.path.split("?")[0])
                status = route.status if route else 404
                with server._lock:
                    server.times.setdefault(self.path, []).append(time.monotonic())
                    if route and route.fail_first > 0:
                        route.fail_first -= 1
                        status = 503
                body = route.body if route else "not found"
                if isinstance(body, str):
                    body = body.replace("{base}", server.base_url).encode("utf-8")
                with server._lock:
                    server.requests.append(("GET", self.path, status))
                if route and route.delay:
                    time.sleep(route.delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", route.content_type if route else "text/plain")
                    if not (route and route.stream):
                        self.send_header("Content-Length", str(len(body)))
                    for name, value in ((route.headers or {}) if route else {}).items():
                        self.send_header(name, value.replace("{base}", server.base_url))
                    self.end_headers()
                    if route and route.stream:
                        for chunk in route.stream():
                            self.wfile.write(chunk)
                            self.wfile.flush()
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeouts, size limits): that is what the test wants

            def log_message(self, *args) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> RoutedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def paths_requested(self) -> list[str]:
        with self._lock:
            return [path for _, path, _ in self.requests]


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen | None) -> None:
    """End a server this test started: SIGTERM, then SIGKILL after 10 s."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve(command: list[str], port: int, log: Path, what: str, env: dict[str, str] | None = None,
          ready: Callable[[], bool] | None = None) -> subprocess.Popen:
    """Start a server and return once it is ready: ready() true, by default once it accepts
    connections on 127.0.0.1:port."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    # a bound for a hung start, not a speed goal: moto imports for a minute or more on a busy machine
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text(errors='replace')[-500:]}")
        if (ready or (lambda: _accepts(port)))():
            return process
        time.sleep(0.2)
    stop_process(process)
    raise RuntimeError(f"{what} did not start in 300 s: {log.read_text(errors='replace')[-500:]}")


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class LocalServer:
    """A server process on 127.0.0.1 at a free port; start() in the subclass, stopped on exit."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        raise NotImplementedError

    def stop(self) -> None:
        stop_process(self.process)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
