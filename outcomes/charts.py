"""Server-side SVG charts (matplotlib, SVG backend): the same markup on the dashboard and in the PDF.

Text stays text in the page font (``svg.fonttype = "none"``), so it is searchable in the PDF and
crisp at any zoom. Each function returns an ``<svg>`` element (no XML prolog) with a ``<title>``
for screen readers; pages show the numbers beside every chart as well.
"""

import hashlib
import io
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.etree import ElementTree

from django.core.cache import cache
from django.utils.html import escape
from matplotlib import rcParams
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

rcParams["svg.fonttype"] = "none"
rcParams["font.family"] = "DejaVu Sans"
rcParams["svg.hashsalt"] = "qa-platform"  # stable ids: the same data gives the same markup

INK = "#212529"
MUTED = "#6c757d"
GRID = "#dee2e6"
LINE = "#1f4e79"
TARGET = "#198754"
BAND = "#adb5bd"

# Drawing with matplotlib takes tens of milliseconds a chart; a dashboard draws a score of them.
# Each SVG is cached under a hash of everything it is drawn from (bump the version when the drawing
# code changes, so stale markup is never served).
CACHE_VERSION = "3"
CACHE_SECONDS = 24 * 60 * 60


# matplotlib does not promise thread safety, and the web server runs threads (gthread): one chart is
# drawn at a time in a process. Drawing is CPU-bound, so the threads lose nothing by waiting; and
# a thread that waited looks in the cache again, so that threads asking for the same dashboard at
# once (a cold process under load) draw each chart once, not once each.
_DRAWING = threading.Lock()


def _cached(kind: str, inputs: object, draw: Callable[[], str]) -> str:
    digest = hashlib.sha256(repr((CACHE_VERSION, kind, inputs)).encode()).hexdigest()
    key = f"outcomes-chart:{kind}:{digest}"
    markup = cache.get(key)
    if markup is None:
        with _DRAWING:
            markup = cache.get(key)
            if markup is None:
                markup = draw()
                cache.set(key, markup, CACHE_SECONDS)
    return markup


@dataclass(frozen=True)
class TrendPoint:
    label: str  # "Q1 2024-25"
    value: float | None  # None: no value, or suppressed
    band: tuple[float, float] | None = None  # the benchmark's quartiles for this period


def _formatter(unit: str) -> FuncFormatter:
    if unit == "share":
        return FuncFormatter(lambda y, _pos: f"{y * 100:.0f}%")
    if unit == "mean":
        return FuncFormatter(lambda y, _pos: f"{y:.1f}")
    return FuncFormatter(lambda y, _pos: f"{y:,.0f}")


def _svg(figure: Figure, title: str) -> str:
    figure.patch.set_visible(False)  # the page is white: no background rectangles to draw
    for axes in figure.axes:
        axes.patch.set_visible(False)
    buffer = io.StringIO()
    FigureCanvasSVG(figure).print_svg(buffer, metadata={"Date": None, "Creator": None})
    root = ElementTree.fromstring(buffer.getvalue())
    _slim(root)
    markup = ElementTree.tostring(root, encoding="unicode", short_empty_elements=True)
    # Ids unique per chart, so that several charts on one page never borrow each other's clip paths.
    prefix = "c" + hashlib.sha1(markup.encode(), usedforsecurity=False).hexdigest()[:8] + "-"
    markup = re.sub(r'\bid="', f'id="{prefix}', markup)
    markup = re.sub(r"url\(#", f"url(#{prefix}", markup)
    markup = re.sub(r'xlink:href="#', f'xlink:href="#{prefix}', markup)
    # Scale with its container (width 100%), keeping the aspect ratio of the viewBox.
    markup = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 class="chart"', markup, count=1)
    return markup.replace(">", f' role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>', 1)


# matplotlib's SVG is verbose: a named group around every artist, styles in ``style`` attributes,
# six decimals. Every element costs WeasyPrint (the PDF report holds fifteen charts) and the page
# weight, so ``_slim`` keeps only what is drawn; the picture is the same.
SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
_NUMBER = re.compile(r"-?\d+\.\d{3,}")
_GEOMETRY = ("d", "x", "y", "width", "height", "transform", "points")


