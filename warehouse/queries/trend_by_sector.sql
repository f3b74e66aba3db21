-- Per ISO week (by publication date, UTC), sector and label: articles tagged with the sector by the
-- current model, how many of those it flags for the label, and the share. An article tagged with two
-- sectors counts in both. Change is against the sector's previous week, in percentage points.
with tagged as (
    select
        a.article_id,
        date_trunc('week', a.published_at)::date as week_start,
        s.sector
    from articles as a
    join article_sectors as s using (article_id)
    join current_model as m using (model_version)
    where a.published_at is not null
),

scored as (
    select
        t.week_start,
        t.sector,
        c.label,
        count(*) as articles,
        count(*) filter (where c.flagged) as flagged
    from tagged as t
    join classifications as c using (article_id)
    join current_model as m using (model_version)
    group by all
),

final as (
    select
        strftime(week_start, '%G-W%V') as week,
        week_start,
        sector,
        label,
        articles,
        flagged,
        round(flagged / articles, 4) as share,
        round(100 * (flagged / articles
                     - lag(flagged / articles) over (partition by sector, label order by week_start)), 2)
            as change_pp
    from scored
)

select * from final
order by week_start, sector, label
