"""Workshop polls: the short link, verbatim answers in the live results, hiding (kept, in the
history), who may facilitate, and a closed poll refusing answers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Role
from journal import services
from journal.models import PollAnswer, Workshop, WorkshopQuestion, WorkshopStatus
from tests.factories import MembershipFactory, UserFactory
from tests.journal import builders
from tests.journal.builders import AWKWARD

pytestmark = pytest.mark.django_db


def _post_answers(client, made: Workshop, *, authority=None, **texts):
    keys = builders.question_ids(made)
    data = {f"q{keys[key.replace('_', '-')]}": text for key, text in texts.items()}
    if authority is not None:
        data["authority"] = authority.pk
    return client.post(reverse("journal:answer", args=[made.code]), data)


# --- creating and preparing a workshop ---------------------------------------------------------------


def test_a_new_workshop_takes_the_questions_of_the_standard_poll(personas):
    made = builders.workshop(personas, status=WorkshopStatus.DRAFT)
    questions = list(made.questions.all())
    assert [q.item_key for q in questions] == ["achievement", "challenge", "next-workshop"]
    assert questions[0].text == "What was your authority's biggest achievement in the last three months?"
    assert questions[1].text == "What was its biggest challenge?"
    assert [q.required for q in questions] == [True, True, False]
    assert all(q.tool_version.tool.key == "workshop-poll" and q.tool_version.number == 1 for q in questions)
    assert len(made.code) == 6 and set(made.code) <= set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")


def test_pam_creates_a_workshop_from_the_list(personas, login):
    client = login(personas.pam)
    response = client.post(
        reverse("journal:workshops"),
        {"title": "Autumn workshop", "held_on": "2026-10-14", "quarter": "2026-27-Q2"},
    )
    made = Workshop.objects.get(title="Autumn workshop")
    assert response.status_code == 302 and response["Location"] == reverse("journal:workshop", args=[made.pk])
    assert made.created_by == personas.pam and made.status == WorkshopStatus.DRAFT
    assert made.history.first().history_user == personas.pam
    page = client.get(reverse("journal:workshop", args=[made.pk]))
    assert made.code in page.content.decode()


@pytest.mark.parametrize("who", ["alice", "quinn", "leah", "charlie", "ana"])
def test_only_facilitators_create_open_and_close(personas, login, who):
    client = login(getattr(personas, who))
    response = client.post(
        reverse("journal:workshops"), {"title": "X", "held_on": "2026-10-14", "quarter": "2026-27-Q2"}
    )
    assert response.status_code == 403
    assert not Workshop.objects.filter(title="X").exists()
    made = builders.workshop(personas, status=WorkshopStatus.DRAFT)
    response = client.post(reverse("journal:workshop_status", args=[made.pk]), {"to": "open"})
    assert response.status_code == 403
    made.refresh_from_db()
    assert made.status == WorkshopStatus.DRAFT


def test_pat_the_platform_admin_may_facilitate(personas, login):
    made = builders.workshop(personas, status=WorkshopStatus.DRAFT)
    login(personas.pat).post(reverse("journal:workshop_status", args=[made.pk]), {"to": "open"})
    made.refresh_from_db()
    assert made.status == WorkshopStatus.OPEN


def test_questions_are_added_reworded_and_removed_before_the_poll_opens(personas, login):
    made = builders.workshop(personas, status=WorkshopStatus.DRAFT)
    client = login(personas.pam)
    keys = builders.question_ids(made)
    client.post(
        reverse("journal:question_add", args=[made.pk]), {"text": "What surprised you?", "required": ""}
    )
    client.post(
        reverse("journal:question_edit", args=[keys["challenge"]]),
        {f"q{keys['challenge']}-text": "What got in the way most?"},
    )
    client.post(reverse("journal:question_remove", args=[keys["next-workshop"]]))
    texts = [(q.item_key, q.text) for q in made.questions.all()]
    assert texts == [
        ("achievement", "What was your authority's biggest achievement in the last three months?"),
        ("challenge", "What got in the way most?"),
        ("", "What surprised you?"),
    ]
    removed = WorkshopQuestion.history.filter(id=keys["next-workshop"], history_type="-").get()
    assert removed.history_user == personas.pam


def test_questions_no_longer_change_once_the_poll_has_opened(personas, login):
    made = builders.workshop(personas)
    keys = builders.question_ids(made)
    response = login(personas.pam).post(
        reverse("journal:question_remove", args=[keys["challenge"]]), follow=True
    )
    assert "cannot change once the poll has opened" in response.content.decode()
    assert made.questions.count() == 3


def test_moves_outside_the_workflow_are_refused(personas):
    made = builders.workshop(personas, status=WorkshopStatus.DRAFT)
    with pytest.raises(services.ValidationError, match="cannot move to closed"):
        services.workshop_set_status(workshop=made, to_status=WorkshopStatus.CLOSED, acting_user=personas.pam)


# --- answering at the short link ----------------------------------------------------------------------


def test_alice_answers_at_the_short_link_for_her_authority(personas, login):
    made = builders.workshop(personas)
    client = login(personas.alice)
    page = client.get(reverse("journal:answer", args=[made.code.lower()]))  # typed in lower case
    assert page.status_code == 200
    assert (
        escape("What was your authority's biggest achievement in the last three months?")
        in page.content.decode()
    )
    response = _post_answers(client, made, achievement=AWKWARD, challenge="Recruitment", next_workshop="")
    assert response.status_code == 302
    answers = {a.question.item_key: a for a in PollAnswer.objects.select_related("question")}
    assert set(answers) == {"achievement", "challenge"}
    assert answers["achievement"].text == AWKWARD.strip()
    assert answers["achievement"].authority == personas.authority_a
    assert answers["achievement"].answered_by == personas.alice
    thanks = client.get(response["Location"]).content.decode()
    assert "Thank you" in thanks and "Change your answers" in thanks


def test_changing_an_answer_while_open_updates_it_and_keeps_the_earlier_text(personas, login):
    made = builders.workshop(personas)
    client = login(personas.alice)
    _post_answers(client, made, achievement="First words", challenge="Hard")
    _post_answers(client, made, achievement="Better words", challenge="Hard")
    row = PollAnswer.objects.get(question__item_key="achievement")
    assert row.text == "Better words"
    assert [h.text for h in row.history.order_by("history_date")] == ["First words", "Better words"]


def test_a_required_question_left_empty_gets_a_clear_message(personas, login):
    made = builders.workshop(personas)
    response = _post_answers(login(personas.alice), made, achievement="Something", challenge="  ")
    assert response.status_code == 400
    assert "Please answer this question." in response.content.decode()
    assert not PollAnswer.objects.exists()


def test_a_closed_workshop_refuses_answers(personas, login):
    made = builders.workshop(personas, status=WorkshopStatus.CLOSED)
    client = login(personas.alice)
    assert "This poll is closed" in client.get(reverse("journal:answer", args=[made.code])).content.decode()
    response = _post_answers(client, made, achievement="Late", challenge="Late")
    assert response.status_code == 400
    assert "This poll is closed" in response.content.decode()
    assert not PollAnswer.objects.exists()


def test_a_draft_workshop_is_not_open_yet(personas, login):
    made = builders.workshop(personas, status=WorkshopStatus.DRAFT)
    client = login(personas.alice)
    assert (
        'data-testid="not-open"' in client.get(reverse("journal:answer", args=[made.code])).content.decode()
    )
    assert client.get(reverse("journal:results", args=[made.pk])).status_code == 404


def test_max_picks_the_authority_he_answers_for(personas, login):
    made = builders.workshop(personas)
    client = login(personas.max)
    page = client.get(reverse("journal:answer", args=[made.code])).content.decode()
    assert 'data-testid="authority-choice"' in page
    _post_answers(client, made, authority=personas.authority_b, achievement="For B", challenge="For B")
    assert set(PollAnswer.objects.values_list("authority_id", flat=True)) == {personas.authority_b.pk}


def test_nobody_answers_for_an_authority_they_do_not_work_in(personas, login):
    made = builders.workshop(personas)
    response = _post_answers(
        login(personas.charlie), made, authority=personas.authority_a, achievement="x", challenge="y"
    )
    assert response.status_code == 403
    assert not PollAnswer.objects.exists()


def test_pam_has_no_authority_to_answer_for(personas, login):
    made = builders.workshop(personas)
    assert (
        "Polls are answered by people working in an authority"
        in login(personas.pam).get(reverse("journal:answer", args=[made.code])).content.decode()
    )


# --- live results and hiding ---------------------------------------------------------------------------


def test_results_show_answers_verbatim_grouped_by_question_then_authority(personas, login):
    made = builders.workshop(personas)
    builders.answer(made, personas.leah, personas.authority_a, achievement=AWKWARD)
    builders.answer(made, personas.charlie, personas.authority_b, achievement="Brackenford's win")
    whole = login(personas.charlie).get(reverse("journal:results", args=[made.pk])).content.decode()
    assert 'hx-trigger="every 3s"' in whole
    page = whole[whole.index('data-testid="results"') :]
    escaped = (
        "We said &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;meant&quot; it 👩‍👧 ✨<br>"
        "Second line: O&#x27;Brien&#x27;s team"
    )
    assert escaped in page
    assert "<script>alert" not in page
    achievement = page.index("biggest achievement")
    challenge = page.index("What was its biggest challenge?")
    assert achievement < page.index("Ashdown") < page.index("Brackenford") < challenge
    assert achievement < page.index("Brackenford&#x27;s win") < challenge


def test_the_live_partial_is_what_htmx_polls(personas, login):
    made = builders.workshop(personas)
    builders.answer(made, personas.leah, personas.authority_a, achievement="Arrived just now")
    client = login(personas.alice)
    partial = client.get(reverse("journal:results_live", args=[made.pk]), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert "Arrived just now" in partial.content.decode()
    assert "<html" not in partial.content.decode()
    assert client.get(reverse("journal:results_live", args=[made.pk])).status_code == 302


def test_a_closed_workshop_stops_polling(personas, login):
    made = builders.workshop(personas, status=WorkshopStatus.CLOSED)
    page = login(personas.alice).get(reverse("journal:results", args=[made.pk])).content.decode()
    assert "hx-trigger" not in page


def test_pam_hides_an_answer_it_is_kept_and_the_hiding_is_in_history(personas, login):
    made = builders.workshop(personas)
    [shown, hidden] = builders.answer(
        made, personas.leah, personas.authority_a, achievement="Fine", challenge="Names the Smith family"
    )
    client = login(personas.pam)
    form = client.get(reverse("journal:hide_answer", args=[hidden.pk]))
    assert "Names the Smith family" in form.content.decode()
    response = client.post(reverse("journal:hide_answer", args=[hidden.pk]), {"reason": "It names a family."})
    assert response.status_code == 302

    hidden.refresh_from_db()
    assert hidden.hidden and hidden.hidden_by == personas.pam and hidden.hidden_at is not None
    assert hidden.hidden_reason == "It names a family."
    assert hidden.text == "Names the Smith family"  # kept as written
    last = hidden.history.latest()
    assert last.hidden is True and last.history_user == personas.pam
    assert last.history_change_reason == "Hidden: It names a family."
    assert last.history_date is not None

    for reader in (personas.alice, personas.charlie):
        page = login(reader).get(reverse("journal:results", args=[made.pk])).content.decode()
        assert "Names the Smith family" not in page and "Fine" in page
        assert 'data-testid="hidden-answers"' not in page
    facilitator = login(personas.pam).get(reverse("journal:results", args=[made.pk])).content.decode()
    hidden_list = facilitator[facilitator.index('data-testid="hidden-answers"') :]
    assert "Names the Smith family" in hidden_list and "It names a family." in hidden_list


def test_hiding_needs_a_reason(personas, login):
    made = builders.workshop(personas)
    [row, _] = builders.answer(made, personas.leah, personas.authority_a)
    response = login(personas.pam).post(reverse("journal:hide_answer", args=[row.pk]), {"reason": " "})
    assert response.status_code == 400
    row.refresh_from_db()
    assert not row.hidden


def test_a_hidden_answer_can_be_shown_again_and_both_moves_stay_in_history(personas, login):
    made = builders.workshop(personas)
    [row, _] = builders.answer(made, personas.leah, personas.authority_a)
    services.answer_hide(answer=row, reason="By mistake?", acting_user=personas.pam)
    login(personas.pat).post(reverse("journal:show_answer", args=[row.pk]))
    row.refresh_from_db()
    assert not row.hidden and row.hidden_reason == ""
    reasons = list(
        row.history.order_by("history_date").values_list("history_change_reason", "history_user__username")
    )
    assert reasons[-2:] == [("Hidden: By mistake?", "pam"), ("Shown again", "pat")]


@pytest.mark.parametrize("who", ["alice", "quinn", "leah", "charlie", "ana"])
def test_only_facilitators_hide(personas, login, who):
    made = builders.workshop(personas)
    [row, _] = builders.answer(made, personas.leah, personas.authority_a)
    client = login(getattr(personas, who))
    assert client.get(reverse("journal:hide_answer", args=[row.pk])).status_code == 403
    assert client.post(reverse("journal:hide_answer", args=[row.pk]), {"reason": "no"}).status_code == 403
    row.refresh_from_db()
    assert not row.hidden


def test_people_outside_the_programme_see_no_workshop(db, login):
    outsider = UserFactory(username="nobody")
    client = login(outsider)
    assert client.get(reverse("journal:workshops")).status_code == 403


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_results_page_reads_the_same_number_of_queries_for_few_and_many_answers(
    personas, login, django_assert_num_queries
):
    made = builders.workshop(personas)
    builders.answer(made, personas.leah, personas.authority_a)
    client = login(personas.pam)
    url = reverse("journal:results", args=[made.pk])
    few = _queries(client, url)
    for n in range(8):
        person = UserFactory(username=f"lead{n}")
        MembershipFactory(user=person, authority=personas.authority_b, role=Role.LEADER)
        [row, *_] = builders.answer(made, person, personas.authority_b, next_workshop=f"Topic {n}")
        if n % 3 == 0:
            services.answer_hide(answer=row, reason="test", acting_user=personas.pam)
    with django_assert_num_queries(few):
        page = client.get(url)
    assert page.content.decode().count('data-testid="answer"') == 2 + 8 * 3 - 3


def test_the_author_can_no_longer_change_or_withdraw_a_hidden_answer(personas, login):
    made = builders.workshop(personas)
    [_, row] = builders.answer(
        made, personas.leah, personas.authority_a, achievement="Fine", challenge="Names a child"
    )
    services.answer_hide(answer=row, reason="It names a child.", acting_user=personas.pam)
    client = login(personas.leah)
    page = client.get(reverse("journal:answer", args=[made.code])).content.decode()
    assert 'data-testid="hidden-own"' in page and "It names a child." in page
    assert f'name="q{row.question_id}"' not in page
    _post_answers(client, made, achievement="Fine, still", challenge="")
    row.refresh_from_db()
    assert row.hidden and row.text == "Names a child"
    assert PollAnswer.objects.get(question__item_key="achievement").text == "Fine, still"
