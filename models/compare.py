"""Compare training methods on the fixed test split and record the result for the model card.

Usage: python -m models.compare [--epochs 3,4]   (writes models/comparison.json)

Trains, with the repository's data and the fixed seed, the frozen-encoder method and the fine-tuned
method (for each epoch count asked), in temporary directories (an artifact of the same version
under data/models, i.e. the same config and data, is reused instead of trained again), and records per-label precision,
recall and F1 on the test split, training time and the data snapshot. The model card
(models/MODEL_CARD.md, written by `newsmon evaluate`) shows the table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from models.dataset import load_examples, snapshot_hash
from models.train import FINETUNE, FROZEN, METHODS, TrainConfig, model_version, train

COMPARISON = Path(__file__).parent / "comparison.json"


def compare(epochs: list[int], progress=print, trained_dir: Path | None = None) -> dict:
    """Train each method (or reuse an artifact of the same version from trained_dir)."""
    examples = load_examples()
    snapshot = snapshot_hash(examples)
    base = TrainConfig()
    variants = [replace(base, method=FROZEN)] + [replace(base, method=FINETUNE, epochs=e) for e in epochs]
    rows = []
    with tempfile.TemporaryDirectory(prefix="newsmon-compare-") as tmp:
        for config in variants:
            name = METHODS[config.method] + (f", {config.epochs} epochs" if config.method == FINETUNE else "")
            # an artifact of the same version (same config, same data) was trained already: reuse it
            existing = trained_dir / model_version(config, snapshot) if trained_dir else None
            if existing is not None and (existing / "metrics.json").exists():
                progress(f"reusing {existing}: {name}")
                path = existing
                seconds = json.loads((path / "config.json").read_text(encoding="utf-8"))["train_seconds"]
            else:
                progress(f"training: {name}")
                started = time.monotonic()
                path = train(examples, config, Path(tmp), progress=progress)
                seconds = time.monotonic() - started
            metrics = json.loads((path / "metrics.json").read_text(encoding="utf-8"))
            rows.append({"method": config.method, "epochs": config.epochs if config.method == FINETUNE else None,
                         "description": name, "model_version": path.name, "train_seconds": round(seconds),
                         "labels": {k: v for k, v in metrics.items() if k != "sectors"},
                         "sectors_micro_f1": metrics.get("sectors", {}).get("micro", {}).get("f1")})
    return {"data_snapshot": snapshot, "test_examples": sum(e.split == "test" for e in examples),
            "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.compare")
    parser.add_argument("--epochs", default="3", help="fine-tuning epoch counts to try, comma-separated")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    result = compare([int(e) for e in args.epochs.split(",")], trained_dir=Path("data") / "models")
    COMPARISON.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written {COMPARISON}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
