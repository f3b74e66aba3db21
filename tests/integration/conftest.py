"""Fixtures several integration test modules share."""

import pytest

from newsmon.config import Settings
from tests.support.warehouse import load_articles


@pytest.fixture
def loaded(settings: Settings) -> Settings:
    """A warehouse with four articles, one model's scores, loaded by the real load step; the readers'
    snapshot published."""
    return load_articles(settings)
