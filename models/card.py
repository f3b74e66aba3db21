"""The model card written beside every trained artifact."""

from __future__ import annotations

import json
import platform


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


def render_card(config: dict, metrics: dict) -> str:
    rows = "\n".join(
        f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | "
        f"{m['tp']} | {m['fp']} | {m['fn']} | {m['tn']} | {config['thresholds'][label]:.3f} |"
        for label, m in metrics.items() if label != "sectors"
    )
    sectors = _sector_section(config, metrics.get("sectors"))
    train, test = config["train_counts"], config["test_counts"]
    return f"""# Model card: {config['model_version']}

Flags tech-news articles for two trends defined in LABELING.md: `integration` (AI put to work in
the physical economy) and `decentralization` (power, commerce and compute moving off central platforms).

- **Base encoder**: `{config['base_model']}`; **method**: {config['method_description']}
  (training details: {json.dumps(config['training'])}).
- **Input**: title + body in windows of {config['max_length']} tokens (title repeated in each), at most
  {config['max_chunks']} windows, {config['pooling']}; one probability per label.
- **Thresholds**: per label, the F1-best cut on {config['training']['threshold_source']} (stored in config.json).
- **Data snapshot**: `{config['data_snapshot']}`; train {train['total']} examples
  (integration {train['integration']}, decentralization {train['decentralization']}, both {train['both']},
  neither {train['neither']}); test {test['total']} (integration {test['integration']},
  decentralization {test['decentralization']}, both {test['both']}, neither {test['neither']}).
- **Seed**: {config['seed']}; trained {config['trained_at']} UTC in {config['train_seconds']} s.
- **Versions**: {_versions()}

## Test split
| label | precision | recall | F1 | TP | FP | FN | TN | threshold |
|---|---|---|---|---|---|---|---|---|
{rows}
{sectors}
## Intended use and limitations
For triaging English tech-industry news for analysts; scores are probabilities, evidence sentences
explain flags. The training and test examples were written for this project following LABELING.md:
the test split shares their authors' style, so accuracy on real published news may be lower than
the table shows. Non-English text is scored but was not trained on.
"""
