"""Files the workers share (staging, model artifacts, the readers' snapshot) in an object store,
through fsspec, and the one table of the object stores newsmon knows (STORES): s3:// by s3fs with
credentials from the usual AWS variables (botocore's chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
a profile, an instance role; AWS_ENDPOINT_URL for an S3-compatible server), gs:// by gcsfs with
Google's Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's
application-default login, a Google VM's service account; STORAGE_EMULATOR_HOST for an emulator,
which needs none). A local path or file:// is a plain folder. No credential is ever logged.

fsspec rather than DuckDB's httpfs: these are whole files Python writes and reads (Scrapy's JSONL,
a model's directory), which httpfs cannot list, copy or delete; DuckDB keeps httpfs for the
DuckLake data files it writes itself (warehouse.objects, with the DuckDB secret STORES describes)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from newsmon.domain import NewsmonError


class ObjectStoreError(NewsmonError):
    """A shared file cannot be read or written where the settings say."""


def _endpoint(url: str) -> dict[str, str]:
    """An S3-compatible endpoint URL as DuckDB's secret names it: host:port, TLS or not, and
    buckets as paths (MinIO, moto, Ceph and GCS's XML API serve them so)."""
    if not url:
        return {}
    parts = urlsplit(url if "://" in url else f"https://{url}")
    return {"endpoint": parts.netloc, "use_ssl": "true" if parts.scheme == "https" else "false", "url_style": "path"}


def _s3_options(env: Mapping[str, str]) -> dict:
    return {}  # s3fs reads the AWS variables itself (botocore's chain)


def _s3_secret(env: Mapping[str, str]) -> dict[str, str]:
    return {"key_id": env.get("AWS_ACCESS_KEY_ID", ""), "secret": env.get("AWS_SECRET_ACCESS_KEY", ""),
            "session_token": env.get("AWS_SESSION_TOKEN", ""),
            "region": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "",
            **_endpoint(env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or "")}


def _gcs_options(env: Mapping[str, str]) -> dict:
    # an emulator (STORAGE_EMULATOR_HOST, which gcsfs reads itself) takes no credentials, as Google's
    # own client does; otherwise ADC, which fails in one line where none are found instead of
    # falling back to anonymous access as gcsfs's default does
    emulated = env.get("STORAGE_EMULATOR_HOST", "") not in ("", "default")
    return {"token": "anon" if emulated and not env.get("GOOGLE_APPLICATION_CREDENTIALS") else "google_default"}


def _gcs_secret(env: Mapping[str, str]) -> dict[str, str]:
    # DuckDB reaches gs:// through GCS's S3-compatible XML API, which takes HMAC keys; the variable
    # names are boto's and gsutil's
    return {"key_id": env.get("GS_ACCESS_KEY_ID", ""), "secret": env.get("GS_SECRET_ACCESS_KEY", ""),
            **_endpoint(env.get("NEWSMON_GS_ENDPOINT_URL", ""))}


@dataclass(frozen=True)
class Store:
    """One kind of object store: how fsspec opens it, which DuckDB secret reaches it, and which
    settings hold its credentials (named in messages, never shown)."""

    name: str
    filesystem: str  # the fsspec implementation, "module:Class"
    credentials: str  # what a message about missing credentials tells the user to set or do
    options: Callable[[Mapping[str, str]], dict]  # fsspec filesystem options from the environment
    secret_type: str  # DuckDB's secret type for httpfs
    secret: Callable[[Mapping[str, str]], dict[str, str]]  # that secret's options from the environment
    secret_credentials: str  # the variables DuckDB's secret is made of
    secret_required: bool  # False: without a key DuckDB's own defaults apply (public buckets)
    errors: tuple[str, ...]  # the library's exceptions, "module:Class"
    no_credentials: tuple[str, ...]  # which of them mean that no credentials were found


S3 = Store(
    name="S3", filesystem="s3fs:S3FileSystem",
    credentials="AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use a profile or an instance role",
    options=_s3_options, secret_type="s3", secret=_s3_secret,
    secret_credentials="AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (AWS_REGION, AWS_ENDPOINT_URL)",
    secret_required=False,
    errors=("botocore.exceptions:BotoCoreError", "botocore.exceptions:ClientError"),
    no_credentials=("botocore.exceptions:NoCredentialsError",))
GCS = Store(
    # gcsfs's core class, which speaks GCS's JSON API only: the package's default class (since
    # 2026.10) first asks the Storage Control gRPC API for each bucket's layout, for zonal buckets,
    # which an emulator does not serve (a minute of retries per bucket) and a standard bucket does not need
    name="Google Cloud Storage", filesystem="gcsfs.core:GCSFileSystem",
    credentials="GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or use gcloud's "
                "application-default login or a Google VM's service account (STORAGE_EMULATOR_HOST: an emulator)",
    options=_gcs_options, secret_type="gcs", secret=_gcs_secret,
    secret_credentials="GS_ACCESS_KEY_ID and GS_SECRET_ACCESS_KEY, an HMAC key (NEWSMON_GS_ENDPOINT_URL)",
    secret_required=True,
    errors=("google.auth.exceptions:GoogleAuthError", "gcsfs.retry:HttpError"),
    no_credentials=("google.auth.exceptions:DefaultCredentialsError",))
STORES: dict[str, Store] = {"s3": S3, "s3a": S3, "gs": GCS, "gcs": GCS}


def is_remote(url: str | Path) -> bool:
    """True for an object-store URL (s3://, gs://, ...), False for a local path or file://."""
    text = str(url)
    return "://" in text and not text.startswith("file://")


def store_for(url: str | Path) -> Store:
    """The store an object-store URL names; one line when its scheme is not one of STORES or it
    names no bucket."""
    parts = urlsplit(str(url))
    store = STORES.get(parts.scheme)
    if store is None:
        known = ", ".join(f"{scheme}://" for scheme in STORES)
        raise ObjectStoreError(f"{_shown(url)}: unknown object store {parts.scheme}:// (use {known} or a "
                               "local folder)")
    if not parts.netloc:
        raise ObjectStoreError(f"{_shown(url)}: no bucket (write {parts.scheme}://BUCKET/PREFIX)")
    return store


def check_url(url: str) -> str:
    """url when it is a local path, file:// or a URL of a known store with a bucket; else ValueError."""
    if is_remote(url):
        try:
            store_for(url)
        except ObjectStoreError as exc:
            raise ValueError(str(exc)) from None
    return url


def join(url: str, *parts: str) -> str:
    return "/".join([str(url).rstrip("/"), *(p.strip("/") for p in parts)])


def _filesystem(url: str):
    """The fsspec filesystem for url and the path inside it."""
    import fsspec

    if not is_remote(url):
        return fsspec.core.url_to_fs(str(url))
    store = store_for(url)
    try:
        implementation = _attribute(store.filesystem)
    except (ImportError, AttributeError) as exc:
        raise ObjectStoreError(f"{_shown(url)}: cannot use {store.name} ({_reason(exc)})") from None
    # another worker's upload must show at once: no listing cache between calls
    fs = implementation(use_listings_cache=False, skip_instance_cache=True, **store.options(os.environ))
    return fs, fs._strip_protocol(str(url))


def _attribute(name: str):
    """The object a "module:attribute" name names."""
    module, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _shown(url: str | Path) -> str:
    """A URL as messages show it: no query string (a presigned URL's signature) or user info."""
    text = str(url).split("?")[0]
    if "://" in text and "@" in text.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = text.split("://", 1)
        text = f"{scheme}://***@{rest.split('@', 1)[1]}"
    return text


def _reason(exc: BaseException) -> str:
    """An error's first line, cut short and without a query string (an upload session's id);
    botocore's, s3fs's, google-auth's and gcsfs's messages carry no credentials. A missing or
    forbidden object says so (gcsfs's message is only the request's path)."""
    line = (str(exc).splitlines() or [""])[0].split("?")[0] or type(exc).__name__
    kind = "not found: " if isinstance(exc, FileNotFoundError) else (
        "access denied: " if isinstance(exc, PermissionError) else "")
    return (kind + line)[:200]


def _classes(names: tuple[str, ...]) -> tuple[type[BaseException], ...]:
    found: tuple[type[BaseException], ...] = ()
    for name in names:
        try:
            found += (_attribute(name),)
        except (ImportError, AttributeError):
            pass  # that store's library is not installed: none of its errors can happen
    return found


@contextmanager
def _failing(verb: str, url: str) -> Iterator[None]:
    """Any failure of the store's library as one ObjectStoreError line naming the URL, and the
    settings to set when it found no credentials."""
    store = store_for(url) if is_remote(url) else None
    try:
        yield
    except ObjectStoreError:
        raise
    except Exception as exc:
        if store and isinstance(exc, _classes(store.no_credentials)):
            said = _reason(exc).split(". ")[0].rstrip(".")  # "File ... was not found" tells which setting is off
            raise ObjectStoreError(f"cannot {verb} {_shown(url)}: no {store.name} credentials ({said}); set "
                                   f"{store.credentials}") from None
        if isinstance(exc, (OSError, ValueError, *(_classes(store.errors) if store else ()))):
            raise ObjectStoreError(f"cannot {verb} {_shown(url)}: {_reason(exc)}") from None
        raise


def upload(local: Path, url: str) -> int:
    """Copy a file, or a folder's files (recursively), to url; returns the number of files. Each
    object is written whole (an S3 PUT and a GCS upload are atomic): a reader sees the old object or
    the new one."""
    local = Path(local)
    files = [local] if local.is_file() else sorted(p for p in local.rglob("*") if p.is_file())
    with _failing("write", url):
        fs, root = _filesystem(url)
        for path in files:
            target = root if path == local else join(root, path.relative_to(local).as_posix())
            if not is_remote(url):
                fs.makedirs(fs._parent(target), exist_ok=True)
            fs.put_file(str(path), target)
    return len(files)


def download(url: str, local: Path) -> int:
    """Copy the object at url, or every object under it, to local (a file, or a folder mirroring the
    prefix); each file lands whole (written beside, then renamed). Returns the number of files."""
    local = Path(local)
    with _failing("read", url):
        fs, root = _filesystem(url)
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
    return len(pairs)


def exists(url: str) -> bool:
    with _failing("read", url):
        fs, root = _filesystem(url)
        return fs.exists(root)


def read_text(url: str) -> str:
    with _failing("read", url):
        fs, root = _filesystem(url)
        with fs.open(root, "rb") as handle:
            return handle.read().decode("utf-8")


def write_text(url: str, text: str) -> None:
    """Write one small object whole (a pointer such as a model's LATEST)."""
    with _failing("write", url):
        fs, root = _filesystem(url)
        if is_remote(url):
            fs.pipe_file(root, text.encode("utf-8"))
            return
        target = Path(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.part")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)
