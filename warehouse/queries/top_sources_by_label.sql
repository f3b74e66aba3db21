-- Per label and source: articles scored by the current model, how many it flags, the share, and the
-- newest flagged article's publication time (UTC). Sources with no flags are listed with zero.
with scored as (
    select a.source, a.published_at, c.label, c.flagged
    from articles as a
    join classifications as c using (article_id)
    join current_model as m using (model_version)
),

final as (
    select
        label,
        source,
        count(*) as articles,
        count(*) filter (where flagged) as flagged,
        round(count(*) filter (where flagged) / count(*), 4) as share,
        max(published_at) filter (where flagged) as last_flagged_at
    from scored
    group by all
)

select * from final
order by label, flagged desc, share desc, source;

-- What the view and its columns mean; applied each time the view is (re)created, since
-- CREATE OR REPLACE VIEW drops them.
comment on view top_sources_by_label is 'One row per label and source, over all time: articles the current model scored, how many it flags, the share, and when the newest flagged one was published. Sources with no flag are listed with zero.';
comment on column top_sources_by_label.label is 'integration or decentralization (see LABELING.md).';
comment on column top_sources_by_label.source is 'sources.name.';
comment on column top_sources_by_label.articles is 'The source''s articles scored by the current model.';
comment on column top_sources_by_label.flagged is 'Of those, the ones flagged for the label.';
comment on column top_sources_by_label.share is 'flagged / articles (0-1), rounded to 4 decimals.';
comment on column top_sources_by_label.last_flagged_at is 'Publication time (UTC) of the source''s newest article flagged for the label; null when none is.';
