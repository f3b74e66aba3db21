"""The real-news corpus's fixed test split: whole stories, about a quarter of every label
combination, exactly what models.realnews makes; and its story grouping."""

import pytest

from models import realnews
from models.dataset import load_examples
from models.train import story_folds

CORPUS = realnews.default_corpus_dir()
needs_corpus = pytest.mark.skipif(CORPUS is None, reason="no real-news corpus at ../shared/realnews (beside the clone)")


def _record(id_, title, query, integration=0, decentralization=0):
    return realnews.RealRecord(id=id_, title=title, text="x", labels={"integration": integration,
                               "decentralization": decentralization}, sectors=(), query=query)


def test_stories_join_by_query_and_by_near_duplicate_title():
    records = [
        _record("r-1", "Port of Rotterdam puts AI cranes to work", "q1"),
        _record("r-2", "Something else entirely", "q1"),  # same search
        _record("r-3", "Port of Rotterdam puts AI cranes to work, report says", "q2"),  # near-duplicate title
        _record("r-4", "Port of Hamburg opens a new terminal", "q3"),  # shares words, not enough
        _record("r-5", "Court orders app store opened", "q4"),
    ]
    groups = realnews.story_groups(records)
    assert groups["r-1"] == groups["r-2"] == groups["r-3"] == "r-1"
    assert groups["r-4"] == "r-4" and groups["r-5"] == "r-5"


def test_split_takes_whole_stories_in_a_fixed_order():
    records = [_record(f"r-{i:03d}", f"title number {i} words {i * 7}", f"q{i // 3}", i % 2, (i // 2) % 2)
               for i in range(120)]
    test = realnews.test_split(records)
    assert test == realnews.test_split(list(reversed(records)))  # order of the file does not matter
    groups = realnews.story_groups(records)
    for group in set(groups.values()):
        sides = {r.id in test for r in records if groups[r.id] == group}
        assert len(sides) == 1, group
    assert 24 <= len(test) <= 36


@needs_corpus
def test_committed_split_is_what_the_module_makes_and_no_story_straddles():
    records = realnews.read_corpus(CORPUS)
    committed = realnews.read_test_ids(realnews.split_file())
    assert committed == realnews.test_split(records)
    groups = realnews.story_groups(records)
    test_stories = {groups[i] for i in committed}
    assert not any(groups[r.id] in test_stories for r in records if r.id not in committed)
    for stratum in {realnews.stratum(r.labels) for r in records}:
        members = [r for r in records if realnews.stratum(r.labels) == stratum]
        share = sum(r.id in committed for r in members) / len(members)
        assert 0.2 <= share <= 0.3, (stratum, share)


@needs_corpus
def test_real_examples_carry_their_split_and_story_and_cv_folds_keep_stories_whole():
    examples = load_examples(extra_data=CORPUS)
    real = [e for e in examples if e.source == "realnews"]
    assert {e.id for e in real if e.split == "test"} == realnews.read_test_ids(realnews.split_file())
    assert all(e.group for e in real)
    train = [e for e in examples if e.split == "train"]
    folds = story_folds(train, 5, 13)
    seen: dict[str, int] = {}
    for example, fold in zip(train, folds, strict=True):
        assert seen.setdefault(example.story, fold) == fold, example.story
    written = load_examples()
    assert [e for e in examples if e.source == "written"] == written  # the written data is unchanged by it
