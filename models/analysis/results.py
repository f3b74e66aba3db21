"""Where the analyses keep their results: JSON files inside the models package (package data, so an
installed newsmon's model cards quote them too), and reading them for the card."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from models.card import Evidence
from newsmon.files import write_atomically

COMPARISON = "comparison.json"  # written by `python -m models.compare`
KEYS = "keys.json"  # written by `python -m models.keys`
REALNEWS = "realnews.json"  # written by `python -m benchmarks.realnews`
FILES = (COMPARISON, KEYS, REALNEWS)


def result_path(name: str) -> Path:
    """Where an analysis writes its result: beside the models package's modules (in a checkout,
    the repository's models/ directory)."""
    return Path(__file__).resolve().parents[1] / name


def write_result(name: str, result: dict) -> Path:
    return write_atomically(result_path(name), json.dumps(result, indent=2) + "\n")


def read_result(name: str) -> dict | None:
    """A result as installed with the models package, or None when it was never written."""
    resource = resources.files("models").joinpath(name)
    if not resource.is_file():
        return None
    return json.loads(resource.read_text(encoding="utf-8"))


def card_evidence() -> Evidence:
    """Everything the model card quotes from the analyses."""
    return Evidence(comparison=read_result(COMPARISON), keys=read_result(KEYS), realnews=read_result(REALNEWS))
