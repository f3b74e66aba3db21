"""DuckDB's own access to an object store: a DuckLake whose data files live under s3:// reads and
writes them through the httpfs extension (from the duckdb-ext-httpfs package, loaded offline),
with an S3 secret built from the usual AWS variables. Secrets are never logged or shown."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import duckdb

from newsmon.domain import NewsmonError

SECRET_NAME = "newsmon_s3"


class ObjectStoreError(NewsmonError):
    """The object store cannot be reached or used as configured."""


def aws_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The S3 settings the usual AWS variables give (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    AWS_SESSION_TOKEN, AWS_REGION or AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for an
    S3-compatible server), as DuckDB's S3 secret names them; empty values are left out."""
    env = os.environ if environ is None else environ
    found = {
        "key_id": env.get("AWS_ACCESS_KEY_ID", ""),
        "secret": env.get("AWS_SECRET_ACCESS_KEY", ""),
        "session_token": env.get("AWS_SESSION_TOKEN", ""),
        "region": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "",
    }
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or ""
    if endpoint:
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        # an S3-compatible server (MinIO, moto, Ceph) serves buckets as paths, not host names
        found.update(endpoint=parts.netloc, use_ssl="true" if parts.scheme == "https" else "false",
                     url_style="path")
    return {name: value for name, value in found.items() if value}


def _literal(value: str) -> str:
    return value.replace("'", "''")


def configure_duckdb(con: duckdb.DuckDBPyConnection, url: str) -> None:
    """Load httpfs and give the connection an S3 secret scoped to url's bucket, from the AWS
    variables; without a key in the environment DuckDB's own defaults apply (public buckets)."""
    scheme = urlsplit(url).scheme
    if scheme not in ("s3", "s3a"):
        raise ObjectStoreError(f"{url.split('?')[0]}: only s3:// object stores are supported (S3 or an "
                               "S3-compatible server named by AWS_ENDPOINT_URL)")
    con.execute("load httpfs")
    settings = aws_environment()
    if "key_id" not in settings:
        return
    bucket = urlsplit(url).netloc
    options = ", ".join(f"{name} {value}" if name == "use_ssl" else f"{name} '{_literal(value)}'"
                        for name, value in settings.items())
    try:
        con.execute(f"create or replace temporary secret {SECRET_NAME} "
                    f"(type s3, {options}, scope 's3://{_literal(bucket)}')")
    except duckdb.Error:
        # the statement holds the key: say which setting is wrong, never echo it
        raise ObjectStoreError("cannot use the AWS_* variables as an S3 secret (check AWS_ENDPOINT_URL "
                               "and AWS_REGION)") from None
