"""What every pipeline step shares: the user-facing error, warnings, and run ids with their staging folders."""

from __future__ import annotations

import sys
from pathlib import Path

from newsmon.config import Settings
from newsmon.domain import NewsmonError, Unavailable


class PipelineError(NewsmonError):
    """A step cannot run as asked; the message is meant for the user."""


class FeedbackNotSaved(PipelineError, Unavailable):
    """The review app could not store a verdict in the warehouse (it cannot be reached, or gave up
    after its retries); the reviewer is told, nothing is queued."""


_RUN_ID_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def check_run_id(run_id: str) -> str:
    """A run id is a plain folder name under staging/: letters, digits, '.', '_', '-', no leading
    dot (so never '..', a path or a hidden folder), at most 100 characters."""
    if not run_id or len(run_id) > 100 or run_id.startswith(".") or not set(run_id) <= _RUN_ID_CHARACTERS:
        shown = repr(run_id[:60]) + ("…" if len(run_id) > 60 else "")
        raise PipelineError(f"run id {shown}: use up to 100 letters, digits, '.', '_' and '-', "
                            "not starting with a dot")
    return run_id


def run_dir(settings: Settings, run_id: str) -> Path:
    return settings.staging_dir / check_run_id(run_id)


def warn(message: str) -> None:
    print(message, file=sys.stderr)
