"""The model card written beside every trained artifact."""

from __future__ import annotations

import json
import platform
from pathlib import Path


def _versions() -> str:
    import sklearn
    import torch
    import transformers

    return (f"python {platform.python_version()}, torch {torch.__version__}, "
            f"transformers {transformers.__version__}, scikit-learn {sklearn.__version__}")


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


def _comparison_section(config: dict) -> str:
    """The methods compared by `python -m models.compare`, when it was run on this data snapshot."""
    from models.compare import COMPARISON

    if not COMPARISON.exists():
        return ""
    comparison = json.loads(COMPARISON.read_text(encoding="utf-8"))
    rows = []
    for row in comparison["rows"]:
        cells = " | ".join(f"{m['precision']:.3f} / {m['recall']:.3f} / {m['f1']:.3f}" for m in row["labels"].values())
        minutes = row["train_seconds"] / 60
        chosen = " (this model's method)" if (row["method"], row["epochs"]) == (
            config["method"], config["training"].get("epochs")) else ""
        rows.append(f"| {row['description']}{chosen} | {cells} | {minutes:.1f} min |")
    labels = " | ".join(f"{label} P / R / F1" for label in comparison["rows"][0]["labels"])
    stale = "" if comparison["data_snapshot"] == config["data_snapshot"] else (
        f" (measured on data snapshot `{comparison['data_snapshot']}`, not this model's)")
    return f"""
## Methods compared
Each trained from the repository's data with the fixed seed and measured on the same
{comparison['test_examples']}-example test split{stale} (`python -m models.compare`):

| method | {labels} | training time |
|---|---|---|---|
""" + "\n".join(rows) + "\n"


REALNEWS = Path(__file__).parent / "realnews.json"  # written by `python -m benchmarks.realnews`


def _this_models_result(path: Path, config: dict) -> dict | None:
    """A result file measured on this very model version, or None."""
    if not path.exists():
        return None
    result = json.loads(path.read_text(encoding="utf-8"))
    return result if result["model_version"] == config["model_version"] else None


def _keys_section(config: dict) -> str:
    """F1 with parts of the articles taken away (`python -m models.keys`), when run on this model."""
    from models.keys import KEYS

    keys = _this_models_result(KEYS, config)
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


def _realnews_section(config: dict) -> str:
    """False flags on real web pages (`python -m benchmarks.realnews`), when run on this model."""
    result = _this_models_result(REALNEWS, config)
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
    ffn = facts.get("ffn", 0)
    pruned = (f" with {ffn} of their {facts['teacher_ffn']} feed-forward neurons (the ones that mattered most)"
              if ffn and ffn != facts.get("teacher_ffn") else "")
    budget = facts.get("teacher_budget")
    reading = (f" It reads {config['max_chunks']} windows of {config['max_length']} tokens (the teacher "
               f"{budget[1]} of {budget[0]})." if budget and budget != [config["max_length"], config["max_chunks"]]
               else "")
    return (f"- **Distilled** from `{facts['teacher']}` (its heads and thresholds): the encoder keeps layers "
            f"{', '.join(map(str, facts['layers']))} of its {facts['teacher_layers']}{pruned}, trained "
            f"{facts['epochs']} epochs to give the teacher's token vectors on {facts['windows']} training "
            f"windows and {facts['made_up_windows']} made-up ones; the teacher's test-split F1 "
            f"{teacher_f1}; the same labels on {facts['same_labels_as_teacher']:.1%} of test articles.{reading}\n")


_THRESHOLD_RULES = {
    "f1-best": "the F1-best cut",
    "f1-plateau-0.1": "the middle of the best F1 plateau (each cut's F1 averaged over cuts within ±0.1, "
                      "so a lone spike does not win)",
}


def render_card(config: dict, metrics: dict, precision: str = "float32") -> str:
    """The card; precision is the encoder arithmetic the test-split numbers were measured at."""
    rows = "\n".join(
        f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | "
        f"{m['tp']} | {m['fp']} | {m['fn']} | {m['tn']} | {config['thresholds'][label]:.3f} | "
        f"{m.get('brier', float('nan')):.3f} | {m.get('ece', float('nan')):.3f} |"
        for label, m in metrics.items() if label != "sectors"
    )
    sectors = (_sector_section(config, metrics.get("sectors")) + _comparison_section(config)
               + _keys_section(config) + _realnews_section(config))
    training = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in config["training"].items()
                         if k != "threshold_source")
    rule = config.get("threshold_rule", "f1-best")
    train, test = config["train_counts"], config["test_counts"]
    distilled = _distillation_line(config)
    return f"""# Model card: {config['model_version']}

Flags tech-news articles for two trends defined in LABELING.md: `integration` (AI put to work in
the physical economy) and `decentralization` (power, commerce and compute moving off central platforms).

- **Base encoder**: `{config['base_model']}`; **method**: {config['method_description']}
  ({training}).
- **Input**: title + body in windows of {config['max_length']} tokens (title repeated in each), at most
  {config['max_chunks']} windows, {config['pooling']}; one probability per label.
- **Thresholds**: per label, {_THRESHOLD_RULES.get(rule, rule)}, on the
  {config['training']['threshold_source']}; stored in config.json.
- **Data snapshot**: `{config['data_snapshot']}`; train {train['total']} examples
  (integration {train['integration']}, decentralization {train['decentralization']}, both {train['both']},
  neither {train['neither']}); test {test['total']} (integration {test['integration']},
  decentralization {test['decentralization']}, both {test['both']}, neither {test['neither']}).
{distilled}- **Seed**: {config['seed']}; trained {config['trained_at']} UTC in {config['train_seconds']} s.
- **Versions**: {_versions()}

## Test split
Measured at {precision} precision, exactly as `newsmon classify` scores articles. Brier score and
expected calibration error (10 score bins) say how well the probabilities match frequencies.

| label | precision | recall | F1 | TP | FP | FN | TN | threshold | Brier | ECE |
|---|---|---|---|---|---|---|---|---|---|---|
{rows}
{sectors}
## Intended use and limitations
For triaging English tech-industry news for analysts; scores are probabilities, evidence sentences
explain flags. The training and test examples were written for this project following LABELING.md:
the test split shares their authors' style, so **accuracy on real published news may be lower than
the tables show**. Against learning that style rather than the labels: the examples come in seven
voices (wire, trade, analysis, press release, blog, opinion, local) and many forms (briefs, full
articles, filings, reviews, Q&As) from some 60 countries, plus general news from outside the tech
press; half of them are "neither", most sharing the positives' vocabulary; label-revealing stock
phrases were kept out; length and words such as "AI", "open", "platform", "sensors" are spread over
both classes; and the tables above check what the model keys on and what it flags on real pages.
Non-English text is scored; only 31 training examples are in other languages, so expect it to be
less reliable there.
"""
