"""The weekly digest's reads and its ledger: a week's sections from the named digest_*.sql queries,
the `digests` row that records a sent week."""

from __future__ import annotations

from datetime import datetime

import duckdb

from warehouse.db import load_query, upsert


def newest_published(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the newest article was published (UTC), None when there is none."""
    return con.execute("select max(published_at) from articles").fetchone()[0]


def digest_rows(con: duckdb.DuckDBPyConnection, name: str, *params) -> list[tuple]:
    """The rows of warehouse/queries/NAME.sql (a digest_* query) for these parameters."""
    return con.execute(load_query(name), list(params)).fetchall()


def sent_digest(con: duckdb.DuckDBPyConnection, week: str) -> tuple[datetime, str] | None:
    """(sent_at, message_id) of the week's digest when it was sent, else None."""
    return con.execute("select sent_at, message_id from digests where week = ?", [week]).fetchone()


def record_digest(con: duckdb.DuckDBPyConnection, *, week: str, recipients: list[str], sent_at: datetime,
                  message_id: str, subject: str, article_ids: list[str]) -> None:
    """The week's ledger row: to whom (only the recipients the SMTP server accepted), when, what."""
    upsert(con, "digests", ["week", "recipients", "sent_at", "message_id", "subject", "article_ids"],
           [[week, recipients, sent_at, message_id, subject, article_ids]], keys=["week"])
