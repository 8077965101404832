"""Safety escalation: the team manager is alerted at once with a deadline of one working day, the
escalation is tracked until closed, and overdue ones are chased once a day."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Membership, Role
from audits import escalations
from audits.models import EscalationStatus, SafetyEscalation
from tests.audits.test_voice import make_audit
from tests.factories import MembershipFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
# A Friday afternoon: the deadline is the same time on Monday.
FRIDAY = datetime(2025, 3, 7, 15, 0, tzinfo=LONDON)
MONDAY = datetime(2025, 3, 10, 15, 0, tzinfo=LONDON)


@pytest.fixture
def paula(personas):
    """A peer auditor: a practitioner of A's other team."""
    user = UserFactory(username="paula")
    MembershipFactory(
        user=user, authority=personas.authority_a, role=Role.PRACTITIONER, team=personas.team_a2
    )
    return user


@pytest.fixture
def at(monkeypatch):
    def _at(moment: datetime) -> None:
        monkeypatch.setattr(escalations, "_now", lambda: moment)

    return _at


def _raise(personas, paula, django_capture_on_commit_callbacks, **fields):
    audit = make_audit(personas, auditor=paula, **fields)
    with django_capture_on_commit_callbacks(execute=True):
        return escalations.escalation_raise(audit=audit, concern="Bruises seen again.", acting_user=paula)


def test_deadline_is_one_working_day():
    assert escalations.respond_by_after(FRIDAY) == MONDAY
    tuesday = datetime(2025, 3, 11, 9, 30, tzinfo=LONDON)
    assert escalations.respond_by_after(tuesday) == tuesday + timedelta(days=1)
    # Maundy Thursday 2025: Good Friday and Easter Monday are bank holidays.
    thursday = datetime(2025, 4, 17, 11, 0, tzinfo=LONDON)
    assert escalations.respond_by_after(thursday) == datetime(2025, 4, 22, 11, 0, tzinfo=LONDON)


def test_raising_alerts_the_team_manager_at_once_with_the_deadline(
    personas, paula, at, django_capture_on_commit_callbacks
):
    at(FRIDAY)
    escalation = _raise(personas, paula, django_capture_on_commit_callbacks)

    assert escalation.manager == personas.bob
    assert escalation.respond_by == MONDAY
    assert escalation.status == EscalationStatus.OPEN
    assert escalation.history.first().history_user == paula
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [personas.bob.email]
    assert "respond by Monday 10 March, 15:00" in email.subject
    assert "Please respond by Monday 10 March 2025, 15:00" in email.body
    assert escalation.audit.child.la_child_id in email.body
    assert "Bruises" not in email.body  # the concern stays on the platform


def test_without_a_team_manager_the_qa_leads_are_alerted(
    personas, paula, at, django_capture_on_commit_callbacks
):
    at(FRIDAY)
    Membership.objects.filter(user=personas.bob).update(role=Role.PRACTITIONER)
    escalation = _raise(personas, paula, django_capture_on_commit_callbacks)
    assert escalation.manager == personas.quinn
    assert [email.to for email in mail.outbox] == [[personas.quinn.email]]


def test_only_the_auditor_or_a_qa_lead_raises(personas, paula):
    audit = make_audit(personas, auditor=paula)
    for person in (personas.alice, personas.charlie, personas.quentin):
        with pytest.raises(PermissionDenied):
            escalations.escalation_raise(audit=audit, concern="Worried", acting_user=person)
    with pytest.raises(ValidationError, match="may be unsafe"):
        escalations.escalation_raise(audit=audit, concern="   ", acting_user=paula)
    assert SafetyEscalation.objects.count() == 0


