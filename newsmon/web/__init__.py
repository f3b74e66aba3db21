"""The review app (`newsmon serve`): analysts browse what was flagged and correct the classifier."""
