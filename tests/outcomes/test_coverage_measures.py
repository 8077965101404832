"""The Signs of Safety coverage measures on hand-made boundary cases.

Every case is open (a referral with no closure) unless said otherwise; the reporting periods come
from the case records, as ``measures_compute`` makes them.
"""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ServiceArea
from cases.models import (
    ChildVoiceRecord,
    Conference,
    DangerStatement,
    NetworkMember,
    SafetyMap,
    SafetyPlan,
)
from outcomes import coverage_measures
from outcomes.registry import MEASURES
from outcomes.services import measures_compute
from tests.factories import AuthorityFactory, TeamFactory
from tests.outcomes import builders as b
from tests.outcomes.builders import d, stored

pytestmark = pytest.mark.django_db

COVERAGE = [
    "coverage_map",
    "coverage_danger_goals",
    "coverage_childs_voice",
    "coverage_network",
    "coverage_safety_plan",
]


@pytest.fixture
def authority():
    return AuthorityFactory(code="931", name="Coverage")


def open_case(authority, *, team=None, referred="2024-01-15"):
    kid = b.child(authority, team=team)
    b.referral(kid, referred)
    return kid


def test_the_measures_are_registered_with_their_nodes():
    assert {key: MEASURES[key].node for key in [*COVERAGE, "participatory_conferences"]} == {
        "coverage_map": "practice_fidelity.case_tools.map",
        "coverage_danger_goals": "practice_fidelity.case_tools.danger_statements",
        "coverage_childs_voice": "practice_fidelity.case_tools.childs_voice",
        "coverage_network": "practice_fidelity.case_tools.network",
        "coverage_safety_plan": "practice_fidelity.case_tools.safety_plan",
        "participatory_conferences": "practice_fidelity.processes.participatory_meetings",
    }
    assert all(MEASURES[key].kind == "rate" for key in MEASURES if key.startswith("coverage_"))


def test_a_map_exactly_six_months_before_the_period_end_is_current(authority):
    exact, day_before, after_end = (open_case(authority) for _ in range(3))
    b.referral(exact, "2024-09-01")  # the records reach September, so September gets rows
    SafetyMap.objects.create(child=exact, mapped_on=d("2024-03-30"))  # 30 Sep − 6 months
    SafetyMap.objects.create(child=day_before, mapped_on=d("2024-03-29"))
    SafetyMap.objects.create(child=after_end, mapped_on=d("2024-10-01"))
    measures_compute()
    assert stored(authority, "coverage_map", "month", "2024-09-01") == (1, 3, "0.3333")
    # Quarter Q2 ends 30 September too; the map after the period end never counts.
    assert stored(authority, "coverage_map", "quarter", "2024-07-01") == (1, 3, "0.3333")


def test_the_six_months_keep_the_last_day_of_a_shorter_month(authority):
    leap_day, day_before = open_case(authority), open_case(authority)
    b.referral(leap_day, "2024-08-20")
    # 31 August − 6 months is 29 February (2024 is a leap year).
    SafetyMap.objects.create(child=leap_day, mapped_on=d("2024-02-29"))
    SafetyMap.objects.create(child=day_before, mapped_on=d("2024-02-28"))
    measures_compute()
    assert stored(authority, "coverage_map", "month", "2024-08-01") == (1, 2, "0.5000")
    assert stored(authority, "coverage_map", "month", "2024-02-01") == (2, 2, "1.0000")


