"""The review app beside the writer: page render times, and a `newsmon load` while the app serves
20 requests a second (and the reverse: the app's latency while the load runs).

Usage: python -m benchmarks.web [--size 1000000] [--load 20000] [--rate 20] [--keep DIR]

A warehouse of --size synthetic articles (the warehouse benchmark's articles, made inside DuckDB by
benchmarks.warehouse.generate_articles, and its enrichment: 50 sources, 52 weeks, one model's
scores, a sector and a story each, the full-text index) is built once and its snapshot published.
Then, each on a fresh copy of that warehouse (--pages-only: the page render times alone):
  1. `newsmon load` of --load new articles with no app running (the load's own time);
  2. `newsmon serve` answering --rate requests a second (week, trends, search, article, sources in
     turn) with no load: the app's own latency;
  3. both at once: the load's time and the app's latency while it runs (publishing included);
  4. the same with `newsmon serve --live` (reading the writer's file, as every reader did before the
     snapshot): how long a page waits for the load.
Page render times (server-side, from the Server-Timing header, and end to end) on the idle app: the
first view after the snapshot was published (the app caches what it read from a snapshot until the
next one), then the median of 7 more.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.warehouse import _enrich, generate_articles, write_staging
from tests.servers import free_port
from warehouse.db import connect, migrate
from warehouse.search import rebuild_index
from warehouse.snapshot import publish_snapshot

RUN_ID = "2026-11-24"


def build(data: Path, size: int, load: int) -> str:
    """The base warehouse and its snapshot under data/, and a staging run of `load` new articles;
    returns the busiest ISO week (the week page's)."""
    data.mkdir(parents=True)
    con = connect(data / "newsmon.duckdb")
    migrate(con)
    generate_articles(con, size)  # set-based in DuckDB: 1M articles in a minute, not staging files
    _enrich(con)
    con.execute("insert into sources select distinct source, 'https://' || source || '.example/', [], [], [], true"
                " from articles")
    rebuild_index(con)
    publish_snapshot(con, data / "newsmon.snapshot.duckdb")
    week = con.execute("select strftime(published_at, '%G-W%V') from articles group by 1 order by count(*) desc,"
                       " 1 desc limit 1").fetchone()[0]
    con.close()
    run = data / "staging" / RUN_ID
    run.mkdir(parents=True)
    for path in write_staging(run, load, seed=29):  # new ids: the generator numbers from 0, so shift them
        lines = []
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            n = int(record["article_id"], 16) + 10 * size
            record["article_id"] = f"{n:016x}"
            record["url"] = record["canonical_url"] = record["url"].rsplit("/", 1)[0] + f"/{n}"
            lines.append(json.dumps(record))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return week


def fresh_copy(base: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(base, target, symlinks=True)


# seconds a load waits for the file beside a --live app before it gives up (--lock-timeout)
LOCK_TIMEOUT = {"seconds": 120}


def env_for(data: Path) -> dict:
    sources = data / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    return {**os.environ, "NEWSMON_DATA_DIR": str(data), "NEWSMON_SOURCES_FILE": str(sources),
            "NEWSMON_WAREHOUSE__LOCK_TIMEOUT": str(LOCK_TIMEOUT["seconds"])}


def timed_load(data: Path) -> float | str:
    """The load's seconds, or why it failed (beside a --live app it may never get the file)."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "newsmon", "load", "--run-id", RUN_ID], env=env_for(data),
                            capture_output=True, text=True)
    if result.returncode:
        return f"failed after {time.perf_counter() - started:.0f} s: {result.stderr.strip().splitlines()[-1][:80]}"
    return time.perf_counter() - started


class App:
    def __init__(self, data: Path, live: bool = False) -> None:
        self.port = free_port()
        args = [sys.executable, "-m", "newsmon", "serve", "--port", str(self.port)] + (["--live"] if live else [])
        self.proc = subprocess.Popen(args, env=env_for(data), stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while True:
            try:
                self.get("/sources")
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise SystemExit("newsmon serve did not start") from None
                time.sleep(0.2)

    def get(self, path: str) -> tuple[int, float, float | None]:
        """(status, seconds end to end, server-side ms from Server-Timing)."""
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        timing = response.headers.get("server-timing")
        conn.close()
        return response.status, elapsed, float(timing.split("dur=")[1]) if timing else None

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def traffic(app: App, paths: list[str], rate: float, stop: threading.Event) -> list[tuple[float, float, int]]:
    """GETs at `rate` a second, each on its own thread so a slow one delays no other; returns
    (start offset, seconds, status) per request."""
    results: list[tuple[float, float, int]] = []
    threads = []
    t0 = time.perf_counter()
    n = 0

    def one(path: str, at: float) -> None:
        try:
            status, elapsed, _ = app.get(path)
        except OSError:
            status, elapsed = 0, float("nan")
        results.append((at, elapsed, status))

    while not stop.is_set():
        thread = threading.Thread(target=one, args=(paths[n % len(paths)], time.perf_counter() - t0))
        thread.start()
        threads.append(thread)
        n += 1
        time.sleep(max(0.0, t0 + n / rate - time.perf_counter()))
    for thread in threads:
        thread.join()
    return results


def summary(results: list[tuple[float, float, int]]) -> dict:
    times = sorted(r[1] for r in results if r[2] == 200)
    return {"requests": len(results), "errors": sum(r[2] != 200 for r in results),
            "p50": statistics.median(times) if times else float("nan"),
            "p95": times[int(0.95 * (len(times) - 1))] if times else float("nan"),
            "max": times[-1] if times else float("nan")}


def _seconds(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:.1f}"


def _render_table(console: Console, renders: dict, size: int, snapshot_mib: float, week: str) -> None:
    table = Table("page", "first view: server (ms)", "end to end (ms)", "again: server (ms)", "end to end (ms)",
                  title=f"Review app pages at {size:,} articles (snapshot {snapshot_mib:,.0f} MiB), week {week};"
                        " first view after a publish, then the median of 7 more")
    for name, (first_server, first_total, server, total) in renders.items():
        table.add_row(name, f"{first_server:.0f}", f"{1000 * first_total:.0f}", f"{server:.1f}", f"{1000 * total:.0f}")
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.web")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--load", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--lock-timeout", type=int, default=LOCK_TIMEOUT["seconds"],
                        help="seconds a load waits for the writer's file beside the --live app")
    parser.add_argument("--pages-only", action="store_true", help="measure page render times, not the load scenarios")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the warehouse here instead of a temporary folder")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    LOCK_TIMEOUT["seconds"] = args.lock_timeout
    console = Console(width=160)
    with tempfile.TemporaryDirectory(prefix="newsmon-web-bench-") as tmp:
        root = args.keep or Path(tmp)
        base = root / f"base-{args.size}"
        week_file = root / f"week-{args.size}.txt"
        started = time.perf_counter()
        if not week_file.exists():
            week_file.write_text(build(base, args.size, args.load), encoding="utf-8")
            console.print(f"built {args.size:,} articles in {time.perf_counter() - started:.0f} s")
        week = week_file.read_text(encoding="utf-8").strip()
        work = root / "work"
        snapshot_mib = os.path.getsize(os.path.realpath(base / "newsmon.snapshot.duckdb")) / 2**20

        # page render times on the idle app
        fresh_copy(base, work)
        app = App(work)
        pages = {"week": f"/week?week={week}", "trends": f"/trends?week={week}",
                 "trend chart": f"/charts/trend.png?week={week}", "search": "/search?q=robots+warehouse",
                 "search, filtered": "/search?q=robots&label=integration&sector=energy",
                 "article": "/article/0000000000000007", "sources": "/sources"}
        renders = {}
        app.get("/favicon.ico")  # the app's own start (the snapshot opened) is not a page's cost
        for name, path in pages.items():
            status, first_total, first_server = app.get(path)
            runs = [app.get(path) for _ in range(7)]
            assert status == 200 and all(r[0] == 200 for r in runs), (name, status)
            renders[name] = (first_server, first_total, statistics.median(r[2] for r in runs),
                             statistics.median(r[1] for r in runs))
        mix = [pages[name] for name in ("week", "search", "article", "sources", "trends")]
        stop = threading.Event()
        threading.Timer(args.idle_seconds, stop.set).start()
        idle = summary(traffic(app, mix, args.rate, stop))
        app.stop()
        _render_table(console, renders, args.size, snapshot_mib, week)  # now: the load scenarios take long
        if args.pages_only:
            return 0

        fresh_copy(base, work)
        alone = timed_load(work)

        rows = {}
        for live in (False, True):
            fresh_copy(base, work)
            app = App(work, live=live)
            for path in mix:  # a running app: its pages have been viewed since the last publish
                app.get(path)
            stop = threading.Event()
            holder: dict = {}
            thread = threading.Thread(target=lambda h=holder, a=app, s=stop: h.update(r=traffic(a, mix, args.rate, s)))
            thread.start()
            time.sleep(2)
            loaded = timed_load(work)
            time.sleep(1)
            stop.set()
            thread.join()
            app.stop()
            window = [r for r in holder["r"] if r[0] >= 2 - 0.01]
            rows[live] = (loaded, summary(window))

    table = Table("scenario", "load (s)", "requests", "errors", "p50 (ms)", "p95 (ms)", "max (ms)",
                  title=f"newsmon load of {args.load:,} new articles beside the app at {args.rate:g} requests/s")
    table.add_row("load alone", _seconds(alone), "", "", "", "", "")
    table.add_row(f"app alone ({args.idle_seconds:g} s)", "", str(idle["requests"]), str(idle["errors"]),
                  f"{1000 * idle['p50']:.0f}", f"{1000 * idle['p95']:.0f}", f"{1000 * idle['max']:.0f}")
    for live, label in ((False, "load + app on the snapshot"), (True, "load + app --live (writer's file)")):
        loaded, s = rows[live]
        table.add_row(label, _seconds(loaded), str(s["requests"]), str(s["errors"]), f"{1000 * s['p50']:.0f}",
                      f"{1000 * s['p95']:.0f}", f"{1000 * s['max']:.0f}")
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
