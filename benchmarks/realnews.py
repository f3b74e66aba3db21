"""The classifier on real published pages: what it flags on general web news it was never trained on.

Usage: python -m benchmarks.realnews [MODEL_DIR] [BENCH_DIR]   (default ../shared/extraction-bench)

The pages are the extraction benchmark's 61 dev pages (news and blog articles fetched in 2019:
sport, politics, science, recipes, gadgets, markets; English and six other languages). Each goes
through newsmon's own path, `extract_article` on the HTML, then the classifier at its production
precision. Our labels (`benchmarks/data/realnews_labels.json`, by LABELING.md after reading every
page) put all 61 in neither class, so this measures one thing only: false flags on real news
outside the tech press, per label, with the pages flagged and the quoted evidence.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.extraction import DEFAULT_BENCH
from crawlers.extract import extract_article
from models.analysis.results import REALNEWS, write_result
from models.artifact import model_dir_or_exit
from models.classifier import Classifier

LABELS_FILE = Path(__file__).parent / "data" / "realnews_labels.json"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    model = model_dir_or_exit(args[:1])
    bench = Path(args[1]) if len(args) > 1 else DEFAULT_BENCH
    truth_file = bench / "ground-truth.json"
    if not truth_file.exists():
        print(f"real-news check skipped: no {truth_file}")
        return 0
    pages = json.loads(truth_file.read_text(encoding="utf-8"))
    labels = json.loads(LABELS_FILE.read_text(encoding="utf-8"))["pages"]
    ids, titles, texts = [], [], []
    for page_id, page in sorted(pages.items()):
        html = (bench / "html" / f"{page_id}.html").read_text(encoding="utf-8", errors="replace")
        draft = extract_article(html, page["url"])
        ids.append(page_id)
        titles.append((draft.title if draft else "") or "")
        texts.append(draft.text if draft else page["articleBody"])
    classifier = Classifier.load(model, precision="auto")
    predictions = classifier.predict(titles, texts)
    console = Console(width=160)
    table = Table("label", "pages", "labelled positive", "flagged", "false flags", "false-flag rate",
                  title=f"Real pages (extraction benchmark dev split), model {classifier.version}, "
                        f"{classifier.encoder.precision}")
    result = {"model_version": classifier.version, "precision": classifier.encoder.precision,
              "pages": len(ids), "labels": {}}
    for label in classifier.labels:
        truth = [labels[i][label] for i in ids]
        flagged = [label in p.labels for p in predictions]
        false = sum(f and not t for f, t in zip(flagged, truth, strict=True))
        negatives = len(truth) - sum(truth)
        table.add_row(label, str(len(ids)), str(sum(truth)), str(sum(flagged)), str(false),
                      f"{false / max(negatives, 1):.1%}")
        result["labels"][label] = {"positive": sum(truth), "flagged": sum(flagged), "false_flags": false}
    console.print(table)
    write_result(REALNEWS, result)
    flags = Table("site", "headline", "labels", "scores", "evidence", title="Pages flagged")
    for page_id, title, prediction in zip(ids, titles, predictions, strict=True):
        if prediction.labels:
            flags.add_row(labels[page_id]["site"], title[:40], ", ".join(prediction.labels),
                          " ".join(f"{k[:5]} {v:.2f}" for k, v in prediction.scores.items()),
                          "; ".join(prediction.evidence.values())[:90])
    console.print(flags)
    return 0


if __name__ == "__main__":
    sys.exit(main())
