"""A warehouse file made by the previous schema version upgrades in place without losing rows."""

import gzip
import shutil
from pathlib import Path

import pytest

from warehouse.db import applied_versions, connect, migrate, migrations
from warehouse.stories import assign_stories

FIXTURE = Path(__file__).parent.parent / "fixtures" / "warehouse-schema-v5.duckdb.gz"


@pytest.fixture
def old_file(tmp_path: Path) -> Path:
    target = tmp_path / "old.duckdb"
    with gzip.open(FIXTURE, "rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return target


def _counts(con) -> dict[str, int]:
    return {t: con.execute(f"select count(*) from {t}").fetchone()[0]
            for t in ("sources", "articles", "models", "classifications", "crawl_runs")}


def test_schema_v5_file_upgrades_in_place_keeping_every_row(old_file: Path):
    con = connect(old_file)
    assert applied_versions(con) == [1, 2, 3, 4, 5]
    before = _counts(con)
    checksum = con.execute("select sum(hash(article_id, title, text, published_at)) from articles").fetchone()
    assert before == {"sources": 1, "articles": 6, "models": 1, "classifications": 12, "crawl_runs": 1}

    applied = migrate(con)
    assert applied == [m.version for m in migrations() if m.version > 5]
    assert _counts(con) == before
    assert con.execute("select sum(hash(article_id, title, text, published_at)) from articles").fetchone() == checksum
    # the recreated views work on the old rows; the new tables start empty and fill on the next load
    flagged = con.execute("select article_id, sectors, story_id from flagged_articles order by 1").fetchall()
    assert flagged == [("a0", [], None), ("a2", [], None), ("a4", [], None)]
    assert assign_stories(con)["first"] >= 1
    assert con.execute("select count(*) from article_stories").fetchone()[0] == 6
    assert migrate(con) == []
    con.close()
