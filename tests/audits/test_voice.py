"""The family's and the child's voice: consent first, feedback by phone or by a private link, answers
validated against the authority's feedback tool, and a link that works once, until it expires."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from audits import voice
from audits.followup_views import audit_followup_context
from audits.models import Adoption, Answer, Audit, FeedbackRequest, Response, Tool, VersionStatus
from audits.resolution import ResolvedItem, ResolvedSection, ResolvedTool
from tests.factories import ChildFactory


def make_audit(personas, *, consent="given", **fields) -> Audit:
    """An audit of a child of A's "Child Protection North", alice practitioner and bob auditor."""
    version = Tool.objects.get(key="case-audit").versions.get(status=VersionStatus.PUBLISHED)
    child = ChildFactory(authority=personas.authority_a, team=personas.team_a)
    defaults = dict(
        authority=personas.authority_a,
        child=child,
        team=personas.team_a,
        tool_version=version,
        practitioner=personas.alice,
        auditor=personas.bob,
        family_consent=consent,
    )
    return Audit.objects.create(**{**defaults, **fields})


FAMILY_ANSWERS = {
    "what-working-well": "  The new school has been good for Sam.  ",
    "explained-worries": "partly",
    "your-plan": "7",
    "listened-to": "",
}


# --- services -------------------------------------------------------------------------------------


def test_family_feedback_needs_consent_first(personas):
    audit = make_audit(personas, consent="not_asked")
    with pytest.raises(ValidationError, match="Record the family's consent on the audit first"):
        voice.feedback_request_create(
            audit=audit, respondent="family", channel="phone", acting_user=personas.alice
        )
    declined = make_audit(personas, consent="declined")
    with pytest.raises(ValidationError, match="consent"):
        voice.feedback_request_create(
            audit=declined, respondent="family", channel="link", acting_user=personas.bob
        )
    assert FeedbackRequest.objects.count() == 0


def test_child_feedback_does_not_wait_for_family_consent(personas):
    audit = make_audit(personas, consent="not_asked")
    request = voice.feedback_request_create(
        audit=audit, respondent="child", channel="visit", acting_user=personas.alice
    )
    assert request.token is None and request.expires_at is None


def test_feedback_by_phone_is_stored_against_the_authoritys_tool(personas):
    audit = make_audit(personas)
    assert not Adoption.objects.filter(authority=personas.authority_a, tool__key="family-feedback").exists()

    request = voice.feedback_record(
        audit=audit, respondent="family", channel="phone", answers=FAMILY_ANSWERS, acting_user=personas.alice
    )

    request.refresh_from_db()
    response = request.response
    assert response is not None and request.answered_at is not None
    assert response.authority == personas.authority_a
    assert response.tool_version.tool.key == "family-feedback" and response.tool_version.number == 1
    assert response.adaptation is None
    # The standard tool is adopted for the authority on first use.
    assert Adoption.objects.filter(authority=personas.authority_a, tool__key="family-feedback").exists()
    stored = dict(Answer.objects.filter(response=response).values_list("item_key", "value"))
    # Blank answers are not stored; text is trimmed; the 0–10 scale is a number.
    assert stored == {
        "what-working-well": "The new school has been good for Sam.",
        "explained-worries": "partly",
        "your-plan": 7,
    }
    answer = Answer.objects.get(response=response, item_key="your-plan")
    assert answer.history.first().history_user == personas.alice


@pytest.mark.parametrize(
    ("answers", "key", "message"),
    [
        ({"explained-worries": "maybe"}, "explained-worries", "Choose one of the answers given."),
        ({"your-plan": "11"}, "your-plan", "Choose a number from 0 to 10."),
        ({"your-plan": "-1"}, "your-plan", "Choose a number from 0 to 10."),
        ({"your-plan": "seven"}, "your-plan", "Choose a number from 0 to 10."),
        ({"what-working-well": ["a", "list"]}, "what-working-well", "Write the answer as text."),
        ({"what-working-well": "x" * 5001}, "what-working-well", "Keep the answer under 5000 characters."),
        (
            {"house-worries": "a child's item"},
            "house-worries",
            "This question is not part of the feedback tool.",
        ),
    ],
)
def test_answers_must_fit_their_questions(personas, answers, key, message):
    tool = voice.feedback_tool(authority=personas.authority_a, respondent="family")
    with pytest.raises(ValidationError) as refused:
        voice.validate_answers(tool, answers)
    assert refused.value.message_dict == {key: [message]}


def test_scale_accepts_zero_and_ten_and_nothing_answered_is_refused(personas):
    tool = voice.feedback_tool(authority=personas.authority_a, respondent="family")
    assert voice.validate_answers(tool, {"your-plan": 0}) == {"your-plan": 0}
    assert voice.validate_answers(tool, {"your-plan": "10"}) == {"your-plan": 10}
    with pytest.raises(ValidationError, match="Answer at least one question."):
        voice.validate_answers(tool, {"what-working-well": "   ", "your-plan": ""})


