-- The digest header's volume: articles published in the week, and the mean weekly count over those
-- of the 4 previous ISO weeks that have articles (a week with none is a gap in crawling, not a
-- quiet week, so it is left out of the mean). $1 = week start (a Monday), $2 = next week start (UTC).
with weekly as (
    select
        date_trunc('week', published_at)::date as week_start,
        count(*) as crawled
    from articles
    where published_at >= $1::timestamp - interval 28 day and published_at < $2::timestamp
    group by all
),

final as (
    select
        coalesce(max(crawled) filter (where week_start = $1::date), 0) as crawled,
        avg(crawled) filter (where week_start < $1::date) as baseline_crawled,
        count(*) filter (where week_start < $1::date) as baseline_weeks
    from weekly
)

select
    crawled,
    round(baseline_crawled, 2) as baseline_crawled,
    baseline_weeks,
    round(100 * (crawled - baseline_crawled) / baseline_crawled, 1) as change_pct
from final
