"""Connecting to the warehouse and applying migrations in order, each once, in a transaction."""

from __future__ import annotations

import json
import os
import random
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TypeVar

import duckdb

from newsmon.domain import NewsmonError, utc_now, without_password

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_VIEW_DIRECTIVE = re.compile(r"^--\s*@view\s+([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)
# column types bound as JSON text by upsert: lists of numbers, sized or not
_NUMBER_LIST = re.compile(r"^(FLOAT|DOUBLE|REAL|U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|DECIMAL\(.*\))\[\d*\]$")


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
    the newest text may use tables that only later migrations create. The file ends with the view's
    COMMENT ON statements, so every recreation (which drops comments) applies them again."""
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


def extension_options() -> dict:
    """DuckDB options given at connect: extensions load from the installed packages, never download."""
    options: dict = {"autoinstall_known_extensions": False, "autoload_known_extensions": True}
    directory = extension_directory()
    if directory:
        options["extension_directory"] = directory
    return options


def connect(path: str | Path, *, read_only: bool = False, lock_timeout: float = 0.0,
            on_wait: Callable[[str], None] | None = None, options: dict | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file; read-only connections need the file to exist. When another process
    holds the file, retry for up to lock_timeout seconds (telling on_wait once), then fail clearly.
    options: DuckDB options given at connect (default: extension_options())."""
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(f"warehouse not found at {path}: run `newsmon run` or `newsmon db migrate` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout
    told = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=options or extension_options())
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


LAKE_PREFIX = "ducklake:"
LAKE_ALIAS = "lake"


def is_lake(target: str | Path) -> bool:
    """True when the warehouse is a DuckLake (catalog database + data path), not a DuckDB file."""
    return str(target).startswith(LAKE_PREFIX)


def connect_lake(url: str, *, data_path: str | None, read_only: bool = False,
                 create: bool = True) -> duckdb.DuckDBPyConnection:
    """Attach a DuckLake: `ducklake:postgres:dbname=... host=...` (catalog in PostgreSQL; several
    writers at once, the catalog orders their commits) or `ducklake:path.ducklake` (catalog in a
    DuckDB file, one writer). Data files go to data_path: a shared folder or an s3://, gs:// bucket.
    create=False: only an existing lake (DuckLake would otherwise start a new, empty one)."""
    catalog = url.removeprefix(LAKE_PREFIX)
    missing = f"no DuckLake at {without_password(url)}: create it once with `newsmon db migrate`"
    if not create and not catalog.startswith(("postgres:", "sqlite:", "mysql:")) and not Path(catalog).exists():
        raise WarehouseError(missing)
    con = duckdb.connect(":memory:", config=extension_options())
    options = []
    if data_path:
        options.append(f"data_path '{_literal(data_path)}'")
    if read_only:
        options.append("read_only")
    if not create:
        options.append("create_if_not_exists false")
    try:
        for extension in ("ducklake", "postgres") if ":postgres:" in url else ("ducklake",):
            con.execute(f"load {extension}")
        if data_path and is_remote(data_path):
            from warehouse.objects import configure_duckdb

            configure_duckdb(con, data_path)  # httpfs and the store's secret from the environment
        con.execute(f"attach '{_literal(url)}' as {LAKE_ALIAS}" + (f" ({', '.join(options)})" if options else ""))
        con.execute(f"use {LAKE_ALIAS}")
        if not (data_path and is_remote(data_path)):
            # an existing lake keeps the data path it was created with, which may be a bucket
            stored = con.execute("select value from ducklake_options(?) where option_name = 'data_path'",
                                 [LAKE_ALIAS]).fetchone()
            if stored and is_remote(stored[0]):
                from warehouse.objects import configure_duckdb

                configure_duckdb(con, stored[0])
    except NewsmonError:
        con.close()
        raise
    except duckdb.Error as exc:
        con.close()
        detail = str(exc).splitlines()[0]
        if "creating a new DuckLake is explicitly disabled" in detail:
            raise WarehouseError(missing) from None
        raise WarehouseError(f"cannot attach DuckLake {without_password(url)}: {detail}") from None
    return con


def is_remote(path: str) -> bool:
    """True for an object-store URL (s3://, gs://, ...) rather than a local folder."""
    return re.match(r"^[a-z][a-z0-9+.-]*://", str(path)) is not None and not str(path).startswith("file://")


def _literal(value: str) -> str:
    """Text inside a SQL string literal (ATTACH and COPY take no parameters for these)."""
    return value.replace("'", "''")


def open_target(target: str | Path, *, create: bool = True, read_only: bool = False, lock_timeout: float = 0.0,
                data_path: str | None = None,
                on_wait: Callable[[str], None] | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse, whichever backend the target names. create=False for every
    step: only `newsmon db migrate` creates a warehouse, so a task on a worker that lacks the file,
    or a typo in the URL, fails in one line instead of starting a new, empty warehouse there."""
    if is_lake(target):
        return connect_lake(str(target), data_path=data_path, read_only=read_only, create=create)
    if not create and not read_only and not Path(target).exists():
        raise WarehouseError(f"no warehouse at {target}: create it once with `newsmon db migrate`")
    return connect(target, read_only=read_only, lock_timeout=lock_timeout, on_wait=on_wait)


def backend(con: duckdb.DuckDBPyConnection) -> str:
    """'ducklake' or 'duckdb': the catalog the connection's default tables live in."""
    return "ducklake" if con.execute("select current_database()").fetchone()[0] == LAKE_ALIAS else "duckdb"


_COLUMN_KEY = re.compile(r"\s+primary key(?=\s*[,\n)])", re.IGNORECASE)
_TABLE_KEY = re.compile(r",\s*primary key\s*\([^)]*\)", re.IGNORECASE)
_BOOLEAN_DEFAULT = re.compile(r"\s+default\s+(true|false)\b", re.IGNORECASE)
_COLUMN_COMMENT = re.compile(r"^comment on column ([a-z_][a-z0-9_]*)\.[a-z_][a-z0-9_]* is '(?:[^']|'')*';?[ \t]*$\n?",
                             re.IGNORECASE | re.MULTILINE)


def _for_backend(sql: str, name: str) -> str:
    """DuckLake has no PRIMARY KEY or UNIQUE constraints and takes only literal defaults (not
    true/false): the same migrations run without them there; the loads keep keys unique themselves
    (MERGE on the key, deduplicated sources) and always write the boolean columns. It keeps column
    comments for tables only: a view's column comments are left out there (the view's own stays)."""
    if name != "ducklake":
        return sql
    views = set().union(*(_views_named(m.sql) for m in migrations()))
    sql = _COLUMN_COMMENT.sub(lambda m: "" if m[1].lower() in views else m[0], sql)
    return _BOOLEAN_DEFAULT.sub("", _TABLE_KEY.sub("", _COLUMN_KEY.sub("", sql)))


T = TypeVar("T")


def write_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[], T], *, attempts: int = 10,
                      on_retry: Callable[[str], None] | None = None) -> T:
    """Run work() in one transaction: all of it lands or none. On DuckLake the transaction first
    claims the write_lock row, so a concurrent writer's commit conflicts; the loser is rolled back
    and runs again on the new state, with a growing, jittered pause."""
    lake = backend(con) == "ducklake"
    holder = f"{socket.gethostname()}:{os.getpid()}"
    for attempt in range(1, attempts + 1):
        con.execute("begin transaction")
        try:
            if lake:
                con.execute("update write_lock set holder = ?, claimed_at = ?",
                            [holder, utc_now()])
            result = work()
            con.execute("commit")
            return result
        except duckdb.TransactionException as exc:
            _rollback(con)
            if "conflict" not in str(exc).lower():
                raise
            if attempt == attempts:
                raise WarehouseError(f"gave up after {attempts} write conflicts with other writers") from None
            if on_retry:
                on_retry(f"write conflict with another writer; retrying ({attempt}/{attempts - 1})")
            time.sleep(min(5.0, 0.2 * 2 ** (attempt - 1)) * (0.5 + random.random()))
        except BaseException:
            _rollback(con)
            raise
    raise AssertionError("unreachable")


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("rollback")
    except duckdb.Error:
        pass  # the failed commit already ended the transaction


