"""Who sees and does what with audits (``accounts.access``, audit section, and
``Audit.objects.for_user``): a practitioner sees only the audits of their own cases (and the ones
they audit), a team manager their team's, QA leads and leaders their authority's; charlie,
quentin, the analyst and the platform admin see none of authority A's."""

import pytest
from django.utils import timezone

from accounts import access
from accounts.models import Role
from audits.auditing import audit_create
from audits.models import Audit, AuditStatus, Moderation, SafetyEscalation
from tests.audits.test_workflow import make_audit, put_in
from tests.factories import ChildFactory, MembershipFactory, UserFactory

S = AuditStatus


@pytest.fixture
def world(personas):
    """Three audits in A and one in B:

    - ``mine``: alice's case, bob audits (team "Child Protection North");
    - ``peer``: priya's case (the Front Door team), alice audits it as a peer;
    - ``other``: priya's case, quinn audits;
    - ``b``: charlie's case in B, quentin audits.
    """
    priya = UserFactory(username="priya")
    MembershipFactory(
        user=priya, authority=personas.authority_a, role=Role.PRACTITIONER, team=personas.team_a2
    )
    fran = UserFactory(username="fran")  # manager of the Front Door team
    MembershipFactory(
        user=fran, authority=personas.authority_a, role=Role.TEAM_MANAGER, team=personas.team_a2
    )
    child_b = ChildFactory(authority=personas.authority_b, team=personas.team_b)
    return {
        "priya": priya,
        "fran": fran,
        "mine": make_audit(personas),
        "peer": make_audit(personas, practitioner=priya, auditor=personas.alice, team=personas.team_a2),
        "other": make_audit(personas, practitioner=priya, auditor=personas.quinn, team=personas.team_a2),
        "b": audit_create(
            child=child_b,
            practitioner=personas.charlie,
            auditor=personas.quentin,
            acting_user=personas.quentin,
        ),
    }


def _visible(user) -> set[int]:
    return set(Audit.objects.for_user(user).values_list("pk", flat=True))


def test_who_sees_which_audits(personas, world):
    names = {audit.pk: name for name, audit in world.items() if isinstance(audit, Audit)}

    def sees(user) -> set[str]:
        return {names[pk] for pk in _visible(user)}

    assert sees(personas.alice) == {"mine", "peer"}  # her own case and the one she audits
    assert sees(world["priya"]) == {"peer", "other"}
    assert sees(personas.bob) == {"mine"}  # his team's
    assert sees(world["fran"]) == {"peer", "other"}  # her team's
    assert sees(personas.quinn) == {"mine", "peer", "other"}
    assert sees(personas.leah) == {"mine", "peer", "other"}
    assert sees(personas.max) == {"mine", "peer", "other"}  # leader in A; practitioner in B with no audit
    assert sees(personas.charlie) == {"b"}
    assert sees(personas.quentin) == {"b"}
    assert sees(personas.ana) == set()
    assert sees(personas.pat) == set()


def test_charlie_sees_none_of_authority_as_audits(personas, world):
    a_audits = Audit.objects.filter(authority=personas.authority_a)
    assert a_audits.count() == 3
    for outsider in (personas.charlie, personas.quentin):
        assert not Audit.objects.for_user(outsider).filter(authority=personas.authority_a).exists()
        for audit in a_audits:
            assert not access.may_view_audit(outsider, audit)
            assert not access.may_record_consent(outsider, audit)
            assert not access.may_moderate(outsider, audit)
            assert not access.may_raise_escalation(outsider, audit)
            for field in ("self_level", "auditor_level", "agreed_level", "value"):
                assert not access.may_write_answer_field(outsider, put_in(audit, S.CONVERSATION), field)
            for status in S.values:
                assert not access.may_move_audit(outsider, audit, status)


def test_may_view_audit_agrees_with_for_user(personas, world):
    users = [
        getattr(personas, name)
        for name in ("alice", "bob", "quinn", "leah", "charlie", "quentin", "ana", "pat", "max")
    ]
    users += [world["priya"], world["fran"]]
    for user in users:
        visible = _visible(user)
        for audit in Audit.objects.all():
            assert access.may_view_audit(user, audit) == (audit.pk in visible), (user.username, audit.pk)


def test_who_creates_audits_and_manages_sampling(personas):
    a = personas.authority_a
    assert access.may_create_audit(personas.quinn, a)
    assert access.may_create_audit(personas.bob, a)
    for user in (
        personas.alice,
        personas.leah,
        personas.charlie,
        personas.quentin,
        personas.ana,
        personas.pat,
    ):
        assert not access.may_create_audit(user, a)
    assert access.may_manage_sampling(personas.quinn, a)
    assert access.may_manage_sampling(personas.quentin, personas.authority_b)
    for user in (personas.alice, personas.bob, personas.leah, personas.quentin, personas.pat):
        assert not access.may_manage_sampling(user, a)


