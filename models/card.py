"""The model card written beside every trained artifact: text from the model's config and metrics
and the evidence passed in (what the analyses under models/analysis measured); it reads no file."""

from __future__ import annotations

import io
import platform
from dataclasses import dataclass
from pathlib import Path

from newsmon.files import write_atomically


@dataclass(frozen=True)
class Evidence:
    """Results of the analyses the card quotes, when they were run (models.analysis.results reads
    them): `python -m models.compare`, `python -m models.keys`, `python -m benchmarks.realnews`."""

    comparison: dict | None = None
    keys: dict | None = None
    realnews: dict | None = None


def _versions() -> str:
    """The libraries' installed versions, read from their metadata (rendering a card imports none of them)."""
    from importlib.metadata import version

    return (f"python {platform.python_version()}, torch {version('torch')}, "
            f"transformers {version('transformers')}, scikit-learn {version('scikit-learn')}")


def _sector_section(config: dict, sectors: dict | None) -> str:
    if not sectors:
        return ""
    micro = sectors["micro"]
    rows = "\n".join(
        f"| {name} | {m['support']} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} |"
        for name, m in sectors["per_sector"].items())
    return f"""
## Sector tags
{config.get('sector_method', '')}. Micro-averaged on the test split: precision {micro['precision']:.3f},
recall {micro['recall']:.3f}, F1 {micro['f1']:.3f}.

| sector | test articles | precision | recall | F1 |
|---|---|---|---|---|
{rows}
"""


def _comparison_section(config: dict, comparison: dict | None) -> str:
    """What `python -m models.compare` measured (data mixes, poolings, encoders), when it was run."""
    if comparison is None or "winner" not in comparison:  # not run, or the table of an older comparison
        return ""

    def f1s(block: dict) -> str:
        return " / ".join(f"{m['f1']:.3f}" for m in block.values())

    def prf(m: dict) -> str:
        return f"{m['precision']:.3f} / {m['recall']:.3f} / {m['f1']:.3f}"

    def held(row: dict) -> str:
        block = row.get("heldout_fold")
        if not block:
            return "-"
        return " / ".join(f"{m['average_precision']:.3f}" for m in block.values()) + (
            " (read them: not on unseen text)" if row.get("read_heldout") else "")

    rows = []
    for row in comparison["rows"]:
        name = f"**{row['name']}** (chosen)" if row["name"] == comparison["winner"] else row["name"]
        real = row["real_test"]
        cv = f1s(row["cv_real_train"]) if "cv_real_train" in row else "- (trained end to end)"
        rows.append(f"| {name} | {cv} | {held(row)} | " + " | ".join(prf(m) for m in real.values())
                    + f" | {f1s(row['written_test'])} |")
    labels = list(comparison["rows"][0]["real_test"])
    stale = "" if comparison["data_snapshot"] == config["data_snapshot"] else (
        f" Measured on data snapshot `{comparison['data_snapshot']}`, not this model's.")
    heldout = (f" The held-out fold is the {comparison['heldout_examples']} real training articles of the first "
               "story fold, which fine-tuning never sees (head variants: heads fitted without them)."
               if "heldout_examples" in comparison else "")
    return f"""
## What helps on real news
`python -m models.compare`: every head variant is the same logistic heads with C and thresholds from
5-fold cross-validation on the {comparison['real_train_examples']} real training articles (folds grouped by story).
The choice is by {comparison['chosen_by']}; the test splits are reported, never used to choose.{heldout}{stale}

| variant | cross-validated real-train F1 ({' / '.join(labels)}) | held-out fold average precision | """ + " | ".join(
        f"real test {label} P / R / F1" for label in labels) + """ | written test F1 |
|---|---|---|---|---|---|
""" + "\n".join(rows) + "\n"


def _this_models_result(result: dict | None, config: dict) -> dict | None:
    """A result measured on this very model version, or None."""
    return result if result is not None and result["model_version"] == config["model_version"] else None


def _keys_section(config: dict, keys: dict | None) -> str:
    """F1 with parts of the articles taken away (`python -m models.keys`), when run on this model."""
    keys = _this_models_result(keys, config)
    if keys is None:
        return ""
    labels = list(keys["rows"][0]["f1"])
    rows = "\n".join(f"| {r['variant']} | {r['kind']} | " + " | ".join(f"{r['f1'][k]:.3f}" for k in labels) + " |"
                     for r in keys["rows"])
    return f"""
## What the model keys on
Test-split F1 when parts of every article are taken away (`python -m models.keys`). Removing the
writers' habits should cost little; removing the content should cost much.

| articles | what is taken away | {' | '.join(f'{k} F1' for k in labels)} |
|---|---|{'---|' * len(labels)}
{rows}
"""


