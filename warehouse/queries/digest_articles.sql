-- Flagged articles of one week (any label), recorded in the digests ledger when the digest is sent.
-- $1 = week start, $2 = next week start (UTC dates).
select distinct article_id
from flagged_articles
where published_at >= $1::timestamp and published_at < $2::timestamp
order by article_id
