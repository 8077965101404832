"""The hand-written SQL reference agrees with the platform's stored case-activity measures.

PostgreSQL only (the reference uses window functions, GROUPING SETS and DISTINCT ON): run with
``DATABASE_URL`` pointing at PostgreSQL, as ``make test-services`` does."""

from datetime import date, timedelta

import pytest
from django.db import connection

from bench import reference
from cases.models import Assessment
from outcomes.services import calendar_ensure, measures_compute
from outcomes.workdays import working_days
from tests.factories import CareEpisodeFactory, ChildFactory, CPPlanFactory, ReferralFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the SQL reference is PostgreSQL only (make test-services)"
)


def test_the_reference_gives_the_stored_values(estate):
    measures_compute()
    outcome = reference.run()
    assert outcome["rows"] > 0
    found = reference.compare(reference.platform_values(), reference.reference_values())
    # Every value is the same, and the platform stores every value the reference computes (a team's
    # periods run to its authority's last period, so a child still looked after counts there).
    assert found.mismatch_count == 0 and found.not_stored == 0, found.mismatches
    assert found.compared >= found.platform_rows > 1000


def _after_working_days(start: date, count: int) -> date:
    day = start
    while working_days(start, day) < count:
        day += timedelta(days=1)
    return day


def test_the_reference_counts_by_the_spec_on_hand_made_cases(db, personas):
    """Two referrals of a child a year apart to the day (a re-referral), a repeat plan, a plan
    ended on its second anniversary, assessments authorised 45 (on time) and 46 (late) working
    days after their start, and a child looked after in kinship care at the year's end."""
    child = ChildFactory(authority=personas.authority_a, team=personas.team_a)
    ReferralFactory(child=child, referral_date=date(2023, 5, 10))
    ReferralFactory(child=child, referral_date=date(2024, 5, 10))
    CPPlanFactory(child=child, start_date=date(2022, 6, 1), end_date=date(2024, 6, 1), previous_plans=0)
    CPPlanFactory(child=child, start_date=date(2024, 6, 2), previous_plans=0)
    start = date(2024, 12, 20)  # over Christmas and the New Year bank holidays
    Assessment.objects.create(
        child=child, start_date=start, authorisation_date=_after_working_days(start, 45)
    )
    late = start + timedelta(days=1)
    Assessment.objects.create(child=child, start_date=late, authorisation_date=_after_working_days(late, 46))
    CareEpisodeFactory(child=child, start_date=date(2024, 9, 1), placement="U1")
    calendar_ensure(first=date(2022, 1, 1), last=date(2025, 12, 31))
    measures_compute(authority_ids=[personas.authority_a.pk])
    reference.run()
    values = reference.reference_values()
    a = personas.authority_a.pk
    assert values[(a, None, "rereferrals_12m", "year", "2024-04-01")] == (1, 1)
    assert values[(a, None, "repeat_cp_plans", "year", "2024-04-01")] == (1, 1)
    assert values[(a, None, "cp_plans_ended_2y", "year", "2024-04-01")] == (1, 1)
    assert values[(a, None, "assessments_45wd", "year", "2024-04-01")] == (1, 2)
    assert values[(a, personas.team_a.pk, "kinship_share", "year", "2024-04-01")] == (1, 1)
    found = reference.compare(reference.platform_values(), values)
    assert found.mismatch_count == 0, found.mismatches
