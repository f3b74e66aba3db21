-- Per label and source: articles scored by the current model, how many it flags, the share, and the
-- newest flagged article's publication time (UTC). Sources with no flags are listed with zero.
with scored as (
    select a.source, a.published_at, c.label, c.flagged
    from articles as a
    join classifications as c using (article_id)
    join current_model as m using (model_version)
),

final as (
    select
        label,
        source,
        count(*) as articles,
        count(*) filter (where flagged) as flagged,
        round(count(*) filter (where flagged) / count(*), 4) as share,
        max(published_at) filter (where flagged) as last_flagged_at
    from scored
    group by all
)

select * from final
order by label, flagged desc, share desc, source
