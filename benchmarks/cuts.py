"""F1 at every cut: is it the cut or the ranking that holds a model back on real news?

Usage: python -m benchmarks.cuts MODEL_DIR [MODEL_DIR ...] [--chart docs/f1-by-cut.png]

Each model scores, as it does in production (its own reading budget, float32), the real articles
its teacher's cuts come from (the held-out fold: the first story fold of the real training
articles) and the real test split. For each label it prints the F1 at the model's own cut and the
best F1 any cut on the 0.01 grid would give, and draws F1 against the cut, one panel per label and
split, with each model's cut marked. The test split is reported here, never used to choose.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from models.classifier import Classifier
from models.dataset import Example, load_examples
from models.metrics import CUT_GRID, f1_by_cut
from models.progress import Steps
from models.realnews import default_corpus_dir
from models.train import TrainConfig, held_out_config, held_out_of_tuning

CHART = Path(__file__).resolve().parent.parent / "docs" / "f1-by-cut.png"


def splits(examples: list[Example], config: TrainConfig) -> dict[str, list[Example]]:
    """The held-out fold (the real articles fine-tuning keeps out, which cuts come from: config's
    fold) and the real test split."""
    _, held = held_out_of_tuning([e for e in examples if e.split == "train"], config)
    return {"held-out fold": held, "real test split": [e for e in examples if e.split == "test" and
                                                       e.source != "written"]}


def measure(models: list[Path], examples: list[Example], steps: Steps) -> list[dict]:
    """Per model: name, cuts and, per split and label, the F1 curve over CUT_GRID."""
    out = []
    for k, path in enumerate(models):
        model = Classifier.load(path, precision="float32")
        parts = splits(examples, held_out_config(model.config))  # the fold this model took its cuts from
        curves = {}
        for name, rows in parts.items():
            vectors = model.encoder.encode_documents([r.title for r in rows], [r.text for r in rows],
                                                     model.max_chunks)
            scores = model.score_vectors(vectors)
            curves[name] = {label: f1_by_cut(np.asarray([r.labels[label] for r in rows]), scores[:, j])
                            for j, label in enumerate(model.labels)}
        out.append({"name": model.version, "cuts": model.config["thresholds"], "curves": curves,
                    "sizes": {name: len(rows) for name, rows in parts.items()}})
        steps("scoring the held-out fold and the real test split", k + 1, len(models))
    return out


def at(curve: np.ndarray, cut: float) -> float:
    return float(curve[int(np.argmin(np.abs(CUT_GRID - cut)))])


def draw(results: list[dict], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    labels = list(results[0]["cuts"])
    names = list(results[0]["curves"])
    fig, axes = plt.subplots(len(labels), len(names), figsize=(11, 7), sharex=True, sharey=True)
    for row, label in enumerate(labels):
        for col, split in enumerate(names):
            ax = axes[row][col]
            for k, result in enumerate(results):
                curve, cut = result["curves"][split][label], result["cuts"][label]
                line, = ax.plot(CUT_GRID, curve, label=result["name"], color=f"C{k}")
                ax.plot([cut], [at(curve, cut)], "o", color=line.get_color())
            ax.set_title(f"{label}, {split} ({results[0]['sizes'][split]} articles)", fontsize=10)
            ax.set_ylim(0.5, 1.0)
            ax.grid(alpha=0.3)
            if row == len(labels) - 1:
                ax.set_xlabel("cut (flag when the score is at least this)")
            if col == 0:
                ax.set_ylabel("F1")
    axes[0][0].legend(fontsize=8, loc="lower center")
    fig.suptitle("F1 at every cut; a dot marks each model's own cut", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cuts")
    parser.add_argument("models", type=Path, nargs="+", help="model directories newsmon train or distill wrote")
    parser.add_argument("--chart", type=Path, default=CHART, help="where the chart goes")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    for path in args.models:
        if not (path / "config.json").is_file():
            print(f"error: {path} is not a model directory (no config.json)", file=sys.stderr)
            return 2
    corpus = default_corpus_dir()
    if corpus is None:
        print("error: no real-news corpus at ../shared/realnews: the held-out fold and the real test split "
              "are in it", file=sys.stderr)
        return 2
    from newsmon.cli import _stage_bars

    with _stage_bars() as report:
        results = measure(args.models, load_examples(extra_data=corpus), report["steps"])
    table = Table("model", "label", *(f"{split}: F1 at its cut / best F1 (cut)" for split in results[0]["curves"]),
                  title="F1 at each model's own cut against the best any cut gives")
    for result in results:
        for label, cut in result["cuts"].items():
            cells = []
            for curves in result["curves"].values():
                curve = curves[label]
                cells.append(f"{at(curve, cut):.3f} / {curve.max():.3f} ({CUT_GRID[int(curve.argmax())]:.2f})")
            table.add_row(result["name"], f"{label} (cut {cut:.2f})", *cells)
    Console(width=160).print(table)
    print(f"chart written to {draw(results, args.chart)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