def test_respond_then_close_is_tracked(personas, paula, at, django_capture_on_commit_callbacks):
    at(FRIDAY)
    escalation = _raise(personas, paula, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with pytest.raises(PermissionDenied):
        escalations.escalation_respond(escalation=escalation, response="Seen", acting_user=personas.alice)

    at(FRIDAY + timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        escalations.escalation_respond(
            escalation=escalation, response="Visited today; child safe with gran.", acting_user=personas.bob
        )
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.RESPONDED
    assert escalation.responded_at == FRIDAY + timedelta(hours=2)
    assert [email.to for email in mail.outbox] == [[paula.email]]

    with pytest.raises(ValidationError, match="Say why"):
        escalations.escalation_close(escalation=escalation, note="", acting_user=personas.quinn)
    escalations.escalation_close(
        escalation=escalation, note="Plan reviewed at strategy.", acting_user=personas.quinn
    )
    escalation.refresh_from_db()
    assert (escalation.status, escalation.closed_by) == (EscalationStatus.CLOSED, personas.quinn)
    assert escalations.close_note(escalation) == "Plan reviewed at strategy."
    assert [row.history_user for row in escalation.history.order_by("history_date")] == [
        paula,
        personas.bob,
        personas.quinn,
    ]
    with pytest.raises(ValidationError, match="already closed"):
        escalations.escalation_close(escalation=escalation, note="Again", acting_user=personas.bob)


def test_overdue_escalations_are_chased_once_a_day(personas, paula, at, django_capture_on_commit_callbacks):
    at(FRIDAY)
    escalation = _raise(personas, paula, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    at(MONDAY - timedelta(minutes=1))
    assert escalations.chase_overdue() == 0

    at(MONDAY + timedelta(minutes=1))
    assert escalations.chase_overdue() == 1
    assert sorted(email.to[0] for email in mail.outbox) == sorted([personas.bob.email, personas.quinn.email])
    assert "past its deadline" in mail.outbox[0].body

    at(MONDAY + timedelta(hours=8))  # 23:01 the same day
    assert escalations.chase_overdue() == 0
    assert len(mail.outbox) == 2

    at(MONDAY + timedelta(hours=9))  # the next day
    assert escalations.chase_overdue() == 1
    assert len(mail.outbox) == 4

    escalations.escalation_respond(escalation=escalation, response="Done", acting_user=personas.bob)
    at(MONDAY + timedelta(days=2))
    assert escalations.chase_overdue() == 0


# --- pages ----------------------------------------------------------------------------------------


def test_raising_from_the_audit_page(personas, paula, login, django_capture_on_commit_callbacks):
    audit = make_audit(personas, auditor=paula)
    client = login(paula)
    url = reverse("followup:escalation_raise", args=[audit.pk])
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        raised = client.post(url, {"concern": "The child said dad hits him."})
    escalation = SafetyEscalation.objects.get()
    assert raised["Location"] == reverse("followup:escalation", args=[escalation.pk])
    assert len(mail.outbox) == 1
    assert login(personas.alice).get(url).status_code == 403


def test_manager_responds_and_closes_on_the_escalation_page(
    personas, paula, login, django_capture_on_commit_callbacks
):
    escalation = _raise(personas, paula, django_capture_on_commit_callbacks)
    client = login(personas.bob)

    listing = client.get(reverse("followup:escalations")).content.decode()
    assert listing.count('data-testid="escalation-row"') == 1
    page = client.get(reverse("followup:escalation", args=[escalation.pk])).content.decode()
    assert "Bruises seen again." in page and "Save response" in page

    client.post(reverse("followup:escalation_respond", args=[escalation.pk]), {"response": "Visited."})
    client.post(reverse("followup:escalation_close", args=[escalation.pk]), {"note": "Safe with gran."})
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.CLOSED and escalation.response == "Visited."
    page = client.get(reverse("followup:escalation", args=[escalation.pk])).content.decode()
    assert "Safe with gran." in page and "Save response" not in page
    assert 'data-testid="escalation-row"' not in client.get(reverse("followup:escalations")).content.decode()

    practitioner = login(personas.alice)
    assert practitioner.post(
        reverse("followup:escalation_close", args=[escalation.pk]), {"note": "x"}
    ).status_code in (403, 404)


@pytest.mark.parametrize("outsider", ["charlie", "quentin"])
def test_another_authority_gets_404_on_escalations(
    personas, paula, login, outsider, django_capture_on_commit_callbacks
):
    escalation = _raise(personas, paula, django_capture_on_commit_callbacks)
    client = login(getattr(personas, outsider))
    assert client.get(reverse("followup:escalation_raise", args=[escalation.audit_id])).status_code == 404
    assert (
        client.post(
            reverse("followup:escalation_raise", args=[escalation.audit_id]), {"concern": "x"}
        ).status_code
        == 404
    )
    assert client.get(reverse("followup:escalation", args=[escalation.pk])).status_code == 404
    assert (
        client.post(
            reverse("followup:escalation_respond", args=[escalation.pk]), {"response": "x"}
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("followup:escalation_close", args=[escalation.pk]), {"note": "x"}).status_code
        == 404
    )
    listing = client.get(reverse("followup:escalations"))
    assert listing.status_code == 200 and 'data-testid="escalation-row"' not in listing.content.decode()
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.OPEN and SafetyEscalation.objects.count() == 1
