"""Financial quarters in the notation authorities write: "2024-25-Q1" is April to June 2024."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports import quarters

starts = st.builds(
    lambda year, month: date(year, month, 1), st.integers(1901, 2998), st.sampled_from([1, 4, 7, 10])
)


@pytest.mark.parametrize(
    "text, start, end",
    [
        ("2024-25-Q1", date(2024, 4, 1), date(2024, 6, 30)),
        ("2024-25-Q2", date(2024, 7, 1), date(2024, 9, 30)),
        ("2024-25-Q3", date(2024, 10, 1), date(2024, 12, 31)),
        ("2024-25-Q4", date(2025, 1, 1), date(2025, 3, 31)),
        ("1999-00-Q4", date(2000, 1, 1), date(2000, 3, 31)),
        (" 2023-24-Q4 ", date(2024, 1, 1), date(2024, 3, 31)),
    ],
)
def test_parse(text, start, end):
    assert quarters.parse_quarter(text) == start
    assert quarters.quarter_end(start) == end


def test_labels_and_dates():
    start = date(2025, 1, 1)
    assert quarters.quarter_code(start) == "2024-25-Q4"
    assert quarters.quarter_label(start) == "2024-25 Q4"
    assert quarters.quarter_dates(start) == "1 January to 31 March 2025"
    assert quarters.quarter_dates(date(2024, 4, 1)) == "1 April to 30 June 2024"


@pytest.mark.parametrize(
    "text",
    [
        "2024-25",
        "2024-26-Q1",
        "2024-25-Q5",
        "2024-25-Q0",
        "2024/25 Q1",
        "2024-25 Q1",
        "Q1 2024-25",
        "24-25-Q1",
        "",
        "２０２４-25-Q1",
    ],
)
def test_anything_else_is_rejected_with_the_notation(text):
    with pytest.raises(quarters.QuarterError, match="2024-25-Q1"):
        quarters.parse_quarter(text)


def test_a_year_that_does_not_follow_is_named():
    with pytest.raises(quarters.QuarterError, match="2024 is followed by 25"):
        quarters.parse_quarter("2024-26-Q1")


@given(starts)
def test_round_trip(start):
    code = quarters.quarter_code(start)
    assert quarters.parse_quarter(code) == start
    assert quarters.quarter_label(start) == code.replace("-Q", " Q")


@given(st.text(max_size=20))
def test_random_text_parses_only_when_it_is_a_quarter(text):
    try:
        start = quarters.parse_quarter(text)
    except quarters.QuarterError:
        return
    assert quarters.quarter_code(start) == text.strip()


@given(starts, st.integers(-40, 40))
def test_shift_moves_by_whole_quarters(start, count):
    moved = quarters.shift(start, count)
    assert quarters.is_quarter_start(moved)
    assert quarters.shift(moved, -count) == start


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)))
def test_the_last_complete_quarter_ended_before_the_day(day):
    start = quarters.last_complete_quarter(day)
    assert quarters.quarter_end(start) < day
    assert not quarters.is_complete(quarters.shift(start, 1), day)
