"""tests.support.models.install_model leaves a model as `newsmon train` does: in the models
directory (copied or linked), named by LATEST, found by models.artifact.latest_model, intact."""

import pytest

from models.artifact import latest_model, shipped_model, verify
from tests.support.models import install_model


@pytest.mark.parametrize("link", [False, True])
def test_an_installed_model_is_the_current_one(tmp_path, link):
    shipped = shipped_model()
    models_dir = tmp_path / "data" / "models"
    placed = install_model(shipped, models_dir, link=link)
    assert placed == models_dir / shipped.name and placed.is_symlink() == link
    assert (models_dir / "LATEST").read_text(encoding="utf-8") == shipped.name
    assert latest_model(models_dir) == placed
    verify(placed, required=True)
    assert sorted(p.name for p in models_dir.iterdir()) == ["LATEST", shipped.name]  # no temporary file left
