-- An article's scores from every model version that scored it, the current model first, then the
-- newest; `is_current` marks the current model's. Scores are 0-1; scored_at is UTC.
-- $1 = article_id.
select
    c.model_version,
    c.model_version = (select model_version from current_model) as is_current,
    c.label,
    c.score,
    c.flagged,
    c.evidence,
    c.scored_at,
    m.activated_at
from classifications as c
left join models as m using (model_version)
where c.article_id = $1
order by is_current desc, m.activated_at desc nulls last, c.model_version, c.label
