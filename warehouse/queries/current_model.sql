-- The classifier version whose scores views show: the one activated last.
select model_version
from models
order by activated_at desc, model_version
limit 1;

-- What the view and its columns mean; applied each time the view is (re)created, since
-- CREATE OR REPLACE VIEW drops them.
comment on view current_model is 'The classifier version whose scores the other views show: the models row activated last (one row; none before anything is scored).';
comment on column current_model.model_version is 'models.model_version of the current classifier.';
