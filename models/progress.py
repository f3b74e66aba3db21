"""Progress of long work, for a caller to draw: steps(stage, completed, total) is called as each
stage advances (a stage's completed count only grows, up to its total)."""

from __future__ import annotations

from collections.abc import Callable

Steps = Callable[[str, int, int], None]


def no_steps(stage: str, completed: int, total: int) -> None:
    """The default: nobody is watching."""
