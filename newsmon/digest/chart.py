"""The digest's charts as PNG bytes (mail clients show PNG, not SVG): the weekly share of flagged
articles per label, and the week's flagged articles per sector."""

from __future__ import annotations

import io

LABEL_COLOURS = {"integration": "#0969da", "decentralization": "#bf3989"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    _pyplot().close(figure)
    return buffer.getvalue()


def trend_chart(points: list[tuple[str, str, float]], title: str) -> bytes:
    """points: (week, label, normalised share 0-1), oldest first."""
    plt = _pyplot()
    weeks = sorted({week for week, _, _ in points})
    figure, axes = plt.subplots(figsize=(7.2, 2.6), dpi=110)
    for label, colour in LABEL_COLOURS.items():
        by_week = {week: share for week, lab, share in points if lab == label}
        axes.plot(range(len(weeks)), [100 * (by_week.get(w) or 0.0) for w in weeks], marker="o", markersize=3,
                  linewidth=2, color=colour, label=label)
    axes.set_xticks(range(len(weeks)), [w.split("-")[1] for w in weeks], fontsize=8)
    axes.set_ylabel("% of articles flagged", fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    axes.set_ylim(bottom=0)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=8, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    if title:
        axes.set_title(title, fontsize=9, loc="left", pad=18)
    figure.tight_layout()
    return _png(figure)


def sector_chart(rows: list[tuple[str, str, int]], title: str | None = None) -> bytes | None:
    """rows: (sector, label, flagged articles); horizontal bars, one per label, sectors with the most
    flags on top. None when there is nothing to draw."""
    rows = [row for row in rows if row[2] > 0]
    if not rows:
        return None
    plt = _pyplot()
    totals: dict[str, int] = {}
    for sector, _, flagged in rows:
        totals[sector] = totals.get(sector, 0) + flagged
    sectors = sorted(totals, key=lambda s: (-totals[s], s))[::-1]  # barh draws bottom-up
    counts = {(sector, label): flagged for sector, label, flagged in rows}
    height = 0.38
    figure, axes = plt.subplots(figsize=(5.6, 0.8 + 0.34 * len(sectors)), dpi=110)
    for offset, (label, colour) in zip((height / 2, -height / 2), LABEL_COLOURS.items(), strict=True):
        values = [counts.get((sector, label), 0) for sector in sectors]
        bars = axes.barh([i + offset for i in range(len(sectors))], values, height=height, color=colour,
                         label=label)
        axes.bar_label(bars, labels=[str(v) if v else "" for v in values], fontsize=7, padding=2)
    axes.set_yticks(range(len(sectors)), sectors, fontsize=8)
    axes.tick_params(axis="x", labelsize=7)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.set_xlim(0, max(counts.values()) * 1.15 + 0.5)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="x", alpha=0.3)
    axes.set_axisbelow(True)
    axes.legend(fontsize=8, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    if title:
        axes.set_title(title, fontsize=9, loc="left", pad=18)
    figure.tight_layout()
    return _png(figure)
