"""A crawl's counts are stored the same whatever order they were counted in: the crawler's item
pipelines and its spider count concurrently, and two runs of one day must give the same rows
(tests/integration/test_dags.py compares a CLI day with a DAG day by hashing every column)."""

from newsmon.domain import CrawlResult
from warehouse.load import record_crawl_runs


def test_counts_counted_in_another_order_are_stored_as_the_same_json(con):
    one = {"feeds_fetched": 1, "articles": 2, "skipped_after_window": 1}
    other = dict(reversed(list(one.items())))
    assert list(one) != list(other)
    record_crawl_runs(con, [CrawlResult(source="a", run_id="day", staging_path="a.jsonl", ok=True, counts=one),
                            CrawlResult(source="b", run_id="day", staging_path="b.jsonl", ok=True, counts=other)])
    stored = con.execute("select source, counts::varchar from crawl_runs order by source").fetchall()
    assert stored[0][1] == stored[1][1]
    assert con.execute("select count(distinct hash(counts)) from crawl_runs").fetchone()[0] == 1
