from datetime import datetime

import pytest

from newsmon import pipeline
from newsmon.domain import Article, content_hash


def _seed(settings, title: str, url: str = "https://news.example/a", published=datetime(2026, 11, 18, 9)):
    staging = pipeline.run_dir(settings, "r1")
    staging.mkdir(parents=True, exist_ok=True)
    article = Article(article_id="a1", url=url, canonical_url=url, source="s1", title=title,
                      text="Robots sort parcels.", fetched_at=published, published_at=published,
                      content_hash=content_hash("Robots sort parcels."))
    (staging / "s1.jsonl").write_text(__import__("json").dumps(article.to_record()) + "\n")
    pipeline.load_run(settings, "r1")
    with pipeline.warehouse(settings) as con:
        con.execute("insert into models values ('m1', 'base', 'test', '2026-11-01', '{}', null, '2026-11-01')")
        con.execute("insert into classifications values ('a1', 'm1', 'integration', 0.91, true,"
                    " 'A parcel hub <b>now</b> runs sorting robots.', '2026-11-19')")


def test_preview_lists_flagged_articles_of_the_week(settings, tmp_path):
    _seed(settings, "Parcel hub switches on sorting robots")
    out = pipeline.render_digest_preview(settings, "2026-W47", tmp_path / "d.html")
    html = out.read_text()
    assert "Parcel hub switches on sorting robots" in html
    assert 'href="https://news.example/a"' in html
    assert "0.91" in html
    other_week = pipeline.render_digest_preview(settings, "2026-W46", tmp_path / "e.html").read_text()
    assert "Parcel hub" not in other_week
    assert "No articles flagged this week." in other_week


def test_untrusted_text_is_escaped_and_bad_links_neutralised(settings, tmp_path):
    _seed(settings, "<script>alert(1)</script>\nInjected", url="javascript:alert(2)")
    html = pipeline.render_digest_preview(settings, "2026-W47", tmp_path / "d.html").read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html
    assert "<b>now</b>" not in html


@pytest.mark.parametrize("week", ["2026-47", "W47", "2026-W60"])
def test_bad_week_is_a_clear_error(settings, tmp_path, week):
    with pytest.raises(pipeline.PipelineError, match="not an ISO week"):
        pipeline.render_digest_preview(settings, week, tmp_path / "d.html")


def test_last_complete_week():
    assert pipeline.last_complete_week(datetime(2026, 11, 24).date()) == "2026-W47"
    assert pipeline.last_complete_week(datetime(2026, 11, 23).date()) == "2026-W47"
    assert pipeline.last_complete_week(datetime(2027, 1, 4).date()) == "2026-W53"
