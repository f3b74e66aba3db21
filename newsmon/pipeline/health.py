"""A day's health: too many failed crawls, or a source broken, turns the run red."""

from __future__ import annotations

from dataclasses import dataclass

from newsmon.config import Settings
from newsmon.domain import one_line
from newsmon.pipeline.common import PipelineError
from newsmon.pipeline.store import connection


@dataclass(frozen=True)
class HealthReport:
    run_id: str
    sources: int
    failed: list[tuple[str, str]]  # (source, error) of this run's failed crawls
    broken: list[tuple[str, str]]  # (source, last error) of sources whose last 3 runs saw nothing
    max_failed_share: float

    @property
    def ok(self) -> bool:
        return not self.broken and len(self.failed) <= self.max_failed_share * self.sources

    def message(self) -> str:
        """What went wrong, one source a line with its last error (each cut to one short line)."""
        lines = []
        if len(self.failed) > self.max_failed_share * self.sources:
            lines.append(f"run {self.run_id}: {len(self.failed)} of {self.sources} sources failed "
                         f"(more than {self.max_failed_share:.0%}):")
            lines += [f"  {name}: {_short(error)}" for name, error in self.failed]
        if self.broken:
            lines.append(f"{len(self.broken)} source(s) broken (their last 3 runs saw nothing):")
            lines += [f"  {name}: {_short(error)}" for name, error in self.broken]
        return "\n".join(lines) or f"run {self.run_id}: {self.sources - len(self.failed)} of {self.sources} sources ok"


def _short(error: str | None, limit: int = 200) -> str:
    return one_line(error or "no error recorded", limit)


def check_health(settings: Settings, run_id: str) -> HealthReport:
    """The day's crawls against NEWSMON_ALERT__MAX_FAILED_SHARE, and the sources source_health
    calls broken; raise PipelineError with the report's message when the day went wrong."""
    from warehouse.health import broken_sources, run_outcomes

    with connection(settings, read_only=True) as con:
        runs = run_outcomes(con, run_id)
        broken = broken_sources(con, run_id)  # only this day's sources
    report = HealthReport(run_id=run_id, sources=len(runs), failed=[(s, e) for s, ok, e in runs if not ok],
                          broken=broken, max_failed_share=settings.alert.max_failed_share)
    if not report.ok:
        raise PipelineError(report.message())
    return report
