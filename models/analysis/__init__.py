"""Analyses of the classifier run by hand (`python -m models.compare`, `python -m models.keys`) and
their results, which the model card quotes (results)."""
