-- http and https of one host and path are one article: newsmon.domain.article_id now hashes the
-- canonical URL with http read as https. Articles stored under an http canonical URL get the id
-- the new rule gives them, in every table that names article ids; where the https twin is already
-- stored, the twin stays and the http copy goes (with its scores, sectors, vectors and story row;
-- an analyst's feedback moves to the twin unless the twin has its own). Only ids that are the old
-- hash of their canonical URL are changed (first 16 hex digits of SHA-256, as article_id computes).
-- The full-text index of a DuckDB file is rebuilt by the next load (or `newsmon db reindex`).

create temp table rekeyed as
select
    article_id as old_id,
    substr(sha256('https://' || substr(canonical_url, 8)), 1, 16) as new_id,
    substr(sha256('https://' || substr(canonical_url, 8)), 1, 16) in (select article_id from articles) as twin
from articles
where canonical_url like 'http://%'
  and article_id = substr(sha256(canonical_url), 1, 16);

-- the http copies of articles stored twice
delete from classifications where article_id in (select old_id from rekeyed where twin);
delete from article_sectors where article_id in (select old_id from rekeyed where twin);
delete from story_vectors where article_id in (select old_id from rekeyed where twin);
delete from article_stories where article_id in (select old_id from rekeyed where twin);
delete from label_feedback as f
where f.article_id in (select old_id from rekeyed where twin)
  and exists (
      select 1 from label_feedback as g, rekeyed as r
      where r.old_id = f.article_id and g.article_id = r.new_id and g.label = f.label
  );
delete from articles where article_id in (select old_id from rekeyed where twin);

-- every remaining reference to an old id takes the new one
update articles set article_id = r.new_id from rekeyed as r where articles.article_id = r.old_id;
update classifications set article_id = r.new_id from rekeyed as r where classifications.article_id = r.old_id;
update article_sectors set article_id = r.new_id from rekeyed as r where article_sectors.article_id = r.old_id;
update story_vectors set article_id = r.new_id from rekeyed as r where story_vectors.article_id = r.old_id;
update label_feedback set article_id = r.new_id from rekeyed as r where label_feedback.article_id = r.old_id;
update article_stories set article_id = r.new_id from rekeyed as r where article_stories.article_id = r.old_id;
update article_stories set story_id = r.new_id from rekeyed as r where article_stories.story_id = r.old_id;
update article_stories set matched_article_id = r.new_id
from rekeyed as r where article_stories.matched_article_id = r.old_id;
update digests set article_ids = renamed.article_ids
from (
    select d.week, list(coalesce(r.new_id, d.article_id) order by d.position) as article_ids
    from (
        select week, unnest(article_ids) as article_id, generate_subscripts(article_ids, 1) as position
        from digests
    ) as d
    left join rekeyed as r on r.old_id = d.article_id
    group by d.week
) as renamed
where digests.week = renamed.week
  and digests.week in (select week from digests, rekeyed where list_contains(digests.article_ids, rekeyed.old_id));

drop table rekeyed;
