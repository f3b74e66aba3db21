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


def _bomb(levels: int = 9) -> str:
    """A few hundred bytes of nested aliases that expand to 9**levels strings (the billion laughs)."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ",".join([f"*l{level - 1}"] * 9) + "]")
    return "\n".join(lines) + (f"\nsources:\n  - name: *l{levels - 1}\n"
                               "    homepage: https://x.example/\n    feeds: [https://x.example/f]\n")


def test_alias_bomb_is_refused_in_one_short_line(tmp_path: Path):
    bomb = tmp_path / "sources.yaml"
    bomb.write_text(_bomb(), encoding="utf-8")
    assert bomb.stat().st_size < 600
    with pytest.raises(SourcesError, match="aliases expand to more than") as caught:
        load_sources(bomb)
    assert len(str(caught.value)) < 300


def test_a_few_aliases_still_share_values(tmp_path: Path):
    shared = tmp_path / "sources.yaml"
    shared.write_text(
        "common: &skip ['/video/', '/podcast/']\nsources:\n"
        "  - {name: a, homepage: 'https://a.example/', feeds: ['https://a.example/f'], exclude: *skip}\n"
        "  - {name: b, homepage: 'https://b.example/', feeds: ['https://b.example/f'], exclude: *skip}\n",
        encoding="utf-8")
    assert [s.exclude for s in load_sources(shared)] == [("/video/", "/podcast/")] * 2


def test_recursive_alias_and_deep_nesting_are_one_line(tmp_path: Path):
    recursive = tmp_path / "recursive.yaml"
    recursive.write_text("a: &a [*a]\nsources: []\n", encoding="utf-8")
    with pytest.raises(SourcesError):
        load_sources(recursive)
    deep = tmp_path / "deep.yaml"
    deep.write_text("sources: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(SourcesError):
        load_sources(deep)


@pytest.mark.parametrize("field", ["name", "homepage", "feeds"])
def test_errors_quote_at_most_200_characters_of_a_bad_value(field):
    entry = {"name": "x", "homepage": "https://x.example/", "feeds": ["https://x.example/f"]}
    huge = "y" * 100_000
    entry[field] = [huge] if field == "feeds" else ({"nested": [huge] * 50} if field == "name" else huge)
    with pytest.raises(SourcesError) as caught:
        parse_sources({"sources": [entry]})
    assert len(str(caught.value)) < 400