@given(number=st.integers(min_value=-1000, max_value=1000))
def test_the_scale_takes_exactly_0_to_10(number):
    tool = ResolvedTool(
        tool_key="t",
        tool_name="T",
        kind="family_feedback",
        version_id=1,
        version_number=1,
        sections=(
            ResolvedSection(
                key="s",
                title="S",
                items=(ResolvedItem(key="q", section_key="s", order=1, type="scale", text="Q"),),
            ),
        ),
    )
    if 0 <= number <= 10:
        assert voice.validate_answers(tool, {"q": str(number)}) == {"q": number}
    else:
        with pytest.raises(ValidationError):
            voice.validate_answers(tool, {"q": number})


def test_invalid_answers_store_nothing(personas):
    audit = make_audit(personas)
    with pytest.raises(ValidationError):
        voice.feedback_record(
            audit=audit,
            respondent="family",
            channel="visit",
            answers={"your-plan": "12"},
            acting_user=personas.alice,
        )
    assert Response.objects.count() == 0 and FeedbackRequest.objects.count() == 0


def test_only_the_people_holding_the_audit_record_feedback(personas):
    audit = make_audit(personas)
    for outsider in (personas.charlie, personas.quentin, personas.leah):
        with pytest.raises(PermissionDenied):
            voice.feedback_request_create(
                audit=audit, respondent="child", channel="phone", acting_user=outsider
            )
    assert voice.may_record_feedback(personas.quinn, audit)  # A's QA lead


def test_a_link_expires_after_28_days_and_answers_once(personas, monkeypatch):
    audit = make_audit(personas)
    request = voice.feedback_request_create(
        audit=audit, respondent="family", channel="link", acting_user=personas.bob
    )
    assert len(request.token) >= 43
    assert abs(request.expires_at - (timezone.now() + timedelta(days=28))) < timedelta(minutes=1)

    voice.feedback_answer(request=request, answers={"your-plan": 9})
    with pytest.raises(voice.LinkUnavailable, match="already been given"):
        voice.feedback_answer(request=FeedbackRequest.objects.get(pk=request.pk), answers={"your-plan": 3})
    assert Response.objects.count() == 1

    later = voice.feedback_request_create(
        audit=audit, respondent="child", channel="link", acting_user=personas.bob
    )
    monkeypatch.setattr(voice, "_now", lambda: timezone.now() + timedelta(days=28, seconds=1))
    assert voice.link_status(later) == "expired"
    with pytest.raises(voice.LinkUnavailable, match="expired"):
        voice.feedback_answer(request=later, answers={"house-dreams": "A dog"})
    assert Response.objects.count() == 1


def test_phone_feedback_needs_a_member_of_staff(personas):
    audit = make_audit(personas)
    request = voice.feedback_request_create(
        audit=audit, respondent="family", channel="phone", acting_user=personas.alice
    )
    with pytest.raises(PermissionDenied):
        voice.feedback_answer(request=request, answers={"your-plan": 5})


# --- the family's link page -----------------------------------------------------------------------


def _link(personas, respondent="family") -> FeedbackRequest:
    audit = make_audit(personas)
    return voice.feedback_request_create(
        audit=audit, respondent=respondent, channel="link", acting_user=personas.bob
    )


def test_the_link_page_needs_no_sign_in_and_shows_no_platform(personas, client):
    request = _link(personas)
    url = reverse("followup:public_feedback", args=[request.token])

    page = client.get(url)

    assert page.status_code == 200
    html = page.content.decode()
    assert "Your views on the help you are getting" in html
    assert "What is working well for your family at the moment?" in html
    assert 'data-testid="nav"' not in html and "Sign out" not in html
    assert request.audit.child.la_child_id not in html  # nothing that names the case
    assert 'name="csrfmiddlewaretoken"' in html


def test_the_link_is_answered_once_then_a_friendly_page(personas, client):
    request = _link(personas)
    url = reverse("followup:public_feedback", args=[request.token])

    sent = client.post(
        url, {"what-working-well": "Being listened to", "explained-worries": "yes", "your-plan": "8"}
    )

    assert sent.status_code == 302 and sent["Location"] == reverse("followup:public_thanks")
    assert "Thank you" in client.get(sent["Location"]).content.decode()
    request.refresh_from_db()
    stored = dict(request.response.answers.values_list("item_key", "value"))
    assert stored == {"what-working-well": "Being listened to", "explained-worries": "yes", "your-plan": 8}

    again = client.get(url)
    assert again.status_code == 410
    assert "You have already sent your answers" in again.content.decode()
    assert "Being listened to" not in again.content.decode()
    resent = client.post(url, {"what-working-well": "Changed my mind"})
    assert resent.status_code == 410
    assert Response.objects.count() == 1


