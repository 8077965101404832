"""The demo's survey waves: seeded, idempotent, and without participations for made-up staff."""

import pytest
from django.db.models import Count

from accounts.demo import seed_people
from surveys.demo import seed_surveys
from surveys.models import SurveyResponse, SurveyWave, WaveKind, WaveParticipation

pytestmark = pytest.mark.django_db

CODES = ["991", "992", "993", "994", "995"]


def test_seeding_twice_adds_nothing_the_second_time():
    seed_people()
    first = seed_surveys(codes=CODES)
    counts = (SurveyWave.objects.count(), SurveyResponse.objects.count())
    second = seed_surveys(codes=CODES)

    assert first["waves"] == 3 and first["responses"] > 0
    assert second == {"waves": 0, "responses": 0}
    assert (SurveyWave.objects.count(), SurveyResponse.objects.count()) == counts
    assert not WaveParticipation.objects.exists()  # the made-up respondents are not users

    waves = {wave.name: wave for wave in SurveyWave.objects.all()}
    baseline, follow_up = waves["Staff survey baseline"], waves["Staff survey follow-up"]
    assert baseline.kind == WaveKind.BASELINE and baseline.has_closed()
    assert follow_up.baseline == baseline and follow_up.has_closed()
    assert any(wave.is_open() for wave in waves.values())
    per_authority = (
        SurveyResponse.objects.filter(wave__in=[baseline, follow_up])
        .values("wave", "authority__code")
        .annotate(n=Count("id"))
    )
    assert len(per_authority) == 2 * len(CODES)
    assert all(12 <= row["n"] <= 40 for row in per_authority)
