"""The incremental job: it recomputes only the periods from the earliest marked date, and that is
enough: after random changes made through the services (each writing the mark the real code
writes), the incremental job leaves exactly the values a full recompute stores.

Also the property it rests on: every measure looks only backwards, so a change dated ``d`` leaves
the counts of every period ending before ``d`` as they were."""

import random
from datetime import UTC, date, datetime, time, timedelta
from unittest import mock

import pytest

from audits.auditing import audit_move
from audits.learning import action_complete
from audits.models import AuditAnswer, AuditStatus, LearningAction
from cases import practice
from cases.importers.base import Batch
from cases.importers.store import store_batch
from cases.models import Child, SafetyMap
from outcomes.models import JobKind, JobRun, MeasureValue, PendingRecompute
from outcomes.periods import PeriodType, period_start
from outcomes.registry import MEASURES
from outcomes.services import mark_stale, measures_compute, measures_refresh
from tests.audits.test_workflow import make_audit, put_in
from tests.outcomes import builders as b
from tests.outcomes.test_jobs import snapshot

pytestmark = pytest.mark.django_db

FIRST, LAST = date(2022, 4, 1), date(2025, 3, 31)  # three financial years
PLACEMENTS = ("U1", "U3", "U4", "R1")


def a_day(rng: random.Random, first: date = FIRST, last: date = LAST) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def later(rng: random.Random, day: date, most: int = 500) -> date:
    return day + timedelta(days=rng.randrange(1, most))


# --- changes, each made as the platform makes it, with the mark its code writes ---------------------


def import_records(
    rng: random.Random, authority, child: Child | None, first: date = FIRST, last: date = LAST
) -> None:
    """A file's worth of records for an existing child (or a new one), stored as an import stores
    them, marked from the earliest date of the records (identities are start dates, the earliest
    date of each record, so a record updated in place keeps it)."""
    la_child_id = child.la_child_id if child else f"NEW{rng.randrange(10**6)}"
    batch = Batch(file="returns.xml", file_format="cin_census")
    batch.add_child(la_child_id)
    days: list[date] = []
    for _ in range(rng.randint(1, 3)):
        start = a_day(rng, first, last)
        table = rng.choice(["referrals", "assessments", "section47s", "cp_plans", "care_episodes"])
        if table == "referrals":
            batch.add_event(table, la_child_id, referral_date=start)
        elif table == "assessments":
            batch.add_event(table, la_child_id, start_date=start, authorisation_date=later(rng, start, 90))
        elif table == "section47s":
            batch.add_event(table, la_child_id, start_date=start, icpc_date=later(rng, start, 40))
        elif table == "cp_plans":
            end = rng.choice([None, later(rng, start, 900)])
            batch.add_event(
                table, la_child_id, start_date=start, end_date=end, previous_plans=rng.choice([0, 1])
            )
        else:
            end = rng.choice([None, later(rng, start)])
            batch.add_event(
                table,
                la_child_id,
                start_date=start,
                end_date=end,
                reason_new_episode=rng.choice("SP"),
                placement=rng.choice(PLACEMENTS),
            )
        days.append(start)
    store_batch(batch, authority)
    mark_stale(authority_id=authority.pk, since=min(days), reason="import")


def end_a_plan(rng: random.Random, authority, child: Child) -> None:
    """The next census updates a plan's end date in place (same identity, the start date)."""
    plan = child.cp_plans.order_by("pk").first()
    if plan is None:
        return import_records(rng, authority, child)
    batch = Batch(file="next-census.xml", file_format="cin_census")
    batch.add_child(child.la_child_id)
    batch.add_event(
        "cp_plans", child.la_child_id, start_date=plan.start_date, end_date=later(rng, plan.start_date)
    )
    store_batch(batch, authority)
    mark_stale(authority_id=authority.pk, since=plan.start_date, reason="import")


