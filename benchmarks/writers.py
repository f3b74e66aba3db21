"""Warehouse writers at once on a DuckLake (catalog in a private PostgreSQL on 127.0.0.1, data files
in a local folder): N processes each commit `--commits` loads of `--batch` new articles through the
pipeline's write transaction (the write_lock row). Prints commits per second, retries and wall time
per N, to find how many writers still add throughput before the lock makes them wait.

    python -m benchmarks.writers --writers 1 2 4 --commits 10 --batch 50
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.measure import load_now, machine

WRITER = r"""
import json, sys, time
from datetime import datetime
from newsmon.domain import Article, article_id, content_hash
from warehouse.db import connect_lake, write_transaction
from warehouse.load import upsert_articles

url, data_path, staging_dir, who, commits, batch = sys.argv[1:7]
con = connect_lake(url, data_path=data_path, create=False)
retries = 0
def count(message):
    global retries
    retries += 1
for c in range(int(commits)):
    path = f"{staging_dir}/w{who}-{c}.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for i in range(int(batch)):
            link = f"https://news.example/{who}/{c}/{i}"
            text = f"Body {who} {c} {i}: robots in warehouses, ports and farms."
            article = Article(article_id=article_id(link), url=link, canonical_url=link, source="bench",
                              title=f"Title {i}", text=text, fetched_at=datetime(2026, 12, 1, 8),
                              published_at=datetime(2026, 12, 1, 7), published_from="feed",
                              content_hash=content_hash(text))
            out.write(json.dumps(article.to_record(), default=str) + "\n")
    write_transaction(con, lambda path=path: upsert_articles(con, [path]), attempts=30, on_retry=count)
print(json.dumps({"retries": retries}))
"""


def run(writers: list[int], commits: int, batch: int) -> list[dict]:
    from tests.pg import PostgresServer, unavailable_reason
    from warehouse.db import connect_lake, migrate

    reason = unavailable_reason()
    if reason:
        raise SystemExit(f"writers benchmark needs PostgreSQL: {reason}")
    rows = []
    with PostgresServer() as pg, tempfile.TemporaryDirectory(prefix="newsmon-writers-") as tmp:
        for n in writers:
            dsn = pg.create_database(f"writers_{n}")
            url, data_path = f"ducklake:postgres:{dsn}", str(Path(tmp) / f"files-{n}")
            con = connect_lake(url, data_path=data_path)
            migrate(con)
            con.close()
            staging = Path(tmp) / f"staging-{n}"
            staging.mkdir()
            started = time.perf_counter()
            procs = [subprocess.Popen([sys.executable, "-c", WRITER, url, data_path, str(staging), str(w),
                                       str(commits), str(batch)], stdout=subprocess.PIPE, text=True)
                     for w in range(n)]
            outputs = [p.communicate()[0] for p in procs]
            wall = time.perf_counter() - started
            if any(p.returncode for p in procs):
                raise SystemExit(f"a writer failed with {n} at once")
            retries = sum(json.loads(o.strip().splitlines()[-1])["retries"] for o in outputs)
            rows.append({"writers": n, "commits": n * commits, "wall_s": round(wall, 1),
                         "commits_per_s": round(n * commits / wall, 2), "retries": retries})
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--commits", type=int, default=10)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args(argv)
    print(f"# DuckLake writers at once ({machine()}; {load_now()}); {args.commits} commits of "
          f"{args.batch} articles each per writer")
    print("| writers | commits | wall s | commits/s | retries |")
    print("|---:|---:|---:|---:|---:|")
    for row in run(args.writers, args.commits, args.batch):
        print(f"| {row['writers']} | {row['commits']} | {row['wall_s']} | {row['commits_per_s']} | {row['retries']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
