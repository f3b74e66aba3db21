"""What the classifier keys on: its test-split F1 when parts of each article are taken away.

Usage: python -m models.keys [MODEL_DIR]   (writes models/keys.json; the model card shows it)

A model that learned the labels' meaning keeps its F1 when the writers' habits are removed
(datelines, quotes, sentence order) and loses it when the content is (only the headline, only the
first sentence). A model that learned the writers' style does the opposite.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable

from models.analysis.results import KEYS, write_result
from models.artifact import model_dir_or_exit
from models.base import ModelError
from models.classifier import Classifier, split_sentences
from models.dataset import Example, load_examples
from models.metrics import prediction_f1

_DATELINE = re.compile(r"^[A-Z][A-Za-z .'-]{1,40}(,\s*[A-Z][a-z]+\.? \d{1,2})?\s*[—–-]{1,2}\s*")
_QUOTE = re.compile(r"[\"“”]")


def _no_dateline(ex: Example) -> tuple[str, str]:
    return ex.title, _DATELINE.sub("", ex.text.lstrip())


def _no_quotes(ex: Example) -> tuple[str, str]:
    return ex.title, " ".join(s for s in split_sentences(ex.text) if not _QUOTE.search(s))


def _shuffled(ex: Example) -> tuple[str, str]:
    sentences = split_sentences(ex.text)
    random.Random(ex.id).shuffle(sentences)
    return ex.title, " ".join(sentences)


def _lowercase(ex: Example) -> tuple[str, str]:
    return ex.title.lower(), ex.text.lower()


VARIANTS: dict[str, tuple[str, Callable[[Example], tuple[str, str]]]] = {
    "as written": ("style and content", lambda ex: (ex.title, ex.text)),
    "dateline removed": ("style removed", _no_dateline),
    "quoted sentences removed": ("style removed", _no_quotes),
    "sentences shuffled": ("style removed", _shuffled),
    "lower-cased": ("style removed", _lowercase),
    "headline only": ("content removed", lambda ex: (ex.title, "")),
    "body without headline": ("content removed", lambda ex: ("", ex.text)),
    "first sentence only": ("content removed", lambda ex: ("", (split_sentences(ex.text) or [ex.text])[0])),
}


def measure(classifier: Classifier) -> dict:
    test = [ex for ex in load_examples() if ex.split == "test"]
    rows = []
    for name, (kind, change) in VARIANTS.items():
        pairs = [change(ex) for ex in test]
        predictions = classifier.predict([t for t, _ in pairs], [x for _, x in pairs], evidence=False)
        scores = prediction_f1([ex.labels for ex in test], [p.labels for p in predictions], classifier.labels)
        rows.append({"variant": name, "kind": kind, "f1": scores})
    return {"model_version": classifier.version, "test_examples": len(test), "rows": rows}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        classifier = Classifier.load(model_dir_or_exit(args))
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = measure(classifier)
    written = write_result(KEYS, result)
    for row in result["rows"]:
        print(f"{row['variant']:28s} {row['kind']:18s} " + "  ".join(f"{k} {v:.3f}" for k, v in row["f1"].items()))
    print(f"written {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
