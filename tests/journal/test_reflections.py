"""Quarterly reflections: written by the authority's leaders and QA leads, for their own authority."""

import pytest
from django.urls import reverse

from journal import services
from journal.models import QuarterlyReflection
from tests.journal.builders import AWKWARD, QUARTER

pytestmark = pytest.mark.django_db

EDIT = reverse("journal:reflection_edit", args=["2026-27-Q2"])


@pytest.mark.parametrize("who", ["quinn", "leah"])
def test_leaders_and_qa_leads_write_their_authoritys_reflection(personas, login, who):
    client = login(getattr(personas, who))
    assert client.get(EDIT).status_code == 200
    response = client.post(EDIT, {"achievement": AWKWARD, "challenge": "Recruitment"})
    assert response.status_code == 302
    reflection = QuarterlyReflection.objects.get()
    assert reflection.authority == personas.authority_a and reflection.quarter == QUARTER
    assert reflection.achievement == AWKWARD
    assert reflection.written_by == getattr(personas, who)
    assert reflection.history.get().history_user == getattr(personas, who)
    page = client.get(reverse("journal:reflections")).content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page and "<script>alert" not in page


@pytest.mark.parametrize("who", ["alice", "bob", "charlie", "pam", "ana"])
def test_others_cannot_write_authority_as_reflection(personas, login, who):
    response = login(getattr(personas, who)).post(EDIT, {"achievement": "a", "challenge": "b"})
    assert response.status_code == 403
    assert not QuarterlyReflection.objects.exists()


def test_quentin_writes_for_brackenford_never_for_ashdown(personas, login):
    login(personas.quentin).post(EDIT, {"achievement": "Ours", "challenge": "Ours"})
    assert QuarterlyReflection.objects.get().authority == personas.authority_b
    with pytest.raises(services.PermissionDenied):
        services.reflection_save(
            authority=personas.authority_a,
            quarter=QUARTER,
            achievement="x",
            challenge="y",
            acting_user=personas.quentin,
        )


def test_rewriting_keeps_one_reflection_and_the_history(personas, login):
    client = login(personas.quinn)
    client.post(EDIT, {"achievement": "First", "challenge": "Hard"})
    login(personas.leah).post(EDIT, {"achievement": "Second", "challenge": "Hard"})
    reflection = QuarterlyReflection.objects.get()
    assert reflection.achievement == "Second" and reflection.written_by == personas.leah
    assert [h.history_user.username for h in reflection.history.order_by("history_date")] == ["quinn", "leah"]
    page = login(personas.alice).get(reverse("journal:reflection", args=[reflection.pk])).content.decode()
    assert "Rewritten" in page and "Second" in page


def test_both_parts_are_needed(personas, login):
    response = login(personas.quinn).post(EDIT, {"achievement": "Only this", "challenge": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_a_future_quarter_cannot_be_reflected_on(personas):
    with pytest.raises(services.ValidationError, match="once the quarter has begun"):
        services.reflection_save(
            authority=personas.authority_a,
            quarter=QUARTER.replace(year=QUARTER.year + 10),
            achievement="x",
            challenge="y",
            acting_user=personas.quinn,
        )


def test_alice_reads_her_authoritys_reflections_but_cannot_edit(personas, login):
    services.reflection_save(
        authority=personas.authority_a,
        quarter=QUARTER,
        achievement="Our win",
        challenge="Our worry",
        acting_user=personas.leah,
    )
    page = login(personas.alice).get(reverse("journal:reflections")).content.decode()
    assert "Our win" in page and EDIT not in page


def test_authority_b_gets_404_for_ashdowns_reflection(personas, login):
    reflection = services.reflection_save(
        authority=personas.authority_a,
        quarter=QUARTER,
        achievement="Private draft",
        challenge="x",
        acting_user=personas.leah,
    )
    for outsider in (personas.charlie, personas.quentin):
        client = login(outsider)
        own = client.get(reverse("journal:reflection", args=[reflection.pk]))
        missing = client.get(reverse("journal:reflection", args=[987_654_321]))
        assert own.status_code == missing.status_code == 404
        assert own.content == missing.content
    for insider in (personas.alice, personas.quinn, personas.pam):
        assert login(insider).get(reverse("journal:reflection", args=[reflection.pk])).status_code == 200
    page = login(personas.charlie).get(reverse("journal:reflections"))
    assert page.status_code == 200 and "Private draft" not in page.content.decode()
