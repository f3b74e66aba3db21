"""Crawl a list of URLs with news-please in library mode; run by benchmarks/crawl.py with the Python of
a separate virtualenv that has news-please installed (its pins conflict with newsmon's).

Usage: PYTHON news_please_runner.py URLS.txt OUT.jsonl [--batch 100] [--timeout 30] [--no-images]

Writes one JSON line per URL: {"url", "text"} (news-please's `maintext`, "" when it found none).
`NewsPlease.from_urls` fetches a batch with a thread per URL, then extracts the batch in a process
pool of one worker per core; the batches run one after another.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("urls")
    parser.add_argument("out")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--no-images", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    started = time.perf_counter()
    from newsplease import NewsPlease

    urls = [line.strip() for line in open(args.urls, encoding="utf-8") if line.strip()]
    found = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for start in range(0, len(urls), args.batch):
            batch = urls[start:start + args.batch]
            # request_args must carry a timeout: from_urls reads request_args.get("timeout") when it
            # collects the extractions, and with None every article comes back empty
            results = NewsPlease.from_urls(batch, request_args={"timeout": args.timeout},
                                           fetch_images=not args.no_images)
            for url in batch:
                article = results.get(url)
                text = getattr(article, "maintext", None) or ""
                found += bool(text)
                out.write(json.dumps({"url": url, "text": text}) + "\n")
    print(json.dumps({"urls": len(urls), "with_text": found, "seconds": time.perf_counter() - started}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
