-- The digest's top stories per label: one row per story (see article_stories), not per article. A
-- story is listed for a label in the ISO week its first article flagged for that label was published,
-- so it appears in one weekly digest. Only articles published before the week's end count, so a
-- week's digest reads the same when rendered later; an article not yet clustered is its own story.
--
-- Ranking, per label:  rank_score = max_score * (1 + ln(sources)) * recency
--   max_score  highest classifier score (0-1) for the label among the story's flagged articles
--   sources    distinct outlets that ran the story by the week's end (1 source: factor 1, 2: 1.69, 4: 2.39)
--   recency    1 for a story last reported at the week's end, falling linearly to 0.5 at its start
-- Ties: earlier first publication, then story_id.
--
-- The headline, link (its canonical URL, without tracking parameters) and date are the story's first
-- article's; the evidence sentence is that of its highest-scoring flagged article; sectors are those
-- of its flagged articles.
-- $1 = week start, $2 = next week start (UTC timestamps), $3 = stories listed per label.
with members as (
    select
        coalesce(st.story_id, a.article_id) as story_id,
        a.article_id,
        a.source,
        a.title,
        coalesce(a.canonical_url, a.url) as url,
        coalesce(a.published_at, a.fetched_at) as published_at
    from articles as a
    left join article_stories as st using (article_id)
    where coalesce(a.published_at, a.fetched_at) < $2::timestamp
),

flags as (
    -- flagged_articles' rows, read from its tables without its per-article sector lists: sorting those
    -- for every flagged article was most of this query's time; only the new stories' are read below
    select
        c.label,
        coalesce(st.story_id, a.article_id) as story_id,
        a.article_id,
        c.score,
        c.evidence,
        a.published_at
    from classifications as c
    join current_model as m using (model_version)
    join articles as a using (article_id)
    left join article_stories as st using (article_id)
    where c.flagged and a.published_at < $2::timestamp
),

new_stories as (
    select
        label,
        story_id,
        max(score) as max_score,
        arg_max(evidence, (score, article_id)) as evidence,
        list(article_id order by published_at, article_id) as article_ids
    from flags
    group by label, story_id
    having min(published_at) >= $1::timestamp
),

story_sectors as (
    -- the current model's sectors of the story's flagged articles, as flagged_articles gives them
    select f.label, f.story_id, list_sort(list_distinct(list(s.sector))) as sectors
    from flags as f
    semi join new_stories as n using (label, story_id)
    join article_sectors as s using (article_id)
    join current_model as m on s.model_version = m.model_version
    group by f.label, f.story_id
),

story_flags as (
    select n.*, coalesce(t.sectors, []::varchar[]) as sectors
    from new_stories as n
    left join story_sectors as t using (label, story_id)
),

story_members as (
    select
        story_id,
        arg_min(title, (published_at, article_id)) as title,
        arg_min(source, (published_at, article_id)) as first_source,
        arg_min(url, (published_at, article_id)) as first_url,
        min(published_at) as first_published_at,
        max(published_at) as last_published_at,
        count(distinct source) as sources,
        count(*) as articles,
        list(distinct source order by source) as source_names
    from members
    where story_id in (select story_id from story_flags)
    group by story_id
),

scored as (
    select
        f.label,
        f.story_id,
        m.title,
        m.first_source,
        m.first_url,
        m.first_published_at,
        m.last_published_at,
        m.sources,
        m.articles,
        list_filter(m.source_names, lambda s: s <> m.first_source) as other_sources,
        f.max_score,
        f.evidence,
        f.sectors,
        f.article_ids,
        1 - 0.5 * date_diff('second', m.last_published_at, $2::timestamp) / (7 * 86400.0) as recency
    from story_flags as f
    join story_members as m using (story_id)
),

ranked as (
    select
        *,
        max_score * (1 + ln(sources)) * recency as rank_score,
        row_number() over (
            partition by label
            order by max_score * (1 + ln(sources)) * recency desc, first_published_at, story_id
        ) as rank,
        count(*) over (partition by label) as stories
    from scored
)

select
    label,
    rank,
    stories,
    story_id,
    title,
    first_source,
    first_url,
    first_published_at,
    sources,
    other_sources,
    articles,
    max_score,
    evidence,
    sectors,
    round(recency, 4) as recency,
    round(rank_score, 4) as rank_score,
    article_ids
from ranked
where rank <= $3
order by label, rank