def _realnews_section(config: dict, realnews: dict | None) -> str:
    """False flags on real web pages (`python -m benchmarks.realnews`), when run on this model."""
    result = _this_models_result(realnews, config)
    if result is None:
        return ""
    rows = "\n".join(f"| {label} | {m['positive']} | {m['flagged']} | {m['false_flags']} |"
                     for label, m in result["labels"].items())
    return f"""
## Real pages
The {result['pages']} dev pages of the extraction benchmark (real news and blog pages from 2019, general
news rather than tech: sport, recipes, science, politics, markets; several languages), through
newsmon's own extraction, at {result['precision']} (`python -m benchmarks.realnews`). By our reading
none of them carries either trend, so this counts false flags only; it cannot measure recall.

| label | labelled positive | flagged | false flags |
|---|---|---|---|
{rows}
"""


def _distillation_line(config: dict) -> str:
    """For a student (`newsmon distill`): what it was distilled from and how close it stays."""
    facts = config.get("distillation")
    if not facts:
        return ""
    teacher_f1 = " / ".join(f"{f1:.3f}" for f1 in facts["teacher_f1"].values())
    if facts.get("teacher_real_f1"):
        teacher_f1 = (" / ".join(f"{f1:.3f}" for f1 in facts["teacher_real_f1"].values())
                      + f" on the real test split, {teacher_f1} on the written one")
    ffn = facts.get("ffn", 0)
    pruned = (f" with {ffn} of their {facts['teacher_ffn']} feed-forward neurons (the ones that mattered most)"
              if ffn and ffn != facts.get("teacher_ffn") else "")
    budget = facts.get("teacher_budget")
    reading = (f" It reads {config['max_chunks']} windows of {config['max_length']} tokens (the teacher "
               f"{budget[1]} of {budget[0]})." if budget and budget != [config["max_length"], config["max_chunks"]]
               else "")
    own = config.get("training", {}).get("threshold_source", "").startswith("the student's own")
    blends = (f", {facts['blend_windows']} windows of {facts['blends']} blends of two articles"
              if facts.get("blends") else "")
    unread = (f" and none of the {facts['unread_articles']} articles its cuts come from"
              if facts.get("unread_articles") else "")
    return (f"- **Distilled** from `{facts['teacher']}` (its heads{'' if own else ' and thresholds'}): the "
            "encoder keeps layers "
            f"{', '.join(map(str, facts['layers']))} of its {facts['teacher_layers']}{pruned}, trained "
            f"{facts['epochs']} epochs to give the teacher's token vectors on {facts['windows']} training "
            f"windows{blends}, {facts['made_up_windows']} made-up ones{unread}; the teacher's test-split F1 "
            f"{teacher_f1}; the same labels on {facts['same_labels_as_teacher']:.1%} of test articles.{reading}\n")


def _the(phrase: str) -> str:
    return phrase if phrase.startswith("the ") else f"the {phrase}"


_THRESHOLD_RULES = {
    "f1-best": "the F1-best cut",
    "f1-plateau-0.1": "the middle of the best F1 plateau (each cut's F1 averaged over cuts within ±0.1, "
                      "so a lone spike does not win)",
    "flag-rate": "the cut at which the student flags as many texts as its teacher flags at the teacher's cut",
}


def _metric_rows(config: dict, block: dict) -> str:
    return "\n".join(
        f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | "
        f"{m['tp']} | {m['fp']} | {m['fn']} | {m['tn']} | {config['thresholds'][label]:.3f} | "
        f"{m.get('brier', float('nan')):.3f} | {m.get('ece', float('nan')):.3f} |"
        for label, m in block.items() if label in config["thresholds"])


def _counts(c: dict) -> str:
    return (f"{c['total']} (integration {c['integration']}, decentralization {c['decentralization']}, "
            f"both {c['both']}, neither {c['neither']})")


_SOURCE_NAMES = {"written": "written for this project (`models/data/*.jsonl`)",
                 "realnews": "real published articles (`../shared/realnews`, model.extra_data)"}


def _sources_section(config: dict) -> str:
    sources = config.get("data_sources")
    if not sources:
        return ""
    rows = "\n".join(f"| {_SOURCE_NAMES.get(s['source'], s['source'])} | {s['examples']} | {s['train']} | "
                      f"{s['test']} | `{s['hash']}` |" for s in sources)
    return f"""
| data source | examples | train | test | content hash |
|---|---|---|---|---|
{rows}

"""


def _cross_validated_line(config: dict) -> str:
    cv = config["training"].get("cross_validated")
    if not cv:
        return ""
    cells = "; ".join(f"{label} precision {m['precision']:.3f}, recall {m['recall']:.3f}, F1 {m['f1']:.3f}"
                      for label, m in cv.items())
    return f"  Cross-validated at those thresholds (out-of-fold): {cells}.\n"


