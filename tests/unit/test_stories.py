"""Story clustering: exact copies, rewrites, the time window, and stable incremental assignment."""

import zlib
from datetime import datetime, timedelta

import numpy as np
import pytest

from warehouse.db import connect, migrate
from warehouse.stories import StoryArticle, assign_stories, cluster, embed_text

PORT = ("Port of Kessling hands crane scheduling to an AI planner",
        "The Port of Kessling said on Monday that an AI planner now schedules all 14 quay cranes at its "
        "container terminal, after a year-long trial cut average ship turnaround by 11 hours.")
PORT_REWRITE = ("Kessling's quay cranes are now scheduled by AI, cutting ship turnaround",
                "Ships calling at Kessling spend 11 fewer hours at berth since the port let an AI planner "
                "schedule its 14 quay cranes, the port authority said.")
CHIP = ("Veridian unveils Tessera X2 accelerator",
        "Chipmaker Veridian launched the Tessera X2, an inference accelerator built on a 2nm process "
        "that it says doubles throughput per watt.")
WINDOW = timedelta(hours=72)


def _a(article_id: str, title_text: tuple[str, str], hours: float = 0, *, digest: str | None = None,
       story: str | None = None) -> StoryArticle:
    return StoryArticle(article_id, datetime(2026, 11, 16, 8) + timedelta(hours=hours), title_text[0],
                        title_text[1], digest or article_id, story)


def _stories(assigned) -> dict[str, str]:
    return {article: story for article, story, *_ in assigned}


def test_rewrite_of_one_story_joins_it_and_another_story_stays_apart():
    assigned = cluster([], [_a("p1", PORT), _a("p2", PORT_REWRITE, 5), _a("c1", CHIP, 1)],
                       window=WINDOW, threshold=0.2)
    stories = _stories(assigned)
    assert stories == {"p1": "p1", "c1": "c1", "p2": "p1"}
    method = {a: (m, s, matched) for a, _, m, s, matched in assigned}
    assert method["p1"] == ("first", None, None)
    assert method["p2"][0] == "similar" and method["p2"][1] >= 0.2 and method["p2"][2] == "p1"


def test_exact_copy_joins_by_content_hash_and_window_bounds_both():
    copy = _a("p3", ("Different headline entirely", "unrelated words"), 30, digest="p1")
    late_copy = _a("p4", PORT, 24 * 5, digest="p1")  # same text five days later: a new story
    stories = _stories(cluster([], [_a("p1", PORT), copy, late_copy], window=WINDOW, threshold=0.2))
    assert stories == {"p1": "p1", "p3": "p1", "p4": "p4"}


def test_new_articles_join_existing_stories_which_never_move():
    existing = [_a("p1", PORT, story="p1"), _a("c1", CHIP, story="c1")]
    assigned = cluster(existing, [_a("p2", PORT_REWRITE, 10)], window=WINDOW, threshold=0.2)
    assert assigned[0][:3] == ("p2", "p1", "similar")
    assert [a for a, *_ in assigned] == ["p2"]  # existing articles are not reassigned


def test_high_threshold_keeps_rewrites_apart():
    stories = _stories(cluster([], [_a("p1", PORT), _a("p2", PORT_REWRITE, 5)], window=WINDOW, threshold=0.95))
    assert stories == {"p1": "p1", "p2": "p2"}


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    migrate(con)
    yield con
    con.close()


def _insert(con, article: StoryArticle) -> None:
    con.execute("insert into articles (article_id, url, canonical_url, source, title, published_at, fetched_at,"
                " text, content_hash) values (?, ?, ?, 's', ?, ?, ?, ?, ?)",
                [article.article_id, f"https://e/{article.article_id}", f"https://e/{article.article_id}",
                 article.title, article.at, article.at, article.text, article.content_hash])


def test_assign_stories_in_the_warehouse_is_incremental_and_idempotent(con):
    _insert(con, _a("p1", PORT))
    _insert(con, _a("c1", CHIP, 1))
    assert assign_stories(con, threshold=0.2) == {"first": 2, "exact": 0, "similar": 0}
    assert assign_stories(con, threshold=0.2) == {"first": 0, "exact": 0, "similar": 0}
    _insert(con, _a("p2", PORT_REWRITE, 20))
    assert assign_stories(con, threshold=0.2) == {"first": 0, "exact": 0, "similar": 1}
    rows = con.execute("select article_id, story_id, method from article_stories order by article_id").fetchall()
    assert rows == [("c1", "c1", "first"), ("p1", "p1", "first"), ("p2", "p1", "similar")]


def _bag_of_words(texts: list[str]) -> np.ndarray:
    """An embedding function for the cache test: word counts hashed into 32 dimensions."""
    vectors = np.zeros((len(texts), 32), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().split():
            vectors[row, zlib.crc32(word.encode()) % 32] += 1.0
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_story_vectors_are_stored_once_and_reused(con):
    embedded: list[str] = []

    def embed(texts):
        embedded.extend(texts)
        return _bag_of_words(texts)

    _insert(con, _a("p1", PORT))
    _insert(con, _a("c1", CHIP, 1))
    assign_stories(con, embed=embed, embed_model="bow-32")
    assert len(embedded) == 2
    stored = dict(con.execute("select article_id, vector from story_vectors where model = 'bow-32'").fetchall())
    assert set(stored) == {"p1", "c1"}
    expected = _bag_of_words([embed_text(*PORT)])[0]
    assert np.allclose(np.asarray(stored["p1"], dtype=np.float32), expected, atol=1e-5)

    _insert(con, _a("p2", PORT_REWRITE, 20))
    counts = assign_stories(con, embed=embed, embed_model="bow-32", threshold=0.3)
    assert len(embedded) == 3  # only the new article was embedded; p1 and c1 came from story_vectors
    assert counts == {"first": 0, "exact": 0, "similar": 1}
    assert con.execute("select story_id from article_stories where article_id = 'p2'").fetchone() == ("p1",)
