"""Cluster: group articles into stories (the same news from several outlets)."""

from __future__ import annotations

from newsmon.config import Settings
from newsmon.pipeline.common import warn
from newsmon.pipeline.store import connection, publish_snapshot


def cluster_new(settings: Settings) -> int:
    """Give every article without a story one; return how many were clustered."""
    with connection(settings) as con:
        clustered = sum(cluster_stories(settings, con).values())
        publish_snapshot(settings, con)
        return clustered


def cluster_stories(settings: Settings, con) -> dict[str, int]:
    """Give the articles without a story one (warehouse.stories), with the base encoder's sentence
    embeddings (the classifier's base model, loaded only when there is something to cluster)."""
    from models.encoder import Encoder
    from warehouse.db import write_transaction
    from warehouse.stories import assign_stories, unclustered_count

    if not unclustered_count(con):
        return {"first": 0, "exact": 0, "similar": 0}
    encoder = Encoder(settings.model.base_model, max_length=256, batch_size=settings.model.batch_size,
                      normalize=True, precision=settings.model.precision)
    return write_transaction(con, lambda: assign_stories(
        con, window_hours=settings.warehouse.story_window_hours, threshold=settings.warehouse.story_threshold,
        embed=encoder.encode, embed_model=settings.model.base_model), on_retry=warn)
