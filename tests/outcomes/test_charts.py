"""The SVG charts: inline markup with a title for screen readers, gaps for missing values, the
benchmark band and the target, and a cache keyed by everything a chart is drawn from."""

import re
import threading
import time
from xml.etree import ElementTree

import pytest
from django.core.cache import cache

from outcomes import charts
from outcomes.charts import Bar, TrendPoint, element_chart, trend_chart

QUARTERS = ["Q3 2024-25", "Q4 2024-25", "Q1 2025-26", "Q2 2025-26"]


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_trend_chart_is_an_inline_svg_with_a_title():
    points = [
        TrendPoint(label, value, (0.1, 0.3))
        for label, value in zip(QUARTERS, [0.2, None, 0.25, 0.3], strict=True)
    ]
    svg = trend_chart(points, unit="share", title="Re-referrals: Q3 2024-25 to Q2 2025-26", target=0.2)
    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert 'aria-label="Re-referrals: Q3 2024-25 to Q2 2025-26"' in svg
    assert "<title>Re-referrals: Q3 2024-25 to Q2 2025-26</title>" in svg
    assert "<?xml" not in svg and "<metadata>" not in svg
    # Labels stay text, the axis reads in percent, the legend names the band and the target.
    assert "Q3" in svg and "100%" in svg
    assert "Middle half of authorities" in svg and "Target" in svg


def test_the_title_is_escaped():
    svg = trend_chart([TrendPoint("Q1 2024-25", 1.0)], unit="count", title='<b>"x"</b>')
    assert "<b>" not in svg and "&lt;b&gt;" in svg


def test_a_count_chart_of_zeros_does_not_repeat_its_ticks():
    svg = trend_chart([TrendPoint(label, 0.0) for label in QUARTERS], unit="count", title="Referrals")
    ticks = re.findall(r">(\d+)</text>", svg)
    assert len(ticks) == len(set(ticks)), ticks


def test_charts_are_cached_by_their_inputs(monkeypatch):
    drawn = []
    real = charts._draw_trend

    def counting(*args, **kwargs):
        drawn.append(kwargs["title"])
        return real(*args, **kwargs)

    monkeypatch.setattr(charts, "_draw_trend", counting)
    points = [TrendPoint(label, 0.5) for label in QUARTERS]
    first = trend_chart(points, unit="share", title="A")
    second = trend_chart(points, unit="share", title="A")
    assert first == second
    assert drawn == ["A"]
    trend_chart(points, unit="share", title="A", target=0.6)
    trend_chart([*points[:-1], TrendPoint(QUARTERS[-1], 0.4)], unit="share", title="A")
    assert len(drawn) == 3


def test_the_same_data_gives_the_same_markup_without_the_cache():
    points = [TrendPoint(label, 0.5) for label in QUARTERS]
    first = trend_chart(points, unit="share", title="A")
    cache.clear()
    assert trend_chart(points, unit="share", title="A") == first


def test_an_element_chart_names_every_element_and_the_median():
    bars = [
        Bar("P1 Harm statements", 3.0, 2.5),
        Bar("P2 Danger statements", None, 2.0),
        Bar("P6 Scaling", 2.2),
    ]
    svg = element_chart(bars, title="Practice fidelity by element, Q3 2024-25")
    assert svg.startswith("<svg") and "<title>Practice fidelity by element, Q3 2024-25</title>" in svg
    for label in ("P1 Harm statements", "P2 Danger statements", "P6 Scaling", "3 Established", "no audits"):
        assert label in svg
    assert "Median of authorities" in svg


def test_two_charts_on_one_page_do_not_share_ids():
    one = trend_chart([TrendPoint(label, 0.5) for label in QUARTERS], unit="share", title="One")
    two = trend_chart([TrendPoint(label, 0.2) for label in QUARTERS], unit="share", title="Two")
    ids_one = set(re.findall(r'id="([^"]+)"', one))
    ids_two = set(re.findall(r'id="([^"]+)"', two))
    assert ids_one and not ids_one & ids_two


def test_the_markup_is_lean_well_formed_svg():
    """Every element costs the PDF report (fifteen charts) and the page weight: no group that only
    names an artist, no metadata or stylesheet, styles as attributes, coordinates to 0.01."""
    points = [
        TrendPoint(label, value, (0.1, 0.3))
        for label, value in zip(QUARTERS, [0.2, None, 0.25, 0.3], strict=True)
    ]
    svg = trend_chart(points, unit="share", title="Re-referrals", target=0.2)
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    elements = list(root.iter())
    assert len(elements) < 60, len(elements)
    for element in elements:
        assert "style" not in element.attrib
        assert not (element.tag.endswith("}g") and set(element.attrib) <= {"id"})
        for value in element.attrib.values():
            assert not re.search(r"\d\.\d{3,}", value), value
    assert "<metadata" not in svg and "<style" not in svg
    # Every reference points at an element of the same chart.
    ids = {element.get("id") for element in elements}
    referred = re.findall(r"url\(#([^)]+)\)", svg) + re.findall(r'xlink:href="#([^"]+)"', svg)
    assert referred and set(referred) <= ids


def test_slimming_keeps_what_is_drawn():
    points = [TrendPoint(label, 0.5) for label in QUARTERS]
    svg = trend_chart(points, unit="share", title="A", target=0.6)
    # The tick labels, the line with its markers, the target's dashes and the gridlines' colour.
    assert all(f">{q.split()[0]}<" in svg for q in QUARTERS)
    assert "font-family=\"'DejaVu Sans'\"" in svg
    assert "stroke-dasharray" in svg and f'stroke="{charts.GRID}"' in svg
    assert svg.count("<use ") >= len(QUARTERS)


def test_threads_asking_for_the_same_chart_at_once_draw_it_once(monkeypatch):
    """A cold web process under load: its threads wait for the one drawing, then use its chart."""
    drawn = []
    started = threading.Event()
    real = charts._draw_trend

    def slow(*args, **kwargs):
        drawn.append(kwargs["title"])
        started.set()
        time.sleep(0.2)
        return real(*args, **kwargs)

    monkeypatch.setattr(charts, "_draw_trend", slow)
    points = [TrendPoint(label, 0.5) for label in QUARTERS]
    results: list[str] = []

    def ask() -> None:
        results.append(trend_chart(points, unit="share", title="Busy"))

    first = threading.Thread(target=ask)
    first.start()
    started.wait(5)
    others = [threading.Thread(target=ask) for _ in range(3)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(10)
    assert drawn == ["Busy"]
    assert len(results) == 4 and len(set(results)) == 1
