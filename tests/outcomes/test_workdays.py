from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outcomes.models import CalendarDay
from outcomes.services import calendar_ensure
from outcomes.workdays import is_working_day, shift_years, working_days


def test_friday_to_monday_is_one_working_day():
    assert working_days(date(2024, 3, 8), date(2024, 3, 11)) == 1


def test_the_same_day_is_no_working_day_and_reversed_is_negative():
    assert working_days(date(2024, 3, 8), date(2024, 3, 8)) == 0
    assert working_days(date(2024, 3, 11), date(2024, 3, 8)) == -1


def test_a_plain_week_has_five_working_days():
    assert working_days(date(2024, 3, 4), date(2024, 3, 11)) == 5


def test_easter_and_may_bank_holidays_are_not_working_days():
    # Counted by hand: Good Friday 29 March, Easter Monday 1 April, 6 May and 27 May 2024 are
    # bank holidays, so the 45th working day after Thursday 28 March 2024 is Wednesday 5 June.
    assert not is_working_day(date(2024, 3, 29))
    assert not is_working_day(date(2024, 4, 1))
    assert working_days(date(2024, 3, 28), date(2024, 6, 5)) == 45
    assert working_days(date(2024, 3, 28), date(2024, 6, 6)) == 46


def test_christmas_and_new_year_are_not_working_days():
    # 25 and 26 December 2023 and 1 January 2024: Monday 15 January is the 15th working day.
    assert working_days(date(2023, 12, 20), date(2024, 1, 15)) == 15
    assert working_days(date(2023, 12, 20), date(2024, 1, 16)) == 16


def test_substitute_and_one_off_bank_holidays():
    assert not is_working_day(date(2022, 12, 27))  # Christmas Day (observed)
    assert not is_working_day(date(2023, 5, 8))  # coronation
    assert is_working_day(date(2023, 5, 9))


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (date(2024, 2, 29), -1, date(2023, 2, 28)),
        (date(2024, 2, 29), 1, date(2025, 2, 28)),
        (date(2020, 2, 29), 2, date(2022, 2, 28)),
        (date(2020, 2, 29), 4, date(2024, 2, 29)),
        (date(2024, 3, 1), -1, date(2023, 3, 1)),
        (date(2023, 2, 28), 1, date(2024, 2, 28)),
    ],
)
def test_shift_years_keeps_day_and_month_or_takes_28_february(day, years, expected):
    assert shift_years(day, years) == expected


@pytest.mark.django_db
def test_calendar_table_agrees_with_python_on_every_day():
    calendar_ensure(first=date(2022, 6, 1), last=date(2024, 6, 1))
    rows = list(CalendarDay.objects.order_by("day"))
    assert (rows[0].day, rows[-1].day) == (date(2022, 1, 1), date(2024, 12, 31))
    assert len(rows) == 365 + 365 + 366
    first = rows[0]
    for row in rows:
        assert row.working_day_number - first.working_day_number == working_days(first.day, row.day)
        assert row.is_working_day == is_working_day(row.day)
        assert row.one_year_before == shift_years(row.day, -1)
        assert row.two_years_after == shift_years(row.day, 2)


@pytest.mark.django_db
def test_calendar_ensure_is_idempotent_and_extends_without_renumbering():
    assert calendar_ensure(first=date(2024, 1, 1), last=date(2024, 12, 31)) == 366
    before = dict(CalendarDay.objects.values_list("day", "working_day_number"))
    assert calendar_ensure(first=date(2024, 3, 1), last=date(2024, 4, 1)) == 0
    calendar_ensure(first=date(2019, 1, 1), last=date(2025, 12, 31))
    after = dict(CalendarDay.objects.values_list("day", "working_day_number"))
    assert {day: after[day] for day in before} == before
    assert len(after) == (date(2025, 12, 31) - date(2019, 1, 1)).days + 1


DAYS = st.dates(min_value=date(2019, 1, 1), max_value=date(2026, 12, 31))


@pytest.mark.django_db
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=DAYS, b=DAYS)
def test_sql_working_days_equal_python(a, b):
    calendar_ensure(first=date(2019, 1, 1), last=date(2026, 12, 31))
    numbers = dict(CalendarDay.objects.filter(day__in=[a, b]).values_list("day", "working_day_number"))
    assert numbers[b] - numbers[a] == working_days(a, b)


def test_python_working_days_match_a_day_by_day_count():
    start = date(2023, 11, 1)
    for length in range(0, 120, 7):
        end = start + timedelta(days=length)
        by_hand = sum(1 for offset in range(1, length + 1) if is_working_day(start + timedelta(days=offset)))
        assert working_days(start, end) == by_hand
