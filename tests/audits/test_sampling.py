"""Sampling (audits.sampling): stratified random draws per team, the exclusion window, seeds,
thematic samples, one draw per plan and month, the daily job, the tasks and the admin."""

from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

import audits.admin_sampling  # noqa: F401  (registers the admin until audits.admin imports it)
from accounts.models import Role
from audits import sampling, tasks
from audits.auditing import audit_create
from audits.models import Audit, AuditSource, AuditStatus, SampleDraw, SamplingPlan, Tool
from tests.factories import (
    CareEpisodeFactory,
    ChildFactory,
    CPPlanFactory,
    MembershipFactory,
    ReferralFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = date(2025, 3, 5)
MARCH = date(2025, 3, 1)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(sampling, "_today", lambda: TODAY)


@pytest.fixture
def front_door(personas):
    """A's second team ("Front Door") gets a practitioner, dora, and a manager, eve."""
    dora = UserFactory(username="dora")
    MembershipFactory(
        user=dora, authority=personas.authority_a, team=personas.team_a2, role=Role.PRACTITIONER
    )
    eve = UserFactory(username="eve")
    MembershipFactory(user=eve, authority=personas.authority_a, team=personas.team_a2, role=Role.TEAM_MANAGER)
    return dora, eve


def case_audit() -> Tool:
    return Tool.objects.get(key="case-audit")


def plan_for(authority, **fields) -> SamplingPlan:
    defaults = {
        "name": "Monthly sample",
        "tool": case_audit(),
        "cin_per_team": 1,
        "cp_per_team": 1,
        "cla_per_team": 1,
    }
    return SamplingPlan.objects.create(authority=authority, **{**defaults, **fields})


def cin(team, la_child_id=None, *, referred=date(2024, 9, 1), closed=None):
    fields = {"la_child_id": la_child_id} if la_child_id else {}
    child = ChildFactory(authority=team.authority, team=team, **fields)
    ReferralFactory(child=child, referral_date=referred, closure_date=closed)
    return child


def cp(team, la_child_id=None, *, started=date(2024, 10, 1), ended=None):
    child = cin(team, la_child_id, referred=started - timedelta(days=60))
    CPPlanFactory(child=child, start_date=started, end_date=ended)
    return child


def cla(team, la_child_id=None, *, placement="U4", started=date(2024, 11, 1)):
    child = cin(team, la_child_id, referred=started - timedelta(days=90))
    CareEpisodeFactory(child=child, start_date=started, placement=placement)
    return child


def strata_of(draw: SampleDraw) -> dict[str, dict[str, tuple[int, int]]]:
    """team name → stratum → (eligible, drawn), from the draw's summary."""
    return {
        team["team"]: {s: (team[s]["eligible"], team[s]["drawn"]) for s in draw.summary["strata"]}
        for team in draw.summary["teams"]
    }


def undo(draw: SampleDraw) -> None:
    """Remove a draw and its audits, so the same month can be drawn again."""
    Audit.objects.filter(draw=draw).delete()
    draw.delete()


# --- stratified random samples ------------------------------------------------------------------


@pytest.fixture
def caseload(personas, front_door):
    """Open cases: "Child Protection North" 4 CIN, 3 CP, 2 CLA; "Front Door" 2 CIN, 0 CP, 3 CLA.
    Not eligible: a closed referral, a child without a team, an ended CP plan with its referral
    closed, and authority B's cases."""
    north, door = personas.team_a, personas.team_a2
    for _ in range(4):
        cin(north)
    for _ in range(3):
        cp(north)
    for _ in range(2):
        cla(north)
    for _ in range(2):
        cin(door)
    for _ in range(3):
        cla(door)
    cin(north, "CLOSED", closed=date(2025, 1, 10))
    nobody = ChildFactory(authority=personas.authority_a, team=None, la_child_id="NO-TEAM")
    ReferralFactory(child=nobody, referral_date=date(2024, 9, 1))
    ended = cp(north, "ENDED", ended=date(2025, 2, 1))
    ended.referrals.update(closure_date=date(2025, 2, 1))
    cin(personas.team_b, "B-CASE")
    return personas


def test_stratified_sizes_per_team(caseload, front_door):
    p = caseload
    dora, eve = front_door
    plan = plan_for(p.authority_a, cin_per_team=2, cp_per_team=1, cla_per_team=2, due_days=28)
    draw = sampling.draw(plan=plan, month=MARCH, acting_user=p.quinn)

    assert strata_of(draw) == {
        "Child Protection North": {"cin": (4, 2), "cp": (3, 1), "cla": (2, 2)},
        "Front Door": {"cin": (2, 2), "cp": (0, 0), "cla": (3, 2)},
    }
    assert (draw.summary["eligible"], draw.summary["drawn"]) == (14, 9)
    assert draw.summary["drawn_on"] == "2025-03-05"
    assert draw.drawn_by == p.quinn
    audits = list(draw.audits.select_related("child", "team"))
    assert len(audits) == 9
    assert {a.child.la_child_id for a in audits}.isdisjoint({"CLOSED", "NO-TEAM", "ENDED", "B-CASE"})
    assert all(a.authority_id == p.authority_a.pk for a in audits)
    assert all(a.source == AuditSource.RANDOM and a.status == AuditStatus.PLANNED for a in audits)
    assert all(a.due_on == TODAY + timedelta(days=28) for a in audits)
    people = {(a.team.name, a.practitioner.username, a.auditor.username) for a in audits}
    assert people == {("Child Protection North", "alice", "bob"), ("Front Door", "dora", "eve")}


def test_a_team_without_a_manager_is_audited_by_a_qa_lead(personas):
    for _ in range(2):
        cin(personas.team_a2)
    dora = UserFactory(username="dora")
    MembershipFactory(
        user=dora, authority=personas.authority_a, team=personas.team_a2, role=Role.PRACTITIONER
    )
    draw = sampling.draw(plan=plan_for(personas.authority_a, cin_per_team=2), month=MARCH)
    assert {(a.practitioner.username, a.auditor.username) for a in draw.audits.all()} == {("dora", "quinn")}
    assert draw.drawn_by is None


def test_a_team_with_nobody_is_listed_as_unallocated(personas):
    child = cin(personas.team_a2, "LONELY")
    draw = sampling.draw(plan=plan_for(personas.authority_a), month=MARCH)
    assert draw.audits.count() == 0
    assert draw.summary["unallocated"] == [{"child": child.la_child_id, "team": "Front Door"}]
    assert strata_of(draw)["Front Door"]["cin"] == (1, 0)


# --- the exclusion window -------------------------------------------------------------------------


def audited(personas, child, *, months_ago: int, signed_off: bool = True) -> Audit:
    audit = audit_create(
        child=child, practitioner=personas.alice, auditor=personas.bob, acting_user=personas.quinn
    )
    created = timezone.make_aware(datetime.combine(sampling.add_months(TODAY, -months_ago), time.min))
    status = AuditStatus.SIGNED_OFF if signed_off else AuditStatus.CONVERSATION
    Audit.objects.filter(pk=audit.pk).update(created_at=created, status=status)
    return audit


def test_cases_audited_within_the_window_or_still_in_audit_are_not_drawn(personas):
    north = personas.team_a
    recent, older, in_progress, fresh = (
        cin(north, key) for key in ("RECENT", "OLDER", "IN-PROGRESS", "FRESH")
    )
    audited(personas, recent, months_ago=5)
    audited(personas, older, months_ago=7)
    audited(personas, in_progress, months_ago=24, signed_off=False)
    plan = plan_for(personas.authority_a, cin_per_team=10, exclude_audited_months=6)

    draw = sampling.draw(plan=plan, month=MARCH)

    assert sampling.drawn_children(draw) == ["FRESH", "OLDER"]
    assert draw.summary["excluded_recently_audited"] == 2


def test_a_window_of_zero_months_still_skips_audits_in_progress(personas):
    recent, in_progress = cin(personas.team_a, "RECENT"), cin(personas.team_a, "IN-PROGRESS")
    audited(personas, recent, months_ago=1)
    audited(personas, in_progress, months_ago=1, signed_off=False)
    draw = sampling.draw(
        plan=plan_for(personas.authority_a, cin_per_team=10, exclude_audited_months=0), month=MARCH
    )
    assert sampling.drawn_children(draw) == ["RECENT"]


# --- seeds ------------------------------------------------------------------------------------------


@pytest.fixture
def twenty_cases(personas):
    return [cin(personas.team_a, f"K{n:02d}") for n in range(20)]


def test_the_same_seed_draws_the_same_cases(personas, twenty_cases):
    plan = plan_for(personas.authority_a, cin_per_team=3)
    first = sampling.draw(plan=plan, month=MARCH, seed=42)
    picked = sampling.drawn_children(first)
    assert len(picked) == 3 and first.seed == 42
    undo(first)

    again = sampling.draw(plan=plan, month=MARCH, seed=42)

    assert sampling.drawn_children(again) == picked


def test_other_seeds_usually_draw_other_cases(personas, twenty_cases):
    plan = plan_for(personas.authority_a, cin_per_team=3)
    picks = set()
    for seed in range(1, 6):
        draw = sampling.draw(plan=plan, month=MARCH, seed=seed)
        picks.add(tuple(sampling.drawn_children(draw)))
        undo(draw)
    # 1140 possible samples of 3 from 20: five seeds giving one and the same would be a broken draw.
    assert len(picks) > 1


def test_a_new_seed_is_chosen_and_stored_when_none_is_given(personas, twenty_cases):
    plan = plan_for(personas.authority_a, cin_per_team=3)
    draw = sampling.draw(plan=plan, month=MARCH)
    picked = sampling.drawn_children(draw)
    seed = SampleDraw.objects.get(pk=draw.pk).seed
    undo(draw)
    assert sampling.drawn_children(sampling.draw(plan=plan, month=MARCH, seed=seed)) == picked


# --- one draw per plan and month ------------------------------------------------------------------------


def test_a_month_is_drawn_once(personas, twenty_cases):
    plan = plan_for(personas.authority_a, cin_per_team=3)
    first = sampling.draw(plan=plan, month=MARCH, seed=7)
    second = sampling.draw(plan=plan, month=date(2025, 3, 20), seed=8)
    assert second.pk == first.pk and second.seed == 7
    assert Audit.objects.filter(draw__plan=plan).count() == 3
    assert SampleDraw.objects.filter(plan=plan).count() == 1


def test_a_month_that_has_not_started_cannot_be_drawn(personas):
    with pytest.raises(ValidationError, match="April 2025 has not started"):
        sampling.draw(plan=plan_for(personas.authority_a), month=date(2025, 4, 1))


def test_a_past_month_looks_at_the_cases_open_on_its_first_day(personas):
    cin(personas.team_a, "OPEN-IN-JAN", referred=date(2024, 12, 1), closed=date(2025, 2, 1))
    cin(personas.team_a, "REFERRED-IN-FEB", referred=date(2025, 2, 10))
    draw = sampling.draw(plan=plan_for(personas.authority_a, cin_per_team=5), month=date(2025, 1, 1))
    assert draw.summary["drawn_on"] == "2025-01-01"
    assert sampling.drawn_children(draw) == ["OPEN-IN-JAN"]


# --- thematic samples --------------------------------------------------------------------------------------


def thematic(personas, theme: str, size: int = 10) -> SampleDraw:
    plan = plan_for(personas.authority_a, source=AuditSource.THEMATIC, theme=theme, theme_size=size)
    return sampling.draw(plan=plan, month=MARCH, seed=1)


def test_theme_cp_plans_over_18_months(personas):
    north = personas.team_a
    cp(north, "CP-19M", started=sampling.add_months(TODAY, -19))
    cp(north, "CP-17M", started=sampling.add_months(TODAY, -17))
    cp(north, "CP-19M-ENDED", started=sampling.add_months(TODAY, -19), ended=date(2025, 1, 1))
    cin(north, "CIN")
    draw = thematic(personas, "cp_over_18_months")
    assert sampling.drawn_children(draw) == ["CP-19M"]
    assert all(a.source == AuditSource.THEMATIC for a in draw.audits.all())
    assert strata_of(draw) == {"Child Protection North": {"theme": (1, 1)}}


def test_theme_re_referred_within_12_months(personas):
    north = personas.team_a
    again = cin(north, "AGAIN", referred=date(2024, 3, 1), closed=date(2024, 6, 1))
    ReferralFactory(child=again, referral_date=date(2025, 2, 1))
    late = cin(north, "LATE", referred=date(2023, 1, 1), closed=date(2023, 6, 1))
    ReferralFactory(child=late, referral_date=date(2025, 1, 15))
    cin(north, "FIRST", referred=date(2025, 1, 15))
    assert sampling.drawn_children(thematic(personas, "rereferred_12m")) == ["AGAIN"]


def test_theme_looked_after_outside_family_and_friends(personas):
    north = personas.team_a
    cla(north, "KINSHIP", placement="U1")
    cla(north, "FOSTER", placement="U4")
    cla(north, "HOME", placement="K2")
    assert sampling.drawn_children(thematic(personas, "cla_no_kinship")) == ["FOSTER", "HOME"]


def test_theme_size_caps_the_sample(personas):
    for n in range(5):
        cla(personas.team_a, f"FOSTER-{n}", placement="U4")
    draw = thematic(personas, "cla_no_kinship", size=2)
    assert (draw.summary["eligible"], draw.summary["drawn"]) == (5, 2)


def test_an_unknown_theme_is_refused(personas):
    with pytest.raises(ValidationError, match="not a known theme"):
        thematic(personas, "everything")


# --- the daily job and the tasks ----------------------------------------------------------------------------


def test_plans_are_drawn_when_their_day_has_come(personas, twenty_cases):
    tenth = plan_for(personas.authority_a, name="On the tenth", day_of_month=10)
    plan_for(personas.authority_a, name="Paused", is_active=False)

    assert sampling.draw_due_plans(today=date(2025, 3, 9)) == []
    drawn = sampling.draw_due_plans(today=date(2025, 3, 10))
    assert [d.plan for d in drawn] == [tenth]
    assert drawn[0].month == MARCH and drawn[0].summary["drawn_on"] == "2025-03-10"
    assert sampling.draw_due_plans(today=date(2025, 3, 11)) == []


def test_a_day_past_the_end_of_a_short_month_means_its_last_day(personas):
    plan = plan_for(personas.authority_a, day_of_month=31)
    assert sampling.draw_due_plans(today=date(2025, 2, 27)) == []
    assert [d.plan for d in sampling.draw_due_plans(today=date(2025, 2, 28))] == [plan]


def test_a_plan_that_cannot_be_drawn_does_not_stop_the_others(personas, twenty_cases, caplog):
    unpublished = Tool.objects.create(key="t-unpublished", name="Unpublished", kind="case_audit")
    broken = plan_for(personas.authority_a, name="Broken", tool=unpublished)
    fine = plan_for(personas.authority_a, name="Fine")
    assert [d.plan for d in sampling.draw_due_plans(today=TODAY)] == [fine]
    assert not SampleDraw.objects.filter(plan=broken).exists()
    assert not Audit.objects.filter(tool_version__tool=unpublished).exists()
    assert f"The sample of plan {broken.pk} for 2025-03-01 could not be drawn" in caplog.text


def test_the_tasks_draw(personas, twenty_cases):
    plan = plan_for(personas.authority_a, cin_per_team=2)
    draw_id = tasks.draw_sample.delay(plan.pk, "2025-03-05", personas.quinn.pk).get()
    assert SampleDraw.objects.get(pk=draw_id).audits.count() == 2
    assert tasks.draw_sample.delay(plan.pk, "2025-03-20").get() == draw_id
    plan_for(personas.authority_a, name="Another", cin_per_team=1)
    assert tasks.draw_due_samples.delay().get() == 1


# --- who may draw ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["quentin", "alice", "bob", "leah"])
def test_only_the_authority_qa_leads_draw(personas, who):
    with pytest.raises(PermissionDenied):
        sampling.draw(plan=plan_for(personas.authority_a), month=MARCH, acting_user=getattr(personas, who))
    assert not SampleDraw.objects.exists()


# --- the admin ---------------------------------------------------------------------------------------------------


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_qa_lead_draws_now_from_the_admin(personas, login, twenty_cases):
    plan = plan_for(personas.authority_a, cin_per_team=2)
    client = login(personas.quinn)
    url = reverse("admin:audits_samplingplan_changelist")
    response = client.post(url, {"action": "draw_now", "_selected_action": [plan.pk]}, follow=True)
    draw = SampleDraw.objects.get(plan=plan)
    assert draw.month == MARCH and draw.drawn_by == personas.quinn
    assert any("2 audits drawn from 20 eligible cases" in m for m in messages_of(response))

    again = client.post(url, {"action": "draw_now", "_selected_action": [plan.pk]}, follow=True)
    assert any("already drawn" in m for m in messages_of(again))
    page = client.get(reverse("admin:audits_sampledraw_change", args=[draw.pk]))
    assert page.status_code == 200
    assert "2 of 20" in page.content.decode()


def test_quentin_cannot_see_or_draw_a_plan_of_a(personas, login, twenty_cases):
    plan = plan_for(personas.authority_a, cin_per_team=2)
    client = login(personas.quentin)
    listing = client.get(reverse("admin:audits_samplingplan_changelist"))
    assert listing.status_code == 200
    assert plan.name not in listing.content.decode()
    client.post(
        reverse("admin:audits_samplingplan_changelist"), {"action": "draw_now", "_selected_action": [plan.pk]}
    )
    assert not SampleDraw.objects.exists()
    change = client.get(reverse("admin:audits_samplingplan_change", args=[plan.pk]))
    assert change.status_code == 302  # the admin's "doesn't exist", as for a missing row
    draw = sampling.draw(plan=plan, month=MARCH, acting_user=personas.quinn)
    assert client.get(reverse("admin:audits_sampledraw_change", args=[draw.pk])).status_code == 302


def test_a_thematic_plan_needs_a_theme_in_the_admin(personas, login):
    client = login(personas.quinn)
    response = client.post(
        reverse("admin:audits_samplingplan_add"),
        {
            "authority": personas.authority_a.pk,
            "name": "Long plans",
            "source": AuditSource.THEMATIC,
            "tool": case_audit().pk,
            "cin_per_team": 1,
            "cp_per_team": 1,
            "cla_per_team": 1,
            "theme": "",
            "theme_size": 10,
            "exclude_audited_months": 6,
            "moderation_share": "0.10",
            "day_of_month": 1,
            "due_days": 28,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "Choose the theme of the sample." in response.content.decode()
    assert "Child protection plans over 18 months" in response.content.decode()
    assert not SamplingPlan.objects.exists()
