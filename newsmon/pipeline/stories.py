"""Cluster: group articles into stories (the same news from several outlets)."""

from __future__ import annotations

from newsmon.config import Settings
from newsmon.pipeline.common import warn
from newsmon.pipeline.store import connection, publish_snapshot


def cluster_unclustered(settings: Settings) -> int:
    """Give every article without a story one (warehouse.stories), with the base encoder's sentence
    embeddings (the classifier's base model, loaded only when there is something to cluster); return
    how many were clustered."""
    from models.encoder import Encoder
    from warehouse.db import write_transaction
    from warehouse.stories import assign_stories, unclustered_count

    with connection(settings) as con:
        clustered = 0
        if unclustered_count(con):
            encoder = Encoder(settings.model.base_model, max_length=256, batch_size=settings.model.batch_size,
                              normalize=True, precision=settings.model.precision)
            counts = write_transaction(con, lambda: assign_stories(
                con, window_hours=settings.warehouse.story_window_hours,
                threshold=settings.warehouse.story_threshold, embed=encoder.encode,
                embed_model=settings.model.base_model), on_retry=warn)
            clustered = sum(counts.values())
        publish_snapshot(settings, con)
        return clustered
