"""A move made twice (two people pressing the button at once, or one form posted twice): the audit
moves once, with one move in its log and one history row for it, one stale mark for the measures
and one set of emails; the second request gets no error page but the same redirect, saying the
audit was already moved, by whom and when. Sign-off, submission and sending back share the code
path (``audits.auditing.audit_move``, which locks the audit's row, then ``audits.workflow.set_status``).

quinn is A's QA lead and bob the manager of the audit's team: both may sign it off.
"""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from audits.auditing import AlreadyMoved, AlreadySignedOff, audit_move
from audits.models import Audit, AuditMove, AuditStatus
from outcomes import services as outcome_services
from outcomes.models import PendingRecompute
from tests.audits.test_workflow import make_audit, put_in
from tests.concurrency.conftest import at_once

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

S = AuditStatus
# The move, from where, by which two people, with a comment for a send back.
MOVES = {
    "sign off": (S.SUBMITTED, S.SIGNED_OFF, ("quinn", "bob"), ""),
    "submit": (S.CONVERSATION, S.SUBMITTED, ("bob", "bob"), ""),
    "send back": (S.CONVERSATION, S.SELF_ASSESSMENT, ("bob", "bob"), "Add the school's view."),
}


@pytest.fixture
def refreshes(monkeypatch) -> list[None]:
    """The requests for the incremental recompute a mark makes (the recompute itself is not run,
    so the marks stay to be counted)."""
    asked: list[None] = []
    monkeypatch.setattr(outcome_services, "_request_refresh", lambda: asked.append(None))
    return asked


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def assert_moved_once(audit: Audit, to_status: str, refreshes: list[None]) -> None:
    audit.refresh_from_db()
    assert audit.status == to_status
    assert AuditMove.objects.filter(audit=audit, to_status=to_status).count() == 1
    # One history row for the transition (a submission sampled for moderation saves the audit once
    # more, in the same state).
    statuses = list(audit.history.order_by("history_date", "history_id").values_list("status", flat=True))
    into = [now for before, now in zip([None, *statuses], statuses, strict=False) if now != before]
    assert into.count(to_status) == 1
    if to_status == S.SIGNED_OFF:
        assert (
            PendingRecompute.objects.filter(authority=audit.authority, reason="Audit signed off").count() == 1
        )
        assert len(refreshes) == 1
        # The practitioner and the auditor hear of it once each (bob, when he signed it, not at all).
        assert sorted(to for message in mail.outbox for to in message.to) in (
            sorted([audit.practitioner.email, audit.auditor.email]),
            [audit.practitioner.email],
        )
    else:
        assert not PendingRecompute.objects.exists()


def ready(personas, from_status: str) -> Audit:
    audit = put_in(make_audit(personas), from_status)
    mail.outbox.clear()
    return audit


@pytest.mark.parametrize("move", list(MOVES))
def test_a_move_made_twice_at_once_moves_the_audit_once(postgresql, personas, refreshes, move):
    from_status, to_status, who, comment = MOVES[move]
    audit = ready(personas, from_status)

    def press(user):
        return lambda: audit_move(
            audit=Audit.objects.get(pk=audit.pk), to_status=to_status, acting_user=user, comment=comment
        )

    outcomes = at_once(*(press(getattr(personas, name)) for name in who))

    assert sorted(outcome.ok for outcome in outcomes) == [False, True]
    second = next(outcome.error for outcome in outcomes if not outcome.ok)
    assert isinstance(second, AlreadyMoved), second
    first_by = next(
        getattr(personas, name) for name, outcome in zip(who, outcomes, strict=True) if outcome.ok
    )
    assert f"by {first_by}" in second.messages[0]
    if to_status == S.SIGNED_OFF:
        assert isinstance(second, AlreadySignedOff)
        assert second.messages[0].startswith("This audit was already signed off by")
    assert_moved_once(audit, to_status, refreshes)


@pytest.mark.parametrize("move", list(MOVES))
def test_a_move_form_posted_twice_at_once_answers_both_with_the_audit_page(
    postgresql, personas, refreshes, move
):
    from_status, to_status, who, comment = MOVES[move]
    audit = ready(personas, from_status)
    url = reverse("audits:move", kwargs={"pk": audit.pk})
    clients = [signed_in(getattr(personas, name)) for name in who]

    def post(client):
        return lambda: client.post(url, {"to_status": to_status, "comment": comment}, follow=True)

    outcomes = at_once(*(post(client) for client in clients))

    assert [outcome.error for outcome in outcomes] == [None, None]
    pages = [outcome.value for outcome in outcomes]
    assert [page.status_code for page in pages] == [200, 200]
    assert [page.redirect_chain for page in pages] == [
        [(reverse("audits:detail", kwargs={"pk": audit.pk}), 302)]
    ] * 2
    said = sorted("nothing more was done" in page.content.decode() for page in pages)
    assert said == [False, True]
    assert_moved_once(audit, to_status, refreshes)


@pytest.mark.parametrize("move", list(MOVES))
def test_a_move_form_posted_twice_says_it_was_already_done(personas, refreshes, move):
    """The same form posted again once the first has finished (a double click, the back button)."""
    from_status, to_status, who, comment = MOVES[move]
    audit = ready(personas, from_status)
    client = signed_in(getattr(personas, who[0]))
    url = reverse("audits:move", kwargs={"pk": audit.pk})

    first = client.post(url, {"to_status": to_status, "comment": comment}, follow=True)
    again = client.post(url, {"to_status": to_status, "comment": comment}, follow=True)

    assert (first.status_code, again.status_code) == (200, 200)
    assert (
        again.redirect_chain
        == first.redirect_chain
        == [(reverse("audits:detail", kwargs={"pk": audit.pk}), 302)]
    )
    page = again.content.decode()
    assert "nothing more was done" in page
    if to_status == S.SIGNED_OFF:
        assert "This audit was already signed off by" in page
    assert "You cannot make this move" not in page
    assert_moved_once(audit, to_status, refreshes)