def write_reliability_chart(metrics: dict, path: Path) -> Path | None:
    """The real test split's reliability diagram (mean score against share positive per score bin,
    one line per label) as a PNG; None when the metrics have no real test split."""
    from models.evaluate import REAL_TEST

    bins = (metrics.get(REAL_TEST) or {}).get("reliability")
    if not bins:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(4.8, 4.4), dpi=100)
    axes.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1, label="perfectly calibrated")
    for label, points in bins.items():
        ece = metrics[REAL_TEST][label].get("ece", float("nan"))
        axes.plot([p["mean_score"] for p in points], [p["positive_rate"] for p in points], marker="o",
                  label=f"{label} (ECE {ece:.3f})")
    axes.set(xlim=(0, 1), ylim=(0, 1), xlabel="mean predicted probability (10 bins)", ylabel="share positive",
             title="Reliability on the real test split")
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    image = io.BytesIO()
    figure.savefig(image, format="png", metadata={"Software": None})
    plt.close(figure)
    return write_atomically(path, image.getvalue())


def _real_section(config: dict, metrics: dict, chart: str | None) -> str:
    from models.evaluate import REAL_TEST

    real = metrics.get(REAL_TEST)
    if not real:
        return ""
    counts = config.get("real_test_counts")
    what = (f"{counts['total']} real published articles (integration {counts['integration']}, decentralization "
            f"{counts['decentralization']}, both {counts['both']}, neither {counts['neither']}); " if counts else "")
    image = f"\n![Reliability on the real test split]({chart})\n" if chart else ""
    bins = real.get("reliability", {})
    cells = "\n".join(f"| {label} | " + " | ".join(f"{p['mean_score']:.2f} → {p['positive_rate']:.2f} ({p['count']})"
                                                   for p in points) + " |" for label, points in bins.items())
    table = (f"\nReliability bins (mean score → share positive (articles)):\n\n| label | bins |\n|---|---|\n{cells}\n"
             if cells else "")
    return f"""
### Real test split
{what}`models/data/real_test_split.txt`, about a quarter of the corpus,
stratified by label combination, whole stories only; never trained on, never used to choose anything.

| label | precision | recall | F1 | TP | FP | FN | TN | threshold | Brier | ECE |
|---|---|---|---|---|---|---|---|---|---|---|
{_metric_rows(config, real)}
{image}{table}
### Written test split
"""


def render_card(config: dict, metrics: dict, precision: str = "float32", chart: str | None = None,
                evidence: Evidence = Evidence()) -> str:
    """The card; precision is the encoder arithmetic the test-split numbers were measured at; chart
    names the real test split's reliability chart beside the card, if one was written; evidence
    holds the analyses' results it quotes (models.analysis.results.card_evidence)."""
    rows = _metric_rows(config, metrics)
    sectors = (_sector_section(config, metrics.get("sectors")) + _comparison_section(config, evidence.comparison)
               + _keys_section(config, evidence.keys) + _realnews_section(config, evidence.realnews))
    training = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in config["training"].items()
                         if k not in ("threshold_source", "cross_validated", "regularization_C"))
    rule = config.get("threshold_rule", "f1-best")
    train, test = config["train_counts"], config["test_counts"]
    distilled = _distillation_line(config)
    trained = (f"; trained {config['trained_at']} UTC in {config['train_seconds']} s"
               if "trained_at" in config and "train_seconds" in config else "")
    return f"""# Model card: {config['model_version']}

Flags tech-news articles for two trends defined in LABELING.md: `integration` (AI put to work in
the physical economy) and `decentralization` (power, commerce and compute moving off central platforms).

- **Base encoder**: `{config['base_model']}`; **method**: {config['method_description']}
  ({training}).
- **Input**: title + body in windows of {config['max_length']} tokens (title repeated in each), at most
  {config['max_chunks']} windows, {config['pooling']}; one probability per label.
- **Thresholds**: per label, {_THRESHOLD_RULES.get(rule, rule)}, on
  {_the(config['training']['threshold_source'])}; stored in config.json.
{_cross_validated_line(config)}- **Data snapshot**: `{config['data_snapshot']}`; train {_counts(train)};
  written test {_counts(test)}.
{_sources_section(config)}{distilled}- **Seed**: {config['seed']}{trained}.
- **Versions**: {_versions()}

## Test splits
Measured at {precision} precision, exactly as `newsmon classify` scores articles. Brier score and
expected calibration error (10 score bins) say how well the probabilities match frequencies.
{_real_section(config, metrics, chart)}
| label | precision | recall | F1 | TP | FP | FN | TN | threshold | Brier | ECE |
|---|---|---|---|---|---|---|---|---|---|---|
{rows}
{sectors}
## Intended use and limitations
For triaging English tech-industry news for analysts; scores are probabilities, evidence sentences
explain flags. Training reads examples written for this project following LABELING.md and, where
the corpus is at hand, real published tech news labelled by the same guide; the real test split
above is the figure to trust for published news, the written one shares its writers' style. The
real corpus is an excerpt corpus (a page's first 150-400 words) of English-language outlets;
expect a few percent of its labels to stay arguable (a blind re-labelling agreed on 92% / 96%).
Non-English text is scored; only 31 training examples are in other languages, so expect it
to be less reliable there.
"""
