-- Per ISO week (Monday-Sunday, UTC, by publication date) and label: articles crawled, flagged by the
-- current model, the raw share, and the share normalised by source: the mean of each source's own
-- share that week, so one prolific source does not make a trend. Change is against the previous
-- week with articles, in percentage points of the normalised share.
with scored as (
    select
        a.article_id,
        a.source,
        date_trunc('week', a.published_at)::date as week_start,
        c.label,
        c.flagged
    from articles as a
    join classifications as c using (article_id)
    join current_model as m using (model_version)
    where a.published_at is not null
),

per_source as (
    select
        week_start,
        label,
        source,
        count(*) as crawled,
        count(*) filter (where flagged) as flagged
    from scored
    group by all
),

per_week as (
    select
        week_start,
        label,
        sum(crawled) as crawled,
        sum(flagged) as flagged,
        count(*) as sources,
        avg(flagged / crawled) as normalized_share
    from per_source
    group by all
),

final as (
    select
        strftime(week_start, '%G-W%V') as week,
        week_start,
        label,
        crawled,
        flagged,
        sources,
        round(flagged / crawled, 4) as share,
        round(normalized_share, 4) as normalized_share,
        round(100 * (normalized_share - lag(normalized_share) over (partition by label order by week_start)), 2)
            as change_pp
    from per_week
)

select * from final
order by week_start, label
