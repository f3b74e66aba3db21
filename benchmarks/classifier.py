"""The classifier: how long articles are read, how evidence is found, how fast articles are scored.

Usage: python -m benchmarks.classifier [MODEL_DIR] [--articles 300] [--runs 3]
       (default: the current artifact under data/models; for a student, its teacher)

1. Reading long articles. Every test-split article is cut into 256-token windows (title repeated in
   each); the table compares ways to turn windows into one verdict with the model's own thresholds:
   the first window only (what a 256-token truncation sees), the mean of the first two, the mean of
   all windows weighted by their token counts (what newsmon does), the plain mean, and the highest
   window score. Per label, on all test articles and on the long ones
   (more than one window).
2. Evidence. Test-split articles with a label are planted into articles without either label (the
   carrier's headline kept, the positive block first or last); for every planted article that gets
   the label, is the quoted sentence one of the planted block's? newsmon's way (each sentence's
   tokens pooled in context, from the pass that scored the article) against encoding every sentence
   alone in a second pass (newsmon's first way), with the rate a random sentence would hit.
3. Speed. News-length articles (synthetic, 80-900 words built from the data's sentences) scored by
   the plain transformers text-classification pipeline on the same encoder (model load included,
   default batch size), and by newsmon at each precision and with its encoder in ONNX Runtime (float32
   and int8, converted once beforehand), evidence included as in production. Each
   variant runs in a fresh process, `--runs` times; the table shows medians: articles/s, tokens/s,
   peak memory (the process's max RSS), the share of this machine's measured matmul peak at the
   variant's precision (FLOPs: 2 x non-embedding parameters per token plus attention), and each
   variant's per-label F1 on the test split. Rows that read less (the first two windows, the first
   window, its first 128 tokens) show what a reading budget costs in F1; where `newsmon distill`
   has written a 3-layer (layers 0,2,4, with all or 768 feed-forward neurons) or 2-layer (0,3)
   student of the model (given either), its rows follow, also against the pipeline of the
   student's own encoder. One row loads the encoder with transformers instead of models.bert, to
   show what the lean loader saves.
   docs/classifier-speed-f1.png draws each variant's speed against its F1 change, with the issue's
   goal (5x, F1 within 0.01) shaded. A second table shows how the production variant grows with the
   number of articles.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple

import numpy as np
from rich.console import Console
from rich.table import Table

from benchmarks.measure import load_now, machine, peak_rss_mib, versions
from models.artifact import model_dir_or_exit
from models.classifier import Classifier, sentence_spans
from models.dataset import Example, load_examples
from models.metrics import binary_metrics, prediction_f1


@functools.cache
def _test_split() -> tuple[Example, ...]:
    return tuple(ex for ex in load_examples() if ex.split == "test")


@functools.cache
def _real_test_split() -> tuple[Example, ...]:
    """The real-news corpus's fixed test split (../shared/realnews beside the repository), or none."""
    from models.dataset import real_examples
    from models.realnews import default_corpus_dir

    corpus = default_corpus_dir()
    return tuple(ex for ex in real_examples(corpus) if ex.split == "test") if corpus else ()


def _pooling_rows(classifier: Classifier) -> tuple[list[list[str]], int, int]:
    test = _test_split()
    encoder = classifier.encoder
    windows = encoder.windows([ex.title for ex in test], [ex.text for ex in test], classifier.max_chunks)
    vectors = encoder.encode_ids(windows.ids)[0]
    owner = windows.owner
    n = len(test)
    counts = np.bincount(owner, minlength=n)
    position = np.zeros(len(owner), dtype=np.int64)  # each window's index within its article
    for i in range(1, len(owner)):
        position[i] = position[i - 1] + 1 if owner[i] == owner[i - 1] else 0
    first = encoder.pool(owner, vectors, n, position == 0)
    first_two = encoder.pool(owner, vectors, n, position < 2)
    weighted = encoder.pool(owner, vectors, n, [len(ids) for ids in windows.ids])
    mean = encoder.pool(owner, vectors, n)
    max_scores = np.zeros((n, len(classifier.labels)))
    np.maximum.at(max_scores, owner, classifier.score_vectors(vectors))
    variants = {"first window only": classifier.score_vectors(first),
                "mean of the first 2 windows": classifier.score_vectors(first_two),
                "mean weighted by window tokens (newsmon)": classifier.score_vectors(weighted),
                f"plain mean of windows, up to {classifier.max_chunks}": classifier.score_vectors(mean),
                "highest window score": max_scores}
    long = counts > 1
    rows = []
    for name, scores in variants.items():
        row = [name]
        for j, label in enumerate(classifier.labels):
            truth = np.asarray([ex.labels[label] for ex in test])
            predicted = scores[:, j] >= classifier.thresholds[j]
            row.append(f"{binary_metrics(truth, predicted)['f1']:.3f}")
            row.append(f"{binary_metrics(truth[long], predicted[long])['f1']:.3f}")
        rows.append(row)
    return rows, int(long.sum()), n