def _round(match: re.Match) -> str:
    return f"{float(match.group()):.2f}".rstrip("0").rstrip(".")


def _slim(element: ElementTree.Element) -> None:
    """Drop metadata and the default stylesheet, unwrap groups that only carry an id, drop empty
    groups, turn ``style`` into presentation attributes and round coordinates to 0.01 pt.

    Names lose their namespace here (``{…/svg}path`` becomes ``path``, ``{…/xlink}href`` becomes
    ``xlink:href``) and the root declares both, so that the markup never depends on ElementTree's
    process-wide prefix registry."""
    element.tag = element.tag.rsplit("}", 1)[-1]
    if f"{{{XLINK}}}href" in element.attrib:
        element.set("xlink:href", element.attrib.pop(f"{{{XLINK}}}href"))
    if element.tag == "svg":
        element.set("xmlns", SVG)
        element.set("xmlns:xlink", XLINK)
        # matplotlib's stylesheet is ``*{stroke-linejoin: round; stroke-linecap: butt}``: the same
        # as inherited attributes on the root, as every element that differs says so itself.
        element.set("stroke-linejoin", "round")
        element.set("stroke-linecap", "butt")
    children: list[ElementTree.Element] = []
    for child in list(element):
        _slim(child)
        if child.tag in ("metadata", "style") or (child.tag == "defs" and len(child) == 0):
            continue
        if child.tag == "g" and set(child.attrib) <= {"id"}:
            children.extend(child)  # its children take its place (nothing refers to a group's id)
            continue
        children.append(child)
    element[:] = children
    if element.text and not element.text.strip():
        element.text = None
    for child in element:
        if child.tail and not child.tail.strip():
            child.tail = None
    style = element.attrib.pop("style", None)
    if style:
        for declaration in style.split(";"):
            name, _, value = declaration.partition(":")
            if name.strip() and value.strip():
                element.set(name.strip(), value.strip())
    if element.get("transform", "").startswith("rotate(-0 "):
        del element.attrib["transform"]
    for attribute in _GEOMETRY:
        geometry = element.get(attribute)
        if geometry:
            element.set(attribute, " ".join(_NUMBER.sub(_round, geometry).split()))


def trend_chart(
    points: Sequence[TrendPoint],
    *,
    unit: str,
    title: str,
    target: float | None = None,
    colour: str = LINE,
    width: float = 5.0,
    height: float = 2.2,
) -> str:
    """A line over the periods, gaps where there is no value; the benchmark's interquartile range
    as a grey band where given; the target as a dashed green line. Cached (``_cached``)."""
    inputs = (tuple(points), unit, title, target, colour, width, height)
    return _cached(
        "trend",
        inputs,
        lambda: _draw_trend(
            points, unit=unit, title=title, target=target, colour=colour, width=width, height=height
        ),
    )


