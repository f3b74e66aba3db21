"""The CLI as a user runs it: `python -m newsmon ...` in a subprocess with its own data dir."""

import os
import subprocess
import sys
from pathlib import Path


def newsmon(*args: str, data_dir: Path, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NEWSMON_DATA_DIR": str(data_dir), **env}
    return subprocess.run([sys.executable, "-m", "newsmon", *args], capture_output=True, text=True,
                          env=environment, input=stdin, timeout=300)
