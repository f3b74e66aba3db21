"""The model card is text from what it is given: the analyses' results are passed in
(models.analysis.results reads them, as package data), never read by the card itself."""

import fnmatch
import json
import tomllib
from pathlib import Path

import models
from models.analysis import results
from models.card import Evidence, render_card

ROOT = Path(__file__).parents[2]
SHIPPED = Path(models.__file__).parent / "shipped"
SECTIONS = {"comparison": "## What helps on real news", "keys": "## What the model keys on",
            "realnews": "## Real pages"}


def _shipped() -> tuple[dict, dict]:
    folder = SHIPPED / (SHIPPED / "LATEST").read_text(encoding="utf-8").strip()
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    return config, json.loads((folder / "metrics.json").read_text(encoding="utf-8"))


def _evidence(config: dict, version: str) -> Evidence:
    labels = config["labels"]
    block = {label: {"precision": 0.5, "recall": 0.5, "f1": 0.5} for label in labels}
    comparison = {"winner": "one", "data_snapshot": config["data_snapshot"], "real_train_examples": 7,
                  "chosen_by": "mean cross-validated F1",
                  "rows": [{"name": "one", "cv_real_train": block, "real_test": block, "written_test": block}]}
    keys = {"model_version": version, "rows": [{"variant": "as written", "kind": "style and content",
                                                "f1": dict.fromkeys(labels, 0.5)}]}
    realnews = {"model_version": version, "precision": "float32", "pages": 3,
                "labels": {label: {"positive": 0, "flagged": 1, "false_flags": 1} for label in labels}}
    return Evidence(comparison=comparison, keys=keys, realnews=realnews)


def test_the_card_quotes_the_evidence_it_is_given_for_this_model():
    config, metrics = _shipped()
    card = render_card(config, metrics, evidence=_evidence(config, config["model_version"]))
    assert all(heading in card for heading in SECTIONS.values())
    assert "| **one** (chosen) | 0.500 / 0.500 |" in card
    assert "| as written | style and content | 0.500 | 0.500 |" in card


def test_results_of_another_model_and_missing_evidence_leave_their_sections_out():
    config, metrics = _shipped()
    other = render_card(config, metrics, evidence=_evidence(config, "another-version"))
    assert SECTIONS["comparison"] in other  # the comparison is about the data, not one model
    assert SECTIONS["keys"] not in other and SECTIONS["realnews"] not in other
    bare = render_card(config, metrics)
    assert not any(heading in bare for heading in SECTIONS.values())
    assert bare.startswith(f"# Model card: {config['model_version']}\n")


def test_card_evidence_reads_each_result_file_of_the_models_package():
    evidence = results.card_evidence()
    for field, name in (("comparison", results.COMPARISON), ("keys", results.KEYS), ("realnews", results.REALNEWS)):
        path = results.result_path(name)
        assert path.parent == Path(models.__file__).parent
        expected = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        assert getattr(evidence, field) == expected


def test_the_result_files_are_package_data_so_an_installed_newsmon_keeps_the_card_sections():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["models"]
    for name in results.FILES:
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), f"{name} is not models package data"
