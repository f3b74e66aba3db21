"""Opening the warehouse for untrusted reading (`newsmon sql` without --write, search, export, the
digest): a connection that reads the warehouse and can touch no other file, database or host.

Two layers. DuckDB's own settings: read-only, the extensions newsmon needs loaded first, then no
extension install or autoload, no external access (files, network, ATTACH) and the configuration
locked. And the statements an analyst's SQL may hold, read with DuckDB's parser: SELECT (with
DESCRIBE, SHOW, SUMMARIZE and the informational PRAGMAs, which DuckDB turns into SELECTs) and
EXPLAIN of one. The second layer is needed because DuckDB keeps the open database file and its WAL
writable under `enable_external_access = false`: `COPY ... TO '<warehouse>' (use_tmp_file false)`,
also inside EXPLAIN ANALYZE or PREPARE/EXECUTE, would overwrite the warehouse.

On DuckLake the catalog stays attached (read-only) through the postgres extension, whose table
functions (`postgres_scan`, `postgres_query`) connect to any server whatever external access says;
DuckLake's maintenance functions delete files. So there a query may call only DuckDB's built-in
table functions (not `query`/`query_table`, which parse a string), and the lake's data path is the
one folder it may read besides the warehouse.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import duckdb

from newsmon.domain import NewsmonError, without_password
from warehouse.db import (
    LAKE_ALIAS,
    WarehouseError,
    _literal,
    connect,
    extension_options,
    is_lake,
    is_remote,
)
from warehouse.objects import configure_duckdb

# what the read path itself needs: the fts macros of the search index call stem() from fts
EXTENSIONS = ("fts",)
LAKE_EXTENSIONS = ("ducklake",)

_LOCKED = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "python_enable_replacements": False,  # no scans of the calling process's Python variables
}

ALLOWED_STATEMENTS = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)
# table functions that parse and run a SQL string: the statement check cannot see inside them
_STRING_QUERIES = {"query", "query_table"}


class SandboxError(WarehouseError):
    """A statement the read-only sandbox does not run."""


def open_sandbox(target: str | Path, *, data_path: str | None = None, lock_timeout: float = 0.0,
                 on_wait: Callable[[str], None] | None = None,
                 writable: Path | None = None) -> duckdb.DuckDBPyConnection:
    """The warehouse (a DuckDB file or a DuckLake) opened read-only in the sandbox; `writable` is
    one file or folder (an export's temporary output) that newsmon's own statements may write."""
    if is_lake(target):
        con = _open_lake(str(target), data_path=data_path)
    else:
        con = connect(target, read_only=True, lock_timeout=lock_timeout, on_wait=on_wait,
                      options={**extension_options(), **_LOCKED})
    try:
        for extension in EXTENSIONS:
            con.execute(f"load {extension}")
        directories = [] if writable is None else [str(writable) + "/"]
        paths = [] if writable is None else [str(writable)]
        if is_lake(target):
            directories.append(_lake_data_path(con).rstrip("/") + "/")
            # the lake search indexes in an in-memory scratch database (warehouse.search)
            con.execute("attach if not exists ':memory:' as scratch")
        if directories:
            con.execute("set allowed_directories = $1", [directories])
        if paths:
            con.execute("set allowed_paths = $1", [paths])
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    except duckdb.Error as exc:
        con.close()
        raise WarehouseError(f"cannot open the warehouse read-only: {str(exc).splitlines()[0]}") from None
    return con


def _open_lake(url: str, *, data_path: str | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:", config={**extension_options(), **_LOCKED})
    options = [f"data_path '{_literal(data_path)}'"] if data_path else []
    try:
        for extension in LAKE_EXTENSIONS + (("postgres",) if ":postgres:" in url else ()):
            con.execute(f"load {extension}")
        if data_path and is_remote(data_path):
            # data files in a bucket: httpfs and its secret; allowed_directories then admits the
            # lake's own prefix only, like a local data path
            configure_duckdb(con, data_path)
        con.execute(f"attach '{_literal(url)}' as {LAKE_ALIAS} ({', '.join([*options, 'read_only'])})")
        con.execute(f"use {LAKE_ALIAS}")
    except NewsmonError:
        con.close()
        raise
    except duckdb.Error as exc:
        con.close()
        raise WarehouseError(f"cannot attach DuckLake {without_password(url)}: {str(exc).splitlines()[0]}") from None
    return con


def _lake_data_path(con: duckdb.DuckDBPyConnection) -> str:
    """The folder the attached lake keeps its data files in (given at attach or stored in its catalog)."""
    row = con.execute("select value from ducklake_options(?) where option_name = 'data_path'",
                      [LAKE_ALIAS]).fetchone()
    if not row or not row[0]:
        raise WarehouseError("the DuckLake catalog names no data path")
    return str(row[0])


def read_only_statements(con: duckdb.DuckDBPyConnection, sql: str) -> list:
    """The statements of sql, parsed by DuckDB, when every one is a query the sandbox runs; else a
    SandboxError naming the first that is not. Nothing has run when it raises."""
    statements = con.extract_statements(sql)  # a syntax error raises duckdb's ParserException
    lake = _is_lake(con)
    for number, statement in enumerate(statements, 1):
        where = f"statement {number}" if len(statements) > 1 else "the statement"
        kind = statement.type
        query = statement.query
        if kind == duckdb.StatementType.EXPLAIN:
            query = _explained(query)
            try:
                inner = con.extract_statements(query) if query is not None else []
            except duckdb.Error:
                inner = []
            if len(inner) != 1 or inner[0].type != duckdb.StatementType.SELECT:
                raise SandboxError(f"{where} explains something other than a SELECT")
        elif kind not in ALLOWED_STATEMENTS:
            raise SandboxError(f"{where} is {kind.name.replace('_', ' ')}, not a query")
        if lake:
            for name in _table_functions(con, query):
                if name in _STRING_QUERIES or name not in builtin_table_functions():
                    raise SandboxError(f"{where} calls {name}(), which the read-only sandbox does not allow")
    return statements


def _explained(query: str) -> str | None:
    """The statement an EXPLAIN [ANALYZE | (options)] statement explains, found with DuckDB's
    tokenizer (which leaves comments out: a token's text is the first word from its start)."""
    found = duckdb.tokenize(query)
    tokens = [start for start, _ in found]
    kinds = [kind for _, kind in found]
    texts = [(query[a:b].split() or [""])[0].lower() for a, b in zip(tokens, [*tokens[1:], len(query)], strict=True)]
    if not texts or texts[0] != "explain":
        return None
    i = 1
    if i < len(texts) and texts[i] in ("analyze", "analyse"):
        i += 1
    elif i < len(texts) and kinds[i] == duckdb.token_type.operator and texts[i].startswith("("):
        depth = 0
        while i < len(texts):
            if kinds[i] == duckdb.token_type.operator:  # not a '(' inside a string constant
                depth += texts[i].count("(") - texts[i].count(")")
            i += 1
            if depth <= 0:
                break
    return query[tokens[i]:] if i < len(tokens) else None


def _table_functions(con: duckdb.DuckDBPyConnection, query: str) -> list[str]:
    """The table functions a SELECT calls, anywhere in it, from DuckDB's parse tree."""
    tree = json.loads(con.execute("select json_serialize_sql($1)", [query]).fetchone()[0])
    if tree.get("error"):
        raise SandboxError(f"query failed: {tree.get('error_message', 'cannot be read')}")
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TABLE_FUNCTION" and isinstance(node.get("function"), dict):
                found.append(str(node["function"].get("function_name", "")).lower())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    return found


@lru_cache(maxsize=1)
def builtin_table_functions() -> frozenset[str]:
    """The table functions of DuckDB itself, without extensions (reads of files are checked by
    DuckDB's external-access setting; reads of other databases come only from extensions)."""
    con = duckdb.connect(":memory:", config={"autoload_known_extensions": False,
                                             "autoinstall_known_extensions": False})
    try:
        return frozenset(row[0] for row in con.execute(
            "select distinct function_name from duckdb_functions() where function_type = 'table'").fetchall())
    finally:
        con.close()


def _is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("select current_database()").fetchone()[0] == LAKE_ALIAS
