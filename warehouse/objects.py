"""DuckDB's own access to an object store: a DuckLake whose data files live under s3:// or gs://
reads and writes them through the httpfs extension (from the duckdb-ext-httpfs package, loaded
offline), with the secret newsmon.objects.STORES names for the URL's scheme (S3 from the usual AWS
variables; GCS through its S3-compatible XML API with an HMAC key). Secrets are never logged or shown."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import duckdb

from newsmon.objects import ObjectStoreError, store_for

__all__ = ["ObjectStoreError", "configure_duckdb"]


def _literal(value: str) -> str:
    return value.replace("'", "''")


def configure_duckdb(con: duckdb.DuckDBPyConnection, url: str) -> None:
    """Load httpfs and give the connection the store's secret, scoped to url's bucket, from the
    environment; one line naming the settings when the store needs a key and none is set."""
    store = store_for(url)
    con.execute("load httpfs")
    settings = {name: value for name, value in store.secret(os.environ).items() if value}
    if "key_id" not in settings:
        if store.secret_required:
            raise ObjectStoreError(f"{url.split('?')[0]}: no {store.name} key for DuckDB's data files; set "
                                   f"{store.secret_credentials}")
        return
    parts = urlsplit(url)
    options = ", ".join(f"{name} {value}" if name == "use_ssl" else f"{name} '{_literal(value)}'"
                        for name, value in settings.items())
    try:
        con.execute(f"create or replace temporary secret newsmon_{store.secret_type} "
                    f"(type {store.secret_type}, {options}, scope '{_literal(f'{parts.scheme}://{parts.netloc}')}')")
    except duckdb.Error:
        # the statement holds the key: say which settings to check, never echo it
        raise ObjectStoreError(f"cannot make DuckDB's {store.name} secret: check {store.secret_credentials}"
                               ) from None
