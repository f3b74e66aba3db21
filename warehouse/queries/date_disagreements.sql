-- Articles whose dated sources (listing, page metadata, URL) disagree by more than a day, worst
-- first: which date was chosen, from where, and what each source said. Times are UTC.
with final as (
    select
        article_id,
        source,
        title,
        url,
        published_at,
        published_from,
        published_confidence,
        date_disagreement_hours,
        published_candidates,
        date_trunc('week', published_at)::date as week_start
    from articles
    where date_disagreement_hours > 24
)

select * from final
order by date_disagreement_hours desc, article_id;

-- What the view and its columns mean; applied each time the view is (re)created, since
-- CREATE OR REPLACE VIEW drops them.
comment on view date_disagreements is 'One row per article whose dated sources (feed, sitemap or section listing; page metadata; URL) disagree by more than a day, worst first: the date chosen, where from, and what each source said. Times are UTC.';
comment on column date_disagreements.article_id is 'articles.article_id.';
comment on column date_disagreements.source is 'sources.name of the source that first staged the article.';
comment on column date_disagreements.title is 'Headline.';
comment on column date_disagreements.url is 'URL the page was fetched from.';
comment on column date_disagreements.published_at is 'The publication time chosen (UTC).';
comment on column date_disagreements.published_from is 'Where published_at came from: feed, sitemap or section (the listing), page (its metadata), url, or first_seen.';
comment on column date_disagreements.published_confidence is 'high, medium or low (see articles.published_confidence); sources more than a day apart make it low.';
comment on column date_disagreements.date_disagreement_hours is 'Hours between the earliest and latest dated source (first sight left out); over 24 here.';
comment on column date_disagreements.published_candidates is 'JSON object: the date each source gave (feed/sitemap/section, page, url, first_seen), ISO 8601 UTC.';
comment on column date_disagreements.week_start is 'The Monday of published_at''s ISO week (a UTC date).';