def record_practice(rng: random.Random, authority, child: Child, who) -> None:
    """A practice-record row added, or a map moved (the services write the marks)."""
    kind = rng.choice(["map", "move map", "danger", "network", "plan", "voice", "conference"])
    day = a_day(rng)
    if kind == "map":
        practice.safety_map_add(child=child, mapped_on=day, acting_user=who)
    elif kind == "move map":
        existing = SafetyMap.objects.filter(child=child).first()
        if existing is None:
            practice.safety_map_add(child=child, mapped_on=day, acting_user=who)
        else:
            practice.safety_map_update(safety_map=existing, mapped_on=day, acting_user=who)
    elif kind == "danger":
        practice.danger_statement_add(
            child=child,
            statement="If nothing changes the baby may be hurt",
            written_on=day,
            safety_goal=rng.choice(["", "Safe sleep every night"]),
            closed_on=rng.choice([None, later(rng, day)]),
            acting_user=who,
        )
    elif kind == "network":
        practice.network_member_add(
            child=child,
            relationship="aunt",
            joined_on=day,
            left_on=rng.choice([None, later(rng, day)]),
            acting_user=who,
        )
    elif kind == "plan":
        practice.safety_plan_add(
            child=child, agreed_on=day, reviewed_on=rng.choice([None, later(rng, day, 200)]), acting_user=who
        )
    elif kind == "voice":
        practice.voice_record_add(child=child, tool="three_houses", used_on=day, acting_user=who)
    else:
        practice.conference_add(
            child=child, held_on=day, format=rng.choice(["participatory", "traditional"]), acting_user=who
        )


def sign_off_an_audit(rng: random.Random, personas) -> None:
    """An audit answered, submitted and signed off on a random day (the sign-off marks)."""
    audit = make_audit(personas, team=rng.choice([personas.team_a, personas.team_a2]))
    for number in rng.sample(range(1, 15), 5):
        AuditAnswer.objects.create(audit=audit, item_key=f"p{number}", agreed_level=rng.randint(1, 4))
    audit = put_in(audit, AuditStatus.SUBMITTED)
    audit.overall_level = rng.randint(1, 4)
    audit.save(update_fields=["overall_level"])
    when = datetime.combine(a_day(rng), time(rng.randrange(24), rng.randrange(60)), tzinfo=UTC)
    with mock.patch("audits.workflow._now", return_value=when):
        audit_move(audit=audit, to_status=AuditStatus.SIGNED_OFF, acting_user=personas.quinn)


def complete_an_action(rng: random.Random, personas) -> None:
    open_actions = list(LearningAction.objects.filter(completed_on__isnull=True).order_by("pk"))
    if open_actions:
        action = rng.choice(open_actions)
        action_complete(action=action, acting_user=personas.quinn, on=later(rng, action.due_on, 60))


def move_a_child(rng: random.Random, authority, child: Child, teams) -> None:
    """Annex A moves a child between teams: the whole authority is marked."""
    Child.objects.filter(pk=child.pk).update(team=rng.choice([team for team in teams if team != child.team]))
    mark_stale(authority_id=authority.pk, since=None, reason="Annex A")


def build(rng: random.Random, personas) -> None:
    a = personas.authority_a
    teams = [personas.team_a, personas.team_a2, None]
    for _ in range(8):
        child = b.child(a, team=rng.choice(teams))
        import_records(rng, a, child)
        record_practice(rng, a, child, personas.quinn)
    b.referral(b.child(personas.authority_b), "2023-06-01")
    for _ in range(4):
        LearningAction.objects.create(
            team=rng.choice(teams[:2]),
            description="Map with the family",
            owner=personas.bob,
            due_on=a_day(rng),
            created_by=personas.bob,
        )
    sign_off_an_audit(rng, personas)


