-- The digest's sector breakdown: per sector and label, the week's articles tagged with the sector and
-- how many of them the current model flags (see trend_by_sector; an article with two sectors counts
-- in both). Sectors with no flag this week are left out. $1 = week start (a Monday, UTC).
select sector, label, articles, flagged, share
from trend_by_sector
where week_start = $1::date and flagged > 0
order by sector, label
