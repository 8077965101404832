"""Anonymity by construction: what the response tables can and cannot hold."""

import uuid

from django.apps import apps
from django.conf import settings
from django.db import models

from surveys.models import SurveyAnswer, SurveyResponse, WaveParticipation


def _fields(model):
    return {field.name: field for field in model._meta.get_fields() if field.concrete}


def test_responses_and_answers_hold_no_person_and_no_time():
    for model in (SurveyResponse, SurveyAnswer):
        for field in _fields(model).values():
            assert not isinstance(field, models.DateField | models.TimeField), (model, field.name)
            if field.is_relation:
                assert field.related_model._meta.label != settings.AUTH_USER_MODEL, (model, field.name)
    assert set(_fields(SurveyResponse)) == {"id", "wave", "authority", "team"}
    assert set(_fields(SurveyAnswer)) == {"id", "response", "item_key", "value"}


def test_keys_are_random_so_no_order_can_be_matched_with_participations():
    for model in (SurveyResponse, SurveyAnswer):
        primary = model._meta.pk
        assert isinstance(primary, models.UUIDField)
        assert primary.default is uuid.uuid4
        assert not model._meta.ordering


def test_participation_says_who_answered_and_nothing_else():
    assert set(_fields(WaveParticipation)) == {"id", "wave", "user"}
    related = {field.related_model for field in _fields(WaveParticipation).values() if field.is_relation}
    assert SurveyResponse not in related and SurveyAnswer not in related
    assert not any(
        f.related_model is WaveParticipation for f in _fields(SurveyResponse).values() if f.is_relation
    )


def test_no_history_is_kept_of_responses_answers_or_participations():
    labels = {model._meta.label_lower for model in apps.get_app_config("surveys").get_models()}
    assert "surveys.historicalsurveywave" in labels  # waves are edited by people: their history is kept
    for name in ("historicalsurveyresponse", "historicalsurveyanswer", "historicalwaveparticipation"):
        assert f"surveys.{name}" not in labels
