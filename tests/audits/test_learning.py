"""Learning actions: 1–3 per audit, team learning points, overdue lists per team, and reminders
at most once a day."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from audits import learning
from audits.models import LearningAction
from tests.audits.test_voice import make_audit

TODAY = timezone.localdate()


def _add(
    personas,
    audit=None,
    *,
    owner=None,
    due_on=None,
    kind="case",
    team=None,
    description="Update the map",
    by=None,
):
    return learning.action_add(
        audit=audit,
        team=team or personas.team_a,
        description=description,
        owner=owner or personas.alice,
        due_on=due_on or TODAY + timedelta(days=14),
        kind=kind,
        acting_user=by or personas.bob,
    )


def _overdue(action: LearningAction, days: int) -> LearningAction:
    LearningAction.objects.filter(pk=action.pk).update(due_on=TODAY - timedelta(days=days))
    action.refresh_from_db()
    return action


def test_an_audit_has_one_to_three_actions(personas):
    audit = make_audit(personas)
    for n in range(3):
        action = _add(personas, audit, description=f"Action {n}")
        assert (action.audit, action.team, action.kind, action.created_by) == (
            audit,
            personas.team_a,
            "case",
            personas.bob,
        )
    with pytest.raises(ValidationError, match="An audit has at most 3 actions"):
        _add(personas, audit, description="A fourth")
    assert audit.actions.count() == 3
    # A team learning point has no audit and does not count against the three.
    point = _add(personas, kind="team", description="Practise danger statements together")
    assert point.audit is None and audit.actions.count() == 3


def test_actions_are_checked(personas):
    audit = make_audit(personas)
    with pytest.raises(ValidationError, match="belongs to the team"):
        _add(personas, audit, kind="team")
    with pytest.raises(ValidationError, match="A case action belongs to an audit."):
        _add(personas)
    with pytest.raises(ValidationError) as refused:
        learning.action_add(
            audit=audit,
            team=personas.team_a,
            description=" ",
            owner=personas.charlie,
            due_on=TODAY - timedelta(days=1),
            acting_user=personas.bob,
        )
    assert set(refused.value.message_dict) == {"description", "owner", "due_on"}
    with pytest.raises(PermissionDenied):
        learning.action_add(
            audit=audit,
            team=personas.team_a,
            description="x",
            owner=personas.alice,
            due_on=TODAY,
            acting_user=personas.charlie,
        )


def test_signed_off_audits_take_no_new_actions(personas):
    audit = make_audit(personas, status="signed_off")
    with pytest.raises(ValidationError, match="signed off"):
        _add(personas, audit)


def test_completing_an_action(personas):
    action = _add(personas, make_audit(personas))
    with pytest.raises(PermissionDenied):
        learning.action_complete(action=action, acting_user=personas.charlie)
    learning.action_complete(action=action, acting_user=personas.alice)
    action.refresh_from_db()
    assert action.completed_on == TODAY
    assert action.history.first().history_user == personas.alice
    with pytest.raises(ValidationError, match="already marked done"):
        learning.action_complete(action=action, acting_user=personas.bob)
    assert list(learning.my_actions(user=personas.alice)) == []


def test_overdue_actions_per_team(personas):
    audit = make_audit(personas)
    oldest = _overdue(_add(personas, audit, description="Oldest"), 20)
    newer = _overdue(_add(personas, audit, description="Newer"), 2)
    _add(personas, audit, description="Not due yet")
    done = _overdue(_add(personas, kind="team", description="Done late"), 5)
    learning.action_complete(action=done, acting_user=personas.bob)
    front_door = _overdue(
        _add(personas, kind="team", team=personas.team_a2, owner=personas.quinn, by=personas.quinn), 1
    )
    # Another authority's overdue action never shows in A's list.
    LearningAction.objects.create(
        team=personas.team_b,
        kind="team",
        description="B's",
        owner=personas.charlie,
        due_on=TODAY - timedelta(days=3),
        created_by=personas.quentin,
    )

    rows = learning.overdue_by_team(authority_id=personas.authority_a.pk)

    assert [(row.team, list(row.actions)) for row in rows] == [
        (personas.team_a, [oldest, newer]),  # "Child Protection North" before "Front Door"
        (personas.team_a2, [front_door]),
    ]


def test_reminders_go_once_a_day(personas, monkeypatch):
    audit = make_audit(personas)
    _overdue(_add(personas, audit, description="Overdue"), 1)
    _add(personas, audit, description="Due today", due_on=TODAY)
    _add(personas, audit, description="Due in three days", due_on=TODAY + timedelta(days=3))
    _add(personas, kind="team", description="Due in four days", due_on=TODAY + timedelta(days=4))
    done = _add(personas, kind="team", description="Done already", due_on=TODAY)
    learning.action_complete(action=done, acting_user=personas.bob)
    _add(personas, kind="team", description="Quinn's", owner=personas.quinn, due_on=TODAY + timedelta(days=1))

    assert learning.remind_due_actions() == 4

    by_person = {email.to[0]: email for email in mail.outbox}
    assert set(by_person) == {personas.alice.email, personas.quinn.email}
    alice_email = by_person[personas.alice.email].body
    assert "Overdue" in alice_email and "Due today" in alice_email and "Due in three days" in alice_email
    assert "four days" not in alice_email and "Done already" not in alice_email
    assert "(overdue)" in alice_email
    assert set(
        LearningAction.objects.filter(last_reminded_on=TODAY).values_list("description", flat=True)
    ) == {
        "Overdue",
        "Due today",
        "Due in three days",
        "Quinn's",
    }

    assert learning.remind_due_actions() == 0
    assert len(mail.outbox) == 2

    monkeypatch.setattr(learning, "_today", lambda: TODAY + timedelta(days=1))
    assert learning.remind_due_actions() == 5  # the four again, and the one now due within three days
    assert len(mail.outbox) == 4


# --- pages ----------------------------------------------------------------------------------------


def test_adding_actions_on_the_audit_page(personas, login):
    audit = make_audit(personas)
    client = login(personas.bob)
    url = reverse("followup:audit_actions", args=[audit.pk])
    page = client.get(url).content.decode()
    assert page.count('data-testid="action-row"') == 3

    due = (TODAY + timedelta(days=10)).isoformat()
    saved = client.post(
        url,
        {
            "row0-description": "Update the safety map with the family",
            "row0-owner": personas.alice.pk,
            "row0-due_on": due,
            "row1-description": "Ask the school to join the network",
            "row1-owner": personas.bob.pk,
            "row1-due_on": due,
            "row2-description": "",
        },
    )
    assert saved.status_code == 302 and saved["Location"] == reverse("audits:detail", args=[audit.pk])
    assert list(audit.actions.order_by("pk").values_list("owner__username", flat=True)) == ["alice", "bob"]

    page = client.get(url).content.decode()
    assert page.count('data-testid="action-row"') == 1 and page.count('data-testid="action"') == 2


def test_a_half_filled_row_is_refused_and_nothing_saved(personas, login):
    audit = make_audit(personas)
    client = login(personas.bob)
    page = client.post(
        reverse("followup:audit_actions", args=[audit.pk]),
        {"row0-description": "Something", "row0-owner": personas.alice.pk, "row1-description": "Else"},
    )
    assert page.status_code == 200
    assert "Choose a due date." in page.content.decode()
    assert audit.actions.count() == 0


def test_a_full_audit_offers_no_more_rows(personas, login):
    audit = make_audit(personas)
    for n in range(3):
        _add(personas, audit, description=f"Action {n}")
    page = login(personas.bob).get(reverse("followup:audit_actions", args=[audit.pk])).content.decode()
    assert 'data-testid="action-row"' not in page and 'data-testid="actions-full"' in page


def test_marking_done_and_the_team_list(personas, login):
    audit = make_audit(personas)
    late = _overdue(_add(personas, audit, description="Late action"), 4)
    client = login(personas.bob)

    team_page = client.get(reverse("followup:team_actions", args=[personas.team_a.pk])).content.decode()
    assert "Late action" in team_page and "Overdue" in team_page
    home = client.get(reverse("followup:actions")).content.decode()
    assert "Late action" in home

    added = client.post(
        reverse("followup:team_actions", args=[personas.team_a.pk]),
        {
            "description": "Group supervision on scaling",
            "owner": personas.bob.pk,
            "due_on": TODAY.isoformat(),
        },
    )
    assert added.status_code == 302
    assert LearningAction.objects.get(kind="team").audit is None

    done = login(personas.alice).post(
        reverse("followup:action_done", args=[late.pk]), {"next": "https://evil.example/"}
    )
    assert done["Location"] == reverse("followup:actions")
    late.refresh_from_db()
    assert late.completed_on == TODAY


@pytest.mark.parametrize("outsider", ["charlie", "quentin"])
def test_another_authority_gets_404_on_learning_pages(personas, login, outsider):
    audit = make_audit(personas)
    action = _add(personas, audit)
    client = login(getattr(personas, outsider))
    assert client.get(reverse("followup:audit_actions", args=[audit.pk])).status_code == 404
    assert (
        client.post(reverse("followup:audit_actions", args=[audit.pk]), {"row0-description": "x"}).status_code
        == 404
    )
    assert client.post(reverse("followup:action_done", args=[action.pk])).status_code == 404
    assert client.get(reverse("followup:team_actions", args=[personas.team_a.pk])).status_code == 404
    assert "Update the map" not in client.get(reverse("followup:actions")).content.decode()
    action.refresh_from_db()
    assert action.completed_on is None and LearningAction.objects.count() == 1
