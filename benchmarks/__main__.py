"""Run every benchmark and print its table (`make bench`)."""

import sys
from pathlib import Path

from benchmarks import bulk, classifier, crawl, daily, extraction, links, realnews, stories, warehouse
from models.artifact import latest_model

if __name__ == "__main__":
    status = extraction.main([]) or links.main([]) or stories.main([]) or warehouse.main([]) or crawl.main([])
    if latest_model(Path("data") / "models") is None:
        print("classifier benchmark skipped: no trained model under data/models (run `newsmon train`)")
    else:
        status = status or classifier.main([]) or realnews.main([]) or bulk.main([])
    # the daily run trains a frozen model for itself when data/models has none
    status = status or daily.main(["--airflow"])
    sys.exit(status)
