"""The whole daily run: `newsmon run` over 40 sources × 50 new articles each, served on 127.0.0.1.

Usage: python -m benchmarks.daily [--sources 40] [--articles 50] [--runs 3] [--workers N] [--polite]
                                  [--airflow]

The site is benchmarks/news_site.py's, one RSS feed of 50 articles per source (published over the
last day), served from a separate process. Each run is `newsmon run` in a subprocess with its own
NEWSMON_DATA_DIR (a new warehouse, so every article is new) and the trained model copied in
(data/models' LATEST; without one, a `frozen` model is trained once into the first data dir).
The subprocess is benchmarks.timed_run, which times the pipeline functions the command calls.
Politeness is off (no download delay, no AutoThrottle) unless --polite: with the production delay
of 0.5 s per request the crawl is bounded by sleeping, not by work (see benchmarks/README.md).

With --airflow, each run also puts the same day through the daily DAG with Airflow's `dag.test()`
(a subprocess on a SQLite metadata DB migrated beforehand, untimed; tasks run one after another in
that process) on a fresh data dir, and a table sets its wall time beside `newsmon run`'s: the
Airflow overhead. The site's articles are published over the day before today, which is both the
DAG's data interval (logical date today) and `newsmon run --date` yesterday's run id.

Reported: wall time (median of the runs), the split by stage, the crawl's pages/s, CPU seconds,
and the peak memory of the whole process tree (summed RSS, sampled every 0.2 s), which the issue
requires under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

from benchmarks.measure import PeakMemory, load_now, machine, versions
from benchmarks.news_site import generate_site, serve

ROOT = Path(__file__).resolve().parents[1]
LIMIT_BYTES = 2 * 2**30
STAGES = ("crawl", "load", "model check", "classify", "cluster")


def _sources_file(path: Path, site, base: str) -> None:
    sources = [{"name": s.name, "homepage": f"{base}{s.prefix}/", "feeds": [f"{base}{f}" for f in s.feeds],
                "allowed_domains": ["127.0.0.1"], "allow_private_hosts": True} for s in site.sources]
    path.write_text(yaml.safe_dump({"sources": sources}, sort_keys=False), encoding="utf-8")


def _model(data_dir: Path, env: dict[str, str]) -> str:
    """Put a trained model in data_dir/models: the repository's latest, or a frozen one trained now."""
    from models.artifact import latest_model

    latest = latest_model(ROOT / "data" / "models")
    target = data_dir / "models"
    target.mkdir(parents=True, exist_ok=True)
    if latest is not None:
        shutil.copytree(latest, target / latest.name)
        (target / "LATEST").write_text(latest.name, encoding="utf-8")
        return latest.name
    trained = subprocess.run([sys.executable, "-m", "newsmon", "train"], capture_output=True, text=True,
                             env={**env, "NEWSMON_MODEL__METHOD": "frozen"})
    if trained.returncode != 0:
        raise SystemExit(f"error: training a frozen model failed: {trained.stderr.strip().splitlines()[-1:]}")
    return (target / "LATEST").read_text(encoding="utf-8").strip() + " (frozen, trained for this run)"


DAG_TEST = """
import sys
import pendulum
from airflow.dag_processing.dagbag import DagBag
dag = DagBag(dag_folder=%r).dags["newsmon_daily"]
run = dag.test(logical_date=pendulum.parse(%r))
print("STATE", run.state)
sys.exit(0 if run.state == "success" else 1)
"""


