"""Reading and validating sources.yaml: a bad entry is one error naming the source and the field.

YAML anchors and aliases are allowed (one list of patterns shared by several sources), but the
document they expand to is bounded (`MAX_EXPANDED_NODES`), so a few hundred bytes of nested
aliases (the "billion laughs") are refused before anything walks or prints the expansion; and no
error quotes more than `_ECHO` characters of a value."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from newsmon.domain import NewsmonError, Source


class SourcesError(NewsmonError):
    """sources.yaml cannot be used as it is."""


# Far above any real sources file (the shipped one has ~1,000 nodes) and far below a bomb's billions.
MAX_EXPANDED_NODES = 100_000
_ECHO = 200  # characters of a bad value an error message may quote


def _clip(value: object) -> str:
    """repr of a value for an error message, cut to _ECHO characters."""
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= _ECHO else f"{text[:_ECHO]}... ({len(text):,} characters)"


def _expanded_size(root: yaml.Node) -> int:
    """Nodes of the document once every alias is expanded, counted without expanding: a node
    reached through several aliases counts once per path (memoized by identity), and counting
    stops as soon as the total passes MAX_EXPANDED_NODES."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if depth > 200:  # a recursive alias (&a [*a]) or absurd nesting
            return MAX_EXPANDED_NODES + 1
        total = 1
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        for child in children:
            total += size(child, depth + 1)
            if total > MAX_EXPANDED_NODES:
                break
        sizes[id(node)] = total
        return total

    return size(root, 0)


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {_clip(value)!r}")
    return value


class _SourceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)
    homepage: str
    feeds: list[str] = Field(default_factory=list)
    sitemaps: list[str] = Field(default_factory=list)
    sections: list[str] = Field(default_factory=list)
    allowed_domains: list[str] = Field(default_factory=list)
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    language: str | None = None
    max_articles: int | None = Field(None, ge=1)
    crawl_delay: float | None = Field(None, ge=0)
    enabled: bool = True
    allow_private_hosts: bool = False
    tags: list[str] = Field(default_factory=list)

    @field_validator("homepage")
    @classmethod
    def _homepage(cls, value: str) -> str:
        return _check_http_url(value)

    @field_validator("feeds", "sitemaps", "sections")
    @classmethod
    def _urls(cls, values: list[str]) -> list[str]:
        return [_check_http_url(v) for v in values]

    @field_validator("include", "exclude")
    @classmethod
    def _patterns(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {_clip(value)!r} ({exc})") from None
        return values

    def to_source(self) -> Source:
        domains = self.allowed_domains or [urlsplit(self.homepage).hostname or ""]
        return Source(
            name=self.name, homepage=self.homepage, feeds=tuple(self.feeds),
            sitemaps=tuple(self.sitemaps), sections=tuple(self.sections),
            allowed_domains=tuple(domains), include=tuple(self.include), exclude=tuple(self.exclude),
            language=self.language,
            max_articles=self.max_articles, crawl_delay=self.crawl_delay, enabled=self.enabled,
            allow_private_hosts=self.allow_private_hosts, tags=tuple(self.tags),
        )


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "entry"
    return f"{_clip(field)}: {_clip(first['msg'].removeprefix('Value error, '))}"


def parse_sources(data: object, origin: str = "sources.yaml") -> list[Source]:
    """Validate the parsed YAML document; raise SourcesError naming the first bad source and field."""
    entries = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SourcesError(f"{origin}: expected a top-level 'sources:' list")
    sources: list[Source] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        name = entry.get("name") if isinstance(entry, dict) else None
        label = _clip(name) if isinstance(name, str) else f"#{index + 1}"
        if not isinstance(entry, dict):
            raise SourcesError(f"{origin}: source {label}: expected a mapping")
        try:
            parsed = _SourceEntry.model_validate(entry)
        except ValidationError as exc:
            raise SourcesError(f"{origin}: source {label}: {_describe(exc)}") from None
        if parsed.name in seen:
            raise SourcesError(f"{origin}: source {label}: duplicate name")
        if not (parsed.feeds or parsed.sitemaps or parsed.sections):
            raise SourcesError(f"{origin}: source {label}: needs at least one of feeds, sitemaps, sections")
        seen.add(parsed.name)
        sources.append(parsed.to_source())
    return sources


def load_sources(path: Path) -> list[Source]:
    """Read and validate a sources file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SourcesError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start]
        raise SourcesError(f"{path}: not UTF-8 text (byte {byte:#04x} at offset {exc.start})") from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and _expanded_size(node) > MAX_EXPANDED_NODES:
            raise SourcesError(f"{path}: its aliases expand to more than {MAX_EXPANDED_NODES:,} YAML nodes "
                               "(nested aliases, the 'billion laughs'); write the values out")
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise SourcesError(f"{path}: not valid YAML{where}") from None
    except RecursionError:
        raise SourcesError(f"{path}: YAML nested too deeply") from None
    finally:
        loader.dispose()
    return parse_sources(data, origin=str(path))
