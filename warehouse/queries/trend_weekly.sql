-- Per ISO week (Monday-Sunday, UTC, by publication date) and label: articles crawled, flagged by the
-- current model, the raw share, and the share normalised by source: the mean of each source's own
-- share that week, so one prolific source does not make a trend. Change is against the previous
-- week with articles, in percentage points of the normalised share.
with scored as (
    select
        a.article_id,
        a.source,
        date_trunc('week', a.published_at)::date as week_start,
        c.label,
        c.flagged
    from articles as a
    join classifications as c using (article_id)
    join current_model as m using (model_version)
    where a.published_at is not null
),

per_source as (
    select
        week_start,
        label,
        source,
        count(*) as crawled,
        count(*) filter (where flagged) as flagged
    from scored
    group by all
),

per_week as (
    select
        week_start,
        label,
        sum(crawled) as crawled,
        sum(flagged) as flagged,
        count(*) as sources,
        avg(flagged / crawled) as normalized_share
    from per_source
    group by all
),

final as (
    select
        strftime(week_start, '%G-W%V') as week,
        week_start,
        label,
        crawled,
        flagged,
        sources,
        round(flagged / crawled, 4) as share,
        round(normalized_share, 4) as normalized_share,
        round(100 * (normalized_share - lag(normalized_share) over (partition by label order by week_start)), 2)
            as change_pp
    from per_week
)

select * from final
order by week_start, label;

-- What the view and its columns mean; applied each time the view is (re)created, since
-- CREATE OR REPLACE VIEW drops them.
comment on view trend_weekly is 'One row per ISO week (Monday to Sunday, by publication date in UTC) and label: articles the current model scored, how many it flags, the raw share and the share normalised by source, and the change from the previous week. Undated articles are left out.';
comment on column trend_weekly.week is 'ISO week as ISO year and week number, e.g. 2026-W47.';
comment on column trend_weekly.week_start is 'The Monday the week starts on (a UTC date).';
comment on column trend_weekly.label is 'integration or decentralization (see LABELING.md).';
comment on column trend_weekly.crawled is 'Articles published that week and scored by the current model.';
comment on column trend_weekly.flagged is 'Of those, the ones the current model flags for the label.';
comment on column trend_weekly.sources is 'Sources with at least one such article that week.';
comment on column trend_weekly.share is 'flagged / crawled (0-1), rounded to 4 decimals.';
comment on column trend_weekly.normalized_share is 'Mean over sources of each source''s own flagged share that week (0-1, 4 decimals), so one prolific source does not make a trend.';
comment on column trend_weekly.change_pp is 'normalized_share minus that of the label''s previous week with articles, in percentage points (2 decimals); null for the first week.';
