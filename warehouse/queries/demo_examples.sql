-- what `newsmon demo` suggests trying next, one query per line (printed, not run)
select source, count(*) as articles from articles group by source order by articles desc
select label, title, round(score, 2) as score from flagged_articles order by score desc limit 10
select run_id, source, ok, articles, failures_total from crawl_runs order by run_id, source
