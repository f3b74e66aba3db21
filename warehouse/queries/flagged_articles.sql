-- Articles the current model flags, one row per article and label. Times are UTC.
with scores as (
    select c.*
    from classifications as c
    join current_model as m using (model_version)
    where c.flagged
),

final as (
    select
        a.article_id,
        s.label,
        s.score,
        s.evidence,
        a.title,
        a.source,
        a.published_at,
        a.url,
        a.canonical_url,
        a.language,
        s.model_version
    from scores as s
    join articles as a using (article_id)
)

select * from final
