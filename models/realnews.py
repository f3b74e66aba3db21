"""The real-news corpus beside the repository (../shared/realnews): reading it, grouping its reports
of one story, and its fixed test split.

Usage: python -m models.realnews [CORPUS_DIR]   (rewrites models/data/real_test_split.txt, prints counts)

The corpus's sentences are other people's: they are read at train and evaluation time only; the
repository keeps ids, labels and splits, never text.

Stories: two records are one story when they came from the same search (`query`) or their titles
are near duplicates (Jaccard similarity of their normalized word sets >= 0.6); stories are the
connected components (union-find). The test split takes whole stories only, about a quarter of
every label combination (integration only / decentralization only / both / neither), in an order
fixed by a hash of each story's first id: the same corpus always gives the same split.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from newsmon.domain import LABELS, SECTORS, NewsmonError

CORPUS_FILE = "realnews.jsonl"
SOURCE = "realnews"  # the examples' source name in training data and model cards
REAL_TEST_SPLIT_FILE = "real_test_split.txt"  # in models/data: ids of the real test split
TEST_FRACTION = 0.25
TITLE_JACCARD = 0.6
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("a an and are as at be by for from has have in into is it its of on or that the to was "
                  "were will with".split())


class RealNewsError(NewsmonError):
    """The real-news corpus is missing or has a bad line."""


@dataclass(frozen=True)
class RealRecord:
    id: str
    title: str
    text: str
    labels: dict[str, int]
    sectors: tuple[str, ...]
    query: str


def default_corpus_dir() -> Path | None:
    """../shared/realnews beside the repository root, when it exists."""
    path = Path(__file__).resolve().parents[1].parent / "shared" / "realnews"
    return path if (path / CORPUS_FILE).exists() else None


def read_corpus(directory: Path) -> list[RealRecord]:
    """Every record of directory/realnews.jsonl, sorted by id; ids must be unique."""
    path = Path(directory) / CORPUS_FILE
    if not path.exists():
        raise RealNewsError(f"no {CORPUS_FILE} in {directory}")
    records: dict[str, RealRecord] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            labels = {label: int(row[label]) for label in LABELS}
            if any(v not in (0, 1) for v in labels.values()):
                raise ValueError("labels must be 0 or 1")
            sectors = tuple(s for s in row.get("sectors") or () if s in SECTORS)
            record = RealRecord(id=str(row["id"]), title=str(row.get("title") or ""), text=str(row["text"]),
                                labels=labels, sectors=sectors, query=str(row.get("query") or ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise RealNewsError(f"{path.name}:{number}: {exc}") from None
        if record.id in records:
            raise RealNewsError(f"{path.name}:{number}: duplicate id {record.id}")
        records[record.id] = record
    if not records:
        raise RealNewsError(f"no records in {path}")
    return [records[key] for key in sorted(records)]


def title_words(title: str) -> frozenset[str]:
    """A title's words, lower-cased, without stop words."""
    return frozenset(w for w in _WORD.findall(title.lower()) if w not in _STOP)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def story_groups(records: list[RealRecord]) -> dict[str, str]:
    """Each record's story: the smallest id of its connected component under "same query" or
    "near-duplicate title"."""
    parent = {r.id: r.id for r in records}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    by_query: dict[str, str] = {}
    for r in records:
        if r.query:
            union(by_query.setdefault(r.query, r.id), r.id)
    words = [(r.id, title_words(r.title)) for r in records]
    for i, (a, wa) in enumerate(words):
        for b, wb in words[i + 1:]:
            if jaccard(wa, wb) >= TITLE_JACCARD:
                union(a, b)
    return {r.id: find(r.id) for r in records}


def stratum(labels: dict[str, int]) -> tuple[int, ...]:
    return tuple(labels[label] for label in LABELS)


def _order(group: str) -> str:
    return hashlib.sha256(group.encode()).hexdigest()


def test_split(records: list[RealRecord], fraction: float = TEST_FRACTION) -> set[str]:
    """Whole stories, about `fraction` of every label combination: stories in hash order join the
    test split while none of their label combinations would pass its target (a second pass allows
    one article over, so big stories still find a side)."""
    groups = story_groups(records)
    members: dict[str, list[RealRecord]] = {}
    for r in records:
        members.setdefault(groups[r.id], []).append(r)
    totals: dict[tuple[int, ...], int] = {}
    for r in records:
        totals[stratum(r.labels)] = totals.get(stratum(r.labels), 0) + 1
    want = {s: round(n * fraction) for s, n in totals.items()}
    have = dict.fromkeys(totals, 0)
    chosen: set[str] = set()
    for slack in (0, 1):
        for group in sorted(members, key=_order):
            if group in chosen:
                continue
            counts: dict[tuple[int, ...], int] = {}
            for r in members[group]:
                counts[stratum(r.labels)] = counts.get(stratum(r.labels), 0) + 1
            if all(have[s] + n <= want[s] + slack for s, n in counts.items()):
                chosen.add(group)
                for s, n in counts.items():
                    have[s] += n
    return {r.id for r in records if groups[r.id] in chosen}


def read_test_ids(path: Path) -> set[str]:
    if not path.exists():
        raise RealNewsError(f"no real test split at {path}: run `python -m models.realnews`")
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def split_file() -> Path:
    return Path(__file__).parent / "data" / REAL_TEST_SPLIT_FILE


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0]) if args else default_corpus_dir()
    if directory is None:
        print("error: no real-news corpus at ../shared/realnews: pass its directory", file=sys.stderr)
        return 2
    try:
        records = read_corpus(directory)
    except RealNewsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ids = test_split(records)
    split_file().write_text("".join(f"{i}\n" for i in sorted(ids)), encoding="utf-8")
    groups = story_groups(records)
    print(f"{len(records)} records in {len(set(groups.values()))} stories; test split {len(ids)} "
          f"in {len({groups[i] for i in ids})} stories, written to {split_file()}")
    for name, rows in (("train", [r for r in records if r.id not in ids]),
                       ("test", [r for r in records if r.id in ids])):
        counts = {s: sum(stratum(r.labels) == s for r in rows) for s in sorted({stratum(r.labels) for r in records})}
        print(name, len(rows), {"".join(map(str, s)): n for s, n in counts.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
