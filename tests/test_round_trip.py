"""Generated CIN census files go through the whole chain (import → compute → export) and the
exported counts equal a straightforward computation written here, independently of the platform."""

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import services
from cases.models import Child
from outcomes.models import MeasureValue
from tests.cases import cin_samples as cin
from tests.factories import AuthorityFactory

FIRST = date(2023, 4, 1)
referral_days = st.lists(st.integers(min_value=0, max_value=729), min_size=1, max_size=4, unique=True)
children = st.lists(referral_days, min_size=1, max_size=6)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return date(day.year - 1, 2, 28)


def expected_by_quarter(histories: list[list[date]]) -> dict[date, tuple[int, int]]:
    """Per quarter: (referrals, re-referrals within 12 months), the spec's definitions by hand."""
    result: dict[date, list[int]] = {}
    for dates in histories:
        for day in dates:
            counts = result.setdefault(quarter_start(day), [0, 0])
            counts[0] += 1
            if any(one_year_before(day) <= other < day for other in dates):
                counts[1] += 1
    return {key: (value[0], value[1]) for key, value in result.items()}


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(children=children)
def test_generated_census_round_trips_to_the_export(children, tmp_path_factory):
    MeasureValue.objects.all().delete()
    Child.objects.all().delete()
    authority = AuthorityFactory(code="872", name="Wokingham")
    histories = [sorted(FIRST + timedelta(days=offset) for offset in offsets) for offsets in children]
    body = "".join(
        cin.child(f"RT{index}", *(cin.episode(day.isoformat()) for day in dates))
        for index, dates in enumerate(histories)
    )
    folder: Path = tmp_path_factory.mktemp("census")
    path = folder / "census.xml"
    path.write_text(cin.message(body, lea="872", year=2025))
    [run] = services.import_files(authority=authority, paths=[path])
    assert run.rejected == 0

    call_command("compute_measures", "--authority", "872")
    out = io.StringIO()
    call_command(
        "export_measures", "--format", "csv", "--authority", "872", "--period-type", "quarter", stdout=out
    )
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    exported = {
        (row["measure"], date.fromisoformat(row["period_start"])): row for row in rows if not row["team"]
    }
    for start, (referrals, rereferrals) in expected_by_quarter(histories).items():
        assert exported[("referrals", start)]["numerator"] == str(referrals)
        assert exported[("rereferrals_12m", start)]["numerator"] == str(rereferrals)
        assert exported[("rereferrals_12m", start)]["denominator"] == str(referrals)
    total = sum(int(row["numerator"]) for (measure, _), row in exported.items() if measure == "referrals")
    assert total == sum(len(dates) for dates in histories)
