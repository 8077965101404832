"""How stored values are shown: suppression, units, red/amber/green, the benchmark and its words.
Pure functions: no database."""

from decimal import Decimal as D

import pytest

from outcomes.presentation import (
    BENCHMARK_MINIMUM,
    SUPPRESSED,
    Benchmark,
    Rag,
    authority_letter,
    band_position,
    band_text,
    benchmark,
    benchmarkable,
    count_text,
    is_suppressed,
    ordinal,
    rag_status,
    rank_text,
    shown_value,
    value_text,
)


@pytest.mark.parametrize(
    "count, suppressed",
    [(None, False), (0, False), (1, True), (3, True), (4, True), (5, False), (120, False)],
)
def test_counts_from_1_to_4_are_suppressed(count, suppressed):
    assert is_suppressed(count) is suppressed


def test_count_text():
    assert count_text(3) == SUPPRESSED == "fewer than 5"
    assert count_text(0) == "0"
    assert count_text(1204) == "1,204"
    assert count_text(None) == "–"


def test_value_text_by_unit():
    assert value_text(D("0.375"), "share") == "37.5%"
    assert value_text(D("0.0"), "share") == "0.0%"
    assert value_text(D("2.8125"), "mean") == "2.8 of 4"
    assert value_text(D("1204"), "count") == "1,204"
    assert value_text(None, "share") == "no value"


def test_shown_value_suppresses_a_share_built_on_a_small_numerator_but_not_a_mean():
    assert shown_value(value=D("0.15"), numerator=3, unit="share") == SUPPRESSED
    assert shown_value(value=D("3"), numerator=3, unit="count") == SUPPRESSED
    assert shown_value(value=D("0"), numerator=0, unit="share") == "0.0%"
    # A mean's numerator is a sum of levels, not a number of children.
    assert shown_value(value=D("2.25"), numerator=9, unit="mean") == "2.2 of 4"
    assert shown_value(value=D("2.5"), numerator=4, unit="mean") == "2.5 of 4"


@pytest.mark.parametrize(
    "value, target, tolerance, direction, expected",
    [
        (D("0.80"), D("0.75"), D("0.05"), "up", Rag.GREEN),
        (D("0.75"), D("0.75"), D("0"), "up", Rag.GREEN),
        (D("0.72"), D("0.75"), D("0.05"), "up", Rag.AMBER),
        (D("0.70"), D("0.75"), D("0.05"), "up", Rag.AMBER),
        (D("0.69"), D("0.75"), D("0.05"), "up", Rag.RED),
        (D("0.18"), D("0.20"), D("0.03"), "down", Rag.GREEN),
        (D("0.22"), D("0.20"), D("0.03"), "down", Rag.AMBER),
        (D("0.30"), D("0.20"), D("0.03"), "down", Rag.RED),
        (None, D("0.20"), D("0"), "down", Rag.NONE),
        (D("0.30"), None, D("0"), "down", Rag.NONE),
        (D("30"), D("20"), D("0"), None, Rag.NONE),
    ],
)
def test_rag_status(value, target, tolerance, direction, expected):
    assert rag_status(value, target=target, tolerance=tolerance, direction=direction) == expected


def test_benchmark_quartiles_use_the_inclusive_method():
    result = benchmark([D(v) for v in ("0.1", "0.2", "0.3", "0.4", "0.5")], D("0.4"), direction="up")
    assert result is not None
    assert (result.lower_quartile, result.median, result.upper_quartile) == (D("0.2"), D("0.3"), D("0.4"))
    assert result.authorities == 5
    assert result.rank == 2  # only 0.5 is higher
    assert result.position == "top quarter"  # one of five (20%) is better


def test_benchmark_ranks_lowest_first_when_lower_is_better():
    values = [D("0.30"), D("0.10"), D("0.20"), D("0.40"), D("0.50")]
    best = benchmark(values, D("0.10"), direction="down")
    worst = benchmark(values, D("0.50"), direction="down")
    assert best is not None and worst is not None
    assert best.rank == 1 and best.position == "top quarter"
    assert worst.rank == 5 and worst.position == "bottom quarter"
    assert rank_text(best) == "1st of 5"
    assert rank_text(worst) == "5th of 5"


def test_a_benchmark_needs_five_authorities():
    """With three, the median and quartiles would give the other two values away; with four, an
    authority knowing its own value could solve for the other three."""
    assert BENCHMARK_MINIMUM == 5
    for count in range(5):
        values = [D("0.1") * (n + 1) for n in range(count)]
        assert benchmark(values, values[0] if values else D("0.1"), direction="up") is None
        assert benchmark(values, None, direction=None) is None
    four = benchmark([D("0.1"), D("0.2"), D("0.3"), D("0.4")], D("0.1"), direction="up")
    assert (four, rank_text(four), band_text(four, "share")) == (None, "", "")
    assert band_position(four, D("0.1"), direction="up") == ""
    five = benchmark([D("0.1"), D("0.2"), D("0.3"), D("0.4"), D("0.5")], D("0.1"), direction="up")
    assert five is not None and five.authorities == 5
    assert (rank_text(five), band_text(five, "share")) == ("5th of 5", "20.0%–40.0%")


def test_a_benchmark_without_a_value_ranks_nothing():
    result = benchmark([D("0.1"), D("0.2"), D("0.3"), D("0.4"), D("0.5")], None, direction="up")
    assert result is not None and result.median == D("0.3")
    assert result.rank is None and rank_text(result) == ""


def test_tied_authorities_share_a_rank():
    result = benchmark([D("0.5"), D("0.5"), D("0.2"), D("0.3"), D("0.1")], D("0.5"), direction="up")
    assert result is not None and result.rank == 1


@pytest.mark.parametrize(
    "number, text",
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (102, "102nd"),
    ],
)
def test_ordinal(number, text):
    assert ordinal(number) == text


def test_band_text_by_unit():
    result = Benchmark(5, D("0.171"), D("0.18"), D("0.196"), 2, "second quarter")
    assert band_text(result, "share") == "17.1%–19.6%"
    means = Benchmark(5, D("2.25"), D("2.5"), D("2.8"), 2, "second quarter")
    assert band_text(means, "mean") == "2.2–2.8 of 4"
    assert band_text(None, "share") == ""


def test_band_position_is_direction_aware():
    result = Benchmark(5, D("0.2"), D("0.3"), D("0.4"), None, "")
    assert band_position(result, D("0.3"), direction="up") == "in the middle half"
    assert band_position(result, D("0.5"), direction="up") == "better than most"
    assert band_position(result, D("0.5"), direction="down") == "worse than most"
    assert band_position(result, D("0.1"), direction="down") == "better than most"
    assert band_position(result, D("0.1"), direction=None) == "below the middle half"
    assert band_position(result, None, direction="up") == ""
    assert band_position(None, D("0.1"), direction="up") == ""


def test_authority_letters():
    assert [authority_letter(i) for i in (0, 1, 25, 26, 27, 51, 52)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
    ]


def test_a_suppressed_value_never_counts_towards_a_benchmark():
    assert benchmarkable(D("0.75"), numerator=3, unit="share") is None
    assert benchmarkable(D("0.25"), numerator=5, unit="share") == D("0.25")
    assert benchmarkable(D("0"), numerator=0, unit="share") == D("0")
    assert benchmarkable(D("2.5"), numerator=4, unit="mean") == D("2.5")
    assert benchmarkable(None, numerator=0, unit="share") is None
