"""`python -m models.keys`: runs models.analysis.keys (the analysis lives there)."""

import sys

from models.analysis.keys import main

if __name__ == "__main__":
    sys.exit(main())
