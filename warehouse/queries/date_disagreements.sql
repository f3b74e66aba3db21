-- Articles whose dated sources (listing, page metadata, URL) disagree by more than a day, worst
-- first: which date was chosen, from where, and what each source said. Times are UTC.
with final as (
    select
        article_id,
        source,
        title,
        url,
        published_at,
        published_from,
        published_confidence,
        date_disagreement_hours,
        published_candidates,
        date_trunc('week', published_at)::date as week_start
    from articles
    where date_disagreement_hours > 24
)

select * from final
order by date_disagreement_hours desc, article_id