def _planted(label: str, seed: int = 11) -> list[tuple[str, str, tuple[int, int]]]:
    """(title, text, character range of the planted block): each test article with the label, put
    before or after the text of a test article with neither label."""
    rng = random.Random(seed)
    test = _test_split()
    positives = [ex for ex in test if ex.labels[label]]
    carriers = [ex for ex in test if not any(ex.labels.values())]
    out = []
    for k, positive in enumerate(positives):
        carrier = rng.choice(carriers)
        block = " ".join(positive.text.split())
        rest = " ".join(carrier.text.split())
        if k % 2:
            text = f"{rest}\n{block}"
            out.append((carrier.title, text, (len(rest) + 1, len(text))))
        else:
            out.append((carrier.title, f"{block}\n{rest}", (0, len(block))))
    return out


def _separate_pass_evidence(classifier: Classifier, title: str, text: str, label: str) -> tuple[int, int] | None:
    """newsmon's first way: encode every sentence alone, quote the one the head scores highest."""
    spans = sentence_spans(text, exclude=title)
    if not spans:
        return None
    probs = classifier.score_vectors(classifier.encoder.encode([text[a:b] for a, b in spans]))
    return spans[int(np.argmax(probs[:, classifier.labels.index(label)]))]


def _evidence_rows(classifier: Classifier) -> list[list[str]]:
    rows = []
    for label in classifier.labels:
        planted = _planted(label)
        titles, texts = [p[0] for p in planted], [p[1] for p in planted]
        predictions = classifier.predict(titles, texts)
        hits = {"in context, same pass (newsmon)": 0, "each sentence alone, second pass": 0}
        chance, flagged, separate_seconds = 0.0, 0, 0.0
        for (title, text, (lo, hi)), prediction in zip(planted, predictions, strict=True):
            if label not in prediction.labels:
                continue
            flagged += 1
            quote = prediction.evidence[label]
            start = text.find(quote)
            hits["in context, same pass (newsmon)"] += lo <= start < hi
            began = time.perf_counter()
            span = _separate_pass_evidence(classifier, title, text, label)
            separate_seconds += time.perf_counter() - began
            hits["each sentence alone, second pass"] += span is not None and lo <= span[0] < hi
            spans = sentence_spans(text, exclude=title)
            chance += sum(lo <= a < hi for a, _ in spans) / max(len(spans), 1)
        for method, hit in hits.items():
            extra = "0 (same pass)" if "same pass" in method else f"{separate_seconds:.1f}"
            rows.append([label, method, str(flagged), f"{hit / max(flagged, 1):.3f}", extra])
        rows.append([label, "a random sentence", str(flagged), f"{chance / max(flagged, 1):.3f}", "-"])
    return rows