def upsert(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: list[list],
           *, keys: list[str], update: list[str] | None = None) -> int:
    """Insert rows, or for rows whose key exists update the `update` columns (None: every non-key
    column; []: leave the row as it is). One MERGE statement for all rows; works on both backends."""
    if not rows:
        return 0
    types = column_types(con, table)
    select, params = [], []
    for i, (column, values) in enumerate(zip(columns, zip(*rows, strict=True), strict=True)):
        if _NUMBER_LIST.match(types[column]):
            # a list of numbers is bound as JSON text and cast by DuckDB: bound as a Python list,
            # each number is converted on its own, and DuckDB's binding tries `import pandas` for
            # every value it converts, a full search of sys.path each time when pandas is not
            # installed (2,000 story vectors of 384 floats: 55 s that way, 0.6 s this way)
            select.append(f"unnest(${i + 1}::varchar[])::{types[column]} as {column}")
            params.append([None if v is None else json.dumps(v) for v in values])
        else:
            select.append(f"unnest(${i + 1}::{types[column]}[]) as {column}")
            params.append(list(values))
    merge(con, table, f"(select {', '.join(select)})", columns, keys=keys, update=update, params=params)
    return len(rows)


def merge(con: duckdb.DuckDBPyConnection, table: str, source: str, columns: list[str], *,
          keys: list[str], update: list[str] | None = None, params: list | dict | None = None) -> None:
    """MERGE the rows of source (a table name or a parenthesised query) into table by keys."""
    update = [c for c in columns if c not in keys] if update is None else update
    on = " and ".join(f"t.{k} = s.{k}" for k in keys)
    sql = f"merge into {table} as t using {source} as s on ({on})"
    if update:
        sql += " when matched then update set " + ", ".join(f"{c} = s.{c}" for c in update)
    sql += (f" when not matched then insert ({', '.join(columns)})"
            f" values ({', '.join('s.' + c for c in columns)})")
    con.execute(sql, params)


