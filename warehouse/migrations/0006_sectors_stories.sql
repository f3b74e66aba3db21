-- Sector tags from the classifier, story clusters, and the views that use them.

create table article_sectors (
    article_id     varchar not null,
    model_version  varchar not null,
    sector         varchar not null,
    score          double not null,
    primary key (article_id, model_version, sector)
);
comment on table article_sectors is 'Sectors (LABELING.md list) an article is substantially about, per model version; only tags over the sector''s threshold are stored.';
comment on column article_sectors.article_id is 'articles.article_id.';
comment on column article_sectors.model_version is 'models.model_version whose sector head produced the tag.';
comment on column article_sectors.sector is 'manufacturing, logistics, healthcare, education, retail, energy, agriculture, mobility, finance, media or government.';
comment on column article_sectors.score is 'Probability (0-1) from the sector head; over the sector''s stored threshold.';

create table article_stories (
    article_id          varchar primary key,
    story_id            varchar not null,
    method              varchar not null,
    similarity          double,
    matched_article_id  varchar,
    clustered_at        timestamp not null
);
comment on table article_stories is 'The story every article belongs to: the same story from several outlets shares a story_id. Assigned once, when the article is classified, and never moved.';
comment on column article_stories.article_id is 'articles.article_id.';
comment on column article_stories.story_id is 'article_id of the story''s first article (the one that founded the cluster).';
comment on column article_stories.method is 'first (founded the story), exact (same content_hash as an article of the story) or similar (similarity to an article of the story over the threshold).';
comment on column article_stories.similarity is 'Similarity to matched_article_id: mean of the embedding cosine and the names-and-figures TF-IDF cosine (1 for exact copies, null for first).';
comment on column article_stories.matched_article_id is 'The earlier article this one was matched to (null for first).';
comment on column article_stories.clustered_at is 'When the story was assigned (UTC).';

create table story_vectors (
    article_id  varchar primary key,
    model       varchar not null,
    vector      float[] not null
);
comment on table story_vectors is 'Embeddings of recent articles kept for story clustering, so the next run need not recompute them; pruned to two windows before the newest article.';
comment on column story_vectors.article_id is 'articles.article_id.';
comment on column story_vectors.model is 'Encoder that made the vector.';
comment on column story_vectors.vector is 'Sentence embedding of headline and lead.';

-- @view flagged_articles
-- @view trend_by_sector
-- @view stories
