"""Fixtures several integration test modules share."""

import pytest

from newsmon.config import Settings
from tests.pg import PostgresServer, unavailable_reason
from tests.support.warehouse import load_articles


@pytest.fixture
def loaded(settings: Settings) -> Settings:
    """A warehouse with four articles, one model's scores, loaded by the real load step; the readers'
    snapshot published."""
    return load_articles(settings)


@pytest.fixture(scope="module")
def postgres():
    """A private PostgreSQL server (tests/pg.py) per test module, for DuckLake catalogs."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"no PostgreSQL server: {reason}")
    with PostgresServer() as server:
        yield server
