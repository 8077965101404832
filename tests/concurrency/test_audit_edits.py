"""Two people saving the same audit at once: no change is lost silently. Every writable part of the
audit page (each rating column, both views and why, the evidence, the narrative columns and the
other answers, the family's consent, the learning actions) refuses a save made from an out-of-date
page, and the person refused sees who saved meanwhile and when, both versions, and may keep theirs
or take the other; the history rows record who changed what.

The service tests run the two saves in two threads on PostgreSQL, from the same revision; the page
tests use two signed-in clients, one after the other, and run on SQLite too.

alice is the practitioner and bob (A's team manager) the auditor of the audit.
"""

import html
import json
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audits import audit_forms, learning, selectors
from audits.auditing import StaleEdit, answer_save, consent_record
from audits.models import Audit, AuditAnswer, AuditStatus, LearningAction
from tests.audits.test_workflow import make_audit, put_in
from tests.concurrency.conftest import at_once

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

S = AuditStatus

# Each writable part of an answer: (the audit's state, item, field, who saves first, who second,
# their values, and a value saved before them). A field with one writer is saved by that person in two tabs; the answers of
# other items (the narrative columns, the appreciative question, the scale) by both people.
# p7 is the child's voice.
PARTS = {
    "practitioner rating": (S.SELF_ASSESSMENT, "p7", "self_level", "alice", "alice", 2, 3, 1),
    "auditor rating": (S.CONVERSATION, "p7", "auditor_level", "bob", "bob", 2, 4, 1),
    "agreed rating": (S.CONVERSATION, "p7", "agreed_level", "bob", "bob", 3, 1, 4),
    "both views and why": (
        S.CONVERSATION,
        "p7",
        "disagreement",
        "bob",
        "bob",
        "Alice saw it.",
        "I did not.",
        "First thoughts.",
    ),
    "evidence": (
        S.CONVERSATION,
        "p2",
        "evidence",
        "bob",
        "bob",
        "The plan, page 3.",
        "The minutes.",
        "Notes.",
    ),
    "narrative column": (
        S.SELF_ASSESSMENT,
        "what-working-well",
        "value",
        "alice",
        "bob",
        "Gran visits every day.",
        "School reports good attendance.",
        "Draft.",
    ),
    "appreciative question": (
        S.SELF_ASSESSMENT,
        "proudest",
        "value",
        "bob",
        "alice",
        "The plan.",
        "The visit.",
        "Draft.",
    ),
    "safety scale": (S.CONVERSATION, "overall-safety-scale", "value", "bob", "bob", 6, 8, 5),
}


def audit_in(personas, status: str) -> Audit:
    return put_in(make_audit(personas), status)


def history(audit: Audit, item_key: str, field: str) -> list[tuple]:
    answer = AuditAnswer.objects.get(audit=audit, item_key=item_key)
    return list(
        answer.history.order_by("history_date", "history_id").values_list(
            "revision", field, "history_user__username"
        )
    )


def save(audit: Audit, item_key: str, user, revision: int, **fields):
    return lambda: answer_save(
        audit=Audit.objects.get(pk=audit.pk),
        item_key=item_key,
        acting_user=user,
        expected_revision=revision,
        **fields,
    )


# --- the services, two threads at once --------------------------------------------------------------


