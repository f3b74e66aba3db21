"""A pytest plugin for `make test-fast`: importing torch, transformers or airflow fails at once, so a
test that starts loading a model or Airflow in the fast lane fails, naming the import, instead of
making the lane slow. Such a test belongs in tests/integration, marked `model` or `airflow`."""

from __future__ import annotations

import sys

HEAVY = ("torch", "transformers", "airflow")


class RefuseHeavyImports:
    """A meta path finder ahead of the others that refuses the heavy packages."""

    def find_spec(self, name: str, path=None, target=None):
        if name.partition(".")[0] in HEAVY:
            raise ImportError(f"{name}: the fast lane (make test-fast) loads no model and no Airflow; "
                              "mark the test `model` or `airflow` and move it to tests/integration")
        return None


if not any(isinstance(finder, RefuseHeavyImports) for finder in sys.meta_path):
    sys.meta_path.insert(0, RefuseHeavyImports())
