-- The digest chart's points: normalised weekly share per label for the 12 weeks up to and
-- including the digest's week. $1 = the week's Monday (UTC date).
select week, label, normalized_share
from trend_weekly
where week_start > $1::date - interval 12 week and week_start <= $1::date
order by week_start, label
