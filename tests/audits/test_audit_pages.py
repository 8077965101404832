"""The audit pages: the audits home, starting an audit, the audit page rendered from the resolved
tool, its autosaving answers (with the stale-save refusal), the move buttons, the family's consent,
and the case page's audit history.

alice is the practitioner of the audited case and bob (A's team manager) the auditor; quinn is A's
QA lead; charlie works in authority B and never sees any of it.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from audits import selectors
from audits.auditing import answer_save, audit_create, audit_move
from audits.models import Audit, AuditAnswer, AuditMove, AuditStatus
from tests.factories import ChildFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

S = AuditStatus
RUBRIC_KEYS = [f"p{n}" for n in range(1, 15)]
NARRATIVE = ["what-working-well", "what-worried-about", "what-needs-to-happen"]


def make_audit(personas, *, practitioner=None, auditor=None, child=None) -> Audit:
    """A planned audit of a new child of A's "Child Protection North": alice's case, bob audits."""
    return audit_create(
        child=child or ChildFactory(authority=personas.authority_a, team=personas.team_a),
        practitioner=practitioner or personas.alice,
        auditor=auditor or personas.bob,
        acting_user=personas.quinn,
        due_on=timezone.localdate() + timedelta(days=28),
    )


def put_in(audit: Audit, status: str) -> Audit:
    """Set the status directly: the page tests start from any state."""
    Audit.objects.filter(pk=audit.pk).update(status=status)
    audit.refresh_from_db()
    return audit


def page(audit: Audit) -> str:
    return reverse("audits:detail", kwargs={"pk": audit.pk})


def save_url(audit: Audit, key: str) -> str:
    return reverse("audits:answer", kwargs={"pk": audit.pk, "item_key": key})


def autosave(client, audit: Audit, key: str, field: str, value, revision: int):
    return client.post(save_url(audit, key), {"field": field, field: value, "revision": revision})


# --- the audit page ------------------------------------------------------------------------------


def test_page_shows_each_level_descriptor_as_a_choice(personas, login):
    audit = put_in(make_audit(personas), S.SELF_ASSESSMENT)
    tool = selectors.resolved_tool(version=audit.tool_version, adaptation=audit.adaptation)
    p1 = next(item for item in tool.items() if item.key == "p1")

    response = login(personas.alice).get(page(audit))

    assert response.status_code == 200
    html = response.content.decode()
    assert escape(p1.text) in html
    assert escape(p1.guidance) in html
    for value, _label, descriptor in p1.levels:
        assert escape(descriptor) in html
        assert f'id="p1-self_level-{value}"' in html
    # alice rates herself on every rubric item (14 items × 4 levels); the auditor's rows are read-only.
    assert html.count('name="self_level"') == 14 * 4
    assert html.count('hx-vals=\'{"field": "self_level"}\'') == 14 * 4
    assert 'hx-vals=\'{"field": "auditor_level"}\'' not in html
    assert html.count('data-testid="descriptor"') == 14 * 4


def test_page_lays_out_the_three_columns_and_the_appreciative_question(personas, login):
    audit = put_in(make_audit(personas), S.SELF_ASSESSMENT)

    response = login(personas.alice).get(page(audit))

    sections = response.context["sections"]
    conversation = next(block for block in sections if block.section.key == "conversation")
    assert [entry.key for entry in conversation.narrative] == NARRATIVE
    assert [entry.key for entry in conversation.others] == ["proudest", "overall-safety-scale"]
    html = response.content.decode()
    assert 'data-testid="narrative"' in html
    assert "is-appreciative" in html
    # The 0–10 scale shows its anchors and eleven points.
    assert "The child is so unsafe" in html
    assert html.count('name="value" id="overall-safety-scale-value-') == 11


def test_disagreement_box_appears_when_self_and_auditor_differ(personas, login):
    audit = put_in(make_audit(personas), S.CONVERSATION)
    first = answer_save(
        audit=audit, item_key="p2", acting_user=personas.alice, expected_revision=0, self_level=2
    )
    answer_save(
        audit=audit,
        item_key="p2",
        acting_user=personas.bob,
        expected_revision=first.revision,
        auditor_level=3,
    )
    answer_save(audit=audit, item_key="p3", acting_user=personas.alice, expected_revision=0, self_level=3)

    response = login(personas.bob).get(page(audit))

    entries = {entry.key: entry for block in response.context["sections"] for entry in block.items}
    assert entries["p2"].differs and entries["p2"].show_disagreement
    assert not entries["p3"].show_disagreement
    assert response.context["disagreements"] == 1
    html = response.content.decode()
    assert html.count('class="differs-box mt-3"') == 1  # shown for p2 only; hidden ("d-none") elsewhere
    assert "Both views and why" in html


def test_status_bar_shows_state_holder_and_the_moves_of_this_person(personas, login):
    audit = put_in(make_audit(personas), S.CONVERSATION)

    bob_page = login(personas.bob).get(page(audit))
    alice_page = login(personas.alice).get(page(audit))

    assert bob_page.context["holder"] == str(personas.bob)
    assert [move["label"] for move in bob_page.context["moves"]] == [
        "Submit the audit",
        "Send back to the practitioner",
    ]
    assert [move["send_back"] for move in bob_page.context["moves"]] == [False, True]
    assert alice_page.context["moves"] == []
    assert b"Audit conversation" in alice_page.content


def test_signed_off_audit_is_read_only(personas, login):
    audit = put_in(make_audit(personas), S.SIGNED_OFF)

    for person in (personas.alice, personas.bob, personas.quinn):
        response = login(person).get(page(audit))
        assert response.status_code == 200
        html = response.content.decode()
        assert "hx-post" not in html
        assert 'data-testid="locked"' in html
        assert response.context["moves"] == []
        assert not response.context["may_record_consent"]


def test_page_query_count_does_not_grow_with_the_answers(personas, login):
    audit = put_in(make_audit(personas), S.CONVERSATION)
    client = login(personas.bob)
    client.get(page(audit))  # warm the session and caches

    with CaptureQueriesContext(connection) as few:
        assert client.get(page(audit)).status_code == 200
    for key in RUBRIC_KEYS:
        answer = answer_save(
            audit=audit, item_key=key, acting_user=personas.alice, expected_revision=0, self_level=2
        )
        answer_save(
            audit=audit,
            item_key=key,
            acting_user=personas.bob,
            expected_revision=answer.revision,
            auditor_level=3,
            agreed_level=3,
            disagreement="Both views kept.",
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(page(audit)).status_code == 200

    assert AuditAnswer.objects.filter(audit=audit).count() == 14
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]


# --- autosave ------------------------------------------------------------------------------------


def test_autosave_stores_the_field_and_bumps_the_revision(personas, login):
    audit = put_in(make_audit(personas), S.SELF_ASSESSMENT)
    client = login(personas.alice)

    first = autosave(client, audit, "p1", "self_level", "3", 0)
    second = autosave(client, audit, "p1", "self_level", "4", 1)

    assert first.status_code == 200 and second.status_code == 200
    answer = AuditAnswer.objects.get(audit=audit, item_key="p1")
    assert (answer.self_level, answer.revision, answer.updated_by) == (4, 2, personas.alice)
    # The response swaps in the new revision (out of band) and the saved state.
    assert b'id="rev-p1" value="1" hx-swap-oob="true"' in first.content
    assert b'id="rev-p1" value="2" hx-swap-oob="true"' in second.content
    assert b'data-testid="saved"' in second.content


def test_autosave_of_text_and_choices(personas, login):
    audit = put_in(make_audit(personas), S.SELF_ASSESSMENT)
    client = login(personas.alice)

    text = autosave(client, audit, "proudest", "value", "Grandma now walks them to school.", 0)
    scale = autosave(client, audit, "overall-safety-scale", "value", "7", 0)
    cleared = autosave(client, audit, "overall-safety-scale", "value", "", 1)
    wrong = autosave(client, audit, "p1", "self_level", "9", 0)

    assert (text.status_code, scale.status_code, cleared.status_code) == (200, 200, 200)
    values = dict(AuditAnswer.objects.filter(audit=audit).values_list("item_key", "value"))
    assert values == {"proudest": "Grandma now walks them to school.", "overall-safety-scale": None}
    assert wrong.status_code == 400
    assert b'data-testid="refused"' in wrong.content
    assert not AuditAnswer.objects.filter(audit=audit, item_key="p1").exists()


def test_stale_autosave_is_refused_with_the_persons_text_kept(personas, login):
    audit = put_in(make_audit(personas), S.SELF_ASSESSMENT)
    # alice and bob both opened the page at revision 0; alice saved first, then bob from revision 1.
    answer_save(
        audit=audit,
        item_key="what-working-well",
        acting_user=personas.alice,
        expected_revision=0,
        value="Gran helps.",
    )
    answer_save(
        audit=audit,
        item_key="what-working-well",
        acting_user=personas.bob,
        expected_revision=1,
        value="Bob's view.",
    )
    saved = AuditAnswer.objects.get(audit=audit, item_key="what-working-well")

    response = autosave(
        login(personas.alice), audit, "what-working-well", "value", "Gran helps every day.", 1
    )

    assert response.status_code == 409
    html = response.content.decode()
    at = timezone.localtime(saved.updated_at).strftime("%H:%M")
    assert f"Bob saved this item at {at} while you were editing" in html
    assert "Both versions are shown: keep yours" in html
    assert "Gran helps every day." in html
    assert 'data-testid="conflict"' in html
    # Nothing is overwritten, and the page keeps its stale revision until the person reloads.
    saved.refresh_from_db()
    assert (saved.value, saved.revision) == ("Bob's view.", 2)
    assert 'id="rev-what-working-well"' not in html


def test_practitioner_cannot_write_the_auditors_fields(personas, login):
    audit = put_in(make_audit(personas), S.CONVERSATION)
    client = login(personas.alice)

    for field, value in (
        ("auditor_level", "3"),
        ("agreed_level", "3"),
        ("evidence", "Mine."),
        ("disagreement", "x"),
    ):
        response = autosave(client, audit, "p1", field, value, 0)
        assert response.status_code == 403, field
        assert b"You cannot change this part of the audit now." in response.content
    assert not AuditAnswer.objects.filter(audit=audit).exists()
    # And the page offers her no input for them.
    html = client.get(page(audit)).content.decode()
    assert 'hx-vals=\'{"field": "agreed_level"}\'' not in html
    assert 'hx-vals=\'{"field": "evidence"}\'' not in html


def test_auditor_writes_ratings_evidence_and_both_views(personas, login):
    audit = put_in(make_audit(personas), S.CONVERSATION)
    client = login(personas.bob)

    rev = 0
    for field, value in (("auditor_level", "3"), ("agreed_level", "3"), ("evidence", "The plan names Gran.")):
        response = autosave(client, audit, "p9", field, value, rev)
        assert response.status_code == 200, response.content
        rev += 1

    answer = AuditAnswer.objects.get(audit=audit, item_key="p9")
    assert (answer.auditor_level, answer.agreed_level, answer.evidence, answer.revision) == (
        3,
        3,
        "The plan names Gran.",
        3,
    )
    assert autosave(client, audit, "p9", "self_level", "2", rev).status_code == 403


def test_autosave_on_a_signed_off_audit_is_refused(personas, login):
    audit = put_in(make_audit(personas), S.SIGNED_OFF)

    response = autosave(login(personas.bob), audit, "p1", "auditor_level", "3", 0)

    assert response.status_code == 403
    assert not AuditAnswer.objects.filter(audit=audit).exists()


def test_reloading_one_item_returns_it_as_stored(personas, login):
    audit = put_in(make_audit(personas), S.SELF_ASSESSMENT)
    answer_save(audit=audit, item_key="p1", acting_user=personas.alice, expected_revision=0, self_level=3)

    response = login(personas.alice).get(save_url(audit, "p1"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="rev-p1" value="1"' in html
    assert re.search(r'id="p1-self_level-3" value="3"\s+checked', html)
    assert login(personas.alice).get(save_url(audit, "no-such-item")).status_code == 404


# --- moves ---------------------------------------------------------------------------------------


def test_move_buttons_move_the_audit_and_record_who(personas, login):
    audit = make_audit(personas)
    client = login(personas.alice)
    assert [move["to_status"] for move in client.get(page(audit)).context["moves"]] == [S.SELF_ASSESSMENT]

    response = client.post(reverse("audits:move", kwargs={"pk": audit.pk}), {"to_status": S.SELF_ASSESSMENT})

    assert response.status_code == 302 and response["Location"] == page(audit)
    audit.refresh_from_db()
    assert audit.status == S.SELF_ASSESSMENT
    last = audit.moves.order_by("-pk").first()
    assert (last.from_status, last.to_status, last.moved_by) == (S.PLANNED, S.SELF_ASSESSMENT, personas.alice)


def test_illegal_and_not_allowed_moves_are_refused_with_a_message(personas, login):
    audit = put_in(make_audit(personas), S.CONVERSATION)
    move_url = reverse("audits:move", kwargs={"pk": audit.pk})

    # Not hers to move; never legal from here; a send back without a reason.
    by_alice = login(personas.alice).post(move_url, {"to_status": S.SUBMITTED}, follow=True)
    illegal = login(personas.bob).post(move_url, {"to_status": S.SIGNED_OFF}, follow=True)
    no_reason = login(personas.bob).post(
        move_url, {"to_status": S.SELF_ASSESSMENT, "comment": " "}, follow=True
    )

    for response in (by_alice, illegal):
        assert "You cannot make this move" in [str(m) for m in response.context["messages"]][0]
    assert "Say why the audit is sent back" in [str(m) for m in no_reason.context["messages"]][0]
    audit.refresh_from_db()
    assert audit.status == S.CONVERSATION
    assert not audit.moves.exclude(to_status=S.PLANNED).exists()


def test_send_back_with_a_comment_returns_it_to_the_practitioner(personas, login):
    audit = put_in(make_audit(personas), S.CONVERSATION)

    login(personas.bob).post(
        reverse("audits:move", kwargs={"pk": audit.pk}),
        {"to_status": S.SELF_ASSESSMENT, "comment": "Add the network meeting of May."},
    )

    audit.refresh_from_db()
    assert audit.status == S.SELF_ASSESSMENT
    response = login(personas.alice).get(page(audit))
    assert b"Add the network meeting of May." in response.content
    assert b'data-testid="sent-back"' in response.content


# --- the family's consent ------------------------------------------------------------------------


def test_consent_is_recorded_from_the_page(personas, login):
    audit = put_in(make_audit(personas), S.CONVERSATION)

    response = login(personas.alice).post(
        reverse("audits:consent", kwargs={"pk": audit.pk}),
        {"consent": "declined", "note": "Mum prefers not."},
    )

    assert response.status_code == 302
    audit.refresh_from_db()
    assert (audit.family_consent, audit.family_consent_note) == ("declined", "Mum prefers not.")
    assert (
        login(personas.quinn)
        .post(reverse("audits:consent", kwargs={"pk": audit.pk}), {"consent": "given", "note": ""})
        .status_code
        == 403
    )


# --- the audits home -----------------------------------------------------------------------------


def _home(client) -> dict[str, list[int]]:
    context = client.get(reverse("audits:home")).context
    return {name: [audit.pk for audit in context[name]] for name in ("to_do", "sent_back", "waiting")}


def test_home_lists_each_persons_audits(personas, login):
    planned = make_audit(personas)
    conversation = put_in(make_audit(personas), S.CONVERSATION)
    submitted = put_in(make_audit(personas), S.SUBMITTED)
    sent_back = put_in(make_audit(personas), S.CONVERSATION)
    audit_move(
        audit=sent_back, to_status=S.SELF_ASSESSMENT, acting_user=personas.bob, comment="Add the plan."
    )
    put_in(make_audit(personas), S.SIGNED_OFF)

    alice, bob, quinn = (_home(login(person)) for person in (personas.alice, personas.bob, personas.quinn))

    assert alice == {
        "to_do": [planned.pk],
        "sent_back": [sent_back.pk],
        "waiting": [conversation.pk, submitted.pk],
    }
    # bob audits, and as the team's manager he signs off the submitted one.
    assert bob == {
        "to_do": [conversation.pk, submitted.pk],
        "sent_back": [],
        "waiting": [planned.pk, sent_back.pk],
    }
    assert quinn == {"to_do": [submitted.pk], "sent_back": [], "waiting": []}
    assert _home(login(personas.charlie)) == {"to_do": [], "sent_back": [], "waiting": []}
    html = login(personas.alice).get(reverse("audits:home")).content.decode()
    assert "Add the plan." in html


def test_home_shows_my_learning_actions(personas, login):
    from audits.models import LearningAction

    audit = make_audit(personas)
    LearningAction.objects.create(
        audit=audit,
        team=personas.team_a,
        description="Share the danger statement with Gran",
        owner=personas.alice,
        due_on=timezone.localdate(),
        created_by=personas.bob,
    )

    response = login(personas.alice).get(reverse("audits:home"))

    assert [action.description for action in response.context["actions"]] == [
        "Share the danger statement with Gran"
    ]
    assert b"Share the danger statement with Gran" in response.content


def test_home_is_for_people_of_an_authority(personas, login):
    assert login(personas.ana).get(reverse("audits:home")).status_code == 403


# --- starting an audit ---------------------------------------------------------------------------


def test_qa_lead_starts_an_audit_from_a_search(personas, login):
    child = ChildFactory(authority=personas.authority_a, team=personas.team_a, la_child_id="AX-4471")
    ChildFactory(authority=personas.authority_b, la_child_id="AX-4472")  # B's: never offered
    client = login(personas.quinn)

    found = client.get(reverse("audits:start"), {"q": "ax-44"})
    assert [row.pk for row in found.context["matches"]] == [child.pk]

    response = client.post(
        reverse("audits:start"),
        {"child": child.pk, "practitioner": personas.alice.pk, "auditor": personas.bob.pk, "due_on": ""},
    )

    audit = Audit.objects.get(child=child)
    assert response.status_code == 302 and response["Location"] == page(audit)
    assert (audit.practitioner, audit.auditor, audit.status) == (personas.alice, personas.bob, S.PLANNED)


def test_start_refuses_another_authoritys_case_and_the_same_person_twice(personas, login):
    theirs = ChildFactory(authority=personas.authority_b)
    ours = ChildFactory(authority=personas.authority_a)
    client = login(personas.quinn)

    other = client.post(
        reverse("audits:start"),
        {"child": theirs.pk, "practitioner": personas.alice.pk, "auditor": personas.bob.pk},
    )
    same = client.post(
        reverse("audits:start"),
        {"child": ours.pk, "practitioner": personas.alice.pk, "auditor": personas.alice.pk},
    )
    outsider = client.post(
        reverse("audits:start"),
        {"child": ours.pk, "practitioner": personas.alice.pk, "auditor": personas.charlie.pk},
    )

    assert other.context["form"].errors["child"]
    assert same.context["form"].non_field_errors()
    assert outsider.context["form"].errors["auditor"]
    assert not Audit.objects.exists()


@pytest.mark.parametrize("name, status", [("quinn", 200), ("bob", 200), ("alice", 403), ("leah", 403)])
def test_qa_leads_and_team_managers_start_audits(personas, login, name, status):
    assert login(getattr(personas, name)).get(reverse("audits:start")).status_code == status


# --- tenancy -------------------------------------------------------------------------------------


def test_charlie_gets_404_on_every_audit_url(personas, login):
    audit = put_in(make_audit(personas), S.CONVERSATION)
    client = login(personas.charlie)

    assert client.get(page(audit)).status_code == 404
    assert client.get(save_url(audit, "p1")).status_code == 404
    assert autosave(client, audit, "p1", "auditor_level", "3", 0).status_code == 404
    assert (
        client.post(reverse("audits:move", kwargs={"pk": audit.pk}), {"to_status": S.SUBMITTED}).status_code
        == 404
    )
    assert (
        client.post(
            reverse("audits:consent", kwargs={"pk": audit.pk}), {"consent": "given", "note": ""}
        ).status_code
        == 404
    )
    assert not AuditAnswer.objects.exists()
    assert audit.moves.count() == AuditMove.objects.filter(audit=audit).count() == 1


def test_a_practitioner_sees_only_the_audits_of_her_own_cases(personas, login):
    colleague = UserFactory(username="priya")
    MembershipFactory(
        user=colleague, authority=personas.authority_a, role="practitioner", team=personas.team_a2
    )
    child = ChildFactory(authority=personas.authority_a, team=personas.team_a2)
    theirs = make_audit(personas, practitioner=colleague, auditor=personas.quinn, child=child)

    assert login(personas.alice).get(page(theirs)).status_code == 404
    assert login(personas.bob).get(page(theirs)).status_code == 404  # another team's audit
    assert login(personas.leah).get(page(theirs)).status_code == 200


# --- the case page -------------------------------------------------------------------------------


def test_case_page_lists_the_audits_the_viewer_may_see(personas, login):
    child = ChildFactory(authority=personas.authority_a, team=personas.team_a)
    mine = put_in(make_audit(personas, child=child), S.SIGNED_OFF)
    Audit.objects.filter(pk=mine.pk).update(overall_level=3, signed_off_at=timezone.now())
    colleague = UserFactory(username="priya")
    MembershipFactory(
        user=colleague, authority=personas.authority_a, role="practitioner", team=personas.team_a2
    )
    other = make_audit(personas, child=child, practitioner=colleague, auditor=personas.quinn)
    url = reverse("cases:detail", kwargs={"pk": child.pk})

    alice = login(personas.alice).get(url)
    quinn = login(personas.quinn).get(url)

    assert [audit.pk for audit in alice.context["audits"]] == [mine.pk]
    assert [audit.pk for audit in quinn.context["audits"]] == [other.pk, mine.pk]
    html = alice.content.decode()
    assert "3 · Established" in html
    assert page(mine) in html and page(other) not in html
