"""The audit's workflow through ``audits.auditing.audit_move``: every illegal move is refused,
every legal one records who and when, a signed-off audit is locked for everyone, and the right
people are emailed. Also holds the small builders the other audit-workflow tests import."""

import sys
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

import audits
from accounts.models import Role
from audits import workflow
from audits.auditing import AuditLocked, answer_save, audit_create, audit_move, consent_record
from audits.models import Audit, AuditMove, AuditStatus, Moderation
from audits.workflow import IllegalMove
from tests.factories import ChildFactory, MembershipFactory, UserFactory

S = AuditStatus
STATUSES = list(S.values)
# (from, to) → who makes the move in the tests (the persona's attribute name).
LEGAL = {
    (S.PLANNED, S.SELF_ASSESSMENT): "alice",
    (S.SELF_ASSESSMENT, S.CONVERSATION): "alice",
    (S.CONVERSATION, S.SELF_ASSESSMENT): "bob",
    (S.CONVERSATION, S.SUBMITTED): "bob",
    (S.SUBMITTED, S.MODERATION): "quinn",
    (S.SUBMITTED, S.SIGNED_OFF): "quinn",
    (S.SUBMITTED, S.CONVERSATION): "quinn",
    (S.MODERATION, S.SIGNED_OFF): "quinn",
    (S.MODERATION, S.CONVERSATION): "quinn",
}
ILLEGAL = [(a, b) for a in STATUSES for b in STATUSES if (a, b) not in LEGAL]


# --- builders shared by the audit-workflow tests ------------------------------------------------


def make_audit(personas, *, practitioner=None, auditor=None, team=None, acting_user=None) -> Audit:
    """A planned audit of a new child of A's "Child Protection North": alice's case, bob audits."""
    child = ChildFactory(authority=personas.authority_a, team=team or personas.team_a)
    return audit_create(
        child=child,
        practitioner=practitioner or personas.alice,
        auditor=auditor or personas.bob,
        acting_user=acting_user or personas.quinn,
        due_on=timezone.localdate() + timedelta(days=28),
    )


def put_in(audit: Audit, status: str, *, for_moderation: bool = False, moderator=None) -> Audit:
    """Set the audit's status directly (the tests of the moves start from every state)."""
    Audit.objects.filter(pk=audit.pk).update(status=status, for_moderation=for_moderation)
    if moderator is not None:
        Moderation.objects.get_or_create(
            audit=audit, defaults={"moderator": moderator, "reason_selected": "sample"}
        )
    audit.refresh_from_db()
    return audit


def fake_moderation(monkeypatch, *, reason: str | None, moderator=None) -> SimpleNamespace:
    """Stand in for ``audits.moderation`` (written apart): ``needs_moderation`` gives ``reason``;
    ``moderation_open`` records the call and opens the moderation with ``moderator``."""
    calls: list = []

    def moderation_open(*, audit, reason):
        calls.append((audit.pk, reason))
        moderation, _created = Moderation.objects.update_or_create(
            audit=audit, defaults={"moderator": moderator, "reason_selected": reason}
        )
        return moderation

    fake = SimpleNamespace(
        needs_moderation=lambda audit: reason, moderation_open=moderation_open, calls=calls
    )
    monkeypatch.setitem(sys.modules, "audits.moderation", fake)
    monkeypatch.setattr(audits, "moderation", fake, raising=False)
    return fake


@pytest.fixture
def no_moderation(monkeypatch):
    return fake_moderation(monkeypatch, reason=None)


@pytest.fixture
def audit(personas):
    return make_audit(personas)


# --- illegal moves --------------------------------------------------------------------------------


def test_the_tables_cover_every_pair_of_statuses():
    assert len(STATUSES) == 6
    assert len(LEGAL) + len(ILLEGAL) == 36
    assert len(LEGAL) == 9
    assert {pair for pair in LEGAL} == {(a, b) for a in STATUSES for b in workflow.allowed_moves(a)}


