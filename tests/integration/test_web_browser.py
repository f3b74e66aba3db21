"""The review app in a real browser: headless Chromium (Debian's chromium package) driven by
Playwright (its Python package, no browser download) against `newsmon serve`'s app over a warehouse
built from the sample site by the real pipeline (crawl, load, classify, cluster)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from newsmon import pipeline
from newsmon.demo import demo_sources
from newsmon.web.app import create_app
from tests.web_client import HOSTILE_TITLE, served

CHROMIUM = Path("/usr/bin/chromium")
DOCS = Path(__file__).parents[2] / "docs"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1500),  # the session's model may be trained inside it, on a shared machine
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="/usr/bin/chromium is not installed (`sudo make system-packages` installs it)"),
]


@pytest.fixture
def sample_warehouse(model_settings, sample_site):
    """The sample site crawled, loaded, classified and clustered; one flagged article's title made hostile."""
    report = pipeline.run_daily(model_settings, run_id="2026-11-23", sources=demo_sources(sample_site.base_url))
    assert all(r.ok for r in report.results)
    week = pipeline.latest_article_week(model_settings)
    context = pipeline.digest_parts(model_settings, week).context
    assert any(section["stories"] for section in context["sections"]), "the model flags nothing in the sample week"
    return model_settings, week, context


@pytest.fixture
def browser(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True, args=FLAGS,
            viewport={"width": 1100, "height": 1400})
        try:
            yield context
        finally:
            context.close()


def _watch(page) -> list[str]:
    """Console errors (a CSP violation is one) and dialogs (a script that ran) of the page."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning") else None)
    page.on("response", lambda response: problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400 else None)
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return problems


def test_review_app_in_chromium(sample_warehouse, browser, tmp_path):
    settings, week, context = sample_warehouse
    label = next(section for section in context["sections"] if section["stories"])["label"]
    expected = {section["label"]: [story["title"] for story in section["stories"]] for section in context["sections"]}
    first = context["sections"][[s["label"] for s in context["sections"]].index(label)]["stories"][0]

    # a hostile headline on the story's first article: shown as text, never run
    with pipeline.connection(settings) as con:
        hostile_id = con.execute("select article_id from articles where title = ? order by article_id limit 1",
                                 [first["title"]]).fetchone()[0]
        con.execute("update articles set title = ? where article_id = ?", [HOSTILE_TITLE, hostile_id])
        pipeline.publish_snapshot(settings, con)

    with served(create_app(pipeline.open_review(settings), user="browser")) as port:
        base = f"http://127.0.0.1:{port}"
        page = browser.new_page()
        problems = _watch(page)

        # the week page lists the digest's stories for each label, in the digest's order
        page.goto(f"{base}/week?week={week}")
        for section_label, titles in expected.items():
            shown = page.locator(f"#{section_label} li.story .headline > :first-child").all_inner_texts()
            wanted = [HOSTILE_TITLE if t == first["title"] else t for t in titles]
            assert shown == wanted, section_label
        assert page.locator(f"#{label} li.story .headline img").count() == 0  # the hostile <img> is text
        page.screenshot(path=str(tmp_path / "review-week.png"), full_page=True)

        # clicking "wrong" on the top story's flag queues the verdict, and the page shows it at once
        story = page.locator(f"#{label} li.story").first
        story.locator("button.btn-wrong").click()
        page.wait_for_load_state()
        assert page.url == f"{base}/week?week={week}"
        given = page.locator(f"#{label} li.story").first.locator("[data-testid=feedback]")
        assert given.inner_text() == f"wrong: {label} does not apply (queued)"
        assert len(list(pipeline.feedback_queue_dir(settings).glob("*.json"))) == 1
        pipeline.publish_warehouse(settings)  # the next write step stores it
        _, rows = pipeline.run_sql(settings, "select label, value, verdict, labeled_by from label_feedback")
        assert rows == [(label, 0, "wrong", "browser")]
        page.reload()
        assert page.locator(f"#{label} li.story").first.locator("[data-testid=feedback]").inner_text() == \
            f"wrong: {label} does not apply"

        # search finds a known article through the form
        page.goto(f"{base}/search")
        known = expected[label][1] if len(expected[label]) > 1 else expected[label][0]
        word = max(known.split(), key=len).strip(",.:;'\"")
        page.fill("input[name=q]", word)
        page.click("form.search button[type=submit]")
        page.wait_for_load_state()
        assert known in page.locator("li.hit .headline").all_inner_texts()

        # the hostile title is text on its article page too
        page.goto(f"{base}/article/{hostile_id}")
        assert page.locator("h1.article-title").inner_text() == HOSTILE_TITLE
        assert page.locator("h1.article-title *").count() == 0

        page.goto(f"{base}/trends?week={week}")
        assert page.locator("figure img").first.evaluate("img => img.naturalWidth") > 100  # the chart loaded
        page.screenshot(path=str(tmp_path / "review-trends.png"), full_page=True)
        assert problems == []

    if os.environ.get("NEWSMON_DOCS_SCREENSHOTS"):  # refresh the README's screenshots
        for name in ("review-week.png", "review-trends.png"):
            shutil.copy(tmp_path / name, DOCS / name)