def change(rng: random.Random, personas) -> None:
    a = personas.authority_a
    teams = [personas.team_a, personas.team_a2, None]
    child = rng.choice(list(Child.objects.filter(authority=a).order_by("pk")))
    kind = rng.choice(
        ["import", "late", "new child", "end plan", "practice", "practice", "sign off", "action", "move"]
    )
    if kind == "import":
        import_records(rng, a, child)
    elif kind == "late":
        # Months after everything so far: the periods in between must get rows too.
        latest = max(MeasureValue.objects.filter(authority=a).latest("period_end").period_end, LAST)
        import_records(rng, a, child, latest + timedelta(days=60), latest + timedelta(days=240))
    elif kind == "new child":
        import_records(rng, a, None)
    elif kind == "end plan":
        end_a_plan(rng, a, child)
    elif kind == "practice":
        record_practice(rng, a, child, personas.quinn)
    elif kind == "sign off":
        sign_off_an_audit(rng, personas)
    elif kind == "action":
        complete_an_action(rng, personas)
    else:
        move_a_child(rng, a, child, teams)


def test_incremental_then_full_leave_the_same_values(personas):
    rng = random.Random(7)
    build(rng, personas)
    measures_compute()
    assert not PendingRecompute.objects.exists()
    theirs = snapshot(personas.authority_b)
    for _round in range(4):
        for _ in range(2):
            change(rng, personas)
        assert PendingRecompute.objects.exists()
        measures_refresh(debounce_seconds=0)
        assert not PendingRecompute.objects.exists()
    incremental = snapshot()
    assert JobRun.objects.filter(kind=JobKind.INCREMENTAL).count() == 4
    measures_compute(authority_ids=[personas.authority_a.pk])
    assert snapshot() == incremental
    assert snapshot(personas.authority_b) == theirs


def test_the_incremental_job_rewrites_only_the_periods_from_the_marked_date(personas):
    a = personas.authority_a
    kid = b.child(a, team=personas.team_a)
    b.referral(kid, "2023-05-10")
    b.referral(kid, "2024-11-20")
    measures_compute(authority_ids=[a.pk])
    before = dict(MeasureValue.objects.values_list("pk", "computed_at"))
    b.referral(b.child(a, team=personas.team_a), "2024-08-14")
    mark_stale(authority_id=a.pk, since=date(2024, 8, 14), reason="a referral")
    measures_refresh(debounce_seconds=0)
    assert JobRun.objects.get(kind=JobKind.INCREMENTAL).since == date(2024, 8, 14)
    kept = MeasureValue.objects.filter(pk__in=before)
    for row in MeasureValue.objects.all():
        cut = period_start(row.period_type, date(2024, 8, 14))
        if row.period_start < cut:
            assert row.pk in before and row.computed_at == before[row.pk], row
        else:
            assert row.pk not in before, row  # rewritten
    # The authority's months before August, quarters before July, years before April 2024 were
    # kept (every measure); the team's too (where something was counted).
    own = kept.filter(team=None)
    assert own.filter(period_type=PeriodType.MONTH).count() == 15 * len(MEASURES)
    assert own.filter(period_type=PeriodType.QUARTER).count() == 5 * len(MEASURES)
    assert own.filter(period_type=PeriodType.YEAR).count() == 1 * len(MEASURES)
    assert kept.filter(team=personas.team_a, measure="referrals", period_start=date(2023, 5, 1)).exists()
    assert b.stored(a, "referrals", "month", "2024-08-01") == (1, None, "1.0000")


def test_a_record_after_a_gap_gets_every_period_in_between(personas):
    """The new last record is months after the old last one: the months in between get rows
    (zero counts, and the looked-after children still counted at their ends), as a full run would."""
    a = personas.authority_a
    kid = b.child(a, team=personas.team_a)
    b.episode(kid, "2023-05-10", place="U1")
    measures_compute(authority_ids=[a.pk])
    b.referral(b.child(a), "2024-02-05")
    mark_stale(authority_id=a.pk, since=date(2024, 2, 5), reason="a referral")
    measures_refresh(debounce_seconds=0)
    incremental = snapshot()
    assert b.stored(a, "kinship_share", "month", "2023-11-01") == (1, 1, "1.0000")
    measures_compute(authority_ids=[a.pk])
    assert snapshot() == incremental


