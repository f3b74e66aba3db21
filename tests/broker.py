"""A Redis server on 127.0.0.1 for the Celery test: Debian's redis-server on a free port, in its own
folder, nothing saved to disk; stopped when the test is done."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.object_store import stop_process
from tests.servers import free_port


def unavailable_reason() -> str | None:
    if shutil.which("redis-server") is None:
        return "no redis-server (Debian package redis-server; `make test` installs it as root)"
    return None


class RedisServer:
    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.root = root
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "redis.log").open("wb") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.root),
                 "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 300  # a bound for a hung start, not a speed goal
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {(self.root / 'redis.log').read_text(errors='replace')[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("redis-server did not answer PING in 300 s")

    def stop(self) -> None:
        stop_process(self.process)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
