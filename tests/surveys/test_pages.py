"""The staff survey pages: answering, the report, its PDF and CSV, and who may see what."""

import csv
import io

import pytest
from django.urls import reverse

from surveys.models import SurveyResponse, WaveParticipation
from tests.surveys.builders import answers, baseline_wave, follow_up_wave, open_wave, respond

pytestmark = pytest.mark.django_db


def _report_urls(wave, code):
    return [
        reverse(name, args=[wave.pk, code])
        for name in ("surveys:report", "surveys:report_pdf", "surveys:export")
    ]


def _form_data(team="", **kwargs):
    return {"team": team, **{key: "" if value is None else value for key, value in answers(**kwargs).items()}}


@pytest.fixture
def closed(personas):
    """A baseline and a closed follow-up: A with 12 and 9 answers, B with 7 and 6."""
    base = baseline_wave()
    follow = follow_up_wave(base)
    respond(base, personas.authority_a, 12, team=personas.team_a, agree=3, scale=5, text="We map together")
    respond(follow, personas.authority_a, 9, team=personas.team_a, agree=4, scale=7, text="Group supervision")
    respond(base, personas.authority_b, 7, agree=2)
    respond(follow, personas.authority_b, 6, agree=2, text="Brackenford worry")
    return follow


def test_home_offers_the_open_wave_to_staff(personas, login):
    wave = open_wave()
    page = login(personas.alice).get(reverse("surveys:home"))
    assert page.status_code == 200
    assert reverse("surveys:answer", args=[wave.pk]).encode() in page.content
    assert b"Results and action research reports" not in page.content  # practitioners see no results


def test_answering_then_seeing_it_is_done(personas, login):
    wave = open_wave()
    client = login(personas.alice)
    url = reverse("surveys:answer", args=[wave.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert b"Prefer not to say" in form.content and b"Child Protection North" in form.content

    done = client.post(url, _form_data(team=str(personas.team_a.pk), agree=4, text="Supervision helps"))

    assert done.status_code == 302
    response = SurveyResponse.objects.get()
    assert response.team == personas.team_a and response.authority == personas.authority_a
    assert WaveParticipation.objects.filter(user=personas.alice, wave=wave).exists()
    home = client.get(reverse("surveys:home"))
    assert b"You have answered this wave" in home.content
    again = client.post(url, _form_data(agree=1))
    assert b"You have answered this wave" in again.content
    assert SurveyResponse.objects.count() == 1


def test_a_missing_answer_is_shown_and_nothing_is_written(personas, login):
    wave = open_wave()
    data = _form_data()
    data["climate-safety"] = ""
    page = login(personas.alice).post(reverse("surveys:answer", args=[wave.pk]), data)
    assert page.status_code == 400
    assert b"This field is required" in page.content
    assert not WaveParticipation.objects.exists() and not SurveyResponse.objects.exists()


def test_prefer_not_to_say_keeps_no_team(personas, login):
    wave = open_wave()
    login(personas.alice).post(reverse("surveys:answer", args=[wave.pk]), _form_data())
    assert SurveyResponse.objects.get().team is None


def test_people_without_an_authority_cannot_answer(personas, login):
    wave = open_wave()
    for user in (personas.pam, personas.ana):
        assert login(user).get(reverse("surveys:answer", args=[wave.pk])).status_code == 403


@pytest.mark.parametrize("who", ["quinn", "leah", "ana"])
def test_leaders_qa_leads_and_analysts_read_the_report(personas, login, closed, who):
    client = login(getattr(personas, who))
    for url in _report_urls(closed, "991"):
        assert client.get(url).status_code == 200, url
    page = client.get(_report_urls(closed, "991")[0])
    assert b"Standout challenges: leadership and culture" in page.content
    assert b"We map together" not in page.content  # the baseline's words are not this wave's
    assert b"Group supervision" in page.content


@pytest.mark.parametrize("who", ["charlie", "quentin", "alice", "bob", "pam"])
def test_others_get_404_for_an_authoritys_report(personas, login, closed, who):
    client = login(getattr(personas, who))
    for url in _report_urls(closed, "991"):
        assert client.get(url).status_code == 404, (who, url)


def test_max_reads_a_but_not_b_where_he_is_a_practitioner(personas, login, closed):
    client = login(personas.max)
    assert client.get(_report_urls(closed, "991")[0]).status_code == 200
    assert client.get(_report_urls(closed, "992")[0]).status_code == 404


def test_b_sees_a_only_de_identified(personas, login, closed):
    page = login(personas.quentin).get(_report_urls(closed, "992")[0])
    assert page.status_code == 200
    assert b"Brackenford" in page.content
    assert b"Ashdown" not in page.content and b"991" not in page.content
    assert b"Group supervision" not in page.content  # A's words never reach B


def test_no_page_export_or_report_names_a_respondent(personas, login, closed):
    wave = open_wave()
    login(personas.alice).post(reverse("surveys:answer", args=[wave.pk]), _form_data())
    client = login(personas.quinn)
    pages = [client.get(url).content for url in _report_urls(closed, "991")[::2]]
    pages.append(client.get(reverse("surveys:home")).content)
    for content in pages:
        for name in ("alice", "Alice"):
            assert name.encode() not in content


def test_the_export_is_aggregated_and_suppressed(personas, login, closed):
    content = login(personas.quinn).get(_report_urls(closed, "991")[2]).content.decode()
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][:6] == ["authority_code", "wave", "section", "item_key", "item", "answer"]
    keys = {row[3] for row in rows[1:]}
    assert (
        "leadership-visible" in keys and "what-working-well" not in keys
    )  # no free text, no rows per person
    agree = next(row for row in rows if row[3] == "climate-teamwork" and row[5] == "Agree")
    assert agree[6:10] == ["0.0", "100.0", "12", "9"]


def test_the_export_keeps_a_spreadsheet_from_running_a_wave_name(personas, login, closed):
    plain = list(
        csv.reader(io.StringIO(login(personas.quinn).get(_report_urls(closed, "991")[2]).content.decode()))
    )
    closed.name = "=HYPERLINK(1)"
    closed.save()
    content = login(personas.quinn).get(_report_urls(closed, "991")[2]).content.decode()
    rows = list(csv.reader(io.StringIO(content)))
    assert {row[1] for row in rows[1:]} == {"'=HYPERLINK(1)"}
    # Every other cell, the figures among them, is as it was.
    assert [row[:1] + row[2:] for row in rows] == [row[:1] + row[2:] for row in plain]


def test_the_programme_team_sees_counts_with_small_ones_suppressed(personas, login, closed):
    small = open_wave(name="Pulse")
    respond(small, personas.authority_a, 3)
    page = login(personas.pam).get(reverse("surveys:home"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "fewer than 5" in text
    assert ">9<" in text and ">12<" in text
    assert reverse("admin:surveys_surveywave_add") in text


def test_the_programme_team_manages_waves_in_the_admin(personas, login, closed):
    assert login(personas.pam).get(reverse("admin:surveys_surveywave_changelist")).status_code == 200
    assert login(personas.quinn).get(reverse("admin:surveys_surveywave_changelist")).status_code == 403


def test_results_wait_until_the_wave_closes(personas, login):
    wave = open_wave()
    respond(wave, personas.authority_a, 8, text="Secret while open")
    page = login(personas.quinn).get(reverse("surveys:report", args=[wave.pk, "991"])).content
    assert b"Results are shown once the wave has closed" in page
    assert b"Secret while open" not in page
