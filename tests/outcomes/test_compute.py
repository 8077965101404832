"""The aggregation job: which rows, idempotence, duplicates, teams, query counts, scoping."""

from datetime import date
from typing import cast

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Authority, Team
from cases.importers.base import Batch
from cases.importers.store import store_batch
from cases.models import Referral
from outcomes.models import MeasureValue
from outcomes.registry import MEASURES
from outcomes.services import calendar_ensure, measures_compute
from outcomes.tasks import compute_measures
from tests.factories import AuthorityFactory, TeamFactory
from tests.outcomes import builders as b
from tests.outcomes.builders import stored

pytestmark = pytest.mark.django_db

FIELDS = [
    "authority_id",
    "team_id",
    "measure",
    "period_type",
    "period_start",
    "period_end",
    "numerator",
    "denominator",
    "value",
]


def snapshot():
    return sorted(MeasureValue.objects.values_list(*FIELDS), key=lambda row: tuple(str(v) for v in row))


def test_the_registry_holds_the_spec_keys():
    spec = [
        "referrals",
        "rereferrals_12m",
        "cp_plan_starts",
        "repeat_cp_plans",
        "cp_plans_ended_2y",
        "assessments_45wd",
        "icpc_15wd",
        "cla_starts",
        "kinship_share",
    ]
    # The spec's case-activity measures come first; audit and coverage measures follow.
    assert list(MEASURES)[: len(spec)] == spec
    case_measures = [MEASURES[key] for key in spec]
    counts = {m.key for m in case_measures if m.kind == "count"}
    assert counts == {"referrals", "cp_plan_starts", "cla_starts"}
    assert all(m.node.startswith("outcomes.") and m.numerator for m in case_measures)
    assert all(bool(m.denominator) == m.is_rate for m in MEASURES.values())


def test_every_period_from_the_earliest_to_the_latest_record_gets_every_measure():
    authority = AuthorityFactory(code="872")
    kid = b.child(authority)
    b.referral(kid, "2024-05-10")
    b.assessment(kid, "2024-01-02", "2024-05-20")  # the start does not widen the range
    b.episode(kid, "2024-07-01", "2024-08-03")  # the episode's end does
    written = measures_compute()
    # May–August: 4 months, 2 quarters, 1 year; 9 measures each; no team.
    assert written == (4 + 2 + 1) * len(MEASURES)
    assert MeasureValue.objects.count() == written
    months = set(MeasureValue.objects.filter(period_type="month").values_list("period_start", flat=True))
    assert months == {date(2024, 5, 1), date(2024, 6, 1), date(2024, 7, 1), date(2024, 8, 1)}
    assert stored(authority, "referrals", "month", "2024-06-01") == (0, None, "0.0000")
    assert stored(authority, "rereferrals_12m", "month", "2024-06-01") == (0, 0, None)
    row = MeasureValue.objects.get(measure="referrals", period_type="quarter", period_start=date(2024, 7, 1))
    assert row.period_end == date(2024, 9, 30)


def test_an_authority_without_records_gets_no_rows():
    AuthorityFactory(code="873")
    assert measures_compute() == 0


def test_computing_twice_writes_identical_rows():
    authority = AuthorityFactory(code="872")
    team = TeamFactory(authority=authority)
    kid = b.child(authority, team=team)
    b.referral(kid, "2023-06-01")
    b.referral(kid, "2024-05-10")
    b.cp_plan(kid, "2023-07-01", "2024-02-01")
    b.episode(kid, "2024-02-01", place="U1")
    first = measures_compute()
    before = snapshot()
    second = measures_compute(authority_ids=[authority.pk])
    assert first == second == len(before) == MeasureValue.objects.count()
    assert snapshot() == before


def test_the_same_referral_imported_twice_is_stored_and_counted_once():
    authority = AuthorityFactory(code="872")
    one = Batch(file="cin-2024.xml", file_format="cin_census")
    one.add_event("referrals", "C1", referral_date=date(2024, 5, 10), referral_source="1A")
    one.add_event("referrals", "C1", referral_date=date(2024, 5, 10), referral_source="1A")  # same file
    store_batch(one, authority)
    other = Batch(file="cin-2025.xml", file_format="cin_census")  # the next census overlaps
    other.add_event("referrals", "C1", referral_date=date(2024, 5, 10), referral_source="2B")
    store_batch(other, authority)
    assert Referral.objects.count() == 1
    assert Referral.objects.get().referral_source == "2B"
    measures_compute()
    assert stored(authority, "referrals", "month", "2024-05-01") == (1, None, "1.0000")
    assert stored(authority, "rereferrals_12m", "month", "2024-05-01") == (0, 1, "0.0000")


