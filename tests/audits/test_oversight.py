"""The QA lead's dashboard (audits.oversight and /qa/): the pipeline by team and stage, moderation,
overdue learning actions and escalations, the last imports and job runs; only the active
authority's, only for its QA leads, in a fixed number of queries."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits import oversight
from audits.models import (
    Audit,
    AuditAnswer,
    AuditMove,
    AuditStatus,
    EscalationStatus,
    LearningAction,
    Moderation,
    SafetyEscalation,
    ToolVersion,
)
from outcomes.models import JobKind, JobRun, JobStatus
from tests.factories import ChildFactory, ImportRunFactory

pytestmark = pytest.mark.django_db

S = AuditStatus


def audit(p, status=S.PLANNED, *, authority=None, team="a", due=None, **fields) -> Audit:
    """An audit of the standard case audit v1; ``due`` in days from today; team "a", "a2", "b" or None."""
    authority = authority or (p.authority_b if team == "b" else p.authority_a)
    the_team = {"a": p.team_a, "a2": p.team_a2, "b": p.team_b, None: None}[team]
    today = timezone.localdate()
    return Audit.objects.create(
        authority=authority,
        child=ChildFactory.create(authority=authority, team=the_team),
        team=the_team,
        tool_version=ToolVersion.objects.get(tool__key="case-audit", number=1),
        practitioner=p.alice,
        auditor=p.bob,
        status=status,
        due_on=today + timedelta(days=due) if due is not None else None,
        signed_off_at=timezone.now() if status == S.SIGNED_OFF else None,
        **fields,
    )


def move(p, the_audit: Audit, to_status: str, *, send_back: bool = False) -> None:
    AuditMove.objects.create(audit=the_audit, to_status=to_status, moved_by=p.quinn, is_send_back=send_back)


def action(p, team, *, days: int, done: bool = False) -> LearningAction:
    today = timezone.localdate()
    return LearningAction.objects.create(
        team=team,
        kind="team",
        description="Use words and pictures",
        owner=p.bob,
        due_on=today + timedelta(days=days),
        completed_on=today if done else None,
        created_by=p.quinn,
    )


def escalation(p, the_audit: Audit, *, hours: int, status=EscalationStatus.OPEN) -> SafetyEscalation:
    return SafetyEscalation.objects.create(
        audit=the_audit,
        raised_by=p.bob,
        concern="The child is alone at night",
        manager=p.bob,
        respond_by=timezone.now() + timedelta(hours=hours),
        status=status,
    )


def job(authority, *, status=JobStatus.SUCCEEDED, done=4, total=4, rows=120) -> JobRun:
    return JobRun.objects.create(
        batch=uuid.uuid4(),
        kind=JobKind.INCREMENTAL,
        authority=authority,
        status=status,
        started_at=timezone.now(),
        steps_total=total,
        steps_done=done,
        rows_written=rows,
    )


def moderated(p, *, completed: bool, overturned: int | None = None, status=S.SIGNED_OFF) -> Moderation:
    the_audit = audit(p, status, for_moderation=True)
    levels = [1, 2, 2, 3, 3, 4]
    AuditAnswer.objects.bulk_create(
        AuditAnswer(audit=the_audit, item_key=f"p{n}", agreed_level=level)
        for n, level in enumerate(levels, start=1)
    )
    return Moderation.objects.create(
        audit=the_audit,
        moderator=p.quinn,
        reason_selected="sample",
        ratings={f"p{n}": level for n, level in enumerate(levels, start=1)} if completed else {},
        completed_at=timezone.now() if completed else None,
        overturned_level=overturned,
    )


@pytest.fixture
def dataset(personas):
    p = personas
    # Team "Child Protection North" (team_a).
    audit(p, due=-1)  # planned, overdue
    audit(p, due=3)  # planned
    audit(p, S.SELF_ASSESSMENT)  # in progress, never moved
    again = audit(p, S.CONVERSATION, due=5)  # sent back once, then moved on: in progress
    move(p, again, S.SELF_ASSESSMENT, send_back=True)
    move(p, again, S.CONVERSATION)
    sent_back = audit(p, S.CONVERSATION, due=-2)  # sent back by the signer, overdue
    move(p, sent_back, S.SUBMITTED)
    move(p, sent_back, S.CONVERSATION, send_back=True)
    moderated(p, completed=False, status=S.SUBMITTED)  # waiting for its moderator
    moderated(p, completed=False, status=S.MODERATION)  # in moderation, waiting too
    moderated(p, completed=True, overturned=2)  # signed off this quarter, overturned
    moderated(p, completed=True)  # signed off this quarter
    old = audit(p, S.SIGNED_OFF, due=-400)  # signed off long ago: in no count
    Audit.objects.filter(pk=old.pk).update(signed_off_at=timezone.now() - timedelta(days=400))
    # Team "Front Door" (team_a2) and no team.
    audit(p, S.SUBMITTED, team="a2", due=-10)
    audit(p, team="a2")
    audit(p, S.CONVERSATION, team=None)
    # Authority B.
    for status in (S.PLANNED, S.PLANNED, S.SUBMITTED):
        audit(p, status, team="b", due=-1)
    # Learning actions.
    action(p, p.team_a, days=-10)
    action(p, p.team_a, days=-3)
    action(p, p.team_a, days=-3, done=True)
    action(p, p.team_a, days=4)
    action(p, p.team_a2, days=-1)
    action(p, p.team_b, days=-5)
    # Escalations.
    first = Audit.objects.filter(authority=p.authority_a).first()
    assert first is not None
    late = escalation(p, first, hours=-30)
    escalation(p, first, hours=5)
    escalation(p, first, hours=-50, status=EscalationStatus.RESPONDED)
    escalation(p, Audit.objects.filter(authority=p.authority_b).first(), hours=-2)
    # Imports and job runs.
    for number in range(6):
        ImportRunFactory(authority=p.authority_a, filename=f"a-{number}.xml", rejected=number)
    ImportRunFactory(authority=p.authority_b, filename="b-only.xml")
    job(p.authority_a)
    running = job(p.authority_a, status=JobStatus.RUNNING, done=1, total=4)
    job(p.authority_b, rows=999_999)
    return {"late": late, "running": running}


def row(overview, team: str) -> oversight.PipelineRow:
    return next(found for found in overview.pipeline.teams if found.team == team)


def counts(pipeline_row: oversight.PipelineRow) -> dict[str, int]:
    return {name: getattr(pipeline_row, name) for name in oversight.COUNTS}


def test_pipeline_by_team_and_stage(personas, dataset):
    overview = oversight.overview(authority_id=personas.authority_a.pk)
    assert [found.team for found in overview.pipeline.teams] == [
        "Child Protection North",
        "Front Door",
        "No team",
    ]
    assert counts(row(overview, "Child Protection North")) == {
        "planned": 2,
        "in_progress": 2,
        "sent_back": 1,
        "submitted": 1,
        "in_moderation": 1,
        "overdue": 2,
        "signed_off": 2,
    }
    assert counts(row(overview, "Front Door")) == {
        "planned": 1,
        "in_progress": 0,
        "sent_back": 0,
        "submitted": 1,
        "in_moderation": 0,
        "overdue": 1,
        "signed_off": 0,
    }
    assert row(overview, "No team").in_progress == 1
    total = overview.pipeline.total
    assert (total.open, total.overdue, total.signed_off, total.sent_back) == (10, 3, 2, 1)


def test_moderation_actions_escalations_imports_and_jobs(personas, dataset):
    overview = oversight.overview(authority_id=personas.authority_a.pk)
    moderation = overview.moderation
    assert (moderation.waiting, moderation.completed, moderation.overturned) == (2, 2, 1)
    # Two completed moderations of six items each, every rating equal to the agreed level.
    assert moderation.agreement.n == 12
    assert moderation.agreement.exact == 1.0
    assert [(found.team, found.overdue) for found in overview.actions] == [
        ("Child Protection North", 2),
        ("Front Door", 1),
    ]
    assert overview.actions_overdue == 3
    assert overview.escalations_overdue == 1
    assert overview.escalations == [dataset["late"]]
    assert [run.filename for run in overview.imports] == [f"a-{number}.xml" for number in (5, 4, 3, 2, 1)]
    assert [run.pk for run in overview.jobs][0] == dataset["running"].pk
    assert overview.jobs_running


def test_quinn_sees_a_figures(personas, login, dataset):
    response = login(personas.quinn).get(reverse("oversight:overview"))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="open-audits">10<' in content
    assert 'data-testid="overdue-audits">3<' in content
    assert 'data-testid="waiting-moderation">2<' in content
    assert 'data-testid="actions-overdue">3<' in content
    assert 'data-testid="escalations-overdue">1<' in content
    assert 'data-testid="moderation-overturned">1<' in content
    assert "Weighted kappa" in content
    assert reverse("cases:import", args=[response.context["overview"].imports[0].pk]) in content
    assert reverse("jobs:detail", args=[dataset["running"].pk]) in content
    assert reverse("followup:escalation", args=[dataset["late"].pk]) in content
    assert reverse("followup:team_actions", args=[personas.team_a.pk]) in content
    # The running job: a progress bar, and the list polls while it runs.
    assert 'aria-valuenow="25"' in content
    assert f'hx-get="{reverse("oversight:jobs")}"' in content
    # Nothing of B.
    assert "b-only.xml" not in content
    assert "Assessment Team" not in content
    assert "999,999" not in content and "999999" not in content


def test_quentin_sees_only_b(personas, login, dataset):
    response = login(personas.quentin).get(reverse("oversight:overview"))
    assert response.status_code == 200
    overview = response.context["overview"]
    assert [found.team for found in overview.pipeline.teams] == ["Assessment Team"]
    assert (
        overview.pipeline.total.planned,
        overview.pipeline.total.submitted,
        overview.pipeline.total.overdue,
    ) == (
        2,
        1,
        3,
    )
    assert [found.team for found in overview.actions] == ["Assessment Team"]
    assert overview.escalations_overdue == 1
    assert [run.filename for run in overview.imports] == ["b-only.xml"]
    assert [run.rows_written for run in overview.jobs] == [999_999]
    content = response.content.decode()
    assert "Child Protection North" not in content
    assert "a-5.xml" not in content
    assert "hx-get" not in content  # B's job is not running


@pytest.mark.parametrize("name", ["leah", "alice", "bob", "charlie", "ana", "pat"])
def test_others_get_403(personas, login, dataset, name):
    client = login(getattr(personas, name))
    for url in (reverse("oversight:overview"), reverse("oversight:jobs")):
        response = client.get(url)
        assert response.status_code == 403
        assert b"a-5.xml" not in response.content


def test_max_sees_nothing_while_working_as_a_leader(personas, login, dataset):
    assert login(personas.max).get(reverse("oversight:overview")).status_code == 403


def test_jobs_fragment_polls_only_while_running(personas, login, dataset):
    client = login(personas.quinn)
    response = client.get(reverse("oversight:jobs"))
    assert response.status_code == 200
    assert b'hx-trigger="every 2s"' in response.content
    JobRun.objects.filter(pk=dataset["running"].pk).update(status=JobStatus.SUCCEEDED)
    response = client.get(reverse("oversight:jobs"))
    assert b"hx-get" not in response.content
    assert b"Succeeded" in response.content


def test_an_empty_authority_shows_empty_sections(personas, login):
    response = login(personas.quinn).get(reverse("oversight:overview"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "No audit is open" in content
    assert "No moderation completed this quarter yet." in content
    assert "No learning action is overdue." in content
    assert "Nothing imported yet." in content
    assert "No job has run for your authority yet." in content


def test_a_fixed_number_of_queries_whatever_the_data(personas, login, dataset, django_assert_num_queries):
    client = login(personas.quinn)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("oversight:overview")).status_code == 200
    p = personas
    for index in range(20):
        sent = audit(p, S.CONVERSATION, team="a2", due=-index)
        move(p, sent, S.CONVERSATION, send_back=True)
        action(p, p.team_a2, days=-index - 1)
        escalation(p, sent, hours=-index - 1)
        ImportRunFactory(authority=p.authority_a, filename=f"more-{index}.xml")
        job(p.authority_a)
    with django_assert_num_queries(len(captured.captured_queries)):
        response = client.get(reverse("oversight:overview"))
    assert response.context["overview"].pipeline.total.sent_back == 21
    assert response.context["overview"].more_escalations == 16
