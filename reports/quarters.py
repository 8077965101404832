"""Financial quarters as authorities write them: "2024-25-Q1" is 1 April to 30 June 2024, and
"2024-25-Q4" is 1 January to 31 March 2025. Pure functions, no database.

A quarter is held as the ``date`` of its first day (the ``OutcomeReport.quarter_start`` and the
``MeasureValue.period_start`` of a financial quarter).
"""

import calendar
import re
from datetime import date

FORMAT_HINT = (
    "Write the quarter as YYYY-YY-QN, the financial year then the quarter, e.g. 2024-25-Q1 "
    "(Q1 is April to June, Q4 is January to March)."
)
_PATTERN = re.compile(r"([0-9]{4})-([0-9]{2})-Q([1-4])")
# Calendar month in which each financial quarter starts.
_FIRST_MONTH = {1: 4, 2: 7, 3: 10, 4: 1}


class QuarterError(ValueError):
    """Text that is not a financial quarter in the "2024-25-Q1" notation."""


def parse_quarter(text: str) -> date:
    """The first day of the quarter written as "2024-25-Q1"; ``QuarterError`` for anything else."""
    match = _PATTERN.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise QuarterError(f"{text!r} is not a financial quarter. {FORMAT_HINT}")
    first_year, second_year, number = int(match[1]), int(match[2]), int(match[3])
    if (first_year + 1) % 100 != second_year:
        raise QuarterError(
            f"{text!r} is not a financial year: {first_year} is followed by "
            f"{(first_year + 1) % 100:02d}, as in {first_year}-{(first_year + 1) % 100:02d}. {FORMAT_HINT}"
        )
    if first_year < 1900:
        raise QuarterError(f"{text!r} is too long ago. {FORMAT_HINT}")
    year = first_year + 1 if number == 4 else first_year
    return date(year, _FIRST_MONTH[number], 1)


def is_quarter_start(day: date) -> bool:
    return day.day == 1 and day.month in (1, 4, 7, 10)


def _check(start: date) -> None:
    if not is_quarter_start(start):
        raise ValueError(f"{start.isoformat()} is not the first day of a financial quarter")


def _parts(start: date) -> tuple[str, int]:
    """("2024-25", 1) for 1 April 2024."""
    _check(start)
    first_year = start.year if start.month >= 4 else start.year - 1
    number = ((start.month - 4) % 12) // 3 + 1
    return f"{first_year}-{(first_year + 1) % 100:02d}", number


def quarter_code(start: date) -> str:
    """ "2024-25-Q1": the notation of the command line and of file names."""
    year, number = _parts(start)
    return f"{year}-Q{number}"


def quarter_label(start: date) -> str:
    """ "2024-25 Q1": the notation of titles."""
    year, number = _parts(start)
    return f"{year} Q{number}"


def quarter_end(start: date) -> date:
    _check(start)
    last_month = start.month + 2
    return date(start.year, last_month, calendar.monthrange(start.year, last_month)[1])


def quarter_dates(start: date) -> str:
    """ "1 April to 30 June 2024", "1 January to 31 March 2025"."""
    end = quarter_end(start)
    return f"1 {start:%B} to {end.day} {end:%B} {end.year}"


def quarter_containing(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def shift(start: date, quarters: int) -> date:
    """The quarter ``quarters`` later (earlier when negative)."""
    _check(start)
    index = start.year * 12 + start.month - 1 + 3 * quarters
    return date(index // 12, index % 12 + 1, 1)


def last_complete_quarter(today: date) -> date:
    """The latest quarter that ended before ``today``."""
    return shift(quarter_containing(today), -1)


def is_complete(start: date, today: date) -> bool:
    return quarter_end(start) < today
