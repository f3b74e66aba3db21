-- One article for the review app's article page, with where its publication date came from.
-- $1 = article_id.
select
    a.article_id,
    a.title,
    a.source,
    a.author,
    a.url,
    a.canonical_url,
    a.published_at,
    a.published_from,
    a.published_confidence,
    a.published_candidates,
    a.fetched_at,
    a.language,
    a.text,
    a.run_id,
    a.feed_url,
    st.story_id
from articles as a
left join article_stories as st using (article_id)
where a.article_id = $1
