"""A trained model put where newsmon finds it, as `newsmon train` leaves one."""

from __future__ import annotations

import shutil
from pathlib import Path

from models.artifact import make_current


def install_model(artifact: Path, models_dir: Path, *, link: bool = False) -> Path:
    """Copy the model at artifact into models_dir (with link, a symlink to it instead) and make it
    the current one (LATEST); return where it now is."""
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / artifact.name
    if link:
        target.symlink_to(artifact)
    else:
        shutil.copytree(artifact, target)
    make_current(models_dir, artifact.name)
    return target
