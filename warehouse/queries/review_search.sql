-- The review app's search: articles matching a full-text query (BM25 over title and text, the index
-- each load rebuilds: warehouse.search) or, without a query, all articles newest first; filtered by
-- a label the current model flags, a sector it tags, a source and a publication window; one page.
-- $query = words or null, $label, $sector, $source = a value or null for any,
-- $since, $until = publication window [since, until) in UTC or null, $limit and $offset = the page.
-- total is the number of matches over all pages.
with matches as (
    select article_id, fts_main_articles.match_bm25(article_id, $query) as score
    from articles
    where $query is not null
),

flags as (
    select c.article_id, list(c.label order by c.label) as labels, max(c.score) as best_score
    from classifications as c
    join current_model as m using (model_version)
    where c.flagged
    group by c.article_id
),

tags as (
    select s.article_id, list(s.sector order by s.score desc) as sectors
    from article_sectors as s
    join current_model as m using (model_version)
    group by s.article_id
),

found as (
    select
        a.article_id,
        m.score,
        a.title,
        a.source,
        a.published_at,
        coalesce(a.canonical_url, a.url) as url,
        coalesce(f.labels, []::varchar[]) as labels,
        coalesce(t.sectors, []::varchar[]) as sectors,
        left(a.text, 300) as snippet
    from articles as a
    left join matches as m using (article_id)
    left join flags as f using (article_id)
    left join tags as t using (article_id)
    where ($query is null or m.score is not null)
      and ($label is null or list_contains(f.labels, $label))
      and ($sector is null or list_contains(t.sectors, $sector))
      and ($source is null or a.source = $source)
      and ($since is null or a.published_at >= $since)
      and ($until is null or a.published_at < $until)
)

select *, count(*) over () as total
from found
order by score desc nulls last, published_at desc nulls last, article_id
limit $limit offset $offset
