"""Connecting to the warehouse and applying migrations in order, each once, in a transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb

from newsmon.domain import NewsmonError

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_VIEW_DIRECTIVE = re.compile(r"^--\s*@view\s+([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


class WarehouseError(NewsmonError):
    """The warehouse cannot be opened or used as asked."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def _package_dir(name: str) -> Path:
    return Path(str(resources.files("warehouse").joinpath(name)))


def load_query(name: str) -> str:
    """The text of a named query or view under warehouse/queries/."""
    path = _package_dir("queries") / f"{name}.sql"
    if not path.exists():
        raise WarehouseError(f"no query named {name!r}")
    return path.read_text(encoding="utf-8")


def migrations() -> list[Migration]:
    found = []
    for path in sorted(_package_dir("migrations").glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match:
            found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    return found


def _expand_views(sql: str, later: set[str] = frozenset()) -> str:
    """`-- @view NAME` in a migration (re)creates the view from queries/NAME.sql, which holds the
    view's newest text: a migration leaves a view to the last migration that names it (`later`), since
    the newest text may use tables that only later migrations create."""
    return _VIEW_DIRECTIVE.sub(
        lambda m: "" if m[1] in later else
        f"create or replace view {m[1]} as\n{load_query(m[1]).rstrip().rstrip(';')};",
        sql,
    )


def _views_named(sql: str) -> set[str]:
    return set(_VIEW_DIRECTIVE.findall(sql))


def connect(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file; read-only connections need the file to exist."""
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(f"warehouse not found at {path}: run `newsmon run` or `newsmon db migrate` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        message = str(exc)
        if "lock" in message.lower():
            raise WarehouseError(f"warehouse {path} is locked by another process (a load may be running)") from None
        raise WarehouseError(f"cannot open warehouse {path}: {message.splitlines()[0]}") from None
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open warehouse {path}: {str(exc).splitlines()[0]}") from None


def applied_versions(con: duckdb.DuckDBPyConnection) -> list[int]:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_name = 'schema_migrations'"
    ).fetchone()[0]
    if not exists:
        return []
    return [row[0] for row in con.execute("select version from schema_migrations order by version").fetchall()]


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations not yet applied, in order; return the versions applied now."""
    con.execute(
        "create table if not exists schema_migrations ("
        " version integer primary key, name varchar not null, applied_at timestamp not null)"
    )
    done = set(applied_versions(con))
    applied = []
    every = migrations()
    for n, migration in enumerate(every):
        if migration.version in done:
            continue
        later = set().union(*(_views_named(m.sql) for m in every[n + 1:]))
        con.execute("begin transaction")
        try:
            con.execute(_expand_views(migration.sql, later))
            con.execute(
                "insert into schema_migrations values (?, ?, ?)",
                [migration.version, migration.name, datetime.now(UTC).replace(tzinfo=None)],
            )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        applied.append(migration.version)
    return applied


def open_warehouse(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection with the schema brought up to date."""
    con = connect(path)
    migrate(con)
    return con
