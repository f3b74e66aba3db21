"""Rendering the digest for one ISO week: the warehouse's query rows shaped into one context, and the
HTML (autoescaped) and plain-text parts rendered from it, so both carry the same content."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape

from newsmon.domain import one_line

LABEL_TITLES = {
    "integration": "AI-driven virtual-real integration",
    "decentralization": "Decentralization and de-platformization",
}
# Content-IDs of the inline images in the email; the preview embeds the same images as data URIs
TREND_CID = "trend-chart"
SECTOR_CID = "sector-chart"


@dataclass(frozen=True)
class DigestRows:
    """What the digest queries returned for one week (see warehouse/queries/digest_*.sql)."""

    volume: tuple  # digest_counts: crawled, baseline_crawled, baseline_weeks, change_pct
    changes: list[tuple] = field(default_factory=list)  # digest_changes
    trend: list[tuple] = field(default_factory=list)  # digest_trend: week, label, normalized_share
    sectors: list[tuple] = field(default_factory=list)  # digest_sectors
    stories: list[tuple] = field(default_factory=list)  # digest_stories
    rising: list[tuple] = field(default_factory=list)  # digest_rising
    health: list[tuple] = field(default_factory=list)  # digest_health


def _environment() -> Environment:
    # HTML is escaped (titles and text come from the web); the plain-text part is not HTML
    return Environment(loader=PackageLoader("newsmon.digest", "templates"),
                       autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
                       trim_blocks=True, lstrip_blocks=True)


def safe_link(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) link, else None (the headline is shown unlinked)."""
    if not url or any(ch in url for ch in "\r\n\t\x00 "):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _arrow(change: float | None) -> str:
    if change is None:
        return ""
    return "▲" if change > 0 else "▼" if change < 0 else "="


def _day(moment) -> str:
    return moment.strftime("%a %d %b") if moment else ""


def _header(rows: DigestRows) -> tuple[dict, list[dict]]:
    crawled, baseline, baseline_weeks, change_pct = rows.volume
    volume = {"crawled": crawled, "baseline": baseline, "baseline_weeks": baseline_weeks,
              "change_pct": change_pct, "arrow": _arrow(change_pct)}
    by_label = {row[0]: row for row in rows.changes}
    labels = []
    for label, title in LABEL_TITLES.items():
        _, flagged, share, baseline_share, weeks, change_pp = by_label.get(label, (label, 0, None, None, 0, None))
        labels.append({
            "label": label, "title": title, "flagged": flagged,
            "share_pct": None if share is None else 100 * share,
            "baseline_pct": None if baseline_share is None else 100 * baseline_share,
            "baseline_weeks": weeks, "change_pp": change_pp, "arrow": _arrow(change_pp),
        })
    return volume, labels


def _trend_table(points: list[tuple]) -> list[dict]:
    weeks: dict[str, dict] = {}
    for week, label, share in points:
        weeks.setdefault(week, {"week": week, "shares": {}})["shares"][label] = 100 * (share or 0.0)
    return list(weeks.values())


def _sector_table(rows: list[tuple]) -> list[dict]:
    sectors: dict[str, dict] = {}
    for sector, label, articles, flagged, _share in rows:
        entry = sectors.setdefault(sector, {"sector": sector, "articles": 0, "flagged": {}, "total": 0})
        entry["articles"] = max(entry["articles"], articles)
        entry["flagged"][label] = flagged
        entry["total"] += flagged
    return sorted(sectors.values(), key=lambda s: (-s["total"], s["sector"]))


def _sections(rows: list[tuple], counts: dict[str, int]) -> list[dict]:
    stories: dict[str, list[dict]] = {label: [] for label in LABEL_TITLES}
    totals: dict[str, int] = {}
    for (label, rank, total, story_id, title, first_source, first_url, first_published, sources, others,
         articles, score, evidence, sectors, recency, rank_score, _article_ids) in rows:
        totals[label] = total
        stories.setdefault(label, []).append({
            "rank": rank, "story_id": story_id, "title": one_line(title), "url": safe_link(first_url),
            "source": first_source, "published": _day(first_published), "sources": sources,
            "other_sources": list(others or []), "articles": articles, "score": score,
            "evidence": one_line(evidence), "sectors": list(sectors or []), "recency": recency,
            "rank_score": rank_score,
        })
    return [{"label": label, "title": LABEL_TITLES.get(label, label), "stories": items,
             "flagged": counts.get(label, 0), "total": totals.get(label, 0),
             "more": totals.get(label, 0) - len(items)}
            for label, items in stories.items()]


def _rising(rows: list[tuple]) -> list[dict]:
    by_label: dict[str, list[dict]] = {}
    for label, sector, articles, flagged, share, prev_articles, prev_flagged, prev_share, change_pp in rows:
        by_label.setdefault(label, []).append({
            "sector": sector, "articles": articles, "flagged": flagged, "share_pct": 100 * share,
            "previous_articles": prev_articles, "previous_flagged": prev_flagged,
            "previous_pct": 100 * prev_share, "change_pp": change_pp,
        })
    return [{"label": label, "title": LABEL_TITLES.get(label, label), "sectors": by_label[label]}
            for label in [*LABEL_TITLES, *sorted(set(by_label) - set(LABEL_TITLES))] if label in by_label]


def _health(rows: list[tuple]) -> list[dict]:
    return [{"source": source, "runs": runs, "failed": failed, "broken": broken,
             "last_error": one_line(error, 160), "last_error_day": _day(error_at),
             "last_success": _day(success)}
            for source, runs, failed, broken, error, error_at, success in rows]


def digest_context(week: str, start: date, end: date, rows: DigestRows) -> dict:
    """Everything both parts of the digest show, from the digest queries' rows."""
    volume, labels = _header(rows)
    counts = {entry["label"]: entry["flagged"] for entry in labels}
    return {
        "week": week, "start": start, "last_day": end - timedelta(days=1),
        "crawled": volume["crawled"], "volume": volume, "labels": labels, "counts": counts,
        "trend": _trend_table(rows.trend), "sectors": _sector_table(rows.sectors),
        "sections": _sections(rows.stories, counts), "rising": _rising(rows.rising),
        "health": _health(rows.health), "trend_cid": TREND_CID, "sector_cid": SECTOR_CID,
    }


def subject_line(context: dict) -> str:
    counts = context["counts"]
    return (f"newsmon {context['week']}: {counts['integration']} integration, "
            f"{counts['decentralization']} decentralization of {context['crawled']} articles")


def render_digest_html(context: dict, images: dict[str, str] | None = None) -> str:
    """images: Content-ID -> the src to show it by (`cid:…` in the email, a data URI in the preview);
    an image missing from it is left out."""
    return _environment().get_template("digest.html.j2").render(**context, images=images or {})


def render_digest_text(context: dict) -> str:
    return _environment().get_template("digest.txt.j2").render(**context)
