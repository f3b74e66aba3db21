-- Publication dates with their confidence and every source's candidate, so disagreements show.

alter table articles add column published_confidence varchar;
alter table articles add column published_candidates json;
alter table articles add column date_disagreement_hours double;
comment on column articles.published_from is 'Where published_at came from: feed, sitemap or section (the listing), page (its metadata), url, or first_seen.';
comment on column articles.published_confidence is 'high: another source agrees within a day; medium: one dated source; low: sources disagree by more than a day, or only the URL or first sight dated it. Null for rows loaded before schema 7.';
comment on column articles.published_candidates is 'JSON object: the date each source gave (feed/sitemap/section, page, url, first_seen), ISO 8601 UTC.';
comment on column articles.date_disagreement_hours is 'Hours between the earliest and latest dated source (first_seen left out); null when none dated it.';

-- @view date_disagreements