@pytest.mark.parametrize("start", [0, 1], ids=["first save", "later save"])
@pytest.mark.parametrize("part", list(PARTS))
def test_two_saves_of_one_part_at_once_one_wins_and_the_other_keeps_its_values(
    postgresql, personas, part, start
):
    status, key, field, first, second, a, b, before = PARTS[part]
    audit = audit_in(personas, status)
    if start:
        answer_save(
            audit=audit,
            item_key=key,
            acting_user=getattr(personas, first),
            expected_revision=0,
            **{field: before},
        )
    users = [getattr(personas, first), getattr(personas, second)]

    outcomes = at_once(
        save(audit, key, users[0], start, **{field: a}), save(audit, key, users[1], start, **{field: b})
    )

    assert sorted(outcome.ok for outcome in outcomes) == [False, True]
    winner = 0 if outcomes[0].ok else 1
    loser = 1 - winner
    stale = outcomes[loser].error
    assert isinstance(stale, StaleEdit), stale
    # The refused value travels back with the refusal, beside the one stored now, saved by whom.
    ours, theirs = (a, b)[loser], (a, b)[winner]
    assert stale.refused == {field: ours}
    assert stale.stored == {field: theirs}
    assert stale.saved_by == users[winner]
    stored = AuditAnswer.objects.get(audit=audit, item_key=key)
    assert (getattr(stored, field), stored.revision, stored.updated_by) == (theirs, start + 1, users[winner])
    assert history(audit, key, field)[start:] == [(start + 1, theirs, users[winner].username)]


@pytest.mark.parametrize("start", [0, 1], ids=["first save", "later save"])
def test_the_practitioner_and_the_auditor_rating_one_item_at_once_both_keep_their_rating(
    postgresql, personas, start
):
    """Two saves of different parts of one item are no conflict: each is saved on top."""
    audit = audit_in(personas, S.CONVERSATION)
    if start:
        answer_save(audit=audit, item_key="p7", acting_user=personas.bob, expected_revision=0, agreed_level=2)

    outcomes = at_once(
        save(audit, "p7", personas.alice, start, self_level=3),
        save(audit, "p7", personas.bob, start, auditor_level=1),
    )

    assert [outcome.error for outcome in outcomes] == [None, None]
    stored = AuditAnswer.objects.get(audit=audit, item_key="p7")
    assert (stored.self_level, stored.auditor_level, stored.revision) == (3, 1, start + 2)
    rows = AuditAnswer.objects.get(pk=stored.pk).history.filter(revision__gt=start)
    assert sorted(rows.values_list("history_user__username", flat=True)) == ["alice", "bob"]


def test_two_people_recording_the_familys_consent_at_once(postgresql, personas):
    audit = audit_in(personas, S.CONVERSATION)
    shown = (audit.family_consent, audit.family_consent_note)
    versions = [("given", ""), ("declined", "Mother would rather not.")]

    def record(user, consent: str, note: str):
        return lambda: consent_record(
            audit=Audit.objects.get(pk=audit.pk), consent=consent, note=note, acting_user=user, expected=shown
        )

    outcomes = at_once(record(personas.alice, *versions[0]), record(personas.bob, *versions[1]))

    assert sorted(outcome.ok for outcome in outcomes) == [False, True]
    winner = 0 if outcomes[0].ok else 1
    stale = outcomes[1 - winner].error
    assert isinstance(stale, StaleEdit), stale
    kept, lost = versions[winner], versions[1 - winner]
    assert stale.refused == {"family_consent": lost[0], "family_consent_note": lost[1]}
    assert stale.stored == {"family_consent": kept[0], "family_consent_note": kept[1]}
    assert stale.saved_by == (personas.alice, personas.bob)[winner]
    audit.refresh_from_db()
    assert (audit.family_consent, audit.family_consent_note) == kept
    changes = audit.history.exclude(family_consent="not_asked").values_list(
        "family_consent", "history_user__username"
    )
    assert list(changes) == [(kept[0], ("alice", "bob")[winner])]


def test_two_people_adding_the_last_learning_action_at_once(postgresql, personas):
    audit = audit_in(personas, S.CONVERSATION)
    due = timezone.localdate() + timedelta(days=30)
    for number in range(learning.MAX_CASE_ACTIONS - 1):
        learning.action_add(
            audit=audit,
            team=personas.team_a,
            description=f"Action {number}",
            owner=personas.alice,
            due_on=due,
            acting_user=personas.bob,
        )

    def add(user, description: str):
        return lambda: learning.action_add(
            audit=Audit.objects.get(pk=audit.pk),
            team=personas.team_a,
            description=description,
            owner=personas.alice,
            due_on=due,
            acting_user=user,
        )

    outcomes = at_once(add(personas.alice, "Visit school"), add(personas.bob, "Ring gran"))

    assert sorted(outcome.ok for outcome in outcomes) == [False, True]
    refused = next(outcome.error for outcome in outcomes if not outcome.ok)
    assert isinstance(refused, ValidationError) and "at most 3 actions" in refused.messages[0]
    assert LearningAction.objects.filter(audit=audit).count() == learning.MAX_CASE_ACTIONS


