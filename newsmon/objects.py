"""Files the workers share (staging, model artifacts, the readers' snapshot) in an object store,
through fsspec: s3:// by s3fs, with credentials from the usual AWS variables (botocore's chain:
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, an instance role; AWS_ENDPOINT_URL for an
S3-compatible server); a local path or file:// is a plain folder. No credential is ever logged.

fsspec rather than DuckDB's httpfs: these are whole files Python writes and reads (Scrapy's JSONL,
a model's directory), which httpfs cannot list, copy or delete; DuckDB keeps httpfs for the
DuckLake data files it writes itself (warehouse.objects)."""

from __future__ import annotations

import os
from pathlib import Path

from newsmon.domain import NewsmonError


class ObjectStoreError(NewsmonError):
    """A shared file cannot be read or written where the settings say."""


def is_remote(url: str | Path) -> bool:
    """True for an object-store URL (s3://, gs://, ...), False for a local path or file://."""
    text = str(url)
    return "://" in text and not text.startswith("file://")


def join(url: str, *parts: str) -> str:
    return "/".join([str(url).rstrip("/"), *(p.strip("/") for p in parts)])


def _filesystem(url: str):
    import fsspec

    options: dict = {}
    if str(url).startswith(("s3://", "s3a://")):
        # another worker's upload must show at once: no listing cache between calls
        options = {"use_listings_cache": False, "skip_instance_cache": True}
    try:
        return fsspec.core.url_to_fs(str(url), **options)
    except (ImportError, ValueError) as exc:
        raise ObjectStoreError(f"{_shown(url)}: cannot use this storage URL ({_reason(exc)})") from None


def _shown(url: str | Path) -> str:
    """A URL as messages show it: no query string (a presigned URL's signature) or user info."""
    text = str(url).split("?")[0]
    if "://" in text and "@" in text.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = text.split("://", 1)
        text = f"{scheme}://***@{rest.split('@', 1)[1]}"
    return text


def _reason(exc: BaseException) -> str:
    """An error's first line, cut short; botocore's and s3fs's messages carry no credentials."""
    line = (str(exc).splitlines() or [""])[0] or type(exc).__name__
    return line[:200]


def _errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (OSError, ValueError)
    try:
        from botocore.exceptions import BotoCoreError, ClientError

        errors += (BotoCoreError, ClientError)
    except ImportError:
        pass
    return errors


def upload(local: Path, url: str) -> int:
    """Copy a file, or a folder's files (recursively), to url; returns the number of files. Each
    object is written whole (an S3 PUT is atomic): a reader sees the old object or the new one."""
    local = Path(local)
    files = [local] if local.is_file() else sorted(p for p in local.rglob("*") if p.is_file())
    fs, root = _filesystem(url)
    try:
        for path in files:
            target = root if path == local else join(root, path.relative_to(local).as_posix())
            if not is_remote(url):
                fs.makedirs(fs._parent(target), exist_ok=True)
            fs.put_file(str(path), target)
    except _errors() as exc:
        raise ObjectStoreError(f"cannot write {_shown(url)}: {_reason(exc)}") from None
    return len(files)


def download(url: str, local: Path) -> int:
    """Copy the object at url, or every object under it, to local (a file, or a folder mirroring the
    prefix); each file lands whole (written beside, then renamed). Returns the number of files."""
    local = Path(local)
    fs, root = _filesystem(url)
    try:
        if fs.isfile(root):
            pairs = [(root, local)]
        else:
            names = fs.find(root)
            pairs = [(name, local / Path(name).relative_to(Path(root.rstrip("/")))) for name in names]
        for name, target in pairs:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.part")
            fs.get_file(name, str(partial))
            os.replace(partial, target)
    except _errors() as exc:
        raise ObjectStoreError(f"cannot read {_shown(url)}: {_reason(exc)}") from None
    return len(pairs)


def exists(url: str) -> bool:
    fs, root = _filesystem(url)
    try:
        return fs.exists(root)
    except _errors() as exc:
        raise ObjectStoreError(f"cannot read {_shown(url)}: {_reason(exc)}") from None


def read_text(url: str) -> str:
    fs, root = _filesystem(url)
    try:
        with fs.open(root, "rb") as handle:
            return handle.read().decode("utf-8")
    except _errors() as exc:
        raise ObjectStoreError(f"cannot read {_shown(url)}: {_reason(exc)}") from None


def write_text(url: str, text: str) -> None:
    """Write one small object whole (a pointer such as a model's LATEST)."""
    fs, root = _filesystem(url)
    try:
        if is_remote(url):
            fs.pipe_file(root, text.encode("utf-8"))
            return
        target = Path(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.part")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)
    except _errors() as exc:
        raise ObjectStoreError(f"cannot write {_shown(url)}: {_reason(exc)}") from None
