"""The labeled examples under models/data/ and their fixed train/test split."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from newsmon.domain import LABELS, SECTORS, NewsmonError

TEST_SPLIT_FILE = "test_split.txt"  # ids of the fixed test split, one per line
TEST_FRACTION = 0.2


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
    split: str = "train"
    # where it came from: "written" (models/data) or "realnews" (the real corpus, --extra data)
    source: str = "written"
    # the story it reports (real news: one per query / near-duplicate titles); None: its own
    group: str | None = None

    @property
    def story(self) -> str:
        return self.group or self.id

    @property
    def stratum(self) -> tuple[int, ...]:
        return tuple(self.labels[label] for label in LABELS)


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


def _hash(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16)


def read_test_ids(directory: Path) -> set[str]:
    path = directory / TEST_SPLIT_FILE
    if not path.exists():
        return set()
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def top_up_test_split(examples: list[Example], test_ids: set[str], fraction: float = TEST_FRACTION) -> set[str]:
    """Keep every id already in the test split; for each label combination, add the examples with
    the lowest id hash until the stratum is `fraction` test. Deterministic, never moves an example
    from test to train."""
    chosen = set(test_ids)
    strata: dict[tuple[int, ...], list[Example]] = {}
    for ex in examples:
        strata.setdefault(ex.stratum, []).append(ex)
    for members in strata.values():
        want = round(len(members) * fraction)
        have = sum(ex.id in chosen for ex in members)
        for ex in sorted((m for m in members if m.id not in chosen), key=lambda m: _hash(m.id)):
            if have >= want:
                break
            chosen.add(ex.id)
            have += 1
    return chosen & {ex.id for ex in examples}


def write_test_ids(directory: Path, ids: set[str]) -> Path:
    path = directory / TEST_SPLIT_FILE
    path.write_text("".join(f"{i}\n" for i in sorted(ids)), encoding="utf-8")
    return path


def real_examples(corpus_dir: Path, split_file: Path | None = None) -> list[Example]:
    """The real-news corpus as examples (source "realnews"), each with its story group and its
    split from the committed real test split (models/data/real_test_split.txt)."""
    from models import realnews

    records = realnews.read_corpus(corpus_dir)
    groups = realnews.story_groups(records)
    test_ids = realnews.read_test_ids(split_file or realnews.split_file())
    return [Example(id=r.id, title=r.title, text=r.text, labels=r.labels, sectors=r.sectors,
                    split="test" if r.id in test_ids else "train", source=realnews.SOURCE, group=groups[r.id])
            for r in records]


def load_examples(data_dir: Path | None = None, extra: list[Path] | None = None,
                  extra_data: Path | None = None) -> list[Example]:
    """Every example in data_dir/*.jsonl (plus extra files), sorted by id, with its split set from
    test_split.txt; ids must be unique. With extra_data (a real-news corpus directory), its
    records join too, split by the committed real test split."""
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
    test_ids = read_test_ids(directory) or top_up_test_split(list(examples.values()), set())
    written = [replace(examples[key], split="test" if key in test_ids else "train") for key in sorted(examples)]
    if extra_data is None:
        return written
    real = real_examples(Path(extra_data))
    clash = sorted({ex.id for ex in real} & set(examples))
    if clash:
        raise DatasetError(f"{extra_data}: ids also in the written data: {', '.join(clash[:3])}")
    return sorted(written + real, key=lambda ex: ex.id)


def snapshot_hash(examples: list[Example]) -> str:
    """Hash of the examples' content, recorded in the model card and the model version."""
    digest = hashlib.sha256()
    for ex in examples:
        row = [ex.id, ex.title, ex.text, ex.labels, ex.sectors]
        if ex.source != "written":  # the written split is fixed by its file; a real one is part of the data
            row += [ex.source, ex.split]
        digest.update(json.dumps(row, sort_keys=True).encode())
    return digest.hexdigest()[:12]


def data_sources(examples: list[Example]) -> list[dict]:
    """Per source: its examples in each split and a hash of its content (snapshot_hash)."""
    out = []
    for source in sorted({ex.source for ex in examples}, key=lambda s: (s != "written", s)):
        rows = [ex for ex in examples if ex.source == source]
        out.append({"source": source, "examples": len(rows), "train": sum(ex.split == "train" for ex in rows),
                    "test": sum(ex.split == "test" for ex in rows), "hash": snapshot_hash(rows)})
    return out


def label_counts(examples: list[Example]) -> dict[str, int]:
    counts = {label: sum(ex.labels[label] for ex in examples) for label in LABELS}
    counts["both"] = sum(all(ex.labels.values()) for ex in examples)
    counts["neither"] = sum(not any(ex.labels.values()) for ex in examples)
    counts["total"] = len(examples)
    return counts


def main() -> None:
    """`python -m models.dataset`: top up the fixed test split after examples were added; print counts."""
    directory = default_data_dir()
    examples = load_examples(directory)
    ids = top_up_test_split(examples, read_test_ids(directory))
    write_test_ids(directory, ids)
    examples = load_examples(directory)
    for split in ("train", "test"):
        print(split, label_counts([ex for ex in examples if ex.split == split]))


if __name__ == "__main__":
    main()
