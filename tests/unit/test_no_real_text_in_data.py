"""No record of the repository's written data (training examples and candidates) repeats a real
article's text: the real corpus's sentences are other people's and must never be copied into the
repository."""

import re
from pathlib import Path

import pytest

from models import realnews
from models.dataset import load_examples

CORPUS = realnews.default_corpus_dir()
# written examples measured but not (yet) trained on (models/data/README.md, "Candidates")
CANDIDATES = Path(__file__).resolve().parents[2] / "models" / "data" / "candidates"
SHINGLE = 12  # words


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _shingles(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def copied(written: list[tuple[str, str]], real: list[tuple[str, str]]) -> list[str]:
    """Ids of written (id, text) records that equal a real text (normalized) or share a 12-word run."""
    real_texts = {" ".join(_words(text)) for _, text in real}
    real_shingles: set[tuple[str, ...]] = set()
    for _, text in real:
        real_shingles |= _shingles(_words(text))
    return [id_ for id_, text in written
            if " ".join(_words(text)) in real_texts or not _shingles(_words(text)).isdisjoint(real_shingles)]


def test_the_check_catches_a_copy_and_a_copied_passage():
    real = [("r1", "The port authority said on Monday that its new cranes, scheduled by a model trained on "
                   "five years of berth data, cut waiting times by a fifth.")]
    assert copied([("w1", "THE PORT AUTHORITY said on Monday that its new cranes, scheduled by a model trained on "
                          "five years of berth data, cut waiting times by a fifth!")], real) == ["w1"]
    assert copied([("w2", "Officials spoke. Its new cranes, scheduled by a model trained on five years of berth "
                          "data, were praised.")], real) == ["w2"]
    assert copied([("w3", "A port's new cranes are scheduled by a model; waits fell by a fifth.")], real) == []


@pytest.mark.skipif(CORPUS is None, reason="no real-news corpus at ../shared/realnews (beside the clone)")
def test_no_written_record_repeats_a_real_article():
    real = [(r.id, f"{r.title}\n{r.text}") for r in realnews.read_corpus(CORPUS)]
    written = [(e.id, f"{e.title}\n{e.text}") for e in load_examples()]
    if any(CANDIDATES.glob("*.jsonl")):
        written += [(e.id, f"{e.title}\n{e.text}") for e in load_examples(CANDIDATES)]
    assert copied(written, real) == []
