"""The pipeline steps as plain functions: crawl, load, classify, cluster, digest, and the daily run.

One module per step (store: warehouse connections and the readers' snapshot; readers; crawl; check;
load; health; model; feedback; score; stories; extract; digest; daily). This package is the one
place in newsmon that imports `crawlers`, `models` and `warehouse`; heavy imports stay inside
functions so the CLI and the DAGs stay quick to import. Everything the DAGs, the CLI, the demo, the
web app and the tests call is re-exported here.
"""

from newsmon.pipeline.check import (
    check_source,
)
from newsmon.pipeline.common import (
    PipelineError,
    check_run_id,
    run_dir,
    warn,
)
from newsmon.pipeline.crawl import (
    crawl_source,
    crawl_sources,
    enabled_source_names,
    known_url_keys,
    sources_to_crawl,
)
from newsmon.pipeline.daily import (
    RunReport,
    Step,
    run_daily,
)
from newsmon.pipeline.digest import (
    DigestParts,
    digest_parts,
    iso_week_bounds,
    last_complete_week,
    latest_article_week,
    render_digest_preview,
    send_digest,
)
from newsmon.pipeline.extract import (
    extract_files,
)
from newsmon.pipeline.feedback import (
    export_feedback,
    label_article,
)
from newsmon.pipeline.health import (
    HealthReport,
    check_health,
)
from newsmon.pipeline.load import (
    LoadReport,
    load_day,
    load_run,
    staged_results,
)
from newsmon.pipeline.model import (
    Steps,
    distill_model,
    ensure_model,
    evaluate_model,
    has_model,
    load_classifier,
    model_for_run,
    model_path,
    train_config,
    train_current_model,
    train_model,
)
from newsmon.pipeline.readers import (
    export,
    open_review,
    reindex,
    run_sql,
    search_articles,
)
from newsmon.pipeline.score import (
    classify_records,
    classify_warehouse,
    history_pending,
)
from newsmon.pipeline.store import (
    connection,
    feedback_queue_dir,
    migrate_warehouse,
    migration_status,
    open_read_only,
    publish_snapshot,
    publish_warehouse,
    read_existing,
    reader_target,
    snapshot_file,
)
from newsmon.pipeline.stories import (
    cluster_new,
    cluster_stories,
)

# the old name of connection(), for callers outside newsmon (tests, notebooks); inside newsmon,
# `warehouse` is the package
warehouse = connection

__all__ = [
    "PipelineError",
    "check_run_id",
    "run_dir",
    "warn",
    "connection",
    "warehouse",
    "open_read_only",
    "migrate_warehouse",
    "migration_status",
    "snapshot_file",
    "feedback_queue_dir",
    "reader_target",
    "publish_snapshot",
    "publish_warehouse",
    "read_existing",
    "run_sql",
    "search_articles",
    "reindex",
    "export",
    "open_review",
    "known_url_keys",
    "crawl_source",
    "crawl_sources",
    "enabled_source_names",
    "sources_to_crawl",
    "check_source",
    "LoadReport",
    "staged_results",
    "load_run",
    "load_day",
    "HealthReport",
    "check_health",
    "Steps",
    "model_path",
    "train_config",
    "train_model",
    "distill_model",
    "train_current_model",
    "has_model",
    "ensure_model",
    "load_classifier",
    "evaluate_model",
    "model_for_run",
    "label_article",
    "export_feedback",
    "classify_records",
    "classify_warehouse",
    "history_pending",
    "cluster_new",
    "cluster_stories",
    "extract_files",
    "iso_week_bounds",
    "last_complete_week",
    "latest_article_week",
    "DigestParts",
    "digest_parts",
    "render_digest_preview",
    "send_digest",
    "RunReport",
    "Step",
    "run_daily",
]
