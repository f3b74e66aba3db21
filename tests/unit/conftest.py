"""Fixtures the unit tests share: a migrated DuckDB warehouse file in a temp dir."""

from pathlib import Path

import pytest

from warehouse.db import connect, migrate


@pytest.fixture
def con(tmp_path: Path):
    con = connect(tmp_path / "w.duckdb")
    migrate(con)
    yield con
    con.close()
