-- Conditional-GET state per feed, so the next crawl can send validators and tell real changes.

create table feed_states (
    feed_url               varchar primary key,
    source                 varchar not null,
    etag                   varchar,
    last_modified          varchar,
    body_hash              varchar,
    not_modified_streak    integer not null default 0,
    validators_unreliable  boolean not null default false,
    fetched_at             timestamp,
    changed_at             timestamp,
    status                 integer
);
comment on table feed_states is 'Last known state of each feed and sitemap (child sitemaps too) for conditional GET; written by loads from crawl summaries.';
comment on column feed_states.feed_url is 'URL of the feed or sitemap.';
comment on column feed_states.source is 'sources.name the feed belongs to.';
comment on column feed_states.etag is 'ETag of the last full response, sent back as If-None-Match.';
comment on column feed_states.last_modified is 'Last-Modified of the last full response, sent back as If-Modified-Since.';
comment on column feed_states.body_hash is 'SHA-256 (first 32 hex digits) of the last full body: decides whether the feed changed.';
comment on column feed_states.not_modified_streak is '304 answers in a row; after crawl.feed_revalidate_after the feed is fetched once in full.';
comment on column feed_states.validators_unreliable is 'True once a full fetch found a change the server had answered 304 to: validators are no longer sent.';
comment on column feed_states.fetched_at is 'When the feed was last requested (UTC).';
comment on column feed_states.changed_at is 'When the feed body last changed (UTC).';
comment on column feed_states.status is 'HTTP status of the last request (200 or 304).';
