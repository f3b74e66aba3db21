"""A run's crawl outcomes and the sources source_health calls broken: what the day's health check reads."""

from __future__ import annotations

import duckdb


def run_outcomes(con: duckdb.DuckDBPyConnection, run_id: str) -> list[tuple[str, bool, str | None]]:
    """(source, ok, error) of each crawl the run recorded, by source."""
    return con.execute("select source, ok, error from crawl_runs where run_id = ? order by source",
                       [run_id]).fetchall()


def broken_sources(con: duckdb.DuckDBPyConnection, run_id: str) -> list[tuple[str, str | None]]:
    """(source, last error) of the run's sources that source_health calls broken; only this run's,
    since a source removed from sources.yaml stays broken in the view forever."""
    return con.execute("select source, last_error from source_health where broken and source in"
                       " (select source from crawl_runs where run_id = ?) order by source", [run_id]).fetchall()