def test_only_cases_open_at_the_period_end_are_counted(authority):
    """Open means started on or before the period end and not ended by it (ended after it is open)."""
    closed_on_end = b.child(authority)
    b.referral(closed_on_end, "2024-04-01")
    closed_on_end.referrals.update(closure_date=d("2024-04-30"))
    closed_after = b.child(authority)
    b.referral(closed_after, "2024-04-01")
    closed_after.referrals.update(closure_date=d("2024-05-01"))
    on_plan = b.child(authority)
    b.cp_plan(on_plan, "2024-04-30")
    plan_ended = b.child(authority)
    b.cp_plan(plan_ended, "2024-03-01", "2024-04-30")
    in_care = b.child(authority)
    b.episode(in_care, "2024-04-10")
    not_yet = b.child(authority)
    b.referral(not_yet, "2024-05-02")
    for kid in (closed_on_end, closed_after, on_plan, plan_ended, in_care, not_yet):
        SafetyMap.objects.create(child=kid, mapped_on=d("2024-04-15"))
    measures_compute()
    # Open on 30 April: closed_after, on_plan, in_care.
    assert stored(authority, "coverage_map", "month", "2024-04-01") == (3, 3, "1.0000")
    # On 31 March only plan_ended was open, and it was not mapped yet.
    assert stored(authority, "coverage_map", "month", "2024-03-01") == (0, 1, "0.0000")


def test_no_open_case_at_the_period_end_has_no_value(authority):
    kid = b.child(authority)
    b.referral(kid, "2024-04-01")
    kid.referrals.update(closure_date=d("2024-04-10"))
    SafetyMap.objects.create(child=kid, mapped_on=d("2024-04-05"))
    measures_compute()
    for key in COVERAGE:
        assert stored(authority, key, "month", "2024-04-01") == (0, 0, None)
    assert stored(authority, "participatory_conferences", "month", "2024-04-01") == (0, 0, None)


def test_danger_statements_count_when_open_with_a_goal(authority):
    kids = [open_case(authority, referred="2024-04-01") for _ in range(6)]
    statement = dict(statement="Dad may hit Mum again", written_on=d("2024-04-10"))
    DangerStatement.objects.create(
        child=kids[0], safety_goal="Mum and Dad keep the children safe", **statement
    )
    DangerStatement.objects.create(child=kids[1], safety_goal="", **statement)  # no goal yet
    DangerStatement.objects.create(
        child=kids[2], safety_goal="A goal", closed_on=d("2024-04-30"), **statement
    )  # closed on the period end: no longer open
    DangerStatement.objects.create(
        child=kids[3], safety_goal="A goal", closed_on=d("2024-05-01"), **statement
    )  # closed after it: still open on 30 April
    DangerStatement.objects.create(
        child=kids[4], statement="Later", safety_goal="A goal", written_on=d("2024-05-01")
    )  # written after the period end
    b.referral(kids[0], "2024-05-03")  # the records reach May
    measures_compute()
    assert stored(authority, "coverage_danger_goals", "month", "2024-04-01") == (2, 6, "0.3333")
    # By 31 May kids[3]'s statement is closed and kids[4]'s written.
    assert stored(authority, "coverage_danger_goals", "month", "2024-05-01") == (2, 6, "0.3333")


def test_childs_voice_tools_count_within_six_months(authority):
    recent, old, later = (open_case(authority, referred="2024-01-02") for _ in range(3))
    b.referral(recent, "2024-09-30")
    ChildVoiceRecord.objects.create(child=recent, tool="three_houses", used_on=d("2024-04-01"))
    ChildVoiceRecord.objects.create(child=old, tool="safety_house", used_on=d("2024-03-29"))
    ChildVoiceRecord.objects.create(child=later, tool="wizard_fairy", used_on=d("2024-10-01"))
    measures_compute()
    assert stored(authority, "coverage_childs_voice", "month", "2024-09-01") == (1, 3, "0.3333")


def test_a_network_counts_while_a_member_has_not_left(authority):
    staying, left_on_end, left_after, joined_later = (
        open_case(authority, referred="2024-04-01") for _ in range(4)
    )
    member = dict(relationship="maternal grandmother", joined_on=d("2024-04-02"))
    NetworkMember.objects.create(child=staying, **member)
    NetworkMember.objects.create(child=left_on_end, left_on=d("2024-04-30"), **member)
    NetworkMember.objects.create(child=left_after, left_on=d("2024-05-01"), **member)
    NetworkMember.objects.create(child=joined_later, relationship="neighbour", joined_on=d("2024-05-01"))
    measures_compute()
    assert stored(authority, "coverage_network", "month", "2024-04-01") == (2, 4, "0.5000")


