"""Feedback: the form reachable from every page, one's own feedback, and the programme team's
triage (new, in progress, done) with notes and history."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from feedback import services
from feedback.models import Feedback, FeedbackNote, FeedbackStatus, Topic

pytestmark = pytest.mark.django_db


def _give(author, text="The map helps.", **kwargs):
    return services.feedback_give(author=author, text=text, **kwargs)


def test_every_page_links_to_the_feedback_form_with_where_it_came_from(personas, login, client):
    login(personas.alice)
    page = client.get(reverse("audits:home")).content.decode()
    assert 'data-testid="feedback-link"' in page
    assert f"{reverse('feedback:new')}?from=/audits/" in page


def test_feedback_is_stored_with_its_author_authority_topic_and_page(personas, login, client):
    login(personas.alice)
    form = client.get(reverse("feedback:new"), {"from": "/audits/", "topic": "next_workshop"})
    assert 'value="/audits/"' in form.content.decode()
    response = client.post(
        reverse("feedback:new"),
        {"topic": Topic.NEXT_WORKSHOP, "text": "  More on scaling.  ", "page": "/audits/"},
    )
    assert response.status_code == 302 and response.url == reverse("feedback:mine")
    feedback = Feedback.objects.get()
    assert (feedback.author, feedback.authority, feedback.topic, feedback.page, feedback.text) == (
        personas.alice,
        personas.authority_a,
        Topic.NEXT_WORKSHOP,
        "/audits/",
        "More on scaling.",
    )
    assert feedback.status == FeedbackStatus.NEW
    assert feedback.history.get().history_user == personas.alice
    mine = client.get(reverse("feedback:mine")).content.decode()
    assert "More on scaling." in mine and "New" in mine


def test_empty_feedback_and_outside_pages_are_refused_with_a_message(personas, login, client):
    login(personas.alice)
    response = client.post(reverse("feedback:new"), {"topic": Topic.ANYTHING, "text": "   "})
    assert response.status_code == 400
    assert not Feedback.objects.exists()
    client.post(
        reverse("feedback:new"), {"topic": Topic.ANYTHING, "text": "Hello", "page": "https://evil.example/"}
    )
    assert Feedback.objects.get().page == ""
    with pytest.raises(ValidationError, match="under 5000 characters"):
        _give(personas.alice, text="x" * 5001)


def test_an_authority_the_author_does_not_work_in_is_never_recorded(personas):
    assert _give(personas.alice, authority=personas.authority_b).authority is None


def test_only_the_author_and_the_programme_team_see_a_piece_of_feedback(personas, login, client):
    feedback = _give(personas.alice, text="Only for the programme team and me.")
    for user, status in [(personas.alice, 200), (personas.pam, 200), (personas.pat, 200)]:
        login(user)
        assert client.get(reverse("feedback:detail", args=[feedback.pk])).status_code == status
    for user in (personas.bob, personas.quinn, personas.charlie, personas.ana):
        login(user)
        assert client.get(reverse("feedback:detail", args=[feedback.pk])).status_code == 404
        assert "Only for the programme team" not in client.get(reverse("feedback:mine")).content.decode()
        assert client.get(reverse("feedback:inbox")).status_code == 403
        assert (
            client.post(reverse("feedback:status", args=[feedback.pk]), {"status": "done"}).status_code == 404
        )
    assert Feedback.objects.get().status == FeedbackStatus.NEW


def test_the_programme_team_triages_with_notes_and_the_history_says_who(personas, login, client):
    feedback = _give(personas.alice, text="Please add a glossary.")
    login(personas.pam)
    response = client.post(
        reverse("feedback:status", args=[feedback.pk]),
        {"status": FeedbackStatus.IN_PROGRESS},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "In progress" in response.content.decode()
    client.post(reverse("feedback:note", args=[feedback.pk]), {"text": "Asked the trainers for one."})
    client.post(reverse("feedback:status", args=[feedback.pk]), {"status": FeedbackStatus.DONE})
    feedback.refresh_from_db()
    assert feedback.status == FeedbackStatus.DONE
    note = FeedbackNote.objects.get()
    assert (note.text, note.written_by) == ("Asked the trainers for one.", personas.pam)
    statuses = [(h.status, h.history_user) for h in feedback.history.order_by("history_date")]
    assert statuses == [
        ("new", personas.alice),
        ("in_progress", personas.pam),
        ("done", personas.pam),
    ]
    page = client.get(reverse("feedback:detail", args=[feedback.pk])).content.decode()
    assert "Asked the trainers for one." in page and "marked done by" in page
    # The author sees the status, not the programme team's notes.
    login(personas.alice)
    page = client.get(reverse("feedback:detail", args=[feedback.pk])).content.decode()
    assert "Done" in page and "Asked the trainers" not in page


def test_services_refuse_triage_by_anyone_else(personas):
    feedback = _give(personas.alice)
    with pytest.raises(PermissionDenied):
        services.feedback_set_status(
            feedback=feedback, status=FeedbackStatus.DONE, acting_user=personas.quinn
        )
    with pytest.raises(PermissionDenied):
        services.feedback_note_add(feedback=feedback, text="x", acting_user=personas.alice)
    with pytest.raises(ValidationError):
        services.feedback_set_status(feedback=feedback, status="lost", acting_user=personas.pam)


def test_the_inbox_filters_counts_and_keeps_its_queries_whatever_the_volume(
    personas, login, client, django_assert_num_queries
):
    login(personas.pam)

    def count_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("feedback:inbox")).status_code == 200
        return len(captured)

    _give(personas.alice, text="The very first remark")
    few = count_queries()
    for n in range(30):
        feedback = _give(
            personas.charlie if n % 2 else personas.bob, text=f"Remark {n}", topic=Topic.NEXT_WORKSHOP
        )
        services.feedback_note_add(feedback=feedback, text="seen", acting_user=personas.pam)
    assert count_queries() == few
    page = client.get(reverse("feedback:inbox"), {"topic": Topic.NEXT_WORKSHOP}).content.decode()
    assert "Remark 7" in page and "The very first remark" not in page
    services.feedback_set_status(
        feedback=Feedback.objects.get(text="The very first remark"),
        status=FeedbackStatus.DONE,
        acting_user=personas.pam,
    )
    page = client.get(reverse("feedback:inbox"), {"status": FeedbackStatus.DONE}).content.decode()
    assert "The very first remark" in page and "Remark 7" not in page


def test_the_demo_feedback_is_idempotent(db):
    from accounts.demo import seed_people

    seed_people()
    call_command("seed_demo_feedback")
    count = Feedback.objects.count()
    call_command("seed_demo_feedback")
    assert Feedback.objects.count() == count == 5
    assert Feedback.objects.filter(status=FeedbackStatus.DONE).count() == 1
