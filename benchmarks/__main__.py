"""Run every benchmark and print its table."""

import sys

from benchmarks import extraction, stories

if __name__ == "__main__":
    sys.exit(extraction.main([]) or stories.main([]))
