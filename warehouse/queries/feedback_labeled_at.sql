-- When the warehouse last took feedback on each of the given (article, label) pairs
-- (warehouse.feedback.store_newer_feedback: a row given earlier than that is not stored).
-- $1 = article ids, $2 = labels, pairwise (lists of the same length).
with pairs as (
    select unnest($1::varchar[]) as article_id, unnest($2::varchar[]) as label
)

select f.article_id, f.label, f.labeled_at
from label_feedback as f
join pairs as p using (article_id, label)