def _articles(count: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """News-length articles (80-900 words) assembled from the data's sentences."""
    rng = random.Random(seed)
    sentences = [s for ex in load_examples() for s in ex.text.replace("\n", " ").split(". ") if len(s) > 30]
    titles, texts = [], []
    for _ in range(count):
        words = rng.choice((80, 150, 300, 500, 900))
        body: list[str] = []
        while sum(len(s.split()) for s in body) < words:
            body.append(rng.choice(sentences))
        titles.append(rng.choice(sentences)[:90])
        texts.append(". ".join(body) + ".")
    return titles, texts


def _matmul_peak(dtype: str) -> float:
    """FLOP/s of a large matrix multiply at this precision: the practical CPU peak."""
    import torch

    kind = {"float32": torch.float32, "bfloat16": torch.bfloat16}[dtype]
    a = torch.randn(2048, 2048).to(kind)
    b = torch.randn(2048, 2048).to(kind)
    torch.mm(a, b)
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(4):
            torch.mm(a, b)
        best = max(best, 4 * 2 * 2048 ** 3 / (time.perf_counter() - started))
    return best


ONNX_DIR = Path(__file__).resolve().parents[1] / "data" / "bench-onnx"


def _onnx_files(path: Path) -> dict[str, Path]:
    """The model's encoder exported to ONNX (float32) and its int8 dynamic quantization (weights per
    output channel, activations per batch: VNNI kernels), made once per model version; the time the
    conversion took is kept beside the files. The conversion is what a deployment would do once
    per trained model, so the timed runs load the files, not make them."""
    version = json.loads((path / "config.json").read_text(encoding="utf-8"))["model_version"]
    folder = ONNX_DIR / version
    files = {"ort-float32": folder / "encoder.onnx", "ort-int8": folder / "encoder-int8.onnx"}
    if (folder / "conversion-seconds").exists():  # written last: both files are whole
        return files
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from models.encoder import quiet_transformers

    quiet_transformers()
    from transformers import AutoModel

    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    encoder = AutoModel.from_pretrained(_encoder_location(path)).eval()

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask):
            return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    dynamic = {0: "batch", 1: "tokens"}
    sample = torch.ones((2, 32), dtype=torch.long)
    torch.onnx.export(LastHidden(), (sample, sample), str(files["ort-float32"]), dynamo=False,
                      input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                      dynamic_axes={"input_ids": dynamic, "attention_mask": dynamic, "last_hidden_state": dynamic})
    quantize_dynamic(str(files["ort-float32"]), str(files["ort-int8"]), weight_type=QuantType.QInt8,
                     per_channel=True, extra_options={"DefaultTensorType": 1})
    (folder / "conversion-seconds").write_text(f"{time.perf_counter() - started:.1f}\n")
    return files


class _OnnxEncoderModel:
    """Stands in for the transformers model inside newsmon's Encoder: the same inputs, the same
    last_hidden_state, computed by an ONNX Runtime session on both cores."""

    def __init__(self, onnx_file: Path, config) -> None:
        import onnxruntime
        import torch

        self.from_numpy = torch.from_numpy

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = len(os.sched_getaffinity(0))
        self.session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.config = config

    def __call__(self, input_ids, attention_mask):
        hidden = self.session.run(None, {"input_ids": input_ids.numpy(), "attention_mask": attention_mask.numpy()})[0]
        return SimpleNamespace(last_hidden_state=self.from_numpy(hidden))


def _load(path: Path, precision: str) -> Classifier:
    """newsmon's classifier at a precision; the ort-* ones run its encoder in ONNX Runtime."""
    if not precision.startswith("ort-"):
        return Classifier.load(path, precision=precision)
    classifier = Classifier.load(path, precision="float32")
    encoder = classifier.encoder
    encoder.model = _OnnxEncoderModel(_onnx_files(path)[precision], encoder.model.config)
    return classifier


# what `newsmon train` distils by default (models.distill.DistillConfig): layers 0 and 3, 768
# feed-forward neurons, 2 windows of 256 tokens
DEFAULT_STUDENT = "03-F768"


class Variant(NamedTuple):
    """How one row of the speed table scores: precision None is the plain pipeline; max_chunks and
    max_length override the model's reading (windows per article, tokens per window); student (the
    layers kept, e.g. "024") scores with that distilled student of the model (`newsmon distill
    --layers 0,2,4`) instead of the model; via_transformers loads the encoder with transformers'
    AutoModel and AutoTokenizer, as newsmon did before models.bert."""

    precision: str | None
    max_chunks: int | None = None
    evidence: bool = True
    max_length: int | None = None
    student: str = ""
    via_transformers: bool = False


