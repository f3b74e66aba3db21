"""Exporting articles with their current scores: partitioned Parquet (one folder per ISO week) or CSV.

The export is written next to its destination and renamed into place, so a failed export leaves
no half-written files behind."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import duckdb

from newsmon.domain import NewsmonError
from warehouse.db import load_query

FORMATS = ("parquet", "csv")


class ExportError(NewsmonError):
    """An export that cannot be written as asked."""


def export_articles(con: duckdb.DuckDBPyConnection, destination: Path, *, fmt: str,
                    since: datetime | None = None, text: bool = True) -> dict:
    """Write the articles published on or after since; return {'rows', 'path', 'weeks'} (path None
    and nothing written when there are none).

    parquet: destination/week=YYYY-Www/data_0.parquet (hive partitioning, so DuckDB, Spark, pandas
    and BI tools read the folder as one table and can prune by week); csv: destination as one file."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}: use parquet or csv")
    destination = Path(destination)
    if destination.exists() and (destination.is_file() or any(destination.iterdir())):
        raise ExportError(f"{destination} exists and is not empty: choose a new path or remove it")
    folder = next((p for p in destination.absolute().parents if p.exists()), None)
    if folder is not None and not folder.is_dir():
        raise ExportError(f"cannot export to {destination}: {folder} is a file, not a folder")
    query = load_query("export_articles").rstrip().rstrip(";")
    if not text:
        query = f"select * exclude (text) from ({query})"
    params = {"since": since or datetime(1970, 1, 1)}
    rows = con.execute(f"select count(*) from ({query})", params).fetchone()[0]
    weeks = con.execute(f"select count(distinct week) from ({query})", params).fetchone()[0]
    if rows == 0:
        return {"rows": 0, "path": None, "weeks": 0}
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot export to {destination}: {exc.strerror or exc}") from None
    tmp = scratch_path(destination)
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        if fmt == "parquet":
            con.execute(f"copy ({query}) to '{_quoted(tmp)}' (format parquet, partition_by (week),"
                        " compression zstd, write_partition_columns true)", params)
        else:
            con.execute(f"copy ({_formula_safe(con, query, params)}) to '{_quoted(tmp)}' (format csv, header true)",
                        params)
        if destination.exists():
            destination.rmdir()  # empty, checked above
        os.replace(tmp, destination)
    except (duckdb.Error, OSError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if tmp.is_file():
            tmp.unlink()
        raise ExportError(f"export to {destination} failed: {str(exc).splitlines()[0]}") from None
    return {"rows": rows, "path": destination, "weeks": weeks}


# a text cell starting with one of these is a formula to Excel, LibreOffice or Google Sheets
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _formula_safe(con: duckdb.DuckDBPyConnection, query: str, params: dict) -> str:
    """query with every text cell a spreadsheet would run as a formula (a title like
    `=cmd|' /C calc'!A0`) prefixed with a single quote, as OWASP's CSV-injection advice says."""
    columns = con.execute(f"select * from ({query}) limit 0", params).description
    prefixes = ", ".join(f"chr({ord(p)})" for p in FORMULA_PREFIXES)
    quoted = [f"case when left({name}, 1) in ({prefixes}) then chr(39) || {name} else {name} end as {name}"
              for name, kind, *_ in columns if str(kind) == "VARCHAR"]
    return f"select * replace ({', '.join(quoted)}) from ({query})" if quoted else query


def scratch_path(destination: Path) -> Path:
    """Where an export to destination is written before it is renamed into place (absolute: the
    read-only sandbox allows newsmon's own COPY to write there and nowhere else)."""
    destination = Path(destination).absolute()
    return destination.with_name(f".{destination.name}.tmp-{os.getpid()}")


def _quoted(path: Path) -> str:
    """A path as a SQL string literal's content (COPY takes no parameter for its target)."""
    return str(path).replace("'", "''")
