-- One row per story: articles from several outlets reporting the same news grouped as one (see
-- article_stories). First source and time are the earliest publication; labels are those the
-- current model flags on any article of the story. Times are UTC.
with members as (
    select
        st.story_id,
        a.article_id,
        a.source,
        a.title,
        a.url,
        coalesce(a.published_at, a.fetched_at) as published_at
    from article_stories as st
    join articles as a using (article_id)
),

flags as (
    select
        m.story_id,
        list(distinct c.label order by c.label) as labels,
        max(c.score) as max_score
    from members as m
    join classifications as c using (article_id)
    join current_model as cm using (model_version)
    where c.flagged
    group by m.story_id
),

final as (
    select
        story_id,
        arg_min(title, (published_at, article_id)) as title,
        arg_min(source, (published_at, article_id)) as first_source,
        min(published_at) as first_published_at,
        max(published_at) as last_published_at,
        arg_min(url, (published_at, article_id)) as first_url,
        count(distinct source) as sources,
        count(*) as articles,
        list(distinct source order by source) as source_names,
        coalesce(f.labels, []::varchar[]) as labels,
        f.max_score
    from members
    left join flags as f using (story_id)
    group by story_id, f.labels, f.max_score
)

select * from final
order by first_published_at desc, story_id;

-- What the view and its columns mean; applied each time the view is (re)created, since
-- CREATE OR REPLACE VIEW drops them.
comment on view stories is 'One row per story: the articles, from one outlet or several, that report the same news (article_stories), newest first. Title, first source and first URL are the earliest article''s. Times are UTC; an undated article counts at its fetch time.';
comment on column stories.story_id is 'article_stories.story_id: the article_id of the article that founded the story.';
comment on column stories.title is 'Headline of the story''s earliest article.';
comment on column stories.first_source is 'sources.name of the earliest article''s source.';
comment on column stories.first_published_at is 'Earliest publication time among the story''s articles (UTC; fetch time for an undated one).';
comment on column stories.last_published_at is 'Latest publication time among the story''s articles (UTC; fetch time for an undated one).';
comment on column stories.first_url is 'URL of the earliest article.';
comment on column stories.sources is 'Number of distinct sources that reported the story.';
comment on column stories.articles is 'Number of articles in the story.';
comment on column stories.source_names is 'Those sources'' names, sorted.';
comment on column stories.labels is 'Labels the current model flags on any article of the story, sorted; empty when none.';
comment on column stories.max_score is 'Highest flagged score (probability 0-1) among the story''s articles; null when nothing is flagged.';
