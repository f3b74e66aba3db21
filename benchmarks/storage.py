"""What a model version costs the repository, and whether storing its weights in half precision
changes test F1 (`python -m benchmarks.storage [model dir]`).

Sizes: each file of the artifact, its total, and its zlib-compressed total (what git stores for a new
blob), against what the same model would cost with every tensor copied in float32. Precision: the
model is evaluated on the test splits with its own encoder weights as stored, then rounded to float16
and to bfloat16; a frozen-method model (no weights of its own) is measured on the packaged MiniLM's
layers, which are float32. Without a model directory, a frozen-method model is trained for it.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import zlib
from pathlib import Path


def sizes(model_dir: Path) -> dict:
    """Bytes per file, in total, zlib-compressed (level 6, as git), and as a full float32 copy."""
    from safetensors import safe_open

    from models import artifact

    files = {p.relative_to(model_dir).as_posix(): p.stat().st_size for p in sorted(model_dir.rglob("*")) if p.is_file()}
    compressed = sum(len(zlib.compress(p.read_bytes(), 6)) for p in model_dir.rglob("*") if p.is_file())
    full = sum(files.values())
    weights = model_dir / artifact.ENCODER / artifact.WEIGHTS
    if weights.is_file():
        reference = json.loads((model_dir / artifact.ENCODER / artifact.BASE).read_text(encoding="utf-8"))
        base = artifact._base_location(reference["base_model"])
        full -= files[f"{artifact.ENCODER}/{artifact.WEIGHTS}"]
        with safe_open(str(weights), "pt") as own:
            full += sum(_count(own.get_slice(name).get_shape()) * 4 for name in own.keys())
        with safe_open(str(base / "model.safetensors"), "pt") as theirs:
            full += sum(_count(theirs.get_slice(name).get_shape()) * 4 for name in reference["tensors"])
    return {"files": files, "total": sum(files.values()), "compressed": compressed, "full_float32": full}


def _count(shape) -> int:
    total = 1
    for n in shape:
        total *= n
    return total


def _own_tensors(classifier) -> dict:
    """The encoder weights that an artifact stores (all but the frozen embeddings), by name."""
    return {name: tensor for name, tensor in classifier.encoder.model.state_dict().items()
            if tensor.is_floating_point() and not name.startswith(("word.", "position.", "token_type."))}


def precision_effect(model_dir: Path, examples: list) -> list[dict]:
    """Test F1 per split and label, and the largest score change, with the encoder's own weights as
    stored and rounded to float16 and to bfloat16 (one encoding of the test splits each)."""
    import numpy as np
    import torch

    from models.classifier import Classifier
    from models.evaluate import REAL_TEST, test_metrics

    test = [ex for ex in examples if ex.split == "test"]
    rows, reference = [], None
    for storage in ("as stored", "float16", "bfloat16"):
        classifier = Classifier.load(model_dir, precision="float32")
        if storage != "as stored":
            with torch.no_grad():
                for tensor in _own_tensors(classifier).values():
                    tensor.copy_(tensor.to(getattr(torch, storage)).float())
        vectors = classifier.encoder.encode_documents([e.title for e in test], [e.text for e in test],
                                                      classifier.max_chunks)
        metrics = test_metrics(classifier, test, vectors)
        scores = classifier.score_vectors(vectors)
        reference = scores if reference is None else reference
        f1 = {f"written {label}": metrics[label]["f1"] for label in classifier.labels}
        f1.update({f"real {label}": m["f1"] for label, m in (metrics.get(REAL_TEST) or {}).items()
                   if label in classifier.labels})
        rows.append({"weights": storage, "f1": f1, "max_score_change": float(np.abs(scores - reference).max())})
        print(rows[-1], flush=True)
    return rows


def main(argv: list[str]) -> int:
    from models.dataset import load_examples
    from newsmon import pipeline
    from newsmon.config import ModelSettings, Settings

    settings = Settings()
    examples = load_examples(extra_data=settings.model.extra_data)
    with tempfile.TemporaryDirectory() as scratch:
        if argv:
            model_dir = Path(argv[0])
        else:
            print("training a frozen-method model on the default data (the packaged MiniLM's float32 layers)")
            cache = settings.data_dir / "cache"  # the frozen encoder's window vectors, where training left them
            if cache.is_dir():
                shutil.copytree(cache, Path(scratch) / "cache")
            model_dir = pipeline.train_model(Settings(data_dir=Path(scratch), model=ModelSettings(method="frozen")))
        size = sizes(model_dir)
        print(f"{model_dir.name}: {size['total']:,} bytes in {len(size['files'])} files, {size['compressed']:,} "
              f"compressed (git), against {size['full_float32']:,} with every tensor copied in float32")
        for name, n in size["files"].items():
            print(f"  {n:>12,}  {name}")
        rows = precision_effect(model_dir, examples)
        labels = list(rows[0]["f1"])
        print("| encoder weights | " + " | ".join(f"F1 {label}" for label in labels) + " | max score change |")
        print("|---" * (len(labels) + 2) + "|")
        for row in rows:
            print(f"| {row['weights']} | " + " | ".join(f"{row['f1'][label]:.4f}" for label in labels)
                  + f" | {row['max_score_change']:.5f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
