from datetime import datetime

import pytest

from newsmon import pipeline
from tests.support.digest import seed_flagged_article


def test_preview_lists_flagged_articles_of_the_week(settings, tmp_path):
    seed_flagged_article(settings, "Parcel hub switches on sorting robots")
    out = pipeline.render_digest_preview(settings, "2026-W47", tmp_path / "d.html")
    html = out.read_text()
    assert "Parcel hub switches on sorting robots" in html
    assert 'href="https://news.example/a"' in html
    assert "0.91" in html
    other_week = pipeline.render_digest_preview(settings, "2026-W46", tmp_path / "e.html").read_text()
    assert "Parcel hub" not in other_week
    assert "No articles flagged this week." in other_week


def test_untrusted_text_is_escaped_and_bad_links_neutralised(settings, tmp_path):
    seed_flagged_article(settings, "<script>alert(1)</script>\nInjected", url="javascript:alert(2)")
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


# ---------------------------------------------------------------- content of a known week (tests/digest_week.py)

@pytest.fixture(scope="module")
def week_settings(tmp_path_factory):
    """Built once: these tests only read it."""
    from newsmon.config import Settings
    from tests.digest_week import build_digest_week

    settings = Settings(data_dir=tmp_path_factory.mktemp("digest-week") / "data")
    build_digest_week(settings)
    return settings


def test_header_compares_with_the_mean_of_the_four_previous_weeks(week_settings):
    from tests.digest_week import WEEK

    context = pipeline.digest_parts(week_settings, WEEK).context
    volume = context["volume"]
    assert (volume["crawled"], volume["baseline"], volume["baseline_weeks"], volume["change_pct"]) == (10, 4.0, 4, 150.0)
    assert volume["arrow"] == "▲"
    labels = {entry["label"]: entry for entry in context["labels"]}
    integration, decentralization = labels["integration"], labels["decentralization"]
    assert (integration["flagged"], integration["share_pct"], integration["baseline_pct"]) == (5, 50.0, 25.0)
    assert (integration["change_pp"], integration["arrow"], integration["baseline_weeks"]) == (25.0, "▲", 4)
    assert (decentralization["flagged"], decentralization["share_pct"], decentralization["baseline_pct"]) == (2, 25.0, 37.5)
    assert (decentralization["change_pp"], decentralization["arrow"]) == (-12.5, "▼")
    assert context["counts"] == {"integration": 5, "decentralization": 2}


def test_one_entry_per_story_ranked_by_score_sources_and_recency(week_settings):
    import math

    from tests.digest_week import TITLES, WEEK

    sections = {s["label"]: s for s in pipeline.digest_parts(week_settings, WEEK).context["sections"]}
    stories = sections["integration"]["stories"]
    # PORT has the lower top score than WARD but two outlets and a later report
    assert [s["title"] for s in stories] == [TITLES["PORT"], TITLES["BUS"], TITLES["WELD"], TITLES["WARD"]]
    port = stories[0]
    assert port["url"] == "https://alpha.example/w1" and port["source"] == "alpha"  # first source
    assert port["other_sources"] == ["beta"]  # delta's W48 report does not count
    assert (port["sources"], port["articles"], port["score"]) == (2, 2, 0.9)
    assert port["evidence"] == "Evidence for integration in w5."  # the highest-scoring article's
    assert port["sectors"] == ["logistics", "manufacturing"] and port["published"] == "Tue 17 Nov"
    assert port["rank_score"] == round(0.9 * (1 + math.log(2)) * (1 - 0.5 * 4.5 / 7), 4)
    assert [s["rank_score"] for s in stories[1:]] == [
        round(0.95 * (1 - 0.5 * 0.5 / 7), 4), round(0.70 * 0.75, 4), round(0.99 * (1 - 0.5 * 6.75 / 7), 4)]
    assert all(not s["other_sources"] for s in stories[1:])
    assert sections["integration"]["more"] == 0
    # w9 is flagged this week but belongs to a story first flagged in W46
    assert [s["title"] for s in sections["decentralization"]["stories"]] == [TITLES["RADIO"]]