def test_a_team_left_without_children_loses_its_rows(personas):
    a = personas.authority_a
    kid = b.child(a, team=personas.team_a2)
    b.referral(kid, "2024-05-10")
    b.referral(b.child(a, team=personas.team_a), "2024-05-11")
    measures_compute(authority_ids=[a.pk])
    assert MeasureValue.objects.filter(team=personas.team_a2).exists()
    Child.objects.filter(pk=kid.pk).update(team=None)
    # Even with a mark dated after its periods, a team with no periods left keeps no rows.
    mark_stale(authority_id=a.pk, since=date(2024, 6, 1), reason="a later change")
    measures_refresh(debounce_seconds=0)
    assert not MeasureValue.objects.filter(team=personas.team_a2).exists()
    incremental = snapshot()
    measures_compute(authority_ids=[a.pk])
    assert snapshot() == incremental


# --- the property the incremental job rests on ------------------------------------------------------


def counts_by_measure(authority) -> dict[str, dict]:
    """Every measure's month counts for the authority and its teams."""
    return {
        key: measure.compute(period_type=PeriodType.MONTH, authority_ids=[authority.pk], by_team=False)
        | measure.compute(period_type=PeriodType.MONTH, authority_ids=[authority.pk], by_team=True)
        for key, measure in MEASURES.items()
    }


def before(counts: dict, day: date) -> dict:
    """The counts of the months that end before ``day``."""
    return {
        key: {k: v for k, v in found.items() if k[2] < day.replace(day=1)} for key, found in counts.items()
    }


def test_a_change_dated_d_leaves_every_period_ending_before_d_alone(personas):
    rng = random.Random(11)
    a = personas.authority_a
    build(rng, personas)
    for kid in Child.objects.filter(authority=a):
        b.referral(kid, "2022-04-01")
        b.referral(kid, "2025-03-31")  # the reporting periods now span every date changed below
    measures_compute(authority_ids=[a.pk])
    counts = counts_by_measure(a)
    checked = 0
    while checked < 10:
        marked = PendingRecompute.objects.count()
        change(rng, personas)
        new_marks = list(PendingRecompute.objects.order_by("pk")[marked:])
        if not new_marks or any(mark.since is None for mark in new_marks):
            counts = counts_by_measure(a)  # the whole authority: nothing to check
            continue
        day = min(mark.since for mark in new_marks)
        after = counts_by_measure(a)
        assert before(after, day) == before(counts, day), new_marks
        counts = after
        checked += 1


def test_a_sign_off_for_a_team_without_rows_gives_the_team_every_measure(personas):
    """A sign-off marks only the audit measures stale: a team that had no rows gets the rows of
    what it counts (its audit), as the full job would store them."""
    from tests.factories import TeamFactory

    a = personas.authority_a
    b.referral(b.child(a, team=personas.team_a), "2024-04-03")
    b.referral(b.child(a), "2024-10-03")
    measures_compute()
    new = TeamFactory(authority=a, name="Edge of Care")
    audit = make_audit(personas, team=new)
    AuditAnswer.objects.create(audit=audit, item_key="p1", agreed_level=3)
    audit = put_in(audit, AuditStatus.SUBMITTED)
    with mock.patch("audits.workflow._now", return_value=datetime(2024, 9, 10, 12, tzinfo=UTC)):
        audit_move(audit=audit, to_status=AuditStatus.SIGNED_OFF, acting_user=personas.quinn)
    measures_refresh(debounce_seconds=0)
    after = snapshot()
    assert MeasureValue.objects.filter(team=new, measure="fidelity_overall").exists()
    assert not MeasureValue.objects.filter(team=new, measure="referrals").exists()  # it has no children
    assert not PendingRecompute.objects.exists()
    MeasureValue.objects.all().delete()
    measures_compute()
    assert snapshot() == after
