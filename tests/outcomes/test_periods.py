from datetime import date

import pytest

from cases.models import Referral
from outcomes.periods import (
    Period,
    PeriodType,
    period_containing,
    period_key,
    period_start_of_key,
    periods_between,
)
from tests.factories import AuthorityFactory
from tests.outcomes import builders as b


@pytest.mark.parametrize(
    ("period_type", "day", "start", "end"),
    [
        ("month", date(2024, 2, 29), date(2024, 2, 1), date(2024, 2, 29)),
        ("month", date(2023, 2, 1), date(2023, 2, 1), date(2023, 2, 28)),
        ("month", date(2024, 12, 31), date(2024, 12, 1), date(2024, 12, 31)),
        ("quarter", date(2024, 4, 1), date(2024, 4, 1), date(2024, 6, 30)),
        ("quarter", date(2024, 6, 30), date(2024, 4, 1), date(2024, 6, 30)),
        ("quarter", date(2024, 3, 31), date(2024, 1, 1), date(2024, 3, 31)),
        ("quarter", date(2024, 10, 1), date(2024, 10, 1), date(2024, 12, 31)),
        ("year", date(2024, 4, 1), date(2024, 4, 1), date(2025, 3, 31)),
        ("year", date(2025, 3, 31), date(2024, 4, 1), date(2025, 3, 31)),
        ("year", date(2024, 3, 31), date(2023, 4, 1), date(2024, 3, 31)),
        ("year", date(2024, 1, 1), date(2023, 4, 1), date(2024, 3, 31)),
    ],
)
def test_period_containing(period_type, day, start, end):
    assert period_containing(period_type, day) == Period(period_type, start, end)


def test_periods_between_runs_from_the_first_to_the_last_period_inclusive():
    quarters = periods_between("quarter", date(2023, 12, 31), date(2024, 4, 1))
    assert [(p.start, p.end) for p in quarters] == [
        (date(2023, 10, 1), date(2023, 12, 31)),
        (date(2024, 1, 1), date(2024, 3, 31)),
        (date(2024, 4, 1), date(2024, 6, 30)),
    ]
    assert len(periods_between("month", date(2024, 1, 31), date(2024, 12, 1))) == 12
    assert [p.start for p in periods_between("year", date(2024, 3, 31), date(2024, 4, 1))] == [
        date(2023, 4, 1),
        date(2024, 4, 1),
    ]


def test_labels():
    assert period_containing("month", date(2024, 4, 9)).label == "April 2024"
    assert period_containing("quarter", date(2024, 4, 9)).label == "Q1 2024-25"
    assert period_containing("quarter", date(2025, 2, 9)).label == "Q4 2024-25"
    assert period_containing("year", date(2025, 2, 9)).label == "2024-25"


BOUNDARIES = [
    "2023-03-31",
    "2023-04-01",
    "2023-06-30",
    "2023-07-01",
    "2023-12-31",
    "2024-01-01",
    "2024-02-29",
    "2024-03-01",
    "2024-03-31",
    "2024-04-01",
]


@pytest.mark.django_db
@pytest.mark.parametrize("period_type", PeriodType.values)
def test_sql_period_key_agrees_with_python(period_type):
    kid = b.child(AuthorityFactory())
    for day in BOUNDARIES:
        b.referral(kid, day)
    rows = Referral.objects.annotate(key=period_key(period_type, "referral_date")).values_list(
        "referral_date", "key"
    )
    for day, key in rows:
        assert period_start_of_key(period_type, key) == period_containing(period_type, day).start
