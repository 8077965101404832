"""The report's distribution charts: for each item, a horizontal bar at baseline and one now, each
split into the shares of its answers (matplotlib SVG through ``outcomes.charts``, so the look, the
text-as-text and the cache are the same as the outcome report's). A suppressed or unasked
distribution is drawn as an empty bar with its reason."""

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from outcomes.charts import INK, MUTED, _cached, _svg

# Diverging, colour-blind safe (from "Strongly disagree" to "Strongly agree"), and for 0–10 bands.
AGREEMENT_COLOURS = ("#b2182b", "#ef8a62", "#d9d9d9", "#67a9cf", "#2166ac")
SCALE_COLOURS = ("#ef8a62", "#d9d9d9", "#2166ac")


@dataclass(frozen=True)
class Row:
    label: str  # the item's text, shown once above its pair of bars
    shares: tuple[tuple[float, ...], ...]  # per bar (baseline, now): shares per band, or ()
    notes: tuple[str, ...]  # per bar: "Baseline", "Now"
    empty_texts: tuple[str, ...]  # per bar: why it is empty ("fewer than 5")


def distribution_chart(rows: Sequence[Row], *, bands: Sequence[str], title: str, width: float = 7.2) -> str:
    inputs = (tuple(rows), tuple(bands), title, width)
    return _cached("survey-distribution", inputs, lambda: _draw(rows, bands=bands, title=title, width=width))


def _draw(rows: Sequence[Row], *, bands: Sequence[str], title: str, width: float) -> str:
    colours = AGREEMENT_COLOURS if len(bands) == 5 else SCALE_COLOURS
    bars = sum(len(row.notes) for row in rows)
    height = 0.7 + 0.24 * bars + 0.22 * len(rows)
    figure = Figure(figsize=(width, height), dpi=100)
    axes = figure.add_subplot()
    y = 0.0
    ticks: list[float] = []
    tick_labels: list[str] = []
    for row in rows:
        axes.text(
            0.0,
            y - 0.55,
            textwrap.shorten(row.label, 95),
            fontsize=7,
            color=INK,
            ha="left",
            transform=axes.get_yaxis_transform(),
            va="center",
            fontweight="bold",
        )
        for shares, note, empty in zip(row.shares, row.notes, row.empty_texts, strict=True):
            ticks.append(y)
            tick_labels.append(note)
            if shares:
                left = 0.0
                for index, share in enumerate(shares):
                    axes.barh(y, share, left=left, color=colours[index], height=0.7)
                    if share >= 0.07:
                        axes.text(
                            left + share / 2,
                            y,
                            f"{share * 100:.0f}%",
                            ha="center",
                            va="center",
                            fontsize=6.3,
                            color="#fff" if index in (0, len(shares) - 1) else INK,
                        )
                    left += share
            else:
                axes.barh(y, 1, color="#f3f4f6", height=0.7)
                axes.text(0.5, y, empty, ha="center", va="center", fontsize=6.5, color=MUTED)
            y += 0.85
        y += 0.75
    axes.set_yticks(ticks, tick_labels, fontsize=6.8, color=INK)
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0%", "25%", "50%", "75%", "100%"], fontsize=6.5)
    axes.tick_params(length=0, colors=MUTED)
    for side in ("top", "right", "left", "bottom"):
        axes.spines[side].set_visible(False)
    handles = [Patch(color=colours[i], label=label) for i, label in enumerate(bands)]
    axes.legend(
        handles=handles,
        labels=list(bands),
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=len(bands),
        fontsize=6.3,
        frameon=False,
    )
    figure.subplots_adjust(left=0.12, right=0.965, bottom=0.35 / height, top=1 - 0.35 / height)
    return _svg(figure, title)
