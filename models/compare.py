"""`python -m models.compare`: runs models.analysis.compare (the comparison lives there)."""

import sys

from models.analysis.compare import main

if __name__ == "__main__":
    sys.exit(main())
