-- Views for trend questions: weekly shares per label (normalised by source), and sources per label.

-- @view trend_weekly
-- @view top_sources_by_label
