"""Reporting periods: calendar months, financial quarters (Q1 = April–June) and financial years
(1 April – 31 March). A date belongs to a period when ``period_start <= date <= period_end``.

``period_key`` is the SQL expression that puts a date column into its period, for GROUP BY;
``period_start_of_key`` turns what the database returns into the period's first day.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from django.db import models
from django.db.models import Case, Value, When
from django.db.models.functions import ExtractYear, TruncMonth, TruncQuarter


class PeriodType(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Financial quarter"
    YEAR = "year", "Financial year"


# Months in each period type; financial quarters and years start in January, April, July or October.
MONTHS = {PeriodType.MONTH: 1, PeriodType.QUARTER: 3, PeriodType.YEAR: 12}


@dataclass(frozen=True, order=True)
class Period:
    period_type: str
    start: date
    end: date

    @property
    def label(self) -> str:
        """ "April 2024", "Q1 2024-25", "2024-25"."""
        first_year = self.start.year if self.start.month >= 4 else self.start.year - 1
        financial_year = f"{first_year}-{(first_year + 1) % 100:02d}"
        if self.period_type == PeriodType.MONTH:
            return self.start.strftime("%B %Y")
        if self.period_type == PeriodType.QUARTER:
            return f"Q{((self.start.month - 4) % 12) // 3 + 1} {financial_year}"
        return financial_year


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_start(period_type: str, day: date) -> date:
    """First day of the period of ``period_type`` that contains ``day``."""
    if period_type == PeriodType.MONTH:
        return day.replace(day=1)
    if period_type == PeriodType.QUARTER:
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    if period_type == PeriodType.YEAR:
        return date(day.year if day.month >= 4 else day.year - 1, 4, 1)
    raise ValueError(f"Unknown period type {period_type!r}")


def period_starting(period_type: str, start: date) -> Period:
    """The period that begins on ``start`` (which must be a period's first day)."""
    if period_start(period_type, start) != start:
        raise ValueError(f"{start.isoformat()} is not the first day of a {period_type}")
    last_month = _add_months(start, MONTHS[PeriodType(period_type)] - 1)
    end = last_month.replace(day=calendar.monthrange(last_month.year, last_month.month)[1])
    return Period(str(period_type), start, end)


def period_containing(period_type: str, day: date) -> Period:
    return period_starting(period_type, period_start(period_type, day))


def periods_between(period_type: str, first: date, last: date) -> list[Period]:
    """Every period from the one containing ``first`` to the one containing ``last``."""
    periods = []
    start = period_start(period_type, first)
    step = MONTHS[PeriodType(period_type)]
    while start <= last:
        periods.append(period_starting(period_type, start))
        start = _add_months(start, step)
    return periods


def period_key(period_type: str, field: str):
    """SQL expression grouping the date column ``field`` by period (portable to SQLite and PostgreSQL).

    Months and quarters give their first day (financial quarters are calendar quarters); financial
    years give the calendar year in which they start.
    """
    if period_type == PeriodType.MONTH:
        return TruncMonth(field, output_field=models.DateField())
    if period_type == PeriodType.QUARTER:
        return TruncQuarter(field, output_field=models.DateField())
    if period_type == PeriodType.YEAR:
        january_to_march = When(**{f"{field}__month__lt": 4}, then=Value(1))
        return ExtractYear(field) - Case(
            january_to_march, default=Value(0), output_field=models.IntegerField()
        )
    raise ValueError(f"Unknown period type {period_type!r}")


def period_start_of_key(period_type: str, value: date | datetime | int | str) -> date:
    """The first day of the period that ``period_key`` (or a period-start column) returned ``value`` for."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and "-" in value:
        return date.fromisoformat(value[:10])
    if period_type == PeriodType.YEAR:
        return date(int(value), 4, 1)
    raise ValueError(f"{value!r} is not a {period_type} key")
