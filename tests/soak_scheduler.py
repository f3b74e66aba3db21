"""The real-scheduler test three times in a row while a CPU-heavy process runs beside it (the test
must not need an idle machine). Not part of `make test`: `python -m tests.soak_scheduler [--runs N]
[--hogs N]`; prints one line per round and exits non-zero if any failed."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

TEST = "tests/integration/test_airflow_scheduler.py"
# pure Python arithmetic: one core busy for as long as it runs
HOG = "x = 0\nwhile True:\n    x = (x * 7 + 3) % 1000003\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hogs", type=int, default=1, help="CPU-heavy processes beside the test")
    args = parser.parse_args()
    hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(args.hogs)]
    failed = 0
    try:
        for round_ in range(1, args.runs + 1):
            started = time.monotonic()
            result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST],
                                    capture_output=True, text=True)
            seconds = time.monotonic() - started
            last = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
            print(f"round {round_}/{args.runs}: {'passed' if result.returncode == 0 else 'FAILED'} in {seconds:.0f} s"
                  f" beside {args.hogs} busy process(es): {last}", flush=True)
            if result.returncode != 0:
                failed += 1
                print(result.stdout[-4000:], result.stderr[-2000:], sep="\n", flush=True)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
