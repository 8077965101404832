import pytest
from django.core.management import CommandError, call_command

from accounts.demo import PERSONAS, seed_people
from accounts.models import Authority, Membership, User

pytestmark = pytest.mark.django_db


def test_add_authority_is_idempotent(capsys):
    call_command("add_authority", "872", "Wokingham")
    call_command("add_authority", "872", "Wokingham")
    assert Authority.objects.get(code="872").name == "Wokingham"
    assert Authority.objects.count() == 1
    out = capsys.readouterr().out
    assert "Added: Wokingham (872)" in out and "Already present: Wokingham (872)" in out


def test_add_authority_rejects_a_bad_code():
    with pytest.raises(CommandError, match="exactly three digits"):
        call_command("add_authority", "87", "Nowhere")


def test_demo_seed_is_idempotent_and_has_every_role():
    seed_people()
    seed_people()
    assert User.objects.count() == len(PERSONAS)
    assert {m.role for m in Membership.objects.all()} == {
        "practitioner",
        "team_manager",
        "qa_lead",
        "leader",
        "analyst",
        "platform_admin",
        "programme",
    }
    assert Authority.objects.count() == 5  # five, so that benchmarks (which need five) show