def _airflow_home(root: Path, env: dict[str, str]) -> dict[str, str]:
    """A migrated Airflow home with the DAGs' pools; the environment that uses it."""
    home = root / "airflow"
    home.mkdir()
    airflow_env = {**env, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
                   "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__UNIT_TEST_MODE": "False"}
    for args in (("db", "migrate"), ("pools", "import", str(ROOT / "dags" / "pools.json"))):
        done = subprocess.run([sys.executable, "-m", "airflow", *args], env=airflow_env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"error: airflow {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return airflow_env


def _run_once(root: Path, n: int, sources_file: Path, env: dict[str, str], model_dir: Path,
              server_pid: int, day: date, airflow_env: dict[str, str] | None = None) -> dict:
    """newsmon run (or, given airflow_env, the daily DAG's dag.test) over `day` on a fresh data dir."""
    data_dir = root / f"data-{n}{'-dag' if airflow_env else ''}"
    shutil.copytree(model_dir, data_dir / "models")
    times_file = root / f"times-{n}.json"
    env = {**(airflow_env or env), "NEWSMON_DATA_DIR": str(data_dir), "NEWSMON_SOURCES_FILE": str(sources_file)}
    if airflow_env:
        command = [sys.executable, "-c", DAG_TEST % (str(ROOT / "dags"), (day + timedelta(days=1)).isoformat())]
    else:
        command = [sys.executable, "-m", "benchmarks.timed_run", str(times_file), "run", "--date", day.isoformat()]
    with PeakMemory(exclude={server_pid}) as memory:
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        what = "dag.test()" if airflow_env else "newsmon run"
        raise SystemExit(f"error: {what} failed: {done.stdout.strip()[-1000:]} {done.stderr.strip()[-2000:]}")
    timing = ({"stages": {}, "cpu_self": 0.0, "cpu_children": 0.0} if airflow_env
              else json.loads(times_file.read_text(encoding="utf-8")))
    summary = next((line for line in done.stdout.splitlines() if line.startswith("run ")), done.stdout.strip())
    counts = subprocess.run([sys.executable, "-m", "newsmon", "sql", "--format", "json",
                             "select (select count(*) from articles) as articles, "
                             "(select count(distinct article_id) from classifications) as scored, "
                             "(select count(distinct article_id) from classifications where flagged) as flagged"],
                            capture_output=True, text=True, env=env, cwd=ROOT)
    shutil.rmtree(data_dir, ignore_errors=True)
    return {"seconds": seconds, "stages": timing["stages"], "cpu": timing["cpu_self"] + timing["cpu_children"],
            "peak": memory.peak_bytes, "summary": summary, "counts": counts.stdout.strip()}


def run(sources: int, articles: int, runs: int, workers: int | None, polite: bool,
        airflow: bool = False) -> tuple[list[dict], dict]:
    with tempfile.TemporaryDirectory(prefix="newsmon-bench-daily-") as tmp:
        root = Path(tmp)
        midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        day = (midnight - timedelta(days=1)).date()
        site = generate_site(root / "site", sources=sources, articles=articles, days=1, feed_size=articles,
                             now=midnight + timedelta(minutes=5, seconds=-1))  # all inside `day`
        env = {key: value for key, value in os.environ.items() if not key.startswith("NEWSMON_")}
        env.update({"NEWSMON_CRAWL__MAX_ARTICLES_PER_SOURCE": str(articles + 50)})
        if not polite:
            env.update({"NEWSMON_CRAWL__DOWNLOAD_DELAY": "0", "NEWSMON_CRAWL__AUTOTHROTTLE": "false"})
        if workers is not None:
            env["NEWSMON_CRAWL__EXTRACT_WORKERS"] = str(workers)
        model_dir = root / "model"
        model = _model(model_dir, {**env, "NEWSMON_DATA_DIR": str(model_dir)})
        info = {"pages": site.pages, "mean_kib": site.bytes_total / site.pages / 1024, "model": model,
                "memory_method": PeakMemory().method}
        results = []
        with serve(site.root) as (base, server_pid):
            sources_file = root / "sources.yaml"
            _sources_file(sources_file, site, base)
            airflow_env = _airflow_home(root, env) if airflow else None
            for n in range(runs):
                results.append(_run_once(root, n, sources_file, env, model_dir / "models", server_pid, day))
                if airflow_env:
                    results[-1]["dag"] = _run_once(root, n, sources_file, env, model_dir / "models", server_pid,
                                                   day, airflow_env)
    return results, info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.daily")
    parser.add_argument("--sources", type=int, default=40)
    parser.add_argument("--articles", type=int, default=50, help="new articles per source")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None,
                        help="NEWSMON_CRAWL__EXTRACT_WORKERS (default: the configured default)")
    parser.add_argument("--polite", action="store_true", help="keep the production download delay")
    parser.add_argument("--airflow", action="store_true", help="also run each day through the DAG's dag.test()")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    started = machine()
    results, info = run(args.sources, args.articles, args.runs, args.workers, args.polite, args.airflow)
    from newsmon.config import CrawlSettings

    defaults = CrawlSettings()
    wall = statistics.median(r["seconds"] for r in results)
    peak = max(r["peak"] for r in results)
    table = Table("stage", "seconds (median)", "share of wall", "min", "max",
                  title=f"`newsmon run`: {args.sources} sources × {args.articles} new articles "
                        f"({info['pages']:,} pages, mean {info['mean_kib']:.0f} KiB) on 127.0.0.1, {len(results)} runs")
    for stage in STAGES:
        values = [r["stages"].get(stage, 0.0) for r in results]
        table.add_row(stage, f"{statistics.median(values):.1f}", f"{statistics.median(values) / wall:.0%}",
                      f"{min(values):.1f}", f"{max(values):.1f}")
    other = [r["seconds"] - sum(r["stages"].values()) for r in results]
    table.add_row("start-up, imports, summary", f"{statistics.median(other):.1f}",
                  f"{statistics.median(other) / wall:.0%}", f"{min(other):.1f}", f"{max(other):.1f}")
    table.add_row("[b]wall time", f"[b]{wall:.1f}", "100%", f"{min(r['seconds'] for r in results):.1f}",
                  f"{max(r['seconds'] for r in results):.1f}")
    console = Console(width=160)
    console.print(table)
    crawl = statistics.median(r["stages"].get("crawl", 0.0) for r in results)
    cpu = statistics.median(r["cpu"] for r in results)
    console.print(
        f"Crawl: {info['pages'] / crawl:.0f} pages/s over {args.sources} sources, "
        f"{'production politeness' if args.polite else 'politeness off (no delay, no AutoThrottle)'}, "
        f"{defaults.parallel_sources} sources at once, extract_workers="
        f"{defaults.extract_workers if args.workers is None else args.workers}. "
        f"CPU: {cpu:.0f} s over {wall:.0f} s wall ({cpu / wall:.2f} cores busy on average).")
    console.print(f"Peak memory of the process tree: {peak / 2**20:,.0f} MiB "
                  f"({'under' if peak < LIMIT_BYTES else 'OVER'} the 2 GB limit; {info['memory_method']}).")
    console.print(f"Model: {info['model']}. Last run: {results[-1]['summary']} {results[-1]['counts']}")
    if args.airflow:
        dag = [r["dag"] for r in results]
        dag_wall = statistics.median(r["seconds"] for r in dag)
        table = Table("the same day through", "wall s (median)", "min", "max", "peak MiB", "vs newsmon run",
                      "warehouse counts", title=f"Airflow overhead, {len(results)} runs each")
        for name, rows in (("newsmon run", results), ("dag.test() (Airflow 3, SQLite)", dag)):
            seconds = [r["seconds"] for r in rows]
            table.add_row(name, f"{statistics.median(seconds):.1f}", f"{min(seconds):.1f}", f"{max(seconds):.1f}",
                          f"{max(r['peak'] for r in rows) / 2**20:,.0f}",
                          f"{statistics.median(seconds) / wall:.2f}x", rows[-1]["counts"])
        console.print(table)
        console.print(f"Airflow adds {dag_wall - wall:+.1f} s ({dag_wall / wall - 1:+.0%}) to the day.")
    console.print(f"Machine: {started}, {load_now()}. "
                  f"{versions('scrapy', 'trafilatura', 'torch', 'transformers', 'duckdb')}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
