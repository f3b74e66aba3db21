"""Rendering the digest for one ISO week from the warehouse's views."""

from __future__ import annotations

from datetime import date, timedelta

from jinja2 import Environment, PackageLoader, select_autoescape

LABEL_TITLES = {
    "integration": "AI-driven virtual-real integration",
    "decentralization": "Decentralization and de-platformization",
}


def _environment() -> Environment:
    # HTML is escaped (titles and text come from the web); the plain-text part is not HTML
    return Environment(loader=PackageLoader("newsmon.digest", "templates"),
                       autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
                       trim_blocks=True, lstrip_blocks=True)


def _safe_link(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else "#"


def digest_context(week: str, start: date, end: date, counts: tuple, rows: list[tuple]) -> dict:
    """counts: (crawled, integration, decentralization); rows: the digest_articles query's rows."""
    crawled, integration, decentralization = counts
    sections = {label: [] for label in LABEL_TITLES}
    for label, title, url, source, published, score, evidence, _article_id in rows:
        sections.setdefault(label, []).append({
            "title": title, "url": _safe_link(url), "source": source,
            "published": published.strftime("%a %d %b") if published else "",
            "score": score, "evidence": evidence,
        })
    return {
        "week": week, "start": start, "last_day": end - timedelta(days=1), "crawled": crawled,
        "counts": {"integration": integration, "decentralization": decentralization},
        "sections": [{"label": label, "title": LABEL_TITLES.get(label, label), "articles": items}
                     for label, items in sections.items()],
    }


def subject_line(context: dict) -> str:
    counts = context["counts"]
    return (f"newsmon {context['week']}: {counts['integration']} integration, "
            f"{counts['decentralization']} decentralization of {context['crawled']} articles")


def render_digest_html(context: dict, chart_src: str | None = None) -> str:
    return _environment().get_template("digest.html.j2").render(**context, chart_src=chart_src)


def render_digest_text(context: dict) -> str:
    return _environment().get_template("digest.txt.j2").render(**context)
