-- The ISO weeks that have published articles, newest first: the review app's week picker.
select distinct
    strftime(published_at, '%G-W%V') as week,
    date_trunc('week', published_at)::date as week_start
from articles
where published_at is not null
order by week_start desc
limit 260