@pytest.mark.parametrize(("from_status", "to_status"), ILLEGAL)
def test_every_illegal_move_is_refused(personas, audit, no_moderation, from_status, to_status):
    put_in(audit, from_status, moderator=personas.quinn if from_status == S.MODERATION else None)
    moves_before = AuditMove.objects.filter(audit=audit).count()
    # Every one of the audit's people, and the QA lead, is refused: the move itself is illegal.
    for user in (personas.alice, personas.bob, personas.quinn):
        with pytest.raises((IllegalMove, AuditLocked)):
            audit_move(audit=audit, to_status=to_status, acting_user=user, comment="Because.")
        with pytest.raises(IllegalMove):
            workflow.set_status(audit, to_status, acting_user=user, comment="Because.")
    audit.refresh_from_db()
    assert audit.status == from_status
    assert AuditMove.objects.filter(audit=audit).count() == moves_before


def test_moderation_only_for_audits_sampled_for_it_and_sign_off_only_after_it(personas, audit):
    put_in(audit, S.SUBMITTED, for_moderation=False)
    with pytest.raises(IllegalMove, match="not sampled for moderation"):
        audit_move(audit=audit, to_status=S.MODERATION, acting_user=personas.quinn)
    put_in(audit, S.SUBMITTED, for_moderation=True)
    with pytest.raises(IllegalMove, match="after the moderator re-rates it"):
        audit_move(audit=audit, to_status=S.SIGNED_OFF, acting_user=personas.quinn)


def test_a_send_back_needs_a_comment(personas, audit):
    put_in(audit, S.CONVERSATION)
    with pytest.raises(IllegalMove, match="Say why"):
        audit_move(audit=audit, to_status=S.SELF_ASSESSMENT, acting_user=personas.bob, comment="  ")
    assert Audit.objects.get(pk=audit.pk).status == S.CONVERSATION


# --- legal moves ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("from_status", "to_status"), list(LEGAL))
def test_every_legal_move_records_who_and_when(personas, audit, no_moderation, from_status, to_status):
    put_in(
        audit,
        from_status,
        for_moderation=to_status == S.MODERATION,
        moderator=personas.quinn if from_status == S.MODERATION else None,
    )
    actor = getattr(personas, LEGAL[(from_status, to_status)])
    before = timezone.now()
    comment = (
        "Please look again at the danger statements." if workflow.is_send_back(from_status, to_status) else ""
    )

    move = audit_move(audit=audit, to_status=to_status, acting_user=actor, comment=comment)

    assert audit.status == to_status  # the caller's object shows the result
    stored = Audit.objects.get(pk=audit.pk)
    assert stored.status == to_status
    assert (move.from_status, move.to_status) == (from_status, to_status)
    assert move.moved_by == actor
    assert before <= move.moved_at <= timezone.now()
    assert move.is_send_back == bool(comment)
    assert move.comment == comment
    assert AuditMove.objects.filter(audit=audit, from_status=from_status).get() == move
    # The audit's own history row names the mover too.
    latest = stored.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == actor
    assert latest.status == to_status
    if to_status == S.SIGNED_OFF:
        assert stored.signed_off_by == actor
        assert before <= stored.signed_off_at <= timezone.now()
    if to_status == S.SUBMITTED:
        assert before <= stored.submitted_at <= timezone.now()


@pytest.mark.parametrize(("from_status", "to_status"), list(LEGAL))
def test_a_legal_move_by_someone_else_is_refused(personas, audit, no_moderation, from_status, to_status):
    """charlie (another authority), leah (a leader) and the platform admin never move an audit."""
    put_in(audit, from_status, for_moderation=to_status == S.MODERATION)
    for user in (personas.charlie, personas.quentin, personas.leah, personas.pat, personas.ana):
        with pytest.raises(PermissionDenied):
            audit_move(audit=audit, to_status=to_status, acting_user=user, comment="Because.")
    assert Audit.objects.get(pk=audit.pk).status == from_status
    assert not AuditMove.objects.filter(audit=audit, from_status=from_status).exists()


