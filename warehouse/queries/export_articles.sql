-- One row per article published on or after $since, with the current model's scores, flags, sector
-- tags and story: the export's table (`newsmon export`). Times are UTC; week is the ISO week.
with scores as (
    select
        c.article_id,
        c.model_version,
        max(c.score) filter (where c.label = 'integration') as integration_score,
        bool_or(c.flagged) filter (where c.label = 'integration') as integration,
        max(c.score) filter (where c.label = 'decentralization') as decentralization_score,
        bool_or(c.flagged) filter (where c.label = 'decentralization') as decentralization
    from classifications as c
    join current_model as m using (model_version)
    group by all
),

sectors as (
    select s.article_id, list(s.sector order by s.score desc) as sectors
    from article_sectors as s
    join current_model as m using (model_version)
    group by s.article_id
),

final as (
    select
        strftime(a.published_at, '%G-W%V') as week,
        a.article_id,
        a.published_at,
        a.published_from,
        a.published_confidence,
        a.source,
        a.title,
        a.author,
        a.url,
        a.canonical_url,
        a.language,
        sc.integration_score,
        sc.integration,
        sc.decentralization_score,
        sc.decentralization,
        coalesce(t.sectors, []::varchar[]) as sectors,
        st.story_id,
        sc.model_version,
        a.fetched_at,
        a.run_id,
        a.extraction_method,
        a.text
    from articles as a
    left join scores as sc using (article_id)
    left join sectors as t using (article_id)
    left join article_stories as st using (article_id)
    where a.published_at >= $since
)

select * from final
order by published_at, article_id
