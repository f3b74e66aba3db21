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

select * from final
