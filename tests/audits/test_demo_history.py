"""The demo's past audits (``audits.demo.seed_history``) give the audit measures something to show:
signed-off audits with family and child feedback, blind moderations and learning actions."""

import pytest

from audits import demo
from audits.models import Audit, AuditStatus, FeedbackRequest, LearningAction, Moderation
from outcomes.models import MeasureValue
from outcomes.services import measures_compute
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


def test_history_has_voice_moderation_and_actions(personas):
    ChildFactory.create_batch(6, authority=personas.authority_a, team=personas.team_a)
    created = demo.seed_history(authority=personas.authority_a, seed=1, per_quarter=10)

    assert created == 80
    assert Audit.objects.filter(authority=personas.authority_a, status=AuditStatus.SIGNED_OFF).count() == 80
    family = FeedbackRequest.objects.filter(audit__authority=personas.authority_a, respondent="family")
    assert family.exists() and all(r.response_id and r.answered_at for r in family)
    assert not family.exclude(audit__family_consent="given").exists()  # only with the family's consent
    assert FeedbackRequest.objects.filter(respondent="child").exists()
    assert Moderation.objects.filter(
        audit__authority=personas.authority_a, completed_at__isnull=False
    ).exists()
    assert LearningAction.objects.filter(audit__authority=personas.authority_a).exists()
    # Idempotent: a second call adds nothing.
    assert demo.seed_history(authority=personas.authority_a, seed=1, per_quarter=10) == 0

    measures_compute(authority_ids=[personas.authority_a.pk])
    computed = MeasureValue.objects.filter(
        authority=personas.authority_a, team__isnull=True, period_type="year"
    )
    for key in ("family_participation", "moderation_agreement", "fidelity_overall"):
        assert any(v.numerator > 0 for v in computed.filter(measure=key)), key
