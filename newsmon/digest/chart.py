"""The digest's chart: weekly share of flagged articles per label, as PNG bytes (mail clients show PNG)."""

from __future__ import annotations

import io

LABEL_COLOURS = {"integration": "#0969da", "decentralization": "#bf3989"}


def trend_chart(points: list[tuple[str, str, float]], title: str) -> bytes:
    """points: (week, label, normalised share 0-1), oldest first."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    weeks = sorted({week for week, _, _ in points})
    figure, axes = plt.subplots(figsize=(7.2, 2.6), dpi=110)
    for label, colour in LABEL_COLOURS.items():
        by_week = {week: share for week, lab, share in points if lab == label}
        axes.plot(range(len(weeks)), [100 * by_week.get(w, 0.0) for w in weeks], marker="o", markersize=3,
                  linewidth=2, color=colour, label=label)
    axes.set_xticks(range(len(weeks)), [w.split("-")[1] for w in weeks], fontsize=8)
    axes.set_ylabel("% of articles flagged", fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    axes.set_ylim(bottom=0)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=8, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    axes.set_title(title, fontsize=9, loc="left", pad=18)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
