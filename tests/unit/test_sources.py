from pathlib import Path

import pytest

from newsmon.sources import SourcesError, load_sources, parse_sources

GOOD = {"sources": [{"name": "a-feed", "homepage": "https://a.example/", "feeds": ["https://a.example/rss"]}]}


def test_valid_source_gets_homepage_domain_as_default_allowed_domain():
    (source,) = parse_sources(GOOD)
    assert source.allowed_domains == ("a.example",)
    assert source.feeds == ("https://a.example/rss",)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"name": "x", "homepage": "ftp://x.example/", "feeds": ["https://x.example/f"]}, "source x: homepage"),
        ({"name": "x", "homepage": "https://x.example/", "feeds": ["not a url"]}, "source x: feeds: not an http"),
        ({"name": "x", "homepage": "https://x.example/"}, "source x: needs at least one of"),
        ({"name": "Bad Name", "homepage": "https://x.example/", "feeds": ["https://x.example/f"]}, "source Bad Name: name"),
        ({"name": "x", "homepage": "https://x.example/", "feeds": ["https://x.example/f"], "colour": 1}, "source x: colour"),
        ({"name": "x", "homepage": "https://x.example/", "feeds": ["https://x.example/f"], "max_articles": 0}, "source x: max_articles"),
    ],
)
def test_bad_entry_error_names_source_and_field(entry, expected):
    with pytest.raises(SourcesError, match=expected):
        parse_sources({"sources": [entry]})


def test_duplicate_names_are_refused():
    entry = GOOD["sources"][0]
    with pytest.raises(SourcesError, match="duplicate name"):
        parse_sources({"sources": [entry, entry]})


def test_unreadable_and_invalid_files_give_one_line_errors(tmp_path: Path):
    with pytest.raises(SourcesError, match="cannot read"):
        load_sources(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("sources: [\n  - name: a\n   bad indent", encoding="utf-8")
    with pytest.raises(SourcesError, match="not valid YAML"):
        load_sources(broken)
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(SourcesError, match="top-level 'sources:' list"):
        load_sources(empty)


def test_repository_sources_file_is_valid():
    sources = load_sources(Path(__file__).parents[2] / "sources.yaml")
    assert len(sources) >= 40
    assert len({s.name for s in sources}) == len(sources)
    assert all(s.feeds for s in sources)
