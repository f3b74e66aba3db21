-- One row per source: last success, volume and error rate over the 14 days before the newest
-- crawl run (not before now, so the view answers the same for a given warehouse), and a broken
-- flag when the last 3 runs saw nothing (failed, or no feed entries at all). Times are UTC.
with names as (
    select name as source, enabled from sources
    union
    select distinct source, null as enabled from crawl_runs
    where source not in (select name from sources)
),

runs as (
    select
        *,
        row_number() over (partition by source order by started_at desc nulls last, run_id desc) as recency,
        not ok or entries_seen = 0 as saw_nothing
    from crawl_runs
),

reference as (
    select max(coalesce(finished_at, started_at)) as newest from crawl_runs
),

recent as (
    select runs.*
    from runs, reference
    where runs.started_at > reference.newest - interval 14 day
),

window_stats as (
    select
        source,
        count(*) as runs_14d,
        sum(articles) as articles_14d,
        avg(case when ok then 0.0 else 1.0 end) as error_rate_14d,
        sum(failures_total) as failures_14d
    from recent
    group by source
),

history as (
    select
        source,
        max(run_id) as last_run_id,
        max(finished_at) filter (where ok) as last_success,
        count(*) filter (where recency <= 3) as last_runs,
        count(*) filter (where recency <= 3 and saw_nothing) as last_runs_empty,
        any_value(error) filter (where recency = 1) as last_error
    from runs
    group by source
),

final as (
    select
        n.source,
        n.enabled,
        h.last_run_id,
        h.last_success,
        coalesce(w.runs_14d, 0) as runs_14d,
        coalesce(w.articles_14d, 0) as articles_14d,
        round(coalesce(w.articles_14d, 0) / 14.0, 2) as articles_per_day_14d,
        round(w.error_rate_14d, 3) as error_rate_14d,
        coalesce(w.failures_14d, 0) as failures_14d,
        coalesce(h.last_runs = 3 and h.last_runs_empty = 3, false) as broken,
        h.last_error
    from names as n
    left join history as h using (source)
    left join window_stats as w using (source)
)

select * from final
order by broken desc, source;

-- What the view and its columns mean; applied each time the view is (re)created, since
-- CREATE OR REPLACE VIEW drops them.
comment on view source_health is 'One row per source (in sources.yaml, or only in crawl_runs when no longer configured): its last success, volume and error rate over a 14-day window, and whether it is broken; broken sources first. The window is the 14 days before the newest crawl run in the warehouse, not before now, so a given warehouse always answers the same. Times are UTC.';
comment on column source_health.source is 'sources.name (crawl_runs.source for a source no longer configured).';
comment on column source_health.enabled is 'sources.enabled; null for a source no longer in sources.yaml.';
comment on column source_health.last_run_id is 'The source''s latest crawl_runs.run_id (the run''s logical date, YYYY-MM-DD, unless given).';
comment on column source_health.last_success is 'When the source''s last successful crawl ended (UTC); null when none succeeded.';
comment on column source_health.runs_14d is 'Crawl runs of the source that started in the 14-day window.';
comment on column source_health.articles_14d is 'Articles those runs staged (crawl_runs.articles, summed).';
comment on column source_health.articles_per_day_14d is 'articles_14d / 14, rounded to 2 decimals: articles per day over the window.';
comment on column source_health.error_rate_14d is 'Share (0-1, 3 decimals) of those runs that failed as a whole (crawl_runs.ok false); null with no run in the window.';
comment on column source_health.failures_14d is 'Failed requests and extractions in those runs (crawl_runs.failures_total, summed).';
comment on column source_health.broken is 'True when each of the last 3 runs saw nothing: it failed, or its feeds had no entries.';
comment on column source_health.last_error is 'Why the latest run failed as a whole (crawl_runs.error); null when it was ok.';
