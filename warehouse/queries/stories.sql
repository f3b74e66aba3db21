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
order by first_published_at desc, story_id
