-- Articles the current model flags, one row per article and label, with the sentence that most
-- supports the flag, the article's sector tags and its story (see `stories`). Times are UTC.
with scores as (
    select c.*
    from classifications as c
    join current_model as m using (model_version)
    where c.flagged
),

sectors as (
    select
        s.article_id,
        list(s.sector order by s.score desc) as sectors
    from article_sectors as s
    join current_model as m using (model_version)
    group by s.article_id
),

final as (
    select
        a.article_id,
        s.label,
        s.score,
        s.evidence,
        coalesce(t.sectors, []::varchar[]) as sectors,
        st.story_id,
        a.title,
        a.source,
        a.published_at,
        a.url,
        a.canonical_url,
        a.language,
        s.model_version
    from scores as s
    join articles as a using (article_id)
    left join sectors as t using (article_id)
    left join article_stories as st using (article_id)
)

select * from final;

-- What the view and its columns mean; applied each time the view is (re)created, since
-- CREATE OR REPLACE VIEW drops them.
comment on view flagged_articles is 'One row per article and label the current model flags (score at or over the label''s threshold), with the sentence that most supports the flag, the article''s sector tags and its story. Times are UTC.';
comment on column flagged_articles.article_id is 'articles.article_id: a hash of the canonical URL, the article''s identity.';
comment on column flagged_articles.label is 'integration or decentralization (see LABELING.md).';
comment on column flagged_articles.score is 'Probability (0-1) the current model gives the label; at or over the label''s threshold in models.thresholds.';
comment on column flagged_articles.evidence is 'The article sentence that most supports the label.';
comment on column flagged_articles.sectors is 'Sectors the current model tags the article with, most likely first; empty when none.';
comment on column flagged_articles.story_id is 'The story the article belongs to (see the stories view); null until the article is clustered.';
comment on column flagged_articles.title is 'Headline.';
comment on column flagged_articles.source is 'sources.name of the source that first staged the article.';
comment on column flagged_articles.published_at is 'Publication time (UTC); null when nothing dated the article. articles.published_from says where it came from.';
comment on column flagged_articles.url is 'URL the page was fetched from.';
comment on column flagged_articles.canonical_url is 'rel=canonical when on the same site, else the URL without tracking parameters; article_id is its hash.';
comment on column flagged_articles.language is 'ISO 639-1 language code detected from the text.';
comment on column flagged_articles.model_version is 'models.model_version that scored the row: always the current model (current_model).';
