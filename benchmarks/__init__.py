"""`make bench`: measurements printed as tables (never pass/fail timings in the test suite)."""
