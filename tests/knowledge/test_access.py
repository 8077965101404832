"""The knowledge access page: an authority's records for its QA leads (quinn for A, quentin for
B); give, extend and end access, each kept in the record's history with who did it."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from knowledge import services
from knowledge.models import KnowledgeAccess
from tests.knowledge.builders import access_record

pytestmark = pytest.mark.django_db

ACCESS = reverse("knowledge:access")


def _extend(record) -> str:
    return reverse("knowledge:access_extend", args=[record.pk])


def _end(record) -> str:
    return reverse("knowledge:access_end", args=[record.pk])


@pytest.fixture
def records(personas):
    return {
        "alice": access_record(personas.alice, personas.authority_a, expires_in=20),
        "bob": access_record(personas.bob, personas.authority_a, expires_in=200),
        "leah": access_record(personas.leah, personas.authority_a, expires_in=-5),
        "charlie": access_record(personas.charlie, personas.authority_b, expires_in=60),
    }


def test_the_qa_lead_sees_their_authoritys_records(records, personas, login):
    response = login(personas.quinn).get(ACCESS)
    assert response.status_code == 200
    states = {row["record"].user.username: row["state"] for row in response.context["rows"]}
    assert states == {"alice": "expiring", "bob": "active", "leah": "expired"}
    content = response.content.decode()
    assert 'data-state="expiring" class="table-warning"' in content
    assert 'data-state="expired" class="text-body-secondary"' in content
    assert "Charlie" not in content


def test_another_authoritys_qa_lead_cannot_touch_the_records(records, personas, login):
    client = login(personas.quentin)
    rows = client.get(ACCESS).context["rows"]
    assert [row["record"].user for row in rows] == [personas.charlie]
    assert client.get(ACCESS, {"authority": "991"}).status_code == 404
    later = (timezone.localdate() + timedelta(days=400)).isoformat()
    assert client.post(_extend(records["alice"]), {"expires_on": later}).status_code == 404
    assert client.post(_end(records["alice"])).status_code == 404
    records["alice"].refresh_from_db()
    assert records["alice"].ended_on is None


@pytest.mark.parametrize("name", ["alice", "charlie", "leah", "ana", "pam"])
def test_people_who_are_not_qa_leads_are_refused(records, personas, login, name):
    client = login(getattr(personas, name))
    assert client.get(ACCESS).status_code == 403
    assert client.post(_end(records["alice"])).status_code == 404


def test_a_platform_admin_chooses_the_authority(records, personas, login):
    client = login(personas.pat)
    assert client.get(ACCESS).context["rows"] == []
    rows = client.get(ACCESS, {"authority": "992"}).context["rows"]
    assert [row["record"].user for row in rows] == [personas.charlie]


def test_the_qa_lead_gives_access_to_a_member(personas, login):
    client = login(personas.quinn)
    until = timezone.localdate() + timedelta(days=365)
    response = client.post(
        reverse("knowledge:access_grant"),
        {
            "authority": "991",
            "user": personas.alice.pk,
            "what": "Signs of Safety knowledge bank",
            "expires_on": until,
        },
    )
    assert response.status_code == 302
    record = KnowledgeAccess.objects.get(user=personas.alice)
    assert (record.authority, record.expires_on, record.granted_by) == (
        personas.authority_a,
        until,
        personas.quinn,
    )
    assert record.history.first().history_user == personas.quinn


def test_access_is_only_for_members_of_the_authority(personas, login):
    until = timezone.localdate() + timedelta(days=365)
    response = login(personas.quinn).post(
        reverse("knowledge:access_grant"), {"user": personas.charlie.pk, "what": "Bank", "expires_on": until}
    )
    assert response.status_code == 400
    assert not KnowledgeAccess.objects.exists()
    with pytest.raises(ValidationError, match="does not work in Ashdown"):
        services.access_grant(
            authority=personas.authority_a,
            user=personas.charlie,
            expires_on=until,
            acting_user=personas.quinn,
        )


def test_a_second_current_record_is_refused(records, personas):
    with pytest.raises(ValidationError, match="extend that record instead"):
        services.access_grant(
            authority=personas.authority_a,
            user=personas.alice,
            expires_on=timezone.localdate() + timedelta(days=300),
            acting_user=personas.quinn,
        )


def test_an_expiry_in_the_past_is_refused_with_a_message(personas, login):
    response = login(personas.quinn).post(
        reverse("knowledge:access_grant"),
        {"user": personas.alice.pk, "what": "Bank", "expires_on": timezone.localdate() - timedelta(days=1)},
    )
    assert response.status_code == 400
    assert "Choose an expiry date after the day access starts." in response.content.decode()


def test_extending_moves_the_date_and_restarts_the_reminders(records, personas, login):
    record = records["alice"]
    KnowledgeAccess.objects.filter(pk=record.pk).update(reminded_days=30, reminded_on=timezone.localdate())
    later = timezone.localdate() + timedelta(days=400)
    assert login(personas.quinn).post(_extend(record), {"expires_on": later}).status_code == 302
    record.refresh_from_db()
    assert (record.expires_on, record.reminded_days, record.reminded_on) == (later, None, None)
    assert record.history.first().history_user == personas.quinn


def test_extending_to_an_earlier_date_is_refused(records, personas, login):
    record = records["bob"]
    response = login(personas.quinn).post(
        _extend(record), {"expires_on": record.expires_on - timedelta(days=1)}
    )
    assert response.status_code == 400
    assert "Choose a date after" in response.content.decode()


def test_ending_access(records, personas, login):
    record = records["bob"]
    assert login(personas.quinn).post(_end(record)).status_code == 302
    record.refresh_from_db()
    assert record.ended_on == timezone.localdate() == record.expires_on


def test_services_check_who_acts(records, personas):
    with pytest.raises(PermissionDenied):
        services.access_end(record=records["alice"], acting_user=personas.quentin)
    with pytest.raises(PermissionDenied):
        services.access_end(record=records["alice"], acting_user=personas.alice)


def test_the_page_reads_a_fixed_number_of_queries(personas, login, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(personas.quinn)
    access_record(personas.alice, personas.authority_a, expires_in=20)
    client.get(ACCESS)
    with CaptureQueriesContext(connection) as few:
        client.get(ACCESS)
    for person in (personas.bob, personas.leah, personas.quinn, personas.max):
        access_record(person, personas.authority_a, expires_in=90)
    with django_assert_num_queries(len(few)):
        client.get(ACCESS)
