"""Crawl + extract throughput on a generated site served on 127.0.0.1: newsmon against news-please.

Usage: python -m benchmarks.crawl [--pages 5000] [--runs 3] [--workers 0,1,2] [--peer-runs N]
                                  [--batch 100] [--no-peer]

The site (benchmarks/news_site.py: N article pages in four templates, 300-900-word bodies, RSS feed,
sitemap index) is served by a threaded server in its own process. newsmon crawls it through the real
pipeline (`newsmon.pipeline.crawl_sources`: a Scrapy subprocess for the source, listings read from
the sitemap index and feed) with politeness off: no download delay, AutoThrottle off, 8 requests at
once, no article limit; once per `--workers` value (NEWSMON_CRAWL__EXTRACT_WORKERS: 0 extracts in
the crawl process, N in N worker processes). news-please (PyPI, in its own virtualenv under
data/bench-venvs/, created on first use) fetches the same URLs in library mode,
`NewsPlease.from_urls` in batches. Both are timed from process start to the last page extracted.

Reported per configuration: article pages per second (median of the runs), CPU seconds per page
(all processes but the site's server), peak memory of the crawl's process tree, and extraction
quality against the generated bodies with benchmarks.extraction's metric (4-token shingles).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.extraction import evaluate
from benchmarks.measure import PeakMemory, children_cpu_seconds, load_now, machine, versions
from benchmarks.news_site import Site, generate_site, serve

ROOT = Path(__file__).resolve().parents[1]
PEER_VENV = ROOT / "data" / "bench-venvs" / "news-please"
PEER_PACKAGE = "news-please==1.6.16"
RUNNER = Path(__file__).resolve().parent / "news_please_runner.py"


def _peer_python(install: bool) -> tuple[Path | None, str]:
    """news-please's Python, creating its virtualenv when asked; or None and why not."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists() and install:
        print(f"installing {PEER_PACKAGE} into {PEER_VENV} (once)", file=sys.stderr)
        PEER_VENV.parent.mkdir(parents=True, exist_ok=True)
        made = subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], capture_output=True, text=True)
        if made.returncode == 0:
            made = subprocess.run([str(PEER_VENV / "bin" / "pip"), "install", "-q", PEER_PACKAGE],
                                  capture_output=True, text=True)
        if made.returncode != 0:
            lines = [line for line in (made.stderr or made.stdout).splitlines() if line.strip()]
            shutil.rmtree(PEER_VENV, ignore_errors=True)
            return None, f"could not install {PEER_PACKAGE}: {lines[-1] if lines else made.returncode}"
    if not python.exists():
        return None, f"not installed: no virtualenv at {PEER_VENV}"
    check = subprocess.run([str(python), "-c", "import newsplease"], capture_output=True, text=True)
    if check.returncode != 0:
        lines = [line for line in check.stderr.splitlines() if line.strip()]
        return None, f"news-please does not import: {lines[-1] if lines else check.returncode}"
    return python, ""


def _newsmon_once(base: str, site: Site, workers: int, root: Path, server_pid: int) -> dict:
    from newsmon.config import CrawlSettings, Settings
    from newsmon.domain import Source
    from newsmon.pipeline import crawl_sources

    data_dir = Path(tempfile.mkdtemp(prefix=f"newsmon-w{workers}-", dir=root))
    most = max(len(s.articles) for s in site.sources)
    settings = Settings(data_dir=data_dir, crawl=CrawlSettings(
        download_delay=0, autothrottle=False, concurrent_per_domain=8, max_articles_per_source=most + 100,
        allow_private_hosts=True, source_timeout=6 * 3600, extract_workers=workers))
    sources = [Source(name=s.name, homepage=f"{base}{s.prefix}/", feeds=tuple(f"{base}{f}" for f in s.feeds),
                      sitemaps=tuple(f"{base}{m}" for m in s.sitemaps), allowed_domains=("127.0.0.1",))
               for s in site.sources]
    cpu = children_cpu_seconds()
    with PeakMemory(exclude={server_pid}) as memory:
        started = time.perf_counter()
        results = crawl_sources(sources, run_id="bench", settings=settings)
        seconds = time.perf_counter() - started
    predictions = {}
    for result in results:
        for line in Path(result.staging_path).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            predictions[record["url"].removeprefix(base)] = record["text"]
    shutil.rmtree(data_dir, ignore_errors=True)
    return {"seconds": seconds, "fetched": sum(r.pages_fetched for r in results), "extracted": len(predictions),
            "cpu": max(memory.cpu_seconds or 0.0, children_cpu_seconds() - cpu), "peak": memory.peak_bytes,
            "predictions": predictions, "error": next((r.error for r in results if r.error), None)}