PRODUCTION = "newsmon bfloat16 (auto here), default student: production"
TRAINED = "newsmon bfloat16, the trained model (production before distillation was the default)"
STUDENT_BEFORE = "newsmon bfloat16, default student, 3 windows of 192 tokens (its reading before)"
VARIANTS = {
    "transformers pipeline": Variant(None, evidence=False),
    "newsmon float32": Variant("float32"),
    TRAINED: Variant("bfloat16"),
    "newsmon bfloat16, encoder loaded by transformers": Variant("bfloat16", via_transformers=True),
    "newsmon bfloat16, no evidence": Variant("bfloat16", evidence=False),
    "newsmon bfloat16, 2 windows (512 tokens, as the pipeline)": Variant("bfloat16", 2),
    "newsmon bfloat16, first window (256 tokens)": Variant("bfloat16", 1),
    "newsmon bfloat16, first 128 tokens": Variant("bfloat16", 1, max_length=128),
    "newsmon int8 (dynamic, per channel)": Variant("int8"),
    "newsmon, encoder in ONNX Runtime float32": Variant("ort-float32"),
    "newsmon, encoder in ONNX Runtime int8 (dynamic, per channel)": Variant("ort-int8"),
    "transformers pipeline, 3-layer student": Variant(None, evidence=False, student="024"),
    "newsmon bfloat16, 3-layer student": Variant("bfloat16", student="024"),
    "newsmon bfloat16, 3-layer student, first window": Variant("bfloat16", 1, student="024"),
    "newsmon bfloat16, 3-layer student, 768 neurons": Variant("bfloat16", student="024-F768"),
    "transformers pipeline, 2-layer student": Variant(None, evidence=False, student="03"),
    "newsmon bfloat16, 2-layer student": Variant("bfloat16", student="03"),
    "newsmon bfloat16, 2-layer student, 2 windows": Variant("bfloat16", 2, student="03"),
    "newsmon bfloat16, 2-layer student, first window": Variant("bfloat16", 1, student="03"),
    "transformers pipeline, default student": Variant(None, evidence=False, student=DEFAULT_STUDENT),
    "newsmon bfloat16, default student, 8 windows of 256 tokens (as the trained model)":
        Variant("bfloat16", 8, max_length=256, student=DEFAULT_STUDENT),
    STUDENT_BEFORE: Variant("bfloat16", 3, max_length=192, student=DEFAULT_STUDENT),
    PRODUCTION: Variant("bfloat16", student=DEFAULT_STUDENT),
}


def _flops(config, lengths: list[int]) -> float:
    """Multiply-adds x 2 of a BERT-style encoder over inputs of these token lengths: the layers'
    weight matrices (4 d^2 attention + 2 d ff feed-forward per layer) per token, plus attention's
    scores and mixing (4 n d per token per layer). Embedding lookups and norms are left out."""
    d, ff, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    weights = layers * (4 * d * d + 2 * d * ff)
    return sum(2 * weights * n + layers * 4 * n * n * d for n in lengths)


def _child(path: Path, variant: str, count: int) -> dict:
    """One timed run in this (fresh) process: load included."""
    precision, max_chunks, evidence, max_length, student, via_transformers = VARIANTS[variant]
    if student:
        path = _student(path, student)
    titles, texts = _articles(count)
    location = _plain_location(_encoder_location(path)) if precision is None else None
    started = time.perf_counter()
    if precision is None:
        from transformers import pipeline as hf_pipeline

        plain = hf_pipeline("text-classification", model=location, truncation=True, device="cpu")
        inputs = [f"{t}\n{x}" for t, x in zip(titles, texts, strict=True)]
        plain(inputs)
        seconds = time.perf_counter() - started
        lengths = [len(ids) for ids in plain.tokenizer(inputs, truncation=True)["input_ids"]]
        flops = _flops(plain.model.config, lengths)
    else:
        # inside the timing: switching imports models.bert, and with it torch
        with _via_transformers() if via_transformers else contextlib.nullcontext():
            classifier = _configured(path, precision, max_chunks, max_length)
        classifier.predict(titles, texts, evidence=evidence)
        seconds = time.perf_counter() - started
        lengths = [len(ids) for ids in classifier.encoder.windows(titles, texts, classifier.max_chunks).ids]
        flops = _flops(classifier.encoder.model.config, lengths)
    return {"seconds": seconds, "tokens": sum(lengths), "flops": flops,
            "peak_mib": peak_rss_mib()}


