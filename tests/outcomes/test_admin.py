import pytest
from django.urls import reverse

from outcomes.models import MeasureValue
from outcomes.services import measures_compute
from tests.outcomes import builders as b

pytestmark = pytest.mark.django_db


@pytest.fixture
def values(personas):
    b.referral(b.child(personas.authority_a), "2024-04-02")
    b.referral(b.child(personas.authority_b), "2024-04-02")
    measures_compute()
    return personas


def test_qa_lead_lists_only_their_authoritys_values(values, login):
    client = login(values.quinn)
    response = client.get(reverse("admin:outcomes_measurevalue_changelist"))
    assert response.status_code == 200
    listed = response.context["cl"].queryset
    assert listed.exists()
    assert set(listed.values_list("authority__code", flat=True)) == {"991"}


def test_qa_lead_cannot_open_another_authoritys_value(values, login):
    other = MeasureValue.objects.filter(authority=values.authority_b).first()
    response = login(values.quinn).get(reverse("admin:outcomes_measurevalue_change", args=[other.pk]))
    assert response.status_code in (302, 404)


def test_values_are_read_only(values, login):
    client = login(values.quinn)
    mine = MeasureValue.objects.filter(authority=values.authority_a).first()
    response = client.get(reverse("admin:outcomes_measurevalue_change", args=[mine.pk]))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert client.get(reverse("admin:outcomes_measurevalue_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:outcomes_measurevalue_delete", args=[mine.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert MeasureValue.objects.filter(pk=mine.pk).exists()


def test_platform_admin_sees_every_authority(values, login):
    listed = login(values.pat).get(reverse("admin:outcomes_measurevalue_changelist")).context["cl"].queryset
    assert set(listed.values_list("authority__code", flat=True)) == {"991", "992"}


def test_practitioners_have_no_admin(values, login):
    response = login(values.charlie).get(reverse("admin:outcomes_measurevalue_changelist"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
