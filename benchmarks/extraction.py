"""Article-body extraction quality on the dev split of the article-extraction benchmark.

Usage: python -m benchmarks.extraction [BENCH_DIR]   (default ../shared/extraction-bench)

The metric is the benchmark's own: `\\w+` tokens, 4-token shingles matched as multisets per page,
TP/FP/FN normalised per page to sum to 1, precision and recall averaged over pages (pages with an
empty prediction left out of precision), F1 their harmonic mean; accuracy is the share of pages
whose token sequence matches the ground truth exactly.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

DEFAULT_BENCH = Path(__file__).resolve().parents[2] / "shared" / "extraction-bench"
_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def shingles(words: list[str], n: int = 4) -> Counter:
    if len(words) < n:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))


def page_scores(truth: str, predicted: str) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) of one page."""
    true_sh, pred_sh = shingles(tokens(truth)), shingles(tokens(predicted))
    tp = sum((true_sh & pred_sh).values())
    fp = sum((pred_sh - true_sh).values())
    fn = sum((true_sh - pred_sh).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (1.0, 0.0, 0.0)


def evaluate(truth: dict[str, str], predictions: dict[str, str]) -> dict[str, float]:
    precisions, recalls, exact = [], [], 0
    for key, expected in truth.items():
        predicted = predictions.get(key) or ""
        tp, fp, fn = page_scores(expected, predicted)
        if tokens(predicted):
            precisions.append(tp / (tp + fp) if tp + fp else 0.0)
        recalls.append(tp / (tp + fn) if tp + fn else 0.0)
        exact += tokens(expected) == tokens(predicted)
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": f1, "precision": precision, "recall": recall, "accuracy": exact / len(truth)}


def _trafilatura_default(html: str, url: str) -> str:
    import trafilatura

    return trafilatura.extract(html, include_comments=False) or ""


def _newsmon(html: str, url: str) -> str:
    from crawlers.extract import extract_article

    draft = extract_article(html, url)
    return draft.text if draft else ""


EXTRACTORS: dict[str, Callable[[str, str], str]] = {
    "trafilatura (defaults)": _trafilatura_default,
    "newsmon extract_article": _newsmon,
}


def run(bench: Path) -> list[dict]:
    ground = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {key: (bench / "html" / f"{key}.html").read_text(encoding="utf-8") for key in ground}
    truth = {key: value["articleBody"] for key, value in ground.items()}
    rows = []
    for name, extractor in EXTRACTORS.items():
        started = time.perf_counter()
        predictions = {key: extractor(pages[key], ground[key].get("url") or "") for key in pages}
        seconds = time.perf_counter() - started
        rows.append({"extractor": name, **evaluate(truth, predictions),
                     "pages_per_s": len(pages) / seconds, "pages": len(pages)})
    return rows


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    bench = Path(args[0]) if args else DEFAULT_BENCH
    if not (bench / "ground-truth.json").exists():
        print(f"error: no extraction benchmark at {bench}", file=sys.stderr)
        return 1
    rows = run(bench)
    table = Table("extractor", "F1", "precision", "recall", "accuracy", "pages/s (1 core)",
                  title=f"Body extraction, {rows[0]['pages']} dev pages of the article-extraction benchmark")
    for row in rows:
        table.add_row(row["extractor"], f"{row['f1']:.3f}", f"{row['precision']:.3f}", f"{row['recall']:.3f}",
                      f"{row['accuracy']:.3f}", f"{row['pages_per_s']:.1f}")
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
