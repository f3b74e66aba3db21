-- The other articles of a story (article_stories), in publication order. $1 = story_id, $2 = the
-- article to leave out.
select
    a.article_id,
    a.title,
    a.source,
    coalesce(a.published_at, a.fetched_at) as published_at,
    coalesce(a.canonical_url, a.url) as url,
    st.method,
    st.similarity
from article_stories as st
join articles as a using (article_id)
where st.story_id = $1 and a.article_id <> $2
order by published_at, a.article_id
