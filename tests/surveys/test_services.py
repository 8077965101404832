"""Answering a wave: one participation and one anonymous response, once per person."""

import pytest
from django.core.exceptions import ValidationError

from surveys import services
from surveys.models import SurveyAnswer, SurveyResponse, WaveParticipation
from tests.surveys.builders import answers, baseline_wave, open_wave

pytestmark = pytest.mark.django_db


def _submit(wave, user, authority, team=None, **kwargs):
    services.survey_answer_submit(
        wave=wave, acting_user=user, authority=authority, team=team, answers=answers(**kwargs)
    )


def test_submitting_writes_a_participation_and_an_anonymous_response(personas):
    wave = open_wave()
    _submit(wave, personas.alice, personas.authority_a, personas.team_a, text="Mapping works")

    assert WaveParticipation.objects.filter(wave=wave, user=personas.alice).count() == 1
    response = SurveyResponse.objects.get()
    assert (response.wave, response.authority, response.team) == (wave, personas.authority_a, personas.team_a)
    stored = dict(SurveyAnswer.objects.values_list("item_key", "value"))
    assert stored["climate-teamwork"] == "neutral"
    assert stored["conf-map"] == 6
    assert stored["what-working-well"] == "Mapping works"


def test_a_second_submission_is_refused_and_writes_nothing(personas):
    wave = open_wave()
    _submit(wave, personas.alice, personas.authority_a)

    with pytest.raises(services.AlreadyAnswered, match="already answered this survey wave"):
        _submit(wave, personas.alice, personas.authority_a, agree=5)

    assert WaveParticipation.objects.count() == 1
    assert SurveyResponse.objects.count() == 1


def test_a_person_answers_once_per_wave_whichever_authority(personas):
    wave = open_wave()
    _submit(wave, personas.max, personas.authority_a)
    with pytest.raises(services.AlreadyAnswered):
        _submit(wave, personas.max, personas.authority_b)
    assert SurveyResponse.objects.count() == 1


def test_a_closed_wave_is_refused(personas):
    wave = baseline_wave()
    with pytest.raises(ValidationError, match="not open"):
        _submit(wave, personas.alice, personas.authority_a)
    assert not WaveParticipation.objects.exists()


def test_invalid_answers_write_neither_participation_nor_response(personas):
    wave = open_wave()
    bad = answers() | {"conf-map": 11, "climate-safety": "sometimes"}
    del bad["climate-teamwork"]
    with pytest.raises(ValidationError) as raised:
        services.survey_answer_submit(
            wave=wave, acting_user=personas.alice, authority=personas.authority_a, team=None, answers=bad
        )
    text = " ".join(raised.value.messages)
    assert "Please answer: In my team it is easy to ask for help" in text
    assert "not one of the answers offered" in text
    assert not WaveParticipation.objects.exists()
    assert not SurveyResponse.objects.exists()


def test_the_team_must_be_in_the_authority(personas):
    wave = open_wave()
    with pytest.raises(ValidationError, match="team must belong"):
        _submit(wave, personas.alice, personas.authority_a, personas.team_b)
    assert not WaveParticipation.objects.exists()


def test_empty_open_answers_are_not_stored(personas):
    wave = open_wave()
    _submit(wave, personas.alice, personas.authority_a, text="   ")
    assert not SurveyAnswer.objects.filter(item_key__startswith="what-").exists()
