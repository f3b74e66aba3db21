-- The classifier version whose scores views show: the one activated last.
select model_version
from models
order by activated_at desc, model_version
limit 1