def test_two_people_marking_one_action_done_at_once(postgresql, personas):
    audit = audit_in(personas, S.CONVERSATION)
    action = learning.action_add(
        audit=audit,
        team=personas.team_a,
        description="Visit school",
        owner=personas.alice,
        due_on=timezone.localdate() + timedelta(days=30),
        acting_user=personas.bob,
    )

    def done(user):
        return lambda: learning.action_complete(
            action=LearningAction.objects.get(pk=action.pk), acting_user=user
        )

    outcomes = at_once(done(personas.alice), done(personas.bob))

    assert sorted(outcome.ok for outcome in outcomes) == [False, True]
    refused = next(outcome.error for outcome in outcomes if not outcome.ok)
    assert isinstance(refused, ValidationError) and "already marked done" in refused.messages[0]
    assert LearningAction.history.filter(id=action.pk, completed_on__isnull=False).count() == 1


# --- the page: two people, one after the other, the second from an out-of-date page -----------------


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def revision_on_page(client: Client, audit: Audit, key: str) -> int:
    page = client.get(reverse("audits:detail", kwargs={"pk": audit.pk})).content.decode()
    found = re.search(rf'id="rev-{key}" value="(\d+)"', page)
    assert found, f"no revision of {key} on the page"
    return int(found.group(1))


def autosave(client: Client, audit: Audit, key: str, field: str, value, revision: int):
    url = reverse("audits:answer", kwargs={"pk": audit.pk, "item_key": key})
    return client.post(url, {"field": field, field: value, "revision": revision}, HTTP_HX_REQUEST="true")


def in_words(audit: Audit, field: str, value) -> str:
    if field in audit_forms.RATING_FIELDS:
        tool = selectors.resolved_tool(version=audit.tool_version, adaptation=audit.adaptation)
        return f"{value} · {audit_forms.level_labels(tool)[value]}"
    return str(value)


