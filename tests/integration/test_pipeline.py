"""The demo path: the sample site on 127.0.0.1, crawled, loaded, classified, digested; then again."""

import pytest

from newsmon import pipeline
from newsmon.demo import demo_sources
from newsmon.sample_site import load_manifest

pytestmark = pytest.mark.slow


def _article_requests(site) -> list[str]:
    return [path for method, path, status in site.requests if path.startswith("/news/")]


def test_sample_site_end_to_end_and_idempotent_rerun(model_settings, sample_site, tmp_path):
    manifest = load_manifest()
    sources = demo_sources(sample_site.base_url)
    sample_site.requests.clear()

    first = pipeline.run_daily(model_settings, run_id="2026-11-23", sources=sources)
    assert all(r.ok for r in first.results), [r.error for r in first.results]
    assert len(set(_article_requests(sample_site))) == len(manifest)

    _, rows = pipeline.run_sql(model_settings, "select title, published_at, text, canonical_url from articles")
    by_title = {row[0]: row for row in rows}
    assert len(rows) == len(manifest)
    assert set(by_title) == {a["title"] for a in manifest}
    for entry in manifest:
        title, published, text, canonical = by_title[entry["title"]]
        assert published.isoformat() == entry["published"].removesuffix("+00:00"), entry["title"]
        assert entry["first_sentence"] in text
        assert entry["boilerplate"] not in text
        assert "utm_" not in canonical

    _, scored = pipeline.run_sql(model_settings, "select count(distinct article_id), count(*) from classifications")
    assert scored == [(len(manifest), 2 * len(manifest))]

    # the same story from two pages is one story; nothing else is grouped
    _, grouped = pipeline.run_sql(model_settings, "select list(a.title order by a.title) from article_stories"
                                  " join articles as a using (article_id) group by story_id having count(*) > 1")
    expected_stories = {}
    for entry in manifest:
        if entry["story"]:
            expected_stories.setdefault(entry["story"], []).append(entry["title"])
    assert sorted(tuple(g[0]) for g in grouped) == sorted(tuple(sorted(t)) for t in expected_stories.values())
    _, stories = pipeline.run_sql(model_settings, "select sources, articles from stories where articles > 1")
    assert len(stories) == len(expected_stories)

    checksum = "select count(*), sum(hash(article_id, title, text, published_at)) from articles"
    _, before = pipeline.run_sql(model_settings, checksum)
    sample_site.requests.clear()
    second = pipeline.run_daily(model_settings, run_id="2026-11-24", sources=sources)
    assert second.load.inserted == 0 and second.scored == 0
    assert _article_requests(sample_site) == []  # nothing fetched again
    feed_statuses = sorted((path, status) for _, path, status in sample_site.requests if path.startswith("/feeds/"))
    assert feed_statuses == [("/feeds/atom.xml", 304), ("/feeds/rss.xml", 304)]
    assert all(r.counts.get("feeds_not_modified") == 1 for r in second.results)
    _, states = pipeline.run_sql(model_settings, "select status, not_modified_streak from feed_states")
    assert states == [(304, 1), (304, 1)]
    _, after = pipeline.run_sql(model_settings, checksum)
    assert after == before

    reload = pipeline.load_run(model_settings, "2026-11-23", sources)
    assert reload.inserted == 0
    _, again = pipeline.run_sql(model_settings, checksum)
    assert again == before

    preview = pipeline.render_digest_preview(model_settings, "2026-W47", tmp_path / "digest.html")
    html = preview.read_text()
    # one entry per story: every flagged article of the week shows as its story's (first) headline
    _, flagged = pipeline.run_sql(
        model_settings,
        "select distinct s.title from flagged_articles as f join stories as s using (story_id)"
        " where f.published_at >= '2026-11-16' and f.published_at < '2026-11-23'")
    assert flagged, "the model flags nothing on the sample week"
    for (title,) in flagged:
        assert title.replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;") in html
