-- Per ISO week (by publication date, UTC), sector and label: articles tagged with the sector by the
-- current model, how many of those it flags for the label, and the share. An article tagged with two
-- sectors counts in both. Change is against the sector's previous week, in percentage points.
with tagged as (
    select
        a.article_id,
        date_trunc('week', a.published_at)::date as week_start,
        s.sector
    from articles as a
    join article_sectors as s using (article_id)
    join current_model as m using (model_version)
    where a.published_at is not null
),

scored as (
    select
        t.week_start,
        t.sector,
        c.label,
        count(*) as articles,
        count(*) filter (where c.flagged) as flagged
    from tagged as t
    join classifications as c using (article_id)
    join current_model as m using (model_version)
    group by all
),

final as (
    select
        strftime(week_start, '%G-W%V') as week,
        week_start,
        sector,
        label,
        articles,
        flagged,
        round(flagged / articles, 4) as share,
        round(100 * (flagged / articles
                     - lag(flagged / articles) over (partition by sector, label order by week_start)), 2)
            as change_pp
    from scored
)

select * from final
order by week_start, sector, label;

-- What the view and its columns mean; applied each time the view is (re)created, since
-- CREATE OR REPLACE VIEW drops them.
comment on view trend_by_sector is 'One row per ISO week (by publication date, UTC), sector and label: articles the current model tags with the sector, how many of those it flags for the label, and the share. An article tagged with two sectors counts in both; undated articles are left out.';
comment on column trend_by_sector.week is 'ISO week as ISO year and week number, e.g. 2026-W47.';
comment on column trend_by_sector.week_start is 'The Monday the week starts on (a UTC date).';
comment on column trend_by_sector.sector is 'manufacturing, logistics, healthcare, education, retail, energy, agriculture, mobility, finance, media or government (see LABELING.md).';
comment on column trend_by_sector.label is 'integration or decentralization (see LABELING.md).';
comment on column trend_by_sector.articles is 'Articles published that week that the current model tags with the sector.';
comment on column trend_by_sector.flagged is 'Of those, the ones flagged for the label.';
comment on column trend_by_sector.share is 'flagged / articles (0-1), rounded to 4 decimals.';
comment on column trend_by_sector.change_pp is 'share minus that of the sector and label''s previous week with tagged articles, in percentage points (2 decimals); null for its first week.';
