"""`newsmon extract`: the crawler's extraction run on saved pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path


def extract_files(paths: list[Path], url: str | None = None) -> Iterator[dict]:
    """Extract each saved page; yields the article as a dict (or an error) with its path."""
    from crawlers.extract import canonical_link, extract_article, normalize

    now = datetime.now(UTC)
    for path in paths:
        html = path.read_text(encoding="utf-8", errors="replace")
        page_url = url or canonical_link(html) or path.resolve().as_uri()
        draft = extract_article(html, page_url)
        if draft is None:
            yield {"path": str(path), "error": "no article text found"}
            continue
        article = normalize(draft, source="local", fetched_at=now)
        yield {
            "path": str(path), "url": page_url, "canonical_url": article.canonical_url,
            "title": article.title, "author": article.author,
            "published": article.published_at.isoformat() if article.published_from != "first_seen" else None,
            "language": article.language, "text": article.text,
        }