def test_the_whole_way_round_with_a_send_back(personas, audit, no_moderation):
    audit_move(audit=audit, to_status=S.SELF_ASSESSMENT, acting_user=personas.alice)
    audit_move(audit=audit, to_status=S.CONVERSATION, acting_user=personas.alice)
    audit_move(audit=audit, to_status=S.SELF_ASSESSMENT, acting_user=personas.bob, comment="Rate p7 again.")
    audit_move(audit=audit, to_status=S.CONVERSATION, acting_user=personas.alice)
    audit_move(audit=audit, to_status=S.SUBMITTED, acting_user=personas.bob)
    audit_move(audit=audit, to_status=S.SIGNED_OFF, acting_user=personas.quinn)
    trail = list(audit.moves.values_list("from_status", "to_status", "moved_by__username"))
    assert trail == [
        ("", S.PLANNED, "quinn"),
        (S.PLANNED, S.SELF_ASSESSMENT, "alice"),
        (S.SELF_ASSESSMENT, S.CONVERSATION, "alice"),
        (S.CONVERSATION, S.SELF_ASSESSMENT, "bob"),
        (S.SELF_ASSESSMENT, S.CONVERSATION, "alice"),
        (S.CONVERSATION, S.SUBMITTED, "bob"),
        (S.SUBMITTED, S.SIGNED_OFF, "quinn"),
    ]
    assert audit.is_locked


def test_a_sampled_audit_is_marked_and_its_moderation_opened_on_submit(personas, audit, monkeypatch):
    fake = fake_moderation(monkeypatch, reason="not_evident", moderator=personas.quinn)
    put_in(audit, S.CONVERSATION)
    for key in ("p1", "p2"):
        answer_save(audit=audit, item_key=key, acting_user=personas.bob, expected_revision=0, agreed_level=1)

    move = audit_move(audit=audit, to_status=S.SUBMITTED, acting_user=personas.bob)

    assert (move.from_status, move.to_status) == (S.CONVERSATION, S.SUBMITTED)
    stored = Audit.objects.get(pk=audit.pk)
    # It waits, submitted, for the moderator's first step (audits.moderation moves it on).
    assert stored.status == S.SUBMITTED
    assert stored.for_moderation is True
    assert audit.for_moderation is True
    assert stored.overall_level == 1
    assert fake.calls == [(audit.pk, "not_evident")]
    assert stored.moderation.moderator == personas.quinn


def test_a_sampled_audit_stays_sampled_when_submitted_again(personas, audit, monkeypatch):
    fran = UserFactory(username="fran")
    MembershipFactory(
        user=fran, authority=personas.authority_a, role=Role.TEAM_MANAGER, team=personas.team_a2
    )
    put_in(audit, S.MODERATION, for_moderation=True, moderator=fran)
    audit_move(audit=audit, to_status=S.CONVERSATION, acting_user=fran, comment="Evidence for p4 is thin.")
    fake = fake_moderation(monkeypatch, reason=None, moderator=fran)
    audit_move(audit=audit, to_status=S.SUBMITTED, acting_user=personas.bob)
    assert fake.calls == [(audit.pk, "sample")]
    assert Audit.objects.get(pk=audit.pk).for_moderation is True


def test_the_moderator_starts_a_sampled_audit_or_sends_it_back(personas, audit):
    fran = UserFactory(username="fran")
    MembershipFactory(
        user=fran, authority=personas.authority_a, role=Role.TEAM_MANAGER, team=personas.team_a2
    )
    put_in(audit, S.SUBMITTED, for_moderation=True, moderator=fran)
    audit_move(audit=audit, to_status=S.MODERATION, acting_user=fran)
    audit_move(audit=audit, to_status=S.SIGNED_OFF, acting_user=fran)
    assert audit.signed_off_by == fran