def _student(path: Path, layers: str) -> Path:
    """The model's newest student keeping these layers (e.g. "024", or "03-F768" with 768 feed-forward
    neurons), written by `newsmon distill` as <version>-L<layers>[-<config hash>]."""
    version = json.loads((path / "config.json").read_text(encoding="utf-8"))["model_version"]
    name = re.compile(rf"{re.escape(version)}-L{re.escape(layers)}(-[0-9a-f]{{6}})?")
    found = sorted((p for p in path.parent.iterdir() if name.fullmatch(p.name) and (p / "config.json").exists()),
                   key=lambda p: (p / "config.json").stat().st_mtime)
    if not found:
        raise FileNotFoundError(f"no student of {version} keeping layers {layers}: run `newsmon distill` "
                                f"(e.g. --layers {','.join(layers.split('-')[0])})")
    return found[-1]


def _teacher(path: Path) -> Path:
    """A student's teacher (beside it), else the model itself: the tables compare the two."""
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    return path.parent / config["distilled_from"] if config.get("distilled_from") else path


def _encoder_location(path: Path) -> str:
    from models.encoder import resolve_base_model

    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    return str(path / config["encoder"]) if config.get("encoder") else resolve_base_model(config["base_model"])


def _plain_location(location: str) -> str:
    """A directory transformers loads as it is: an artifact's encoder stores only the tensors the
    packaged MiniLM lacks, so its whole state is written once, with the base's tokenizer, beside
    the temporary files (before the timing starts)."""
    import atexit
    import shutil
    import tempfile

    from models.artifact import is_packed, read_encoder

    if not is_packed(location):
        return location
    from safetensors.torch import save_file

    config, state, tokenizer_dir = read_encoder(location)
    plain = Path(tempfile.mkdtemp(prefix="newsmon-plain-encoder-"))
    atexit.register(shutil.rmtree, plain, ignore_errors=True)
    save_file({name: tensor.contiguous() for name, tensor in state.items()}, str(plain / "model.safetensors"))
    (plain / "config.json").write_text(json.dumps(config), encoding="utf-8")
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        if (Path(tokenizer_dir) / name).is_file():
            shutil.copy(Path(tokenizer_dir) / name, plain / name)
    return str(plain)


