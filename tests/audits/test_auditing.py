"""Audit services: creation against the tool in use, answers (who writes what, levels checked
against the resolved tool, optimistic concurrency with nothing lost), the overall grade, the
family's consent, and ``audits.notifications.send``."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from audits import auditing
from audits.auditing import StaleEdit, answer_save, audit_create, audit_move, consent_record
from audits.models import Adoption, AuditAnswer, AuditMove, AuditStatus, Tool
from audits.notifications import send
from audits.resolution import ResolvedItem, ResolvedSection, ResolvedTool
from audits.selectors import resolved_tool
from tests.audits.test_workflow import fake_moderation, make_audit, put_in
from tests.factories import ChildFactory, UserFactory

S = AuditStatus
RUBRIC_KEYS = [f"p{n}" for n in range(1, 15)]


@pytest.fixture
def audit(personas):
    return make_audit(personas)


@pytest.fixture
def in_conversation(audit):
    return put_in(audit, S.CONVERSATION)


@pytest.fixture
def in_self_assessment(audit):
    return put_in(audit, S.SELF_ASSESSMENT)


# --- creation -------------------------------------------------------------------------------------


def test_an_audit_uses_the_standard_case_audit_and_adopts_it(personas):
    assert not Adoption.objects.filter(authority=personas.authority_a).exists()
    audit = make_audit(personas)
    tool = Tool.objects.get(key="case-audit", authority__isnull=True)
    assert audit.tool_version.tool == tool
    assert audit.tool_version.number == 1
    assert audit.adaptation is None
    assert Adoption.objects.get(authority=personas.authority_a, tool=tool).mode == "adopt"
    assert audit.team == personas.team_a
    assert audit.authority == personas.authority_a
    assert (audit.status, audit.source, audit.revision) == (S.PLANNED, "manual", 0)
    assert audit.history.get().history_user == personas.quinn
    move = AuditMove.objects.get(audit=audit)
    assert (move.from_status, move.to_status, move.moved_by) == ("", S.PLANNED, personas.quinn)


def test_an_adapted_tool_is_used_as_published(personas):
    from audits.services import adaptation_publish, item_change_set, tool_adapt

    tool = Tool.objects.get(key="case-audit", authority__isnull=True)
    adaptation = tool_adapt(authority=personas.authority_a, tool=tool, acting_user=personas.quinn)
    item_change_set(
        adaptation=adaptation,
        item_key="proudest",
        kind="guidance",
        acting_user=personas.quinn,
        guidance="Ask it first, before the rubric.",
    )
    adaptation_publish(adaptation=adaptation, acting_user=personas.quinn)
    audit = make_audit(personas)
    assert audit.adaptation == adaptation
    assert audit.tool_version == adaptation.base_version


def test_the_sampling_job_creates_audits_without_an_acting_user(personas):
    child = ChildFactory(authority=personas.authority_a, team=personas.team_a)
    audit = audit_create(
        child=child, practitioner=personas.alice, auditor=personas.bob, acting_user=None, source="random"
    )
    assert audit.source == "random"
    assert not audit.moves.exists()  # a move needs a person; the draw records the job


@pytest.mark.parametrize("creator", ["alice", "leah", "charlie", "quentin", "ana", "pat"])
def test_only_qa_leads_and_team_managers_create_audits(personas, creator):
    child = ChildFactory(authority=personas.authority_a, team=personas.team_a)
    with pytest.raises(PermissionDenied):
        audit_create(
            child=child,
            practitioner=personas.alice,
            auditor=personas.bob,
            acting_user=getattr(personas, creator),
        )


def test_the_practitioner_and_auditor_work_with_the_authority_and_differ(personas):
    child = ChildFactory(authority=personas.authority_a, team=personas.team_a)
    with pytest.raises(ValidationError) as refused:
        audit_create(
            child=child, practitioner=personas.charlie, auditor=personas.alice, acting_user=personas.quinn
        )
    assert "practitioner" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        audit_create(
            child=child, practitioner=personas.alice, auditor=personas.alice, acting_user=personas.quinn
        )
    assert "auditor" in refused.value.message_dict
    assert not child.audits.exists()


# --- who writes what ---------------------------------------------------------------------------


def test_the_practitioner_self_rates_and_the_auditor_rates_and_agrees(personas, in_conversation):
    audit = in_conversation
    answer = answer_save(
        audit=audit, item_key="p1", acting_user=personas.alice, expected_revision=0, self_level=2
    )
    answer = answer_save(
        audit=audit,
        item_key="p1",
        acting_user=personas.bob,
        expected_revision=answer.revision,
        auditor_level=3,
        agreed_level=3,
        disagreement="Alice sees the gaps; I see the plan working.",
        evidence="Map of 3 May.",
    )
    stored = AuditAnswer.objects.get(audit=audit, item_key="p1")
    assert (stored.self_level, stored.auditor_level, stored.agreed_level, stored.revision) == (2, 3, 3, 2)
    assert stored.updated_by == personas.bob
    assert answer.revision == 2


@pytest.mark.parametrize(
    ("who", "field", "value"),
    [
        ("alice", "auditor_level", 3),
        ("alice", "agreed_level", 3),
        ("alice", "disagreement", "x"),
        ("alice", "evidence", "x"),
        ("alice", "value", "x"),  # only during the self-assessment
        ("bob", "self_level", 3),
        ("quinn", "agreed_level", 3),
        ("leah", "evidence", "x"),
        ("charlie", "self_level", 3),
        ("pat", "agreed_level", 3),
    ],
)
def test_each_field_is_written_by_its_owner_only(personas, in_conversation, who, field, value):
    key = "proudest" if field == "value" else "p1"
    with pytest.raises(PermissionDenied):
        answer_save(
            audit=in_conversation,
            item_key=key,
            acting_user=getattr(personas, who),
            expected_revision=0,
            **{field: value},
        )
    assert not AuditAnswer.objects.exists()


def test_the_practitioner_answers_the_appreciative_question_in_the_self_assessment(
    personas, in_self_assessment
):
    answer = answer_save(
        audit=in_self_assessment,
        item_key="proudest",
        acting_user=personas.alice,
        expected_revision=0,
        value="Getting the grandparents into the safety network.",
    )
    assert answer.value == "Getting the grandparents into the safety network."


@pytest.mark.parametrize("status", [S.PLANNED, S.SUBMITTED, S.MODERATION])
def test_answers_are_written_only_during_the_self_assessment_and_the_conversation(personas, audit, status):
    put_in(audit, status)
    with pytest.raises(PermissionDenied):
        answer_save(audit=audit, item_key="p1", acting_user=personas.bob, expected_revision=0, agreed_level=3)


# --- levels and values checked against the resolved tool ----------------------------------------


def test_a_level_the_rubric_does_not_have_is_refused(personas, in_conversation):
    levels = [
        level
        for level, _l, _d in next(
            i for i in resolved_tool(version=in_conversation.tool_version).items() if i.key == "p1"
        ).levels
    ]
    assert levels == [1, 2, 3, 4]
    for bad in (0, 5, 7, "high", 2.5, True):
        with pytest.raises(ValidationError, match="not one of its levels") as refused:
            answer_save(
                audit=in_conversation,
                item_key="p1",
                acting_user=personas.bob,
                expected_revision=0,
                agreed_level=bad,
            )
        assert "1, 2, 3, 4" in refused.value.messages[0]
    answer = answer_save(
        audit=in_conversation, item_key="p1", acting_user=personas.bob, expected_revision=0, agreed_level="4"
    )
    assert answer.agreed_level == 4


def test_an_unknown_item_is_refused_with_a_clear_message(personas, in_conversation):
    with pytest.raises(ValidationError, match='has no item "p99"'):
        answer_save(
            audit=in_conversation,
            item_key="p99",
            acting_user=personas.bob,
            expected_revision=0,
            agreed_level=3,
        )
    assert not AuditAnswer.objects.exists()


def test_values_fit_the_item_type(personas, in_conversation):
    bob = personas.bob
    with pytest.raises(ValidationError, match="rate it with a level"):
        answer_save(audit=in_conversation, item_key="p1", acting_user=bob, expected_revision=0, value="good")
    with pytest.raises(ValidationError, match="not a rubric item"):
        answer_save(
            audit=in_conversation, item_key="proudest", acting_user=bob, expected_revision=0, agreed_level=3
        )
    with pytest.raises(ValidationError, match="from 0 to 10"):
        answer_save(
            audit=in_conversation,
            item_key="overall-safety-scale",
            acting_user=bob,
            expected_revision=0,
            value=11,
        )
    with pytest.raises(ValidationError, match="An audit answer has no field"):
        answer_save(audit=in_conversation, item_key="p1", acting_user=bob, expected_revision=0, score=3)
    answer = answer_save(
        audit=in_conversation,
        item_key="overall-safety-scale",
        acting_user=bob,
        expected_revision=0,
        value="7",
    )
    assert answer.value == 7


def test_clearing_a_level(personas, in_conversation):
    answer = answer_save(
        audit=in_conversation, item_key="p2", acting_user=personas.bob, expected_revision=0, agreed_level=2
    )
    answer = answer_save(
        audit=in_conversation, item_key="p2", acting_user=personas.bob, expected_revision=1, agreed_level=""
    )
    assert answer.agreed_level is None
    assert answer.revision == 2


# --- concurrent edits -----------------------------------------------------------------------------


def test_the_second_stale_save_is_refused_and_nothing_is_lost(personas, in_self_assessment):
    audit = in_self_assessment
    # alice and bob both open the page before either has saved (revision 0).
    alices = "The family now ring me when they are worried."
    bobs = "Grandmother is in the network and visits daily."
    saved = answer_save(
        audit=audit,
        item_key="what-working-well",
        acting_user=personas.alice,
        expected_revision=0,
        value=alices,
    )
    assert saved.revision == 1

    with pytest.raises(StaleEdit) as refused:
        answer_save(
            audit=audit,
            item_key="what-working-well",
            acting_user=personas.bob,
            expected_revision=0,
            value=bobs,
        )

    stale = refused.value
    # The stored answer is alice's, untouched ...
    stored = AuditAnswer.objects.get(audit=audit, item_key="what-working-well")
    assert (stored.value, stored.revision, stored.updated_by) == (alices, 1, personas.alice)
    # ... and bob's text travels back with the refusal, so the page can keep it.
    assert stale.refused == {"value": bobs}
    assert stale.current.value == alices
    assert stale.saved_by == personas.alice
    assert stale.item_key == "what-working-well"
    assert isinstance(stale, ValidationError)
    message = stale.messages[0]
    assert "Alice saved what-working-well at" in message
    assert "nothing is lost" in message

    # bob, now at revision 1, saves his text on top: both texts are in the history.
    merged = answer_save(
        audit=audit,
        item_key="what-working-well",
        acting_user=personas.bob,
        expected_revision=1,
        value=f"{alices}\n{bobs}",
    )
    assert merged.revision == 2
    history = list(
        stored.history.order_by("history_date", "history_id").values_list("value", "history_user__username")
    )
    assert history[0] == (alices, "alice")
    assert history[-1] == (f"{alices}\n{bobs}", "bob")


def test_two_saves_from_the_same_revision_one_wins(personas, in_conversation):
    audit = in_conversation
    first = answer_save(
        audit=audit, item_key="p3", acting_user=personas.bob, expected_revision=0, agreed_level=2
    )
    answer_save(
        audit=audit, item_key="p3", acting_user=personas.bob, expected_revision=first.revision, agreed_level=3
    )
    with pytest.raises(StaleEdit) as refused:
        # The second tab still shows revision 1.
        answer_save(
            audit=audit,
            item_key="p3",
            acting_user=personas.bob,
            expected_revision=first.revision,
            agreed_level=4,
            evidence="Plan reviewed.",
        )
    assert refused.value.refused == {"agreed_level": 4, "evidence": "Plan reviewed."}
    stored = AuditAnswer.objects.get(audit=audit, item_key="p3")
    assert (stored.agreed_level, stored.evidence, stored.revision) == (3, "", 2)


def test_a_revision_from_nowhere_is_refused(personas, in_conversation):
    with pytest.raises(StaleEdit, match="out of date") as refused:
        answer_save(
            audit=in_conversation,
            item_key="p4",
            acting_user=personas.bob,
            expected_revision=5,
            agreed_level=2,
        )
    assert refused.value.current is None
    assert refused.value.refused == {"agreed_level": 2}
    assert not AuditAnswer.objects.exists()


def test_every_save_is_in_the_history_with_its_author(personas, in_conversation):
    audit = in_conversation
    answer_save(audit=audit, item_key="p5", acting_user=personas.alice, expected_revision=0, self_level=1)
    answer_save(audit=audit, item_key="p5", acting_user=personas.bob, expected_revision=1, auditor_level=2)
    answer_save(audit=audit, item_key="p5", acting_user=personas.bob, expected_revision=2, agreed_level=2)
    stored = AuditAnswer.objects.get(audit=audit, item_key="p5")
    rows = list(
        stored.history.order_by("history_date", "history_id").values_list(
            "revision", "self_level", "auditor_level", "agreed_level", "history_user__username"
        )
    )
    assert rows == [(1, 1, None, None, "alice"), (2, 1, 2, None, "bob"), (3, 1, 2, 2, "bob")]


# --- the overall grade on submit ---------------------------------------------------------------------


def _tool(*levels_and_core) -> ResolvedTool:
    items = tuple(
        ResolvedItem(
            key=f"r{n}",
            section_key="s",
            order=n,
            type="rubric",
            text="",
            is_core=core,
            levels=((1, "", ""), (2, "", ""), (3, "", ""), (4, "", "")),
        )
        for n, core in enumerate(levels_and_core, start=1)
    ) + (ResolvedItem(key="t", section_key="s", order=99, type="text", text=""),)
    return ResolvedTool(
        tool_key="t",
        tool_name="T",
        kind="case_audit",
        version_id=1,
        version_number=1,
        sections=(ResolvedSection(key="s", title="S", items=items),),
    )


def test_overall_level_is_the_mean_of_agreed_core_levels_rounded_half_up():
    tool = _tool(True, True, True, False)
    assert auditing.overall_level(tool=tool, agreed={"r1": 2, "r2": 3}) == 3  # 2.5 → 3
    assert auditing.overall_level(tool=tool, agreed={"r1": 2, "r2": 2, "r3": 3}) == 2  # 2.33 → 2
    assert auditing.overall_level(tool=tool, agreed={"r1": 1, "r2": 2, "r3": 2, "r4": 4}) == 2  # r4 not core
    assert auditing.overall_level(tool=tool, agreed={"r1": 3, "r2": 4, "r3": 4}) == 4  # 3.67 → 4
    assert auditing.overall_level(tool=tool, agreed={"r4": 4, "t": "x"}) is None  # no core level
    assert auditing.overall_level(tool=tool, agreed={}) is None
    # A tool without core items grades on all its rubric items.
    assert auditing.overall_level(tool=_tool(False, False), agreed={"r1": 1, "r2": 2}) == 2


def test_submit_sets_the_overall_grade(personas, in_conversation, monkeypatch):
    fake_moderation(monkeypatch, reason=None)
    audit = in_conversation
    for key, level in zip(RUBRIC_KEYS, [2] * 7 + [3] * 7, strict=True):
        answer_save(
            audit=audit, item_key=key, acting_user=personas.bob, expected_revision=0, agreed_level=level
        )
    audit_move(audit=audit, to_status=S.SUBMITTED, acting_user=personas.bob)
    assert audit.overall_level == 3  # 2.5 rounded half up
    assert audit.history.order_by("-history_date", "-history_id").first().overall_level == 3


def test_submit_refuses_a_disagreement_without_its_reason(personas, in_conversation, monkeypatch):
    fake_moderation(monkeypatch, reason=None)
    audit = in_conversation
    answer_save(audit=audit, item_key="p7", acting_user=personas.alice, expected_revision=0, self_level=2)
    answer_save(
        audit=audit,
        item_key="p7",
        acting_user=personas.bob,
        expected_revision=1,
        auditor_level=4,
        agreed_level=3,
    )
    with pytest.raises(ValidationError, match="Keep both views.*p7"):
        audit_move(audit=audit, to_status=S.SUBMITTED, acting_user=personas.bob)
    assert audit.status == S.CONVERSATION
    answer_save(
        audit=audit,
        item_key="p7",
        acting_user=personas.bob,
        expected_revision=2,
        disagreement="Alice: the child was seen once; Bob: the words-and-pictures work counts.",
    )
    audit_move(audit=audit, to_status=S.SUBMITTED, acting_user=personas.bob)
    stored = AuditAnswer.objects.get(audit=audit, item_key="p7")
    assert (stored.self_level, stored.auditor_level, stored.agreed_level) == (2, 4, 3)  # both views kept


# --- consent ---------------------------------------------------------------------------------------


def test_consent_is_recorded_with_who(personas, in_self_assessment):
    audit = consent_record(
        audit=in_self_assessment, consent="given", note="Mum on the phone.", acting_user=personas.alice
    )
    assert (audit.family_consent, audit.family_consent_note) == ("given", "Mum on the phone.")
    assert in_self_assessment.family_consent == "given"
    assert audit.history.order_by("-history_date", "-history_id").first().history_user == personas.alice


def test_not_asking_needs_a_reason(personas, in_self_assessment):
    with pytest.raises(ValidationError) as refused:
        consent_record(audit=in_self_assessment, consent="not_asked", note=" ", acting_user=personas.bob)
    assert "family_consent_note" in refused.value.message_dict
    with pytest.raises(ValidationError):
        consent_record(audit=in_self_assessment, consent="maybe", note="", acting_user=personas.bob)
    consent_record(
        audit=in_self_assessment, consent="not_asked", note="Proceedings under way.", acting_user=personas.bob
    )


@pytest.mark.parametrize("who", ["quinn", "leah", "charlie", "pat"])
def test_only_the_parties_record_consent(personas, in_self_assessment, who):
    with pytest.raises(PermissionDenied):
        consent_record(audit=in_self_assessment, consent="given", note="", acting_user=getattr(personas, who))


# --- notifications.send --------------------------------------------------------------------------


def test_send_skips_users_without_email_inactive_users_and_repeats(personas):
    no_email = UserFactory(username="noemail", email="")
    gone = UserFactory(username="gone", is_active=False)
    mail.outbox.clear()
    sent = send(
        to=[personas.alice, no_email, gone, None, personas.alice, personas.bob],
        subject="A notice\nwith a line break",
        template="notice",
        context={"lines": ["First paragraph.", "Second paragraph."], "link": "/audits/1/"},
    )
    assert sent == 2
    assert [message.to for message in mail.outbox] == [["alice@example.org"], ["bob@example.org"]]
    assert mail.outbox[0].subject == "A notice with a line break"
    assert "Hello Alice," in mail.outbox[0].body
    assert "Second paragraph." in mail.outbox[0].body
    assert "/audits/1/" in mail.outbox[0].body
    assert send(to=[no_email], subject="x", template="emails/notice.txt", context={"lines": []}) == 0


def test_emails_are_plain_text_and_not_html_escaped(personas):
    mail.outbox.clear()
    send(to=[personas.alice], subject="x", template="notice", context={"lines": ["Mum & Dad's <plan>"]})
    assert "Mum & Dad's <plan>" in mail.outbox[0].body


@pytest.mark.django_db
def test_sign_off_marks_the_authoritys_measures_stale_from_its_date(
    personas, django_capture_on_commit_callbacks
):
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from outcomes.models import JobRun, PendingRecompute

    audit = put_in(make_audit(personas), AuditStatus.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        audit_move(audit=audit, to_status=AuditStatus.SIGNED_OFF, acting_user=personas.quinn)
    audit.refresh_from_db()
    mark = PendingRecompute.objects.get()
    assert mark.authority_id == personas.authority_a.pk
    assert mark.since == timezone.localtime(audit.signed_off_at, ZoneInfo("Europe/London")).date()
    # Once committed, the incremental recompute counts it (at once when tasks run in-process).
    for callback in callbacks:
        callback()
    run = JobRun.objects.get()
    assert (run.kind, run.status, run.authority_id) == ("incremental", "succeeded", personas.authority_a.pk)
    assert not PendingRecompute.objects.exists()