def test_an_audit_not_sampled_waits_for_sign_off(personas, audit, no_moderation):
    put_in(audit, S.CONVERSATION)
    audit_move(audit=audit, to_status=S.SUBMITTED, acting_user=personas.bob)
    stored = Audit.objects.get(pk=audit.pk)
    assert (stored.status, stored.for_moderation) == (S.SUBMITTED, False)
    assert not Moderation.objects.filter(audit=audit).exists()


def test_a_move_from_a_stale_page_is_refused(personas, audit):
    stale = Audit.objects.get(pk=audit.pk)
    audit_move(audit=audit, to_status=S.SELF_ASSESSMENT, acting_user=personas.alice)
    # The second click, from a page still showing "planned", is not applied twice.
    with pytest.raises(IllegalMove):
        audit_move(audit=stale, to_status=S.SELF_ASSESSMENT, acting_user=personas.bob)
    assert audit.moves.filter(to_status=S.SELF_ASSESSMENT).count() == 1


# --- signed off: locked for everyone --------------------------------------------------------------


def everyone(personas):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    return [
        personas.alice,
        personas.bob,
        personas.quinn,
        personas.leah,
        personas.charlie,
        personas.quentin,
        personas.ana,
        personas.pat,
        personas.max,
        root,
    ]


def test_a_signed_off_audit_cannot_be_edited_by_anyone(personas, audit):
    put_in(audit, S.CONVERSATION)
    answer = answer_save(
        audit=audit, item_key="p1", acting_user=personas.bob, expected_revision=0, agreed_level=3
    )
    put_in(audit, S.SIGNED_OFF)
    fields = {
        "self_level": 2,
        "auditor_level": 2,
        "agreed_level": 2,
        "disagreement": "x",
        "evidence": "x",
    }
    for user in everyone(personas):
        for field, value in fields.items():
            with pytest.raises(AuditLocked, match="signed off"):
                answer_save(
                    audit=audit,
                    item_key="p1",
                    acting_user=user,
                    expected_revision=answer.revision,
                    **{field: value},
                )
        with pytest.raises(AuditLocked):
            answer_save(audit=audit, item_key="proudest", acting_user=user, expected_revision=0, value="x")
        with pytest.raises(AuditLocked):
            consent_record(audit=audit, consent="given", note="", acting_user=user)
        for status in STATUSES:
            with pytest.raises(AuditLocked):
                audit_move(audit=audit, to_status=status, acting_user=user, comment="Reopen it.")
    stored = Audit.objects.get(pk=audit.pk)
    assert stored.status == S.SIGNED_OFF
    assert stored.family_consent == "not_asked"
    assert list(stored.answers.values_list("item_key", "agreed_level", "revision")) == [("p1", 3, 1)]


def test_an_edit_from_a_page_loaded_before_sign_off_is_refused(personas, audit, no_moderation):
    """The lock is read from the database, not from the caller's (older) object."""
    put_in(audit, S.SUBMITTED)
    old_page = Audit.objects.get(pk=audit.pk)
    Audit.objects.filter(pk=audit.pk).update(status=S.CONVERSATION)
    old_page.status = S.CONVERSATION
    audit_move(audit=Audit.objects.get(pk=audit.pk), to_status=S.SUBMITTED, acting_user=personas.bob)
    audit_move(audit=Audit.objects.get(pk=audit.pk), to_status=S.SIGNED_OFF, acting_user=personas.quinn)
    with pytest.raises(AuditLocked):
        answer_save(
            audit=old_page, item_key="p1", acting_user=personas.bob, expected_revision=0, agreed_level=3
        )
    assert not audit.answers.exists()


# --- emails ---------------------------------------------------------------------------------------


def _mails_to(username: str) -> list:
    return [message for message in mail.outbox if message.to == [f"{username}@example.org"]]


