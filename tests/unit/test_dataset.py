import json

import pytest

from models.dataset import DatasetError, Example, label_counts, load_examples, read_test_ids, top_up_test_split


def _ex(i: int, integration: int, decentralization: int) -> Example:
    return Example(id=f"x-{i:04d}", title="t", text="x",
                   labels={"integration": integration, "decentralization": decentralization})


def test_top_up_is_stratified_deterministic_and_keeps_existing_test_ids():
    examples = [_ex(i, i % 2, int(i % 3 == 0)) for i in range(300)]
    first = top_up_test_split(examples, set())
    assert first == top_up_test_split(examples, set())
    for stratum in {(e.labels["integration"], e.labels["decentralization"]) for e in examples}:
        members = [e for e in examples if (e.labels["integration"], e.labels["decentralization"]) == stratum]
        assert sum(e.id in first for e in members) == round(len(members) * 0.2)
    grown = examples + [_ex(i, 1, 1) for i in range(300, 400)]
    second = top_up_test_split(grown, first)
    assert first <= second
    assert len(second - first) == 20


def test_repository_split_is_fixed_and_stratified():
    examples = load_examples()
    test = [e for e in examples if e.split == "test"]
    assert {e.id for e in test} == read_test_ids(__import__("models.dataset", fromlist=["x"]).default_data_dir())
    overall, held = label_counts(examples), label_counts(test)
    for key in ("integration", "decentralization", "both", "neither"):
        assert abs(held[key] / held["total"] - overall[key] / overall["total"]) < 0.03


def test_bad_line_names_file_and_line(tmp_path):
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "1", "title": "t", "text": "x", "integration": 2,
                                                  "decentralization": 0}) + "\n")
    with pytest.raises(DatasetError, match="a.jsonl:1: labels must be 0 or 1"):
        load_examples(tmp_path)


def test_evidence_sentences_skip_bullets_fragments_and_the_title():
    from models.classifier import split_sentences

    text = ("Port adopts crane scheduler\n- The cranes now follow a plan the system updates hourly.\n"
            "Short bit. The operator says waiting times fell by a fifth since March.")
    assert split_sentences(text, exclude="Port adopts crane scheduler") == [
        "The cranes now follow a plan the system updates hourly.",
        "The operator says waiting times fell by a fifth since March.",
    ]
