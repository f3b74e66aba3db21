"""The labeled examples under models/data/ and their fixed train/test split."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from newsmon.domain import LABELS, SECTORS, NewsmonError

TEST_BUCKET = 0  # sha256(id) % 5 == 0: a fifth of the set, stable as the set grows
_BUCKETS = 5


class DatasetError(NewsmonError):
    """A training file has a bad line."""


@dataclass(frozen=True)
class Example:
    id: str
    title: str
    text: str
    labels: dict[str, int]
    sectors: tuple[str, ...] = ()
    voice: str | None = None

    @property
    def split(self) -> str:
        bucket = int(hashlib.sha256(self.id.encode()).hexdigest(), 16) % _BUCKETS
        return "test" if bucket == TEST_BUCKET else "train"


def default_data_dir() -> Path:
    return Path(str(resources.files("models").joinpath("data")))


def _parse(line: str, where: str) -> Example:
    try:
        row = json.loads(line)
        labels = {label: int(row[label]) for label in LABELS}
        if any(v not in (0, 1) for v in labels.values()):
            raise ValueError("labels must be 0 or 1")
        sectors = tuple(row.get("sectors") or ())
        unknown = set(sectors) - set(SECTORS)
        if unknown:
            raise ValueError(f"unknown sectors {sorted(unknown)}")
        return Example(id=str(row["id"]), title=str(row["title"]), text=str(row["text"]),
                       labels=labels, sectors=sectors, voice=row.get("voice"))
    except (ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{where}: {exc}") from None


def load_examples(data_dir: Path | None = None, extra: list[Path] | None = None) -> list[Example]:
    """Every example in data_dir/*.jsonl (plus extra files), sorted by id; ids must be unique."""
    directory = data_dir or default_data_dir()
    files = sorted(directory.glob("*.jsonl")) + list(extra or [])
    examples: dict[str, Example] = {}
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            example = _parse(line, f"{path.name}:{number}")
            if example.id in examples:
                raise DatasetError(f"{path.name}:{number}: duplicate id {example.id}")
            examples[example.id] = example
    if not examples:
        raise DatasetError(f"no examples in {directory}")
    return [examples[key] for key in sorted(examples)]


def snapshot_hash(examples: list[Example]) -> str:
    """Hash of the examples' content, recorded in the model card and the model version."""
    digest = hashlib.sha256()
    for ex in examples:
        digest.update(json.dumps([ex.id, ex.title, ex.text, ex.labels, ex.sectors],
                                 sort_keys=True).encode())
    return digest.hexdigest()[:12]


def label_counts(examples: list[Example]) -> dict[str, int]:
    counts = {label: sum(ex.labels[label] for ex in examples) for label in LABELS}
    counts["both"] = sum(all(ex.labels.values()) for ex in examples)
    counts["neither"] = sum(not any(ex.labels.values()) for ex in examples)
    counts["total"] = len(examples)
    return counts