def test_stories_beyond_the_limit_are_counted(week_settings):
    from newsmon.digest.render import render_digest_html, render_digest_text
    from tests.digest_week import WEEK

    context = pipeline.digest_parts(week_settings, WEEK, stories_per_label=3).context
    integration = context["sections"][0]
    assert len(integration["stories"]) == 3 and (integration["total"], integration["more"]) == (4, 1)
    assert "and 1 more flagged story" in render_digest_text(context)
    assert "and 1 more flagged story" in render_digest_html(context)


def test_rising_sectors_need_support_and_a_rise(week_settings):
    from newsmon.digest.render import render_digest_html, render_digest_text
    from tests.digest_week import WEEK

    context = pipeline.digest_parts(week_settings, WEEK).context
    # media is flagged 2 of 2 for decentralization but has fewer than 3 articles
    assert context["rising"] == [{"label": "integration", "title": "AI-driven virtual-real integration", "sectors": [
        {"sector": "logistics", "articles": 3, "flagged": 3, "share_pct": 100.0, "previous_articles": 4,
         "previous_flagged": 1, "previous_pct": 25.0, "change_pp": 75.0}]}]
    quiet = pipeline.digest_parts(week_settings, WEEK, rising_min_articles=4).context
    assert quiet["rising"] == []
    assert "Rising" not in render_digest_text(quiet) and "Rising" not in render_digest_html(quiet)


def test_source_health_lists_the_weeks_broken_sources(week_settings):
    from tests.digest_week import WEEK

    health = pipeline.digest_parts(week_settings, WEEK).context["health"]
    assert [(h["source"], h["runs"], h["failed"], h["broken"]) for h in health] == [
        ("delta", 7, 3, True), ("epsilon", 7, 0, True), ("beta", 7, 1, False)]
    assert health[0]["last_error"] == "dns: no such host delta.example (day 6)"
    assert health[1]["last_error"] == ""
    assert health[2]["last_error"] == "http: 503 Service Unavailable on https://beta.example/feed"
    assert health[2]["last_error_day"] == "Thu 19 Nov"


def test_sector_breakdown_and_ledger_ids(week_settings):
    from tests.digest_week import WEEK

    parts = pipeline.digest_parts(week_settings, WEEK)
    assert [(s["sector"], s["flagged"]) for s in parts.context["sectors"]] == [
        ("logistics", {"integration": 3}), ("manufacturing", {"integration": 2}),
        ("media", {"decentralization": 2}), ("healthcare", {"integration": 1})]
    assert list(parts.images) == ["trend-chart", "sector-chart"]
    assert all(png.startswith(b"\x89PNG") for png in parts.images.values())
    assert parts.article_ids == ["w1", "w2", "w5", "w6", "w7", "w8", "w9"]


def test_earlier_weeks_missing_are_said_not_guessed(week_settings):
    from newsmon.digest.render import render_digest_text

    parts = pipeline.digest_parts(week_settings, "2026-W42")  # the first week with articles
    assert parts.context["volume"]["change_pct"] is None and parts.context["labels"][0]["change_pp"] is None
    assert parts.context["rising"] == [] and "sector-chart" not in parts.images
    assert "no earlier weeks to compare" in render_digest_text(parts.context)


def test_only_http_links():
    from newsmon.digest.render import safe_link

    assert safe_link("https://a.example/x?y=1") == "https://a.example/x?y=1"
    assert safe_link("HTTP://a.example/") == "HTTP://a.example/"
    for bad in ("javascript:alert(1)", "data:text/html,x", "//a.example/x", "https:///x", "ftp://a.example/",
                "https://a.example/\nx", None, ""):
        assert safe_link(bad) is None


def test_a_week_after_the_data_compares_with_what_came_before(week_settings):
    from newsmon.digest.render import render_digest_html, render_digest_text

    context = pipeline.digest_parts(week_settings, "2026-W51").context  # empty; of W47-W50 only W47, W48 have articles
    assert context["volume"]["crawled"] == 0 and context["volume"]["change_pct"] == -100.0
    assert (context["volume"]["baseline"], context["volume"]["baseline_weeks"]) == (5.5, 2)
    integration = context["labels"][0]
    assert integration["change_pp"] is None and integration["baseline_weeks"] == 2
    for body in (render_digest_text(context), render_digest_html(context)):
        assert "nothing scored this week" in body and "mean of the 2 previous weeks" in body
        assert "No articles flagged this week." in body
