-- The digest header per label: the week's flagged articles and normalised share (see trend_weekly:
-- the mean of each source's share), the mean normalised share of those of the 4 previous ISO weeks
-- that have scored articles, and the change in percentage points. $1 = week start (a Monday, UTC).
with this_week as (
    select label, flagged, normalized_share
    from trend_weekly
    where week_start = $1::date
),

previous as (
    select
        label,
        avg(normalized_share) as baseline_share,
        count(*) as baseline_weeks
    from trend_weekly
    where week_start >= $1::date - interval 28 day and week_start < $1::date
    group by label
),

final as (
    select
        label,
        coalesce(t.flagged, 0) as flagged,
        t.normalized_share,
        round(p.baseline_share, 4) as baseline_share,
        coalesce(p.baseline_weeks, 0) as baseline_weeks,
        round(100 * (t.normalized_share - p.baseline_share), 2) as change_pp
    from this_week as t
    full join previous as p using (label)
)

select * from final
order by label