def _peer_once(python: Path, base: str, paths: list[str], batch: int, root: Path, server_pid: int) -> dict:
    urls, out = root / "urls.txt", root / "news-please.jsonl"
    urls.write_text("".join(f"{base}{path}\n" for path in paths), encoding="utf-8")
    cpu = children_cpu_seconds()
    with PeakMemory(exclude={server_pid}) as memory:
        started = time.perf_counter()
        done = subprocess.run([str(python), str(RUNNER), str(urls), str(out), "--batch", str(batch)],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        return {"error": f"news-please failed: {lines[-1] if lines else done.returncode}"}
    predictions = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        predictions[record["url"].removeprefix(base)] = record["text"]
    return {"seconds": seconds, "fetched": len(paths), "extracted": sum(bool(t) for t in predictions.values()),
            "cpu": max(memory.cpu_seconds or 0.0, children_cpu_seconds() - cpu), "peak": memory.peak_bytes,
            "predictions": predictions,
            "error": None}


def _summary(name: str, runs: list[dict], truth: dict[str, str]) -> dict:
    quality = evaluate(truth, runs[-1]["predictions"])
    return {"name": name, "runs": len(runs), "pages": runs[-1]["fetched"], "extracted": runs[-1]["extracted"],
            "pages_per_s": statistics.median(r["fetched"] / r["seconds"] for r in runs),
            "seconds": statistics.median(r["seconds"] for r in runs),
            "cpu_per_page": statistics.median(r["cpu"] / max(r["fetched"], 1) for r in runs),
            "peak_mib": statistics.median(r["peak"] for r in runs) / 2**20, **quality}


def run(sources: int, pages: int, runs: int, workers: list[int], peer_runs: int, batch: int,
        peer: bool) -> tuple[list[dict], dict]:
    """`sources` sources of `pages` article pages each; news-please (when `peer`) on the same URLs."""
    python, why = _peer_python(install=True) if peer else (None, "left out")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="newsmon-bench-crawl-") as tmp:
        root = Path(tmp)
        site = generate_site(root / "site", sources=sources, articles=pages)
        info = {"pages": site.pages, "mean_kib": site.bytes_total / site.pages / 1024, "peer_note": why,
                "memory_method": PeakMemory().method}
        with serve(site.root) as (base, server_pid):
            measured: dict[str, list[dict]] = {}
            for n in range(max(runs, peer_runs if python else 0)):
                if n < runs:  # configurations interleaved, so a busy spell on a shared CPU hits them all
                    for count in workers:
                        name = f"newsmon, extract_workers={count}"
                        measured.setdefault(name, []).append(_newsmon_once(base, site, count, root, server_pid))
                if python and n < peer_runs:
                    result = _peer_once(python, base, list(site.truth), batch, root, server_pid)
                    if result["error"]:
                        info["peer_note"] = result["error"]
                        python = None
                    else:
                        measured.setdefault("news-please", []).append(result)
        for name, results in measured.items():
            rows.append(_summary(name, results, site.truth))
    return rows, info


def _table(rows: list[dict], info: dict, title: str, peer: bool) -> Table:
    theirs = next((r for r in rows if r["name"] == "news-please"), None)
    baseline = next((r for r in rows if r["name"].endswith("=0")), None)
    columns = ["crawler", "runs", "pages", "pages/s", *(["vs news-please"] if peer else []), "vs 1 process",
               "CPU s/page", "peak RSS (MiB)", "F1", "precision", "recall", "exact"]
    table = Table(*columns, title=f"{title} ({info['pages']:,} pages, mean {info['mean_kib']:.0f} KiB), "
                                  "politeness off; medians of the runs")
    for row in rows:
        ratio = [f"{row['pages_per_s'] / theirs['pages_per_s']:.1f}×" if theirs else "—"] if peer else []
        table.add_row(row["name"], str(row["runs"]), f"{row['pages']:,}", f"{row['pages_per_s']:.1f}", *ratio,
                      f"{row['pages_per_s'] / baseline['pages_per_s']:.2f}×"
                      if baseline and row["name"].startswith("newsmon") else "—",
                      f"{row['cpu_per_page'] * 1000:.0f} ms", f"{row['peak_mib']:.0f}", f"{row['f1']:.3f}",
                      f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['accuracy']:.3f}")
    if peer and theirs is None:
        table.add_row("news-please", *["—"] * (len(columns) - 2), info["peer_note"])
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crawl")
    parser.add_argument("--pages", type=int, default=5000, help="article pages of the one big source")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", default="0,1,2", help="extract_workers values to compare")
    parser.add_argument("--peer-runs", type=int, default=None, help="news-please runs (default: --runs)")
    parser.add_argument("--batch", type=int, default=100, help="URLs per NewsPlease.from_urls call")
    parser.add_argument("--no-peer", action="store_true", help="leave news-please out")
    parser.add_argument("--small", default="40x50",
                        help="SOURCESxPAGES for the many-small-sources table, as a daily run crawls ('0': skip)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    started = machine()
    workers = [int(w) for w in args.workers.split(",")]
    console = Console(width=180)
    rows, info = run(1, args.pages, args.runs, workers, args.runs if args.peer_runs is None else args.peer_runs,
                     args.batch, not args.no_peer)
    console.print(_table(rows, info, "Crawl + extract, one source on 127.0.0.1", peer=True))
    if args.small != "0":
        sources, pages = (int(n) for n in args.small.lower().split("x"))
        from newsmon.config import CrawlSettings

        rows, info = run(sources, pages, args.runs, workers, 0, args.batch, peer=False)
        console.print(_table(rows, info, f"Crawl + extract, {sources} sources × {pages} pages, "
                                         f"{CrawlSettings().parallel_sources} sources at once", peer=False))
    console.print(f"Machine: {started}, {load_now()}. {versions('scrapy', 'trafilatura', 'lxml')}"
                  + ("" if args.no_peer else f"; news-please from {PEER_PACKAGE} in {PEER_VENV.relative_to(ROOT)}")
                  + f". Peak memory: {info['memory_method']}, the site's server left out. CPU: all processes "
                  "but the server.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