def test_a_safety_plan_counts_when_agreed_or_reviewed_within_six_months(authority):
    reviewed, stale, recent, reviewed_later = (open_case(authority, referred="2023-06-01") for _ in range(4))
    b.referral(reviewed, "2024-04-01")
    SafetyPlan.objects.create(child=reviewed, agreed_on=d("2023-07-01"), reviewed_on=d("2024-03-15"))
    SafetyPlan.objects.create(child=stale, agreed_on=d("2023-07-01"), reviewed_on=d("2023-09-29"))
    SafetyPlan.objects.create(child=recent, agreed_on=d("2024-04-20"))
    SafetyPlan.objects.create(child=reviewed_later, agreed_on=d("2023-07-01"), reviewed_on=d("2024-05-02"))
    measures_compute()
    assert stored(authority, "coverage_safety_plan", "month", "2024-04-01") == (2, 4, "0.5000")
    # At the end of March the recent plan was not agreed yet.
    assert stored(authority, "coverage_safety_plan", "month", "2024-03-01") == (1, 4, "0.2500")


def test_coverage_per_team(authority):
    team = TeamFactory(authority=authority, name="North", service_area=ServiceArea.CHILD_PROTECTION)
    mapped = open_case(authority, team=team, referred="2024-04-01")
    unmapped = open_case(authority, team=team, referred="2024-04-01")
    no_team = open_case(authority, referred="2024-04-01")
    SafetyMap.objects.create(child=mapped, mapped_on=d("2024-04-10"))
    SafetyMap.objects.create(child=no_team, mapped_on=d("2024-04-10"))
    assert unmapped.team == team
    measures_compute()
    assert stored(authority, "coverage_map", "month", "2024-04-01", team=team) == (1, 2, "0.5000")
    assert stored(authority, "coverage_map", "month", "2024-04-01") == (2, 3, "0.6667")


def test_participatory_conferences_share(authority):
    kid = open_case(authority, referred="2024-04-01")
    for day, fmt in [
        ("2024-04-03", "participatory"),
        ("2024-04-20", "participatory"),
        ("2024-04-30", "traditional"),
    ]:
        Conference.objects.create(child=kid, held_on=d(day), format=fmt)
    Conference.objects.create(child=kid, held_on=d("2024-05-01"), format="traditional")
    measures_compute()
    assert stored(authority, "participatory_conferences", "month", "2024-04-01") == (2, 3, "0.6667")
    assert stored(authority, "participatory_conferences", "quarter", "2024-04-01") == (2, 4, "0.5000")


@pytest.mark.parametrize("key", [*COVERAGE, "participatory_conferences"])
def test_a_fixed_number_of_queries(authority, key):
    def build(count):
        for _ in range(count):
            kid = open_case(authority, referred="2024-04-01")
            SafetyMap.objects.create(child=kid, mapped_on=d("2024-04-10"))
            Conference.objects.create(child=kid, held_on=d("2024-04-10"), format="participatory")
        measures_compute(authority_ids=[authority.pk])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            MEASURES[key].compute(period_type="month", authority_ids=[authority.pk], by_team=False)
        return len(captured)

    build(2)
    few = queries()
    build(8)
    # Coverage: the period ends, then the open cases worked out and counted in one query;
    # conferences: one query.
    assert queries() == few <= 2


def test_no_reporting_periods_gives_nothing():
    assert coverage_measures.coverage_map(period_type="month", authority_ids=None, by_team=False) == {}


def test_a_period_end_before_any_case_is_not_a_problem(authority):
    kid = open_case(authority, referred="2024-04-01")
    SafetyMap.objects.create(child=kid, mapped_on=date(2024, 4, 1))
    measures_compute()
    assert stored(authority, "coverage_map", "year", "2024-04-01") == (0, 1, "0.0000")
