"""The newsmon CLI with its pipeline stages timed: `python -m benchmarks.timed_run TIMES.json run ...`.

Wraps the functions `newsmon run` calls through pipeline.run_daily (crawl_sources, load_run,
model_for_run, classify_unscored, cluster_unclustered) with timers, then hands the rest of the arguments to
newsmon's own `main`; the seconds per stage (and the process's CPU) are written to TIMES.json when the command ends.
"""

from __future__ import annotations

import atexit
import json
import resource
import sys
import time
from functools import wraps
from pathlib import Path

STAGES = {"crawl_sources": "crawl", "load_run": "load", "model_for_run": "model check",
          "classify_unscored": "classify", "cluster_unclustered": "cluster"}


def _timed(original, stage: str, times: dict[str, float]):
    @wraps(original)
    def timed(*args, **kwargs):
        begun = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            times[stage] = times.get(stage, 0.0) + time.perf_counter() - begun

    return timed


def main() -> None:
    out, sys.argv = Path(sys.argv[1]), ["newsmon", *sys.argv[2:]]
    started = time.perf_counter()
    from newsmon import cli, pipeline

    times: dict[str, float] = {}
    for name, stage in STAGES.items():
        timed = _timed(getattr(pipeline, name), stage, times)
        # each step module of the package looks its neighbours up in its own namespace (run_daily
        # calls newsmon.pipeline.daily.crawl_sources): wrap the function wherever it is bound
        for module in [m for key, m in sys.modules.items() if key.startswith("newsmon.pipeline")]:
            if getattr(module, name, None) is getattr(pipeline, name):
                setattr(module, name, timed)

    def write() -> None:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        out.write_text(json.dumps({
            "stages": times, "seconds": time.perf_counter() - started,
            "cpu_self": own.ru_utime + own.ru_stime, "cpu_children": children.ru_utime + children.ru_stime,
        }), encoding="utf-8")

    atexit.register(write)
    cli.main()


if __name__ == "__main__":
    main()
