-- The digest's source health footer: sources that broke in the week, one row each. A source is listed
-- when one of its crawl runs started in the week failed, or when it was broken at the week's end by
-- source_health's rule (its last 3 runs before then saw nothing: failed, or no feed entries). Only runs
-- started before the week's end count, so a week's footer reads the same later; disabled sources are
-- left out. $1 = week start, $2 = next week start (UTC).
with runs as (
    select
        r.source,
        r.ok,
        r.error,
        r.started_at,
        r.finished_at,
        not r.ok or r.entries_seen = 0 as saw_nothing,
        row_number() over (partition by r.source order by r.started_at desc, r.run_id desc) as recency
    from crawl_runs as r
    where r.started_at < $2::timestamp
      and r.source not in (select name from sources where not enabled)
),

per_source as (
    select
        source,
        count(*) filter (where started_at >= $1::timestamp) as runs,
        count(*) filter (where started_at >= $1::timestamp and not ok) as failed,
        count(*) filter (where recency <= 3) = 3
            and count(*) filter (where recency <= 3 and saw_nothing) = 3 as broken,
        arg_max(error, started_at) filter (where error is not null) as last_error,
        max(started_at) filter (where error is not null) as last_error_at,
        max(coalesce(finished_at, started_at)) filter (where ok) as last_success
    from runs
    group by source
)

select source, runs, failed, broken, last_error, last_error_at, last_success
from per_source
where failed > 0 or broken
order by broken desc, failed desc, source