def test_assignment_emails_the_practitioner_and_the_auditor(personas, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        audit = make_audit(personas)
    assert sorted(message.to[0] for message in mail.outbox) == ["alice@example.org", "bob@example.org"]
    (to_alice,) = _mails_to("alice")
    assert audit.child.la_child_id in to_alice.subject
    assert "self-assessment" in to_alice.body
    assert "allocated practitioner" in to_alice.body
    (to_bob,) = _mails_to("bob")
    assert "as the auditor" in to_bob.body


def test_the_creator_is_not_emailed_about_their_own_assignment(personas, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        make_audit(personas, acting_user=personas.bob)
    assert [message.to for message in mail.outbox] == [["alice@example.org"]]


def test_no_email_when_the_transaction_rolls_back(personas, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        make_audit(personas, practitioner=personas.bob, auditor=personas.bob)
    assert mail.outbox == []


def test_a_send_back_emails_the_previous_holder_with_the_comment(
    personas, audit, django_capture_on_commit_callbacks
):
    put_in(audit, S.CONVERSATION)
    mail.outbox.clear()
    comment = "Please add the grandmother's view to the safety network."
    with django_capture_on_commit_callbacks(execute=True):
        audit_move(audit=audit, to_status=S.SELF_ASSESSMENT, acting_user=personas.bob, comment=comment)
    (message,) = mail.outbox
    assert message.to == ["alice@example.org"]
    assert "sent back" in message.subject.lower()
    assert comment in message.body
    assert "Bob" in message.body


def test_a_send_back_from_sign_off_emails_the_auditor(personas, audit, django_capture_on_commit_callbacks):
    put_in(audit, S.SUBMITTED)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        audit_move(
            audit=audit, to_status=S.CONVERSATION, acting_user=personas.quinn, comment="Evidence for p3?"
        )
    (message,) = mail.outbox
    assert message.to == ["bob@example.org"]
    assert "Evidence for p3?" in message.body


def test_submit_emails_the_people_who_sign_off(
    personas, audit, no_moderation, django_capture_on_commit_callbacks
):
    # A second QA lead of A, and the manager of another team (not emailed: not this team's).
    other_lead = UserFactory(username="quill")
    MembershipFactory(user=other_lead, authority=personas.authority_a, role=Role.QA_LEAD)
    other_manager = UserFactory(username="fran")
    MembershipFactory(
        user=other_manager, authority=personas.authority_a, role=Role.TEAM_MANAGER, team=personas.team_a2
    )
    put_in(audit, S.CONVERSATION)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        audit_move(audit=audit, to_status=S.SUBMITTED, acting_user=personas.bob)
    # bob (the team's manager) submitted it himself, so only the QA leads hear of it.
    assert sorted(message.to[0] for message in mail.outbox) == ["quill@example.org", "quinn@example.org"]
    assert all("submitted" in message.subject.lower() for message in mail.outbox)
    assert all("waiting to be signed off" in message.body for message in mail.outbox)


def test_forward_moves_email_the_next_holder(
    personas, audit, no_moderation, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        audit_move(audit=audit, to_status=S.SELF_ASSESSMENT, acting_user=personas.quinn)
    assert [message.to for message in mail.outbox] == [["alice@example.org"]]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        audit_move(audit=audit, to_status=S.CONVERSATION, acting_user=personas.alice)
    assert [message.to for message in mail.outbox] == [["bob@example.org"]]
    assert "audit conversation" in mail.outbox[0].body


def test_sign_off_emails_both_parties(personas, audit, django_capture_on_commit_callbacks):
    put_in(audit, S.SUBMITTED)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        audit_move(audit=audit, to_status=S.SIGNED_OFF, acting_user=personas.quinn)
    assert sorted(message.to[0] for message in mail.outbox) == ["alice@example.org", "bob@example.org"]
    assert all("locked" in message.body for message in mail.outbox)


def test_a_moderated_submission_does_not_email_the_signers(
    personas, audit, monkeypatch, django_capture_on_commit_callbacks
):
    # audits.moderation emails the moderator itself; nobody can sign the audit off before that.
    fake_moderation(monkeypatch, reason="sample", moderator=personas.quinn)
    put_in(audit, S.CONVERSATION)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        audit_move(audit=audit, to_status=S.SUBMITTED, acting_user=personas.bob)
    assert mail.outbox == []