def test_who_writes_which_field(personas, world):
    audit = put_in(world["mine"], S.SELF_ASSESSMENT)
    assert access.may_write_answer_field(personas.alice, audit, "self_level")
    assert access.may_write_answer_field(personas.alice, audit, "value")
    assert not access.may_write_answer_field(personas.alice, audit, "agreed_level")
    for field in ("auditor_level", "agreed_level", "disagreement", "evidence", "value"):
        assert access.may_write_answer_field(personas.bob, audit, field)
    assert not access.may_write_answer_field(personas.bob, audit, "self_level")
    audit = put_in(audit, S.CONVERSATION)
    assert access.may_write_answer_field(personas.alice, audit, "self_level")
    assert not access.may_write_answer_field(personas.alice, audit, "value")
    for status in (S.PLANNED, S.SUBMITTED, S.MODERATION, S.SIGNED_OFF):
        audit = put_in(audit, status)
        for user in (personas.alice, personas.bob, personas.quinn, personas.pat):
            for field in ("self_level", "auditor_level", "agreed_level", "value", "evidence"):
                assert not access.may_write_answer_field(user, audit, field)


def test_who_moves_which_step(personas, world):
    audit = world["mine"]
    expected = {
        (S.PLANNED, S.SELF_ASSESSMENT): {"alice", "bob", "quinn"},
        (S.SELF_ASSESSMENT, S.CONVERSATION): {"alice", "bob"},
        (S.CONVERSATION, S.SELF_ASSESSMENT): {"bob"},
        (S.CONVERSATION, S.SUBMITTED): {"bob"},
        (S.SUBMITTED, S.SIGNED_OFF): {"bob", "quinn"},  # bob manages the audit's team
        (S.SUBMITTED, S.CONVERSATION): {"bob", "quinn"},
        (S.SUBMITTED, S.MODERATION): {"bob", "quinn"},
        (S.MODERATION, S.SIGNED_OFF): {"quinn", "fran"},  # fran moderates it
        (S.MODERATION, S.CONVERSATION): {"quinn", "fran"},
    }
    Moderation.objects.create(audit=audit, moderator=world["fran"], reason_selected="sample")
    people = {
        name: getattr(personas, name) for name in ("alice", "bob", "quinn", "leah", "charlie", "pat", "ana")
    }
    people["fran"] = world["fran"]
    people["priya"] = world["priya"]
    for from_status in S.values:
        put_in(audit, from_status)
        for to_status in S.values:
            allowed = {name for name, user in people.items() if access.may_move_audit(user, audit, to_status)}
            assert allowed == expected.get((from_status, to_status), set()), (from_status, to_status)


def test_a_moderator_may_start_or_send_back_a_sampled_audit(personas, world):
    audit = world["mine"]
    Moderation.objects.create(audit=audit, moderator=world["fran"], reason_selected="sample")
    put_in(audit, S.SUBMITTED, for_moderation=True)
    assert access.may_move_audit(world["fran"], audit, S.MODERATION)
    assert access.may_move_audit(world["fran"], audit, S.CONVERSATION)
    assert not access.may_move_audit(world["fran"], audit, S.SIGNED_OFF)


def test_who_moderates(personas, world):
    mine, peer = world["mine"], world["peer"]
    assert access.may_moderate(personas.quinn, mine)
    assert access.may_moderate(world["fran"], mine)  # manager of another team
    assert not access.may_moderate(personas.bob, mine)  # its auditor (and its team's manager)
    assert not access.may_moderate(personas.alice, mine)  # its practitioner
    assert not access.may_moderate(personas.leah, mine)
    assert not access.may_moderate(personas.pat, mine)
    assert not access.may_moderate(world["fran"], peer)  # her own team's audit
    assert access.may_moderate(personas.bob, peer)  # another team's audit
    # The QA lead never moderates an audit they held themselves.
    assert not access.may_moderate(personas.quinn, world["other"])


def test_who_raises_and_answers_safety_escalations(personas, world):
    mine = world["mine"]
    assert access.may_raise_escalation(personas.bob, mine)  # the auditor
    assert access.may_raise_escalation(personas.quinn, mine)
    for user in (personas.alice, personas.leah, personas.charlie, personas.quentin, personas.pat):
        assert not access.may_raise_escalation(user, mine)
    put_in(mine, S.SIGNED_OFF)
    assert access.may_raise_escalation(personas.bob, mine)  # a worry is never too late
    escalation = SafetyEscalation.objects.create(
        audit=mine,
        raised_by=personas.quinn,
        concern="Bruising seen on the visit.",
        manager=personas.bob,
        respond_by=timezone.now(),
    )
    assert access.may_respond_escalation(personas.bob, escalation)
    assert access.may_respond_escalation(personas.quinn, escalation)
    for user in (
        personas.alice,
        personas.leah,
        world["fran"],
        personas.charlie,
        personas.quentin,
        personas.pat,
    ):
        assert not access.may_respond_escalation(user, escalation)


def test_consent_is_recorded_by_the_parties_until_sign_off(personas, world):
    audit = put_in(world["mine"], S.SELF_ASSESSMENT)
    assert access.may_record_consent(personas.alice, audit)
    assert access.may_record_consent(personas.bob, audit)
    assert not access.may_record_consent(personas.quinn, audit)
    put_in(audit, S.SIGNED_OFF)
    assert not access.may_record_consent(personas.alice, audit)
    assert not access.may_record_consent(personas.bob, audit)