def column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.execute("select column_name, data_type from duckdb_columns()"
                       " where table_name = ? and database_name = current_database()"
                       "   and schema_name = current_schema()", [table]).fetchall()
    if not rows:
        raise WarehouseError(f"no table {table!r} in the warehouse")
    return dict(rows)


def applied_versions(con: duckdb.DuckDBPyConnection) -> list[int]:
    exists = con.execute(
        "select count(*) from duckdb_tables() where table_name = 'schema_migrations'"
        " and database_name = current_database() and schema_name = current_schema()"
    ).fetchone()[0]
    if not exists:
        return []
    return [row[0] for row in con.execute("select version from schema_migrations order by version").fetchall()]


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations not yet applied, in order; return the versions applied now."""
    kind = backend(con)
    con.execute(_for_backend(
        "create table if not exists schema_migrations ("
        " version integer primary key, name varchar not null, applied_at timestamp not null)", kind))
    done = set(applied_versions(con))
    applied = []
    every = migrations()
    for n, migration in enumerate(every):
        if migration.version in done:
            continue
        later = set().union(*(_views_named(m.sql) for m in every[n + 1:]))
        con.execute("begin transaction")
        try:
            con.execute(_for_backend(_expand_views(migration.sql, later), kind))
            con.execute(
                "insert into schema_migrations values (?, ?, ?)",
                [migration.version, migration.name, utc_now()],
            )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        applied.append(migration.version)
    return applied


def check_current(con: duckdb.DuckDBPyConnection, label: str) -> None:
    """Fail in one line unless the warehouse's schema is exactly the code's: migrations never run
    implicitly (a worker would race the others, or upgrade a warehouse that older workers still
    write), so a step on a warehouse that is not migrated names `newsmon db migrate`."""
    known = {m.version for m in migrations()}
    done = set(applied_versions(con))
    if not done:
        raise WarehouseError(f"warehouse {label} has no schema yet: create it once with `newsmon db migrate`")
    newer = sorted(done - known)
    if newer:
        raise WarehouseError(f"warehouse {label} has migrations {newer} that this newsmon does not know: "
                             "upgrade newsmon on this machine")
    pending = sorted(known - done)
    if pending:
        raise WarehouseError(f"warehouse {label} needs migrations {pending}: run `newsmon db migrate`")
