-- Flagged articles of one week for the digest: $1 = week start, $2 = next week start (UTC dates).
select label, title, url, source, published_at, score, evidence, article_id
from flagged_articles
where published_at >= $1::timestamp and published_at < $2::timestamp
order by label, score desc, published_at desc
