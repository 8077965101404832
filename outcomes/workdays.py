"""Working days and whole-year shifts, as ``shared/spec/measures.md`` defines them.

- A working day is Monday to Friday and not an England and Wales bank holiday (the ``holidays``
  package, country GB, subdivision ENG, observed substitute days and one-off holidays included).
- ``working_days(a, b)`` counts the working days ``d`` with ``a < d <= b``: a task started on a
  Friday and done on the next Monday took 1 working day. For ``b < a`` it is minus
  ``working_days(b, a)``, so that ``working_days(a, b) == number(b) - number(a)`` always holds
  for the cumulative ``working_day_number`` stored in ``outcomes.CalendarDay``.
- ``shift_years(day, n)`` keeps the day and the month; 29 February in a year that has none becomes
  28 February.

These are plain functions; the aggregation reads the same answers from the calendar table.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

# Working-day numbers count from here; only differences between numbers mean anything.
ANCHOR = date(2000, 1, 1)
ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=512)
def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays of one calendar year."""
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def _weekdays_after(start: date, days: int) -> int:
    """Monday-to-Friday days among the ``days`` days following ``start``."""
    weeks, rest = divmod(days, 7)
    return weeks * 5 + sum(
        1 for offset in range(1, rest + 1) if (start + timedelta(days=offset)).weekday() < 5
    )


def working_days(a: date, b: date) -> int:
    """The working days ``d`` with ``a < d <= b`` (negative when ``b`` is before ``a``)."""
    if b < a:
        return -working_days(b, a)
    count = _weekdays_after(a, (b - a).days)
    for year in range(a.year, b.year + 1):
        count -= sum(1 for day in bank_holidays(year) if a < day <= b and day.weekday() < 5)
    return count


def shift_years(day: date, years: int) -> date:
    """The same day and month ``years`` later (earlier when negative); 29 February → 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Day:
    """One row of the calendar table."""

    day: date
    working_day_number: int
    is_working_day: bool
    one_year_before: date
    two_years_after: date


def calendar_days(first: date, last: date) -> Iterator[Day]:
    """Every day from ``first`` to ``last`` inclusive, numbered from ``ANCHOR``."""
    number = working_days(ANCHOR, first)
    day = first
    while day <= last:
        working = is_working_day(day)
        if day != first and working:
            number += 1
        yield Day(day, number, working, shift_years(day, -1), shift_years(day, 2))
        day += ONE_DAY
