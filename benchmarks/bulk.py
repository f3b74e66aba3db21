"""Many articles through load and classify in one run: completes, and memory stays bounded.

Usage: python -m benchmarks.bulk [--sizes 5000,50000] [--runs 1] [MODEL_DIR]

For each size, the warehouse benchmark's generator writes synthetic articles (a 9-word headline and
an 80-word body each) as one run's staging files; then `newsmon load --run-id bulk` and
`newsmon classify` run as subprocesses on a new warehouse, each timed and its process tree's peak
memory sampled. Bounded memory shows as a flat peak from the small size to the large one: the load
streams the staging files through DuckDB and classify reads, scores and writes 256 articles at a
time. The table also checks the outcome: every article loaded once and scored once.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from benchmarks.measure import PeakMemory, load_now, machine, versions
from benchmarks.warehouse import write_staging
from models.artifact import model_dir_or_exit


def _timed(env: dict[str, str], *args: str) -> tuple[float, float]:
    """Run `newsmon ARGS`; return wall seconds and the peak MiB of its process tree."""
    started = time.perf_counter()
    with PeakMemory() as peak:
        subprocess.run([sys.executable, "-m", "newsmon", *args], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - started, peak.peak_bytes / 2**20


def run_once(size: int, model: Path, root: Path) -> dict[str, float]:
    data = root / f"data-{size}"
    staging = data / "staging" / "bulk"
    staging.mkdir(parents=True)
    write_staging(staging, size)
    sources = root / "no-sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    env = {**os.environ, "NEWSMON_DATA_DIR": str(data), "NEWSMON_SOURCES_FILE": str(sources),
           "NEWSMON_MODEL__PATH": str(model), "NEWSMON_WAREHOUSE__REINDEX_AFTER_LOAD": "false"}
    subprocess.run([sys.executable, "-m", "newsmon", "db", "migrate"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    load_s, load_mib = _timed(env, "load", "--run-id", "bulk")
    classify_s, classify_mib = _timed(env, "classify")
    con = duckdb.connect(str(data / "newsmon.duckdb"), read_only=True)
    articles, distinct = con.execute("select count(*), count(distinct article_id) from articles").fetchone()
    scored = con.execute("select count(distinct article_id) from classifications").fetchone()[0]
    rows = con.execute("select count(*) from classifications").fetchone()[0]
    con.close()
    return {"load_s": load_s, "load_mib": load_mib, "classify_s": classify_s, "classify_mib": classify_mib,
            "complete": float(articles == distinct == scored == size and rows == 2 * size)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bulk")
    parser.add_argument("model", nargs="?", help="model directory (default: the newest under data/models)")
    parser.add_argument("--sizes", default="5000,50000")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    model = model_dir_or_exit([args.model] if args.model else []).resolve()
    console = Console(width=140)
    console.print(f"{machine()}; {versions('torch', 'transformers', 'duckdb')}")
    table = Table("articles", "load s", "load articles/s", "load peak MiB", "classify s",
                  "classify articles/s", "classify peak MiB", "all loaded and scored once",
                  title=f"Load + classify in one run, model {model.name}, medians of {args.runs} run(s)")
    for size in (int(s) for s in args.sizes.split(",")):
        results = []
        for run in range(args.runs):
            console.print(f"  {size:,} articles, run {run + 1}/{args.runs}", style="dim")
            with tempfile.TemporaryDirectory(prefix="newsmon-bulk-") as tmp:
                results.append(run_once(size, model, Path(tmp)))

        def median(key: str, results=results) -> float:
            return statistics.median(r[key] for r in results)

        table.add_row(f"{size:,}", f"{median('load_s'):.1f}", f"{size / median('load_s'):,.0f}",
                      f"{median('load_mib'):.0f}", f"{median('classify_s'):.1f}",
                      f"{size / median('classify_s'):.1f}", f"{median('classify_mib'):.0f}",
                      "yes" if all(r["complete"] for r in results) else "NO")
    console.print(table)
    console.print(load_now())
    return 0


if __name__ == "__main__":
    sys.exit(main())