def _run_child(path: Path, variant: str, count: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.classifier", str(path), "--child", variant,
                          "--articles", str(count)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _configured(path: Path, precision: str, max_chunks: int | None, max_length: int | None) -> Classifier:
    """The classifier at a precision, reading at most max_chunks windows of max_length tokens."""
    classifier = _load(path, precision)
    if max_chunks:
        classifier.max_chunks = max_chunks
    if max_length:
        classifier.encoder.max_length = max_length
    return classifier


@contextlib.contextmanager
def _via_transformers():
    """Inside, encoders load with transformers (as `Encoder(trainable=True)`), not models.bert."""
    from models import bert

    loadable, bert.loadable = bert.loadable, lambda location: False
    try:
        yield
    finally:
        bert.loadable = loadable


def _test_f1(path: Path, precision: str, max_chunks: int | None, max_length: int | None,
             via_transformers: bool = False) -> list[str]:
    with _via_transformers() if via_transformers else contextlib.nullcontext():
        classifier = _configured(path, precision, max_chunks, max_length)
    out = []
    for test in (_real_test_split(), _test_split()):  # the real test split first, when there is one
        if not test:
            continue
        predictions = classifier.predict([ex.title for ex in test], [ex.text for ex in test], evidence=False)
        scores = prediction_f1([ex.labels for ex in test], [p.labels for p in predictions], classifier.labels)
        out += [f"{f1:.3f}" for f1 in scores.values()]
    return out


QUICK = ("transformers pipeline", TRAINED, STUDENT_BEFORE, PRODUCTION)


def _speed_table(path: Path, labels: tuple[str, ...], count: int, runs: int, console: Console,
                 only: tuple[str, ...] | None = None) -> None:
    peaks = {"float32": _matmul_peak("float32"), "bfloat16": _matmul_peak("bfloat16")}
    variants = {name: v for name, v in VARIANTS.items() if only is None or name in only}
    onnx = any(v.precision and v.precision.startswith("ort-") for v in variants.values())
    conversion = (_onnx_files(path)["ort-float32"].parent / "conversion-seconds").read_text().strip() if onnx else ""
    results = {}
    students = {}
    for layers in dict.fromkeys(v.student for v in VARIANTS.values() if v.student):
        try:
            students[layers] = _student(path, layers)
        except FileNotFoundError as exc:
            console.print(f"  {exc}: its rows are left out", style="dim")
            variants = {name: v for name, v in variants.items() if v.student != layers}
    for variant in variants:
        console.print(f"  {variant}: {runs} runs of {count} articles", style="dim")
        results[variant] = [_run_child(path, variant, count) for _ in range(runs)]
    plain = statistics.median(count / r["seconds"] for r in results["transformers pipeline"])
    # the student's rows also against the pipeline of the student's own (smaller) encoder
    own = {"": plain}
    for name, v in variants.items():
        if v.student and v.precision is None:
            own[v.student] = statistics.median(count / r["seconds"] for r in results[name])
    table = Table("scoring (load included)", "articles/s", "vs pipeline", "vs its encoder's pipeline", "tokens/s",
                  "of peak",
                  "peak MiB", *(f"{label} F1 ({split})" for split in (("real", "written") if _real_test_split()
                                                                    else ("written",)) for label in labels),
                  title=f"Scoring {count} news-length articles, medians of {runs} runs; matmul peak "
                        f"{peaks['float32'] / 1e9:.0f} GFLOP/s float32, {peaks['bfloat16'] / 1e9:.0f} bfloat16")
    f1_cache: dict[tuple, list[str]] = {}
    points = []
    for variant, rows in results.items():
        precision, max_chunks, _, max_length, student_layers, via_transformers = VARIANTS[variant]
        rate = statistics.median(count / r["seconds"] for r in rows)
        tokens = statistics.median(r["tokens"] / r["seconds"] for r in rows)
        flops = statistics.median(r["flops"] / r["seconds"] for r in rows)
        peak = peaks.get(precision or "float32", peaks["float32"])
        key = (precision, max_chunks, max_length, student_layers, via_transformers)
        if precision and key not in f1_cache:
            model = students[student_layers] if student_layers else path
            f1_cache[key] = _test_f1(model, precision, max_chunks, max_length, via_transformers)
        f1 = f1_cache.get(key, ["(untrained head)"] * len(labels) * (2 if _real_test_split() else 1))
        own_rate = own.get(student_layers)  # --quick leaves out the student's own pipeline
        table.add_row(variant, f"{rate:.1f}", f"{rate / plain:.2f}x", f"{rate / own_rate:.2f}x" if own_rate else "-",
                      f"{tokens:,.0f}",
                      f"{100 * flops / peak:.0f}%" + (" of fp32" if precision in ("int8", "ort-int8") else ""),
                      f"{statistics.median(r['peak_mib'] for r in rows):.0f}", *f1)
        if precision:
            points.append((variant, rate / plain, [float(v) for v in f1]))
    console.print(table)
    if only is not None:  # the chart and the growth table need the full set of rows
        return
    points = [(name, ratio, f1[-len(labels):]) for name, ratio, f1 in points]  # the written split's F1
    chart = _frontier_chart(points, labels, f"{count} articles, medians of {runs} runs")
    console.print(f"speed against F1: {chart}", style="dim")
    console.print(f"ONNX Runtime variants: the encoder exported to ONNX and quantized once, in {conversion} s "
                  f"(not in the timings; files under {ONNX_DIR}); each run loads them.", style="dim")

    grown = PRODUCTION if PRODUCTION in results else TRAINED  # the trained model when it has no student yet
    growth = Table("articles", "seconds", "articles/s", "peak MiB",
                   title=f"{grown}: growth with input size, medians of {runs} runs")
    for size in sorted({100, count, 3 * count}):
        rows = results[grown] if size == count else [_run_child(path, grown, size) for _ in range(runs)]
        growth.add_row(str(size), f"{statistics.median(r['seconds'] for r in rows):.1f}",
                       f"{statistics.median(size / r['seconds'] for r in rows):.1f}",
                       f"{statistics.median(r['peak_mib'] for r in rows):.0f}")
    console.print(growth)


CHART = Path(__file__).resolve().parents[1] / "docs" / "classifier-speed-f1.png"


def _frontier_chart(points: list[tuple[str, float, list[float]]], labels: tuple[str, ...], note: str) -> Path:
    """Each variant's speed (x the pipeline) against its F1 change from float32, the worse label's,
    with the issue's goal (5x, F1 within 0.01) shaded: what would have to move for a variant to get
    there."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    reference = next(f1 for name, _, f1 in points if name == "newsmon float32")
    figure, axes = plt.subplots(figsize=(11, 4.6), dpi=110)
    axes.fill_between([5, 6.5], -0.01, 0.02, color="#2da44e", alpha=0.12, linewidth=0)
    axes.text(5.1, 0.017, "goal: 5x the pipeline,\nF1 within 0.01", fontsize=8, color="#1a7f37", va="top")
    for k, (name, ratio, f1) in enumerate(points, start=1):
        changes = [f - r for f, r in zip(f1, reference, strict=True)]
        colour = "#cf222e" if name == PRODUCTION else "#8250df" if "student" in name else "#0969da"
        short = name.removeprefix("newsmon").strip(" ,").replace("encoder in ", "")
        axes.scatter([ratio], [min(changes)], color=colour, s=28, zorder=3,
                     label=f"{k}  {short}: {ratio:.2f}x, " + " / ".join(f"{c:+.3f}" for c in changes))
        axes.annotate(str(k), (ratio, min(changes)), textcoords="offset points",
                      xytext=(4, 4 if k % 2 else -10), fontsize=7)
    axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7, frameon=False,
                title="x pipeline, F1 change " + " / ".join(labels), title_fontsize=7, handletextpad=0.3)
    axes.axhline(0, color="#8c959f", linewidth=0.8)
    axes.set_xlim(0, 6.5)
    axes.set_ylim(min(-0.05, min(min(f - r for f, r in zip(f1, reference, strict=True))
                                 for _, _, f1 in points) - 0.01), 0.02)
    axes.set_xlabel("articles/s, x the plain transformers pipeline (model load included)", fontsize=8)
    axes.set_ylabel("F1 change from float32, worse label", fontsize=8)
    axes.set_title(f"Classifier variants: speed against accuracy ({note})", fontsize=9)
    axes.tick_params(labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    CHART.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(CHART, format="png")
    plt.close(figure)
    return CHART


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.classifier")
    parser.add_argument("model", nargs="?", help="model directory (default: the newest under data/models)")
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true",
                        help="only the speed rows of the pipeline, the trained model and production (with F1 on the "
                             "real and written test splits): no pooling, evidence, ONNX, chart or growth tables")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    path = _teacher(model_dir_or_exit([args.model] if args.model else []))
    if args.child:
        print(json.dumps(_child(path, args.child, args.articles)))
        return 0
    import torch

    classifier = Classifier.load(path)
    console = Console(width=150)
    console.print(f"{machine()}; {versions('torch', 'transformers')}, {torch.get_num_threads()} threads")
    if args.quick:
        _speed_table(path, classifier.labels, args.articles, args.runs, console, only=QUICK)
        console.print(load_now())
        return 0
    rows, long, total = _pooling_rows(classifier)
    table = Table("windows to verdict", *(f"{label} F1 ({scope})" for label in classifier.labels
                                          for scope in ("all", "long")),
                  title=f"Reading long articles: {total} test articles, {long} longer than one window; "
                        f"model {classifier.version}")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    table = Table("label", "evidence method", "flagged", "quote from the planted block", "extra seconds",
                  title="Evidence: test articles with the label planted into articles with neither (float32)")
    for row in _evidence_rows(classifier):
        table.add_row(*row)
    console.print(table)
    try:
        student = Classifier.load(_student(path, DEFAULT_STUDENT))
    except FileNotFoundError as exc:
        console.print(f"  {exc}: no evidence table for it", style="dim")
    else:
        table = Table("label", "evidence method", "flagged", "quote from the planted block", "extra seconds",
                      title=f"Evidence of the default student {student.version} (float32, its own reading budget)")
        for row in _evidence_rows(student):
            table.add_row(*row)
        console.print(table)
    _speed_table(path, classifier.labels, args.articles, args.runs, console)
    console.print(load_now())
    return 0


if __name__ == "__main__":
    sys.exit(main())
