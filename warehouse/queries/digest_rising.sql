-- "Rising" in the digest: per label, the sectors whose flagged share rose most against the 4 previous
-- ISO weeks. This week's share (flagged / articles tagged with the sector, see trend_by_sector) is
-- compared with the pooled share of the 4 weeks before (their flagged over their articles, so one thin
-- week does not swing it; a sector with no articles then counts as 0). Only sectors with at least $2
-- articles this week, only rises, only when the 4 previous weeks have scored articles at all; the top
-- $3 per label. $1 = week start (a Monday, UTC). Shares are 0-1, changes in percentage points.
with this_week as (
    select sector, label, articles, flagged, flagged / articles as share
    from trend_by_sector
    where week_start = $1::date and articles >= $2
),

previous as (
    select
        sector,
        label,
        sum(articles) as articles,
        sum(flagged) as flagged
    from trend_by_sector
    where week_start >= $1::date - interval 28 day and week_start < $1::date
    group by all
),

history as (
    select count(*) as scored_weeks
    from trend_weekly
    where week_start >= $1::date - interval 28 day and week_start < $1::date
),

compared as (
    select
        t.label,
        t.sector,
        t.articles,
        t.flagged,
        t.share,
        coalesce(p.articles, 0) as previous_articles,
        coalesce(p.flagged, 0) as previous_flagged,
        coalesce(p.flagged / p.articles, 0) as previous_share,
        100 * (t.share - coalesce(p.flagged / p.articles, 0)) as change_pp
    from this_week as t
    left join previous as p using (sector, label)
    cross join history as h
    where h.scored_weeks > 0
),

ranked as (
    select
        *,
        row_number() over (partition by label order by change_pp desc, flagged desc, sector) as rank
    from compared
    where change_pp > 0
)

select
    label,
    sector,
    articles,
    flagged,
    round(share, 4) as share,
    previous_articles,
    previous_flagged,
    round(previous_share, 4) as previous_share,
    round(change_pp, 2) as change_pp
from ranked
where rank <= $3
order by label, rank