def test_invalid_answers_on_the_link_page_are_shown_and_kept(personas, client):
    request = _link(personas)
    url = reverse("followup:public_feedback", args=[request.token])
    page = client.post(url, {"what-worried-about": "Money", "explained-worries": "maybe"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Select a valid choice" in html and "Money" in html
    assert Response.objects.count() == 0


def test_an_expired_link_gets_a_friendly_page(personas, client):
    request = _link(personas, respondent="child")
    FeedbackRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    page = client.get(reverse("followup:public_feedback", args=[request.token]))
    assert page.status_code == 410
    assert "This link has expired" in page.content.decode()


def test_a_bad_token_gets_a_friendly_page_and_no_other_familys_data(personas, client):
    answered = _link(personas)
    voice.feedback_answer(request=answered, answers={"what-worried-about": "The other family's worry"})
    for token in ("not-a-real-token", answered.token[:-1], "x" * 300):
        page = client.get(reverse("followup:public_feedback", args=[token]))
        assert page.status_code == 404
        html = page.content.decode()
        assert "This link does not work" in html
        assert "The other family's worry" not in html and "Ashdown" not in html


def test_the_child_link_speaks_to_a_child(personas, client):
    request = _link(personas, respondent="child")
    html = client.get(reverse("followup:public_feedback", args=[request.token])).content.decode()
    assert "Tell us what you think" in html and "House of worries" in html


def test_the_link_page_keeps_csrf(personas):
    request = _link(personas)
    strict = Client(enforce_csrf_checks=True)
    refused = strict.post(reverse("followup:public_feedback", args=[request.token]), {"your-plan": "5"})
    assert refused.status_code == 403
    assert Response.objects.count() == 0


# --- staff pages ----------------------------------------------------------------------------------


def test_recording_phone_feedback_on_the_audit(personas, login):
    audit = make_audit(personas)
    client = login(personas.alice)
    url = reverse("followup:feedback_record", args=[audit.pk])

    form = client.get(url, {"respondent": "family"})
    assert form.status_code == 200
    assert "Has your worker explained clearly" in form.content.decode()

    saved = client.post(
        url, {"respondent": "family", "channel": "phone", "what-needs-to-happen": "More help"}
    )
    assert saved.status_code == 302 and saved["Location"] == reverse("audits:detail", args=[audit.pk])
    feedback = FeedbackRequest.objects.get(audit=audit)
    assert (feedback.respondent, feedback.channel, feedback.created_by) == ("family", "phone", personas.alice)
    assert feedback.response.answers.get().value == "More help"


def test_the_record_page_asks_for_consent_first(personas, login):
    audit = make_audit(personas, consent="not_asked")
    client = login(personas.alice)
    url = reverse("followup:feedback_record", args=[audit.pk])
    page = client.get(url, {"respondent": "family"})
    assert 'data-testid="needs-consent"' in page.content.decode()
    client.post(url, {"respondent": "family", "channel": "phone", "what-needs-to-happen": "More help"})
    assert FeedbackRequest.objects.count() == 0


def test_creating_a_link_shows_it_to_copy(personas, login):
    audit = make_audit(personas)
    client = login(personas.bob)
    created = client.post(reverse("followup:feedback_link_create", args=[audit.pk]), {"respondent": "family"})
    feedback = FeedbackRequest.objects.get(audit=audit)
    assert created["Location"] == reverse("followup:feedback_detail", args=[audit.pk, feedback.pk])
    page = client.get(created["Location"])
    assert f"/feedback/{feedback.token}/" in page.content.decode()


def test_a_link_without_consent_is_refused_with_a_message(personas, login):
    audit = make_audit(personas, consent="declined")
    client = login(personas.bob)
    page = client.post(
        reverse("followup:feedback_link_create", args=[audit.pk]), {"respondent": "family"}, follow=True
    )
    assert "Record the family&#x27;s consent on the audit first" in page.content.decode()
    assert FeedbackRequest.objects.count() == 0


def test_the_audit_feedback_partial(personas, rf):
    audit = make_audit(personas)
    voice.feedback_record(
        audit=audit, respondent="family", channel="visit", answers=FAMILY_ANSWERS, acting_user=personas.alice
    )
    request = rf.get("/")
    request.user = personas.alice
    html = render_to_string(
        "audits/followup/_audit_feedback.html",
        {"audit": audit, **audit_followup_context(audit=audit, user=personas.alice)},
        request=request,
    )
    assert "The new school has been good for Sam." in html
    assert "Partly" in html and "7 out of 10" in html
    assert "Record family feedback" in html


@pytest.mark.parametrize("outsider", ["charlie", "quentin"])
def test_another_authority_gets_404_on_feedback_pages(personas, login, outsider):
    audit = make_audit(personas)
    feedback = voice.feedback_request_create(
        audit=audit, respondent="child", channel="link", acting_user=personas.bob
    )
    client = login(getattr(personas, outsider))
    assert client.get(reverse("followup:feedback_record", args=[audit.pk])).status_code == 404
    assert (
        client.post(reverse("followup:feedback_record", args=[audit.pk]), {"channel": "phone"}).status_code
        == 404
    )
    assert (
        client.post(
            reverse("followup:feedback_link_create", args=[audit.pk]), {"respondent": "child"}
        ).status_code
        == 404
    )
    assert client.get(reverse("followup:feedback_detail", args=[audit.pk, feedback.pk])).status_code == 404
    assert FeedbackRequest.objects.count() == 1