def textarea(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">(.*?)</textarea>', page, re.DOTALL)
    assert found, f"no {testid} box"
    return html.unescape(found.group(1))


@pytest.mark.parametrize("part", list(PARTS))
def test_a_save_from_an_out_of_date_page_shows_both_versions_and_may_keep_mine(personas, part):
    status, key, field, first, second, a, b, _before = PARTS[part]
    audit = audit_in(personas, status)
    users = getattr(personas, first), getattr(personas, second)
    clients = [signed_in(user) for user in users]
    # Both open the page before either saves.
    revisions = [revision_on_page(client, audit, key) for client in clients]

    assert autosave(clients[0], audit, key, field, a, revisions[0]).status_code == 200
    refused = autosave(clients[1], audit, key, field, b, revisions[1])

    assert refused.status_code == 409
    page = refused.content.decode()
    saved = AuditAnswer.objects.get(audit=audit, item_key=key)
    at = timezone.localtime(saved.updated_at).strftime("%H:%M")
    name = users[0].get_full_name() or users[0].username
    assert f"{name} saved this item at {at} while you were editing" in page
    assert textarea(page, "theirs") == in_words(audit, field, a)
    assert textarea(page, "yours") == in_words(audit, field, b)
    assert "Keep mine" in page and "Take theirs" in page
    assert getattr(saved, field) == a  # nothing overwritten

    # "Take theirs" reloads the item as stored: the first person's value, at its new revision.
    item = clients[1].get(reverse("audits:answer", kwargs={"pk": audit.pk, "item_key": key})).content.decode()
    assert f'id="rev-{key}" value="{saved.revision}"' in item

    # "Keep mine" posts the second person's value again, from the revision stored now.
    keep = re.search(r'hx-post="([^"]+)" hx-vals="([^"]+)" data-testid="keep-mine"', page)
    assert keep
    kept = clients[1].post(
        html.unescape(keep.group(1)), json.loads(html.unescape(keep.group(2))), HTTP_HX_REQUEST="true"
    )
    assert kept.status_code == 200
    assert kept.headers["HX-Retarget"] == f"#item-{key}"
    saved.refresh_from_db()
    assert (getattr(saved, field), saved.revision, saved.updated_by) == (b, revisions[1] + 2, users[1])
    assert f'id="rev-{key}" value="{saved.revision}"' in kept.content.decode()
    # Nothing is lost: both versions are in the history, each with who saved it.
    assert history(audit, key, field)[revisions[0] :] == [
        (revisions[0] + 1, a, users[0].username),
        (revisions[0] + 2, b, users[1].username),
    ]


def test_a_consent_recorded_from_an_out_of_date_page_shows_both_and_may_keep_mine(personas):
    audit = audit_in(personas, S.SELF_ASSESSMENT)
    alice, bob = signed_in(personas.alice), signed_in(personas.bob)
    url = reverse("audits:consent", kwargs={"pk": audit.pk})
    shown = {"consent_was": audit.family_consent, "note_was": audit.family_consent_note}
    for client in (alice, bob):
        assert (
            'name="consent_was" value="not_asked"'
            in client.get(reverse("audits:detail", kwargs={"pk": audit.pk})).content.decode()
        )

    assert alice.post(url, {"consent": "given", "note": "", **shown}).status_code == 302
    refused = bob.post(url, {"consent": "declined", "note": "Dad said no.", **shown})

    assert refused.status_code == 409
    page = html.unescape(refused.content.decode())
    audit.refresh_from_db()
    at = timezone.localtime(audit.history.latest("history_date").history_date).strftime("%H:%M")
    assert f"{personas.alice.get_full_name() or 'alice'} recorded the family's consent at {at}" in page
    assert re.search(r'data-testid="consent-theirs">\s*Consent given\s*<', page)
    assert re.search(r'data-testid="consent-yours">\s*Declined: Dad said no.\s*<', page)
    assert audit.family_consent == "given"

    # Keep mine: the form in the conflict posts bob's version, from alice's.
    form = page[page.index('data-testid="consent-conflict"') :]
    inputs = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form[: form.index("</form>")])
    fields = {name: value for name, value in inputs if name != "csrfmiddlewaretoken"}
    assert fields == {"consent": "declined", "note": "Dad said no.", "consent_was": "given", "note_was": ""}
    assert bob.post(url, fields).status_code == 302
    audit.refresh_from_db()
    assert (audit.family_consent, audit.family_consent_note) == ("declined", "Dad said no.")
    changes = audit.history.exclude(family_consent="not_asked").order_by("history_date", "history_id")
    assert list(changes.values_list("family_consent", "history_user__username")) == [
        ("given", "alice"),
        ("declined", "bob"),
    ]


def test_a_consent_saved_again_after_a_move_is_not_refused(personas, login):
    """Only the consent itself makes a consent save stale, not a move made meanwhile."""
    audit = audit_in(personas, S.SELF_ASSESSMENT)
    shown = {"consent_was": audit.family_consent, "note_was": audit.family_consent_note}
    Audit.objects.filter(pk=audit.pk).update(status=S.CONVERSATION, revision=audit.revision + 1)

    response = login(personas.bob).post(
        reverse("audits:consent", kwargs={"pk": audit.pk}), {"consent": "given", "note": "", **shown}
    )

    assert response.status_code == 302
    audit.refresh_from_db()
    assert audit.family_consent == "given"
