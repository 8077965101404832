import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_switcher_is_shown_only_with_several_memberships(personas, login):
    assert b'data-testid="authority-switcher"' not in login(personas.alice).get(reverse("home")).content
    assert b'data-testid="authority-switcher"' in login(personas.max).get(reverse("home")).content


def test_switching_changes_the_active_authority_and_role(personas, login):
    client = login(personas.max)
    assert client.get(reverse("home")).context["active_membership"].authority == personas.authority_a
    response = client.post(
        reverse("accounts:switch_authority"), {"authority": personas.authority_b.pk, "next": "/teams/"}
    )
    assert response.status_code == 302 and response["Location"] == "/teams/"
    page = client.get(reverse("accounts:teams"))
    assert [t.name for t in page.context["teams"]] == ["Assessment Team"]
    # As a practitioner in B, max no longer has A's authority overview.
    assert client.get(reverse("accounts:authority")).status_code == 403


def test_cannot_switch_into_another_authority(personas, login):
    client = login(personas.charlie)
    response = client.post(reverse("accounts:switch_authority"), {"authority": personas.authority_a.pk})
    assert response.status_code == 404


def test_switch_ignores_offsite_next(personas, login):
    client = login(personas.max)
    response = client.post(
        reverse("accounts:switch_authority"),
        {"authority": personas.authority_b.pk, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"
