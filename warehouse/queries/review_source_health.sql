-- The review app's sources page: the source_health view, broken sources first, then by name.
select *
from source_health
order by broken desc, source
