"""Link discovery on one huge section page: `crawlers.discover.article_links` over a generated page
of article links (a quarter of them repeats), against the list-based version it replaced.

Usage: python -m benchmarks.links [--mib 5] [--runs 3]

The page is `<a href>` after `<a href>` until it reaches --mib MiB; each row is the median of --runs
calls on the same string (lxml parse included). The list-based version (`url in found` on a list)
is timed on smaller pages only: it grows with the square of the links, 79 s at 100,000.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import lxml.html
from rich.console import Console
from rich.table import Table

from benchmarks.measure import load_now, machine, versions
from crawlers.discover import article_links, looks_like_article
from newsmon.domain import absolute_url

BASE = "https://news.example/section/robots"


def section_page(size_bytes: int) -> tuple[str, int]:
    """A section page of about size_bytes and the number of links on it."""
    parts, size, n = ["<html><body>"], 0, 0
    while size < size_bytes:
        story = n - n // 4 if n % 4 == 3 else n  # every fourth link repeats an earlier one
        line = f'<a href="/2026/11/{story % 28 + 1:02d}/robots-take-the-night-shift-{story}">Story {story}</a>\n'
        parts.append(line)
        size += len(line)
        n += 1
    parts.append("</body></html>")
    return "".join(parts), n


def list_based(html: str, base_url: str) -> list[str]:
    """article_links as it was before: dedup by `in` on a list (no include/exclude patterns)."""
    tree = lxml.html.fromstring(html)
    page = base_url.split("#")[0]
    found: list[str] = []
    for href in tree.xpath("//body//a/@href"):
        url = (absolute_url(base_url, href) or "").split("#")[0]
        if not url.startswith(("http://", "https://")) or url == page or url in found:
            continue
        if not looks_like_article(urlsplit(url).path):
            continue
        found.append(url)
    return found


def _median_seconds(function: Callable[[str, str], list[str]], html: str, runs: int) -> tuple[float, int]:
    times, found = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        found = len(function(html, BASE))
        times.append(time.perf_counter() - start)
    return statistics.median(times), found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.links")
    parser.add_argument("--mib", type=float, default=5.0, help="size of the biggest page")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    started = machine()
    table = Table(title="Section-page link discovery (article_links), one page, median of runs")
    for column in ("page", "links", "unique articles", "article_links s", "list-based s"):
        table.add_column(column, justify="right")
    for fraction in (0.05, 0.1, 0.2, 1.0):
        html, links = section_page(int(args.mib * fraction * 2**20))
        seconds, found = _median_seconds(article_links, html, args.runs)
        old = "-"
        if fraction <= 0.2:
            old_seconds, old_found = _median_seconds(list_based, html, 1)
            assert old_found == found
            old = f"{old_seconds:.2f}"
        table.add_row(f"{len(html) / 2**20:.2f} MiB", f"{links:,}", f"{found:,}", f"{seconds:.2f}", old)
    console = Console(width=140)
    console.print(table)
    console.print(f"Machine: {started}, {load_now()}. {versions('lxml')}. The list-based version runs once per "
                  "size and not on the biggest page.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
