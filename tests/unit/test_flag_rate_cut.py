"""The student's cuts by the flag-rate rule: where its scores flag as many texts as its teacher's."""

import random

import numpy as np

from models.dataset import Example
from models.distill import blended_texts, flag_rate_cut


def test_a_student_scoring_lower_gets_a_lower_cut_that_flags_as_many():
    rng = np.random.default_rng(3)
    teacher = rng.uniform(0, 1, 5000)
    student = np.clip(teacher - 0.12, 0, 1)  # the same order, every score 0.12 lower
    cut = flag_rate_cut(teacher, 0.64, student)
    assert abs(cut - 0.52) < 0.011
    assert abs(int((student >= cut).sum()) - int((teacher >= 0.64).sum())) <= 60  # one grid step of 5,000


def test_a_student_in_the_teachers_order_flags_the_same_texts():
    teacher = np.linspace(0.0, 0.99, 100)
    student = teacher ** 2  # squeezed, same order
    cut = flag_rate_cut(teacher, 0.5, student)
    assert ((student >= cut) == (teacher >= 0.5)).all()


def test_blends_are_halves_of_two_training_articles():
    rows = [Example(id=str(k), title=f"Title {k}", text=" ".join(f"Sentence {k}-{j} of the depot's weekly report." for j in range(6)),
                    labels={"integration": 0, "decentralization": 0}) for k in range(5)]
    titles, texts = blended_texts(rows, 40, random.Random(1))
    assert len(titles) == len(texts) == 40
    for title, text in zip(titles, texts, strict=True):
        parts = [part.split()[0].split("-") for part in text.split("Sentence ")[1:]]
        sources = {k for k, _ in parts}
        assert 1 <= len(sources) <= 2 and title.split()[1] in sources
        assert parts[0][1] == "0" and parts[-1][1] == "5"  # one's opening, the other's ending
    # reproducible from the seed: a student's cuts can be checked again
    assert blended_texts(rows, 40, random.Random(1)) == (titles, texts)
