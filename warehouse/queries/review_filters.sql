-- The values the review app's search filters offer: every source and every sector the current
-- model has tagged (kind = 'source' or 'sector').
select 'source' as kind, name as value from sources
union
select 'source' as kind, source as value from (select distinct source from articles)
union
select 'sector' as kind, s.sector as value
from (select distinct sector, model_version from article_sectors) as s
join current_model as m using (model_version)
order by kind, value
