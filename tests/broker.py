"""A Redis server on 127.0.0.1 for the Celery test: Debian's redis-server on a free port, in its own
folder, nothing saved to disk; stopped when the test is done."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from tests.servers import LocalServer, serve


def unavailable_reason() -> str | None:
    if shutil.which("redis-server") is None:
        return "no redis-server (Debian package redis-server; `make test` installs it as root)"
    return None


class RedisServer(LocalServer):
    def __init__(self, root: Path) -> None:
        super().__init__(root / "redis.log")
        self.root = root

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.root.mkdir(parents=True, exist_ok=True)
        self.process = serve(["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.root),
                              "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
                             self.port, self.log, "redis-server", ready=self._answers_ping)
        return self

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False