def test_team_rows_hold_only_the_teams_children():
    authority = AuthorityFactory(code="872")
    north, south = (
        TeamFactory(authority=authority, name="North"),
        TeamFactory(authority=authority, name="South"),
    )
    TeamFactory(authority=authority, name="Empty")
    in_north, in_south, no_team = (
        b.child(authority, team=north),
        b.child(authority, team=south),
        b.child(authority),
    )
    b.referral(in_north, "2024-04-02")
    b.referral(in_north, "2024-05-02")
    b.referral(in_south, "2024-06-02")
    b.referral(no_team, "2024-04-20")
    b.episode(in_south, "2024-04-01", place="U2")
    measures_compute()
    assert stored(authority, "referrals", "quarter", "2024-04-01") == (4, None, "4.0000")
    assert stored(authority, "referrals", "quarter", "2024-04-01", team=north) == (2, None, "2.0000")
    assert stored(authority, "referrals", "quarter", "2024-04-01", team=south) == (1, None, "1.0000")
    assert stored(authority, "rereferrals_12m", "quarter", "2024-04-01", team=north) == (1, 2, "0.5000")
    assert stored(authority, "kinship_share", "month", "2024-05-01", team=south) == (1, 1, "1.0000")
    # A team stores a row only where something was counted: none for North's looked-after children.
    assert not MeasureValue.objects.filter(team=north, measure="kinship_share").exists()
    assert set(MeasureValue.objects.exclude(team=None).values_list("team__name", flat=True)) == {
        "North",
        "South",
    }
    # The authority stores every period from its first record to its last (April to June, 0 where
    # nothing was counted); North only the months its children were referred in.
    months = MeasureValue.objects.filter(period_type="month", measure="referrals")
    assert [row.period_start.month for row in months.filter(team=None).order_by("period_start")] == [4, 5, 6]
    assert [row.period_start.month for row in months.filter(team=north).order_by("period_start")] == [4, 5]


def test_a_team_child_still_looked_after_counts_after_the_teams_last_dated_record():
    """The team's last dated record is the episode's start in April; the authority's records run
    on to September. The child is still looked after, in kinship care, at every later month end,
    and counts for the team there as it does for the authority."""
    authority = AuthorityFactory(code="872")
    team = TeamFactory(authority=authority, name="Children in Care")
    in_care = b.child(authority, team=team)
    b.episode(in_care, "2024-04-10", place="U1")
    b.referral(b.child(authority), "2024-09-15")
    measures_compute()
    for month in ("2024-04-01", "2024-06-01", "2024-09-01"):
        assert stored(authority, "kinship_share", "month", month) == (1, 1, "1.0000")
        assert stored(authority, "kinship_share", "month", month, team=team) == (1, 1, "1.0000")
    assert stored(authority, "kinship_share", "year", "2024-04-01", team=team) == (1, 1, "1.0000")


def test_computing_one_authority_leaves_the_others_alone():
    a, other = AuthorityFactory(code="872"), AuthorityFactory(code="873")
    b.referral(b.child(a), "2024-04-02")
    b.referral(b.child(other), "2024-04-02")
    measures_compute()
    theirs = list(MeasureValue.objects.filter(authority=other).values_list(*FIELDS))
    b.referral(b.child(a), "2024-04-03")
    b.referral(b.child(other), "2024-04-03")
    measures_compute(authority_ids=[a.pk])
    assert stored(a, "referrals", "month", "2024-04-01")[0] == 2
    assert list(MeasureValue.objects.filter(authority=other).values_list(*FIELDS)) == theirs


def _queries_for(children: int, code: str) -> int:
    authority = cast(Authority, AuthorityFactory(code=code))
    team = cast(Team, TeamFactory(authority=authority))
    for _ in range(children):
        kid = b.child(authority, team=team)
        b.referral(kid, "2023-05-01")
        b.referral(kid, "2024-04-15")
        b.assessment(kid, "2024-04-15", "2024-05-30")
        b.section47(kid, "2024-04-16", "2024-05-02")
        b.cp_plan(kid, "2024-05-03", "2025-01-10", previous=1)
        b.episode(kid, "2024-06-01", place="U3")
    with CaptureQueriesContext(connection) as context:
        measures_compute(authority_ids=[authority.pk])
    return len(context.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_number_of_children():
    calendar_ensure(first=date(2023, 1, 1), last=date(2025, 12, 31))
    few = _queries_for(10, "871")
    many = _queries_for(200, "872")
    assert few == many
    # Per measure and period type: at most 4 queries each for the authority and the team rows,
    # and the run's progress; plus a few for the run itself.
    assert many <= 15 * len(MEASURES)


def test_the_celery_task_runs_the_service():
    authority = AuthorityFactory(code="872")
    b.referral(b.child(authority), "2024-04-02")
    assert compute_measures.apply(args=[[authority.pk]]).get() == 3 * len(MEASURES)
    assert compute_measures.name == "outcomes.tasks.compute_measures"


def test_for_user_scopes_values_to_case_roles_of_the_authority(personas):
    b.referral(b.child(personas.authority_a), "2024-04-02")
    b.referral(b.child(personas.authority_b), "2024-04-02")
    measures_compute()
    mine = MeasureValue.objects.for_user(personas.charlie)
    assert mine.exists()
    assert not mine.filter(authority=personas.authority_a).exists()
    assert set(MeasureValue.objects.for_user(personas.alice).values_list("authority__code", flat=True)) == {
        "991"
    }
    assert not MeasureValue.objects.for_user(personas.ana).exists()
