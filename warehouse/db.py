"""Connecting to the warehouse and applying migrations in order, each once, in a transaction."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
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


def extension_directory() -> str | None:
    """Where the duckdb-ext-* packages put DuckDB's extensions (fts, ducklake, postgres): DuckDB
    would download them at run time otherwise, which an offline machine cannot."""
    try:
        import duckdb_ext
    except ImportError:
        return None
    return str(Path(next(iter(duckdb_ext.__path__))) / "extensions")


def _config() -> dict:
    config: dict = {"autoinstall_known_extensions": False, "autoload_known_extensions": True}
    directory = extension_directory()
    if directory:
        config["extension_directory"] = directory
    return config


def connect(path: str | Path, *, read_only: bool = False, lock_timeout: float = 0.0,
            on_wait: Callable[[str], None] | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file; read-only connections need the file to exist. When another process
    holds the file, retry for up to lock_timeout seconds (telling on_wait once), then fail clearly."""
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(f"warehouse not found at {path}: run `newsmon run` or `newsmon db migrate` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout
    told = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=_config())
        except duckdb.IOException as exc:
            message = str(exc)
            if "lock" not in message.lower():
                raise WarehouseError(f"cannot open warehouse {path}: {message.splitlines()[0]}") from None
            holder = re.search(r"\(PID (\d+)\)", message)
            who = f"process {holder[1]}" if holder else "another process"
            if time.monotonic() >= deadline:
                waited = f" after waiting {lock_timeout:g} s" if lock_timeout else ""
                raise WarehouseError(f"warehouse {path} is locked by {who} (a load may be running){waited}; "
                                     "try again when it has finished") from None
            if on_wait and not told:
                on_wait(f"warehouse {path} is locked by {who}; waiting up to {lock_timeout:g} s")
                told = True
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
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
