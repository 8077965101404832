"""The demo's targets and report branding (``seed_demo_outcomes``): set as the QA lead, once."""

import pytest
from django.core.management import call_command

from outcomes.demo import TARGETS
from outcomes.models import MeasureTarget
from outcomes.registry import MEASURES
from reports.models import ReportBranding

pytestmark = pytest.mark.django_db


def test_targets_and_branding_are_the_qa_leads_and_made_once(personas, capsys):
    assert set(TARGETS) <= set(MEASURES)
    call_command("seed_demo_outcomes")
    call_command("seed_demo_outcomes")

    targets = MeasureTarget.objects.filter(authority=personas.authority_a)
    assert targets.count() == len(TARGETS)
    assert {t.history.get().history_user for t in targets} == {personas.quinn}
    branding = ReportBranding.objects.get(authority=personas.authority_a)
    assert branding.introduction and branding.history.get().history_user == personas.quinn
    assert "0 targets and 0 report brandings created." in capsys.readouterr().out
