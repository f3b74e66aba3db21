-- The sectors the current model tags an article with, most likely first. $1 = article_id.
select s.sector, s.score
from article_sectors as s
join current_model as m using (model_version)
where s.article_id = $1
order by s.score desc, s.sector
