-- The first schema: sources, crawl runs, articles, models and their classifications.
-- All timestamps are UTC, stored without a time zone.

create table sources (
    name        varchar primary key,
    homepage    varchar not null,
    feeds       varchar[],
    sitemaps    varchar[],
    sections    varchar[],
    enabled     boolean not null default true
);
comment on table sources is 'News sources as configured in sources.yaml, refreshed on every load.';
comment on column sources.name is 'Short unique name of the source, used as articles.source.';
comment on column sources.homepage is 'Home page URL of the outlet.';
comment on column sources.feeds is 'RSS/Atom feed URLs crawled for this source.';
comment on column sources.sitemaps is 'Sitemap URLs crawled for this source.';
comment on column sources.sections is 'Section pages whose article links are followed.';
comment on column sources.enabled is 'False when the source is configured but switched off.';

create table crawl_runs (
    run_id          varchar not null,
    source          varchar not null,
    started_at      timestamp,
    finished_at     timestamp,
    ok              boolean not null,
    articles        integer not null default 0,
    entries_seen    integer not null default 0,
    pages_fetched   integer not null default 0,
    skipped_known   integer not null default 0,
    failures_total  integer not null default 0,
    error           varchar,
    failures        json,
    primary key (run_id, source)
);
comment on table crawl_runs is 'One row per source and crawl run: what was fetched and what failed.';
comment on column crawl_runs.run_id is 'Crawl run id (the run''s logical date, YYYY-MM-DD, unless given).';
comment on column crawl_runs.source is 'sources.name of the crawled source.';
comment on column crawl_runs.started_at is 'When the source''s crawl started (UTC).';
comment on column crawl_runs.finished_at is 'When the source''s crawl ended (UTC).';
comment on column crawl_runs.ok is 'True when at least one feed of the source was fetched and parsed.';
comment on column crawl_runs.articles is 'Articles extracted and staged in this run.';
comment on column crawl_runs.entries_seen is 'Feed entries seen.';
comment on column crawl_runs.pages_fetched is 'Article pages downloaded.';
comment on column crawl_runs.skipped_known is 'Entries not fetched because the article was already known.';
comment on column crawl_runs.failures_total is 'Number of failed requests and extractions.';
comment on column crawl_runs.error is 'Why the source failed as a whole (null when ok).';
comment on column crawl_runs.failures is 'JSON list of failures: kind (dns, timeout, http, parse, robots, ...), url, message.';

create table articles (
    article_id        varchar primary key,
    url               varchar not null,
    canonical_url     varchar not null,
    source            varchar not null,
    title             varchar not null,
    author            varchar,
    published_at      timestamp,
    published_from    varchar,
    fetched_at        timestamp not null,
    language          varchar,
    text              varchar not null,
    content_hash      varchar not null,
    extraction_method varchar,
    feed_url          varchar,
    run_id            varchar
);
comment on table articles is 'One row per article, keyed by a hash of its canonical URL; loads upsert into it.';
comment on column articles.article_id is 'First 16 hex digits of SHA-256 of canonical_url.';
comment on column articles.url is 'URL the page was fetched from.';
comment on column articles.canonical_url is 'rel=canonical when on the same site, else the URL without tracking parameters.';
comment on column articles.source is 'sources.name of the source that first staged the article.';
comment on column articles.title is 'Headline.';
comment on column articles.author is 'Byline as the page states it.';
comment on column articles.published_at is 'Publication time (UTC).';
comment on column articles.published_from is 'Where published_at came from: feed, page, url or first_seen.';
comment on column articles.fetched_at is 'When the page was fetched (UTC).';
comment on column articles.language is 'ISO 639-1 language code detected from the text.';
comment on column articles.text is 'Extracted article body, paragraphs separated by newlines.';
comment on column articles.content_hash is 'Hash of the case- and whitespace-folded text: equal for exact copies.';
comment on column articles.extraction_method is 'Extractor and version that produced text.';
comment on column articles.feed_url is 'Feed in which the article was found.';
comment on column articles.run_id is 'crawl_runs.run_id of the crawl that staged the article.';

create table models (
    model_version  varchar primary key,
    base_model     varchar not null,
    method         varchar not null,
    trained_at     timestamp not null,
    thresholds     json not null,
    metrics        json,
    activated_at   timestamp not null
);
comment on table models is 'Classifier versions that have scored articles; the current one has the latest activated_at.';
comment on column models.model_version is 'Version id of the trained artifact (hash of data, config and base model).';
comment on column models.base_model is 'Encoder checkpoint the classifier was built on.';
comment on column models.method is 'Training method, e.g. frozen encoder with a logistic-regression head.';
comment on column models.trained_at is 'When the artifact was trained (UTC).';
comment on column models.thresholds is 'JSON object: per-label probability threshold above which a label is flagged.';
comment on column models.metrics is 'JSON object: per-label precision, recall and F1 on the held-out test split.';
comment on column models.activated_at is 'When this version last started scoring (UTC).';

create table classifications (
    article_id     varchar not null,
    model_version  varchar not null,
    label          varchar not null,
    score          double not null,
    flagged        boolean not null,
    evidence       varchar,
    scored_at      timestamp not null,
    primary key (article_id, model_version, label)
);
comment on table classifications is 'One row per article, model version and label; a new model adds rows, never rewrites old ones.';
comment on column classifications.article_id is 'articles.article_id.';
comment on column classifications.model_version is 'models.model_version that produced the score.';
comment on column classifications.label is 'integration or decentralization (see LABELING.md).';
comment on column classifications.score is 'Probability (0-1) that the label applies.';
comment on column classifications.flagged is 'score >= the model''s threshold for the label.';
comment on column classifications.evidence is 'The article sentence that most supports the label (flagged rows).';
comment on column classifications.scored_at is 'When the score was computed (UTC).';

-- @view current_model
-- @view flagged_articles
