-- The feedback stored for the given articles (label_feedback). $1 = article ids.
select article_id, label, value, verdict, model_version, model_flagged, note, labeled_by, labeled_at
from label_feedback
where article_id in (select unnest($1::varchar[]))
order by article_id, label
