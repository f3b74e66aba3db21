"""`python -m newsmon.sample_site [--host H] [--port P]`: serve the sample site until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import threading

from newsmon.sample_site.server import SampleSite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newsmon.sample_site",
                                     description="Serve the fictional Circuit Ledger news site locally.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on; 0 picks a free one")
    args = parser.parse_args(argv)
    with SampleSite(args.host, args.port) as site:
        print(f"Circuit Ledger sample site: {site.base_url}/")
        for name, url in site.feed_urls().items():
            print(f"  {name} feed: {url}")
        print(f"  sitemap:  {site.base_url}/sitemap.xml")
        print("Press Ctrl-C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
