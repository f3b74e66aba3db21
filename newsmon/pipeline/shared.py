"""What workers on several machines share through the object store (newsmon.objects), so they need
no shared folder: a crawl task puts its source's staging files under NEWSMON_STAGING_URL/<run id>/
and the load task, on whichever worker, fetches the run from there; a trained model is published
under NEWSMON_MODELS_URL/<version>/ with a LATEST pointer (share_model, which `newsmon train` and
`newsmon distill` call for the model that scores), and a scoring task fetches it.
With neither URL set, everything stays in data_dir as on one machine, and these do nothing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from newsmon import objects
from newsmon.config import Settings
from newsmon.pipeline.common import PipelineError, check_run_id, run_dir


def share_staging(settings: Settings, run_id: str, source: str) -> int:
    """Put one source's staging of a run in the object store: the JSONL, then the summary, then the
    spec last, since the loader counts a source as staged by its spec and as finished by its summary:
    a worker that dies half-way leaves the source missing, never half-there. Returns files put."""
    if not settings.staging_url:
        return 0
    directory = run_dir(settings, run_id)
    target = objects.join(settings.staging_url, check_run_id(run_id))
    put = 0
    for suffix in (".jsonl", ".summary.json", ".spec.json"):
        path = directory / f"{source}{suffix}"
        if path.exists():
            put += objects.upload(path, objects.join(target, path.name))
    return put


def fetch_staging(settings: Settings, run_id: str) -> int:
    """Copy a run's staging from the object store into this worker's data_dir (before loading it);
    files already here are replaced by the shared ones. Returns files fetched."""
    if not settings.staging_url:
        return 0
    return objects.download(objects.join(settings.staging_url, check_run_id(run_id)), run_dir(settings, run_id))


def share_model(settings: Settings, model: Path) -> str | None:
    """Publish a trained model directory: its files under <models_url>/<name>/, then LATEST (one
    object, written whole) names it, so a worker never fetches a model that is still uploading."""
    if not settings.models_url:
        return None
    objects.upload(model, objects.join(settings.models_url, model.name))
    objects.write_text(objects.join(settings.models_url, "LATEST"), model.name)
    return objects.join(settings.models_url, model.name)


def fetch_model(settings: Settings) -> Path | None:
    """Make the model LATEST names in the object store this worker's current one: fetched into
    data_dir/models once (into a temporary folder, renamed into place), then pointed at by the local
    LATEST. None when no models_url is set."""
    if not settings.models_url:
        return None
    pointer = objects.join(settings.models_url, "LATEST")
    if not objects.exists(pointer):
        raise PipelineError(f"no model published at {settings.models_url} (no LATEST there): run `newsmon "
                            "train` with NEWSMON_MODELS_URL set, which publishes the model it trains")
    name = objects.read_text(pointer).strip()
    if not name or "/" in name or name.startswith("."):
        raise PipelineError(f"{pointer}: not a model name ({name[:60]!r})")
    local = settings.models_dir / name
    if not local.exists():
        partial = settings.models_dir / f".{name}.fetching-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        if not objects.download(objects.join(settings.models_url, name), partial):
            raise PipelineError(f"model {name} named by {pointer} has no files")
        try:
            os.replace(partial, local)
        except OSError:  # another task on this worker fetched it first
            shutil.rmtree(partial, ignore_errors=True)
    latest = settings.models_dir / "LATEST"
    partial_pointer = settings.models_dir / f".LATEST.{os.getpid()}"
    partial_pointer.write_text(name, encoding="utf-8")
    os.replace(partial_pointer, latest)
    return local
