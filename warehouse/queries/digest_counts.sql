-- Articles crawled in one week and how many the current model flags per label.
-- $1 = week start, $2 = next week start (UTC dates).
with week_articles as (
    select article_id
    from articles
    where published_at >= $1::timestamp and published_at < $2::timestamp
),

flags as (
    select f.label, count(*) as flagged
    from flagged_articles as f
    join week_articles using (article_id)
    group by f.label
)

select
    (select count(*) from week_articles) as crawled,
    coalesce((select flagged from flags where label = 'integration'), 0) as integration,
    coalesce((select flagged from flags where label = 'decentralization'), 0) as decentralization
