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

found as (
    -- the matches, filtered; labels and sectors are listed below for the page's rows only (listing
    -- them for every article first was most of a search's time at 1M articles)
    select
        a.article_id,
        m.score,
        a.title,
        a.source,
        a.published_at,
        coalesce(a.canonical_url, a.url) as url,
        left(a.text, 300) as snippet
    from articles as a
    left join matches as m using (article_id)
    where ($query is null or m.score is not null)
      and ($label is null or a.article_id in (
            select c.article_id
            from classifications as c
            join current_model as cm using (model_version)
            where c.flagged and c.label = $label))
      and ($sector is null or a.article_id in (
            select s.article_id
            from article_sectors as s
            join current_model as cm using (model_version)
            where s.sector = $sector))
      and ($source is null or a.source = $source)
      and ($since is null or a.published_at >= $since)
      and ($until is null or a.published_at < $until)
),

page as (
    select *, count(*) over () as total
    from found
    order by score desc nulls last, published_at desc nulls last, article_id
    limit $limit offset $offset
),

flags as (
    select c.article_id, list(c.label order by c.label) as labels
    from classifications as c
    join current_model as m using (model_version)
    where c.flagged and c.article_id in (select article_id from page)
    group by c.article_id
),

tags as (
    select s.article_id, list(s.sector order by s.score desc) as sectors
    from article_sectors as s
    join current_model as m using (model_version)
    where s.article_id in (select article_id from page)
    group by s.article_id
)

select
    p.article_id,
    p.score,
    p.title,
    p.source,
    p.published_at,
    p.url,
    coalesce(f.labels, []::varchar[]) as labels,
    coalesce(t.sectors, []::varchar[]) as sectors,
    p.snippet,
    p.total
from page as p
left join flags as f using (article_id)
left join tags as t using (article_id)
order by p.score desc nulls last, p.published_at desc nulls last, p.article_id
