"""The pipeline steps as plain functions: crawl, load, classify, cluster, digest, and the daily run.

One module per step (store: warehouse connections and the readers' snapshot; readers; crawl; check;
load; health; model; feedback; score; stories; extract; digest; daily; shared and upkeep: the
workers' object store and the lake's weekly upkeep). This package is the one place in newsmon that
imports `crawlers`, `models` and `warehouse`; heavy imports stay inside functions so the CLI and the
DAGs stay quick to import. What the CLI, newsmon.tasks, the demo, the web app, the tests and the
benchmarks call is re-exported here; the rest is imported from its step module.
"""

from newsmon.pipeline.check import check_source
from newsmon.pipeline.common import FeedbackNotSaved, PipelineError, check_run_id, run_dir
from newsmon.pipeline.crawl import crawl_source, crawl_sources, sources_to_crawl
from newsmon.pipeline.daily import run_daily
from newsmon.pipeline.digest import (
    digest_parts,
    iso_week_bounds,
    last_complete_week,
    latest_article_week,
    render_digest_preview,
    send_digest,
)
from newsmon.pipeline.extract import extract_files
from newsmon.pipeline.feedback import export_feedback, label_article
from newsmon.pipeline.health import HealthReport, check_health
from newsmon.pipeline.load import load_day, load_run
from newsmon.pipeline.model import (
    distill_model,
    evaluate_model,
    model_for_run,
    model_path,
    require_model,
    train_and_distill,
    train_config,
    train_model,
)
from newsmon.pipeline.readers import (
    example_queries,
    export,
    open_review,
    reindex,
    run_sql,
    search_articles,
    source_health,
)
from newsmon.pipeline.score import classify_texts, classify_unscored, history_pending
from newsmon.pipeline.store import (
    connection,
    feedback_queue_dir,
    migrate_warehouse,
    migration_status,
    publish_snapshot,
    publish_warehouse,
    snapshot_file,
)
from newsmon.pipeline.stories import cluster_unclustered

__all__ = [
    "PipelineError",
    "FeedbackNotSaved",
    "check_run_id",
    "run_dir",
    "connection",
    "migrate_warehouse",
    "migration_status",
    "snapshot_file",
    "feedback_queue_dir",
    "publish_snapshot",
    "publish_warehouse",
    "run_sql",
    "source_health",
    "example_queries",
    "search_articles",
    "reindex",
    "export",
    "open_review",
    "crawl_source",
    "crawl_sources",
    "sources_to_crawl",
    "check_source",
    "load_run",
    "load_day",
    "HealthReport",
    "check_health",
    "model_path",
    "train_config",
    "train_model",
    "train_and_distill",
    "distill_model",
    "require_model",
    "model_for_run",
    "evaluate_model",
    "label_article",
    "export_feedback",
    "classify_texts",
    "classify_unscored",
    "history_pending",
    "cluster_unclustered",
    "extract_files",
    "iso_week_bounds",
    "last_complete_week",
    "latest_article_week",
    "digest_parts",
    "render_digest_preview",
    "send_digest",
    "run_daily",
]