def _draw_trend(
    points: Sequence[TrendPoint],
    *,
    unit: str,
    title: str,
    target: float | None,
    colour: str,
    width: float,
    height: float,
) -> str:
    figure = Figure(figsize=(width, height), dpi=100)
    axes = figure.add_subplot()
    xs = list(range(len(points)))
    band = [(x, p.band) for x, p in zip(xs, points, strict=True) if p.band is not None]
    if band:
        axes.fill_between(
            [x for x, _ in band],
            [b[0] for _, b in band],
            [b[1] for _, b in band],
            color=BAND,
            alpha=0.35,
            linewidth=0,
            label="Middle half of authorities",
        )
    values = [p.value if p.value is not None else float("nan") for p in points]
    axes.plot(xs, values, color=colour, linewidth=2, marker="o", markersize=4, label="This authority")
    if target is not None:
        axes.axhline(target, color=TARGET, linestyle="--", linewidth=1.2, label="Target")
    # "Q1 2024-25" over two lines, so that eight quarters fit side by side.
    axes.set_xticks(xs, [p.label.replace(" ", "\n", 1) for p in points], fontsize=6.5, color=MUTED)
    # Half a step either side, so that the first and last labels are not cut off.
    axes.set_xlim(-0.5, len(points) - 0.5)
    axes.tick_params(axis="y", labelsize=7, colors=MUTED, length=0)
    axes.tick_params(axis="x", length=0)
    axes.yaxis.set_major_formatter(_formatter(unit))
    axes.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=unit == "count"))
    if unit == "share":
        axes.set_ylim(0, 1.02)
        axes.set_yticks([0, 0.25, 0.5, 0.75, 1])
    elif unit == "mean":
        axes.set_ylim(1, 4.05)
        axes.set_yticks([1, 2, 3, 4])
    else:
        # Room above the highest of the line, the band and the target; 0 to 1 when all are 0, so
        # that the axis never repeats one tick.
        tops = (
            [v for v in values if v == v] + [b[1] for _, b in band] + ([target] if target is not None else [])
        )
        axes.set_ylim(0, max(1.0, max(tops, default=0.0) * 1.12))
    axes.grid(axis="y", color=GRID, linewidth=0.8)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color(GRID)
    if band or target is not None:
        axes.legend(loc="upper left", fontsize=6.5, frameon=False, ncol=3, bbox_to_anchor=(0, 1.18))
    figure.subplots_adjust(left=0.1, right=0.98, bottom=0.2, top=0.86 if (band or target) else 0.95)
    return _svg(figure, title)


@dataclass(frozen=True)
class Bar:
    label: str  # "P6 Scaling questions"
    value: float | None
    benchmark: float | None = None  # the median across authorities


def element_chart(bars: Sequence[Bar], *, title: str, colour: str = LINE, width: float = 6.5) -> str:
    """Horizontal bars on the 1–4 rubric scale, one per element, with the median across authorities
    as a tick where there is one. Cached (``_cached``)."""
    inputs = (tuple(bars), title, colour, width)
    return _cached("elements", inputs, lambda: _draw_elements(bars, title=title, colour=colour, width=width))


def _draw_elements(bars: Sequence[Bar], *, title: str, colour: str, width: float) -> str:
    height = 0.5 + 0.28 * len(bars)
    figure = Figure(figsize=(width, height), dpi=100)
    axes = figure.add_subplot()
    ys = list(range(len(bars)))[::-1]
    axes.barh(
        ys,
        [(b.value - 1) if b.value is not None else 0 for b in bars],
        left=1,
        color=colour,
        height=0.62,
        label="This authority",
    )
    medians = [(y, b.benchmark) for y, b in zip(ys, bars, strict=True) if b.benchmark is not None]
    if medians:
        axes.scatter(
            [m for _, m in medians],
            [y for y, _ in medians],
            marker="|",
            s=180,
            color=INK,
            linewidths=2,
            label="Median of authorities",
            zorder=3,
        )
    for y, bar in zip(ys, bars, strict=True):
        text = f"{bar.value:.1f}" if bar.value is not None else "no audits"
        axes.text(
            (bar.value if bar.value is not None else 1) + 0.04, y, text, va="center", fontsize=7, color=INK
        )
    axes.set_yticks(ys, [b.label for b in bars], fontsize=7.5, color=INK)
    axes.set_xlim(1, 4.3)
    axes.set_xticks([1, 2, 3, 4], ["1 Not evident", "2 Emerging", "3 Established", "4 Embedded"], fontsize=7)
    axes.tick_params(length=0, colors=MUTED)
    axes.grid(axis="x", color=GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right", "left", "bottom"):
        axes.spines[side].set_visible(False)
    if medians:
        axes.legend(loc="lower right", fontsize=6.5, frameon=False, bbox_to_anchor=(1, 1), ncol=2)
    figure.subplots_adjust(left=0.36, right=0.98, bottom=0.5 / height, top=1 - 0.3 / height)
    return _svg(figure, title)
