"""Writing a file whole or not at all, for every package (crawlers, models and warehouse may import
it: it imports nothing of theirs)."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, data: str | bytes) -> Path:
    """Write data (text as UTF-8) to a temporary file beside path, then rename it over path: a
    reader, or a crash, sees the old file or the new one, never half of one. A failed write leaves
    no temporary file behind; the error is raised as it came."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        if tmp.parent.is_dir():
            tmp.unlink(missing_ok=True)
        raise
    return path
