"""Fixtures several integration test modules share."""

import pytest

from newsmon.config import Settings
from tests.pg import server_or_skip
from tests.support.warehouse import load_articles


@pytest.fixture
def loaded(settings: Settings) -> Settings:
    """A warehouse with four articles, one model's scores, loaded by the real load step; the readers'
    snapshot published."""
    return load_articles(settings)


@pytest.fixture(scope="module")
def postgres():
    """A private PostgreSQL server (tests/pg.py) per test module, for DuckLake catalogs."""
    yield from server_or_skip("for DuckLake catalogs")


@pytest.fixture(scope="session")
def small_finetuned(tmp_path_factory):
    """The small fine-tuned config trained and distilled once per session, in this process (a few
    minutes idle): test_training checks the artifact, test_shipped_model rebuilds it in a fresh
    process and compares (a SmallFinetuned). Shared: tests must not change its files or LATEST (work on a copy)."""
    from tests.support.models import SmallFinetuned, small_data_dir, small_finetuned_settings, train_small_finetuned

    root = tmp_path_factory.mktemp("small-finetuned")
    small = small_data_dir(root, per_stratum=4)
    steps: list[tuple[str, int, int]] = []
    teacher, student = train_small_finetuned(root / "one", small, steps=lambda *s: steps.append(s))
    return SmallFinetuned(small_finetuned_settings(root / "one"), small, teacher, student, steps)
