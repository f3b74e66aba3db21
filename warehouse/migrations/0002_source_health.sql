-- Source health: every crawl counter per run, and a view of each source's recent record.

alter table crawl_runs add column counts json;
comment on column crawl_runs.counts is 'JSON object of every crawl counter: feeds_fetched, entries_seen, skipped_known, skipped_offsite, failed_<kind> (dns, timeout, connection, http, redirect, parse, robots, too_large, not_html, empty_extraction, other), ...';

-- @view source_health
