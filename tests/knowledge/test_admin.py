"""The knowledge library in the admin: the programme team edits the programme's library; a QA lead
adds and edits local resources for their own authority and sees no other authority's."""

import pytest
from django.urls import reverse

from knowledge.models import Resource
from tests.knowledge.builders import access_record, resource

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:knowledge_resource_changelist")
ADD = reverse("admin:knowledge_resource_add")


def change(row) -> str:
    return reverse("admin:knowledge_resource_change", args=[row.pk])


@pytest.fixture
def rows(personas):
    return {
        "programme": resource("Programme guide"),
        "local_a": resource("Ashdown guide", authority=personas.authority_a),
        "local_b": resource("Brackenford guide", authority=personas.authority_b),
    }


def _listed(response) -> set[str]:
    return set(response.context["cl"].queryset.values_list("title", flat=True))


def test_a_qa_lead_lists_only_their_authoritys_local_resources(rows, personas, login):
    response = login(personas.quinn).get(CHANGELIST)
    assert response.status_code == 200
    assert _listed(response) == {"Ashdown guide"}


def test_a_qa_lead_cannot_open_another_authoritys_resource(rows, personas, login):
    client = login(personas.quinn)
    assert client.get(change(rows["local_b"])).status_code in (302, 404)
    assert client.get(change(rows["programme"])).status_code in (302, 404)
    assert client.get(change(rows["local_a"])).status_code == 200


def _form(authority="", title="Local guide") -> dict:
    return {
        "title": title,
        "summary": "How we do it here.",
        "kind": "guidance",
        "url": "https://intranet.ashdown.example/guide",
        "authority": authority,
        "is_published": "on",
    }


def test_a_qa_lead_adds_a_local_resource_for_their_authority_only(rows, personas, login):
    client = login(personas.quinn)
    assert client.post(ADD, _form(personas.authority_a.pk)).status_code == 302
    added = Resource.objects.get(title="Local guide")
    assert added.authority == personas.authority_a
    assert added.history.first().history_user == personas.quinn

    refused = client.post(ADD, _form(personas.authority_b.pk, title="Sneaky"))
    assert refused.status_code == 200 and "authority" in refused.context["adminform"].form.errors
    programme = client.post(ADD, _form("", title="Not mine to add"))
    assert programme.status_code == 200 and "authority" in programme.context["adminform"].form.errors
    assert not Resource.objects.filter(title__in=["Sneaky", "Not mine to add"]).exists()


def test_the_programme_team_edits_the_programme_library(rows, personas, login):
    client = login(personas.pam)
    assert _listed(client.get(CHANGELIST)) == {"Programme guide"}
    assert client.post(ADD, _form("", title="New programme guide")).status_code == 302
    assert Resource.objects.get(title="New programme guide").authority is None
    assert client.get(change(rows["local_a"])).status_code in (302, 404)


def test_the_admin_refuses_a_link_and_a_file_together(personas, login, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    data = _form("", title="Both")
    data["file"] = SimpleUploadedFile("guide.pdf", b"%PDF-1.4")
    response = login(personas.pam).post(ADD, data)
    assert response.status_code == 200
    assert "Give either a link or a file, not both." in response.content.decode()


def test_a_platform_admin_sees_every_resource(rows, personas, login):
    assert _listed(login(personas.pat).get(CHANGELIST)) == {
        "Programme guide",
        "Ashdown guide",
        "Brackenford guide",
    }


def test_access_records_are_read_only_and_scoped(personas, login):
    access_record(personas.alice, personas.authority_a, expires_in=30)
    access_record(personas.charlie, personas.authority_b, expires_in=30)
    client = login(personas.quinn)
    response = client.get(reverse("admin:knowledge_knowledgeaccess_changelist"))
    assert response.status_code == 200
    assert [row.user for row in response.context["cl"].queryset] == [personas.alice]
    assert client.get(reverse("admin:knowledge_knowledgeaccess_add")).status_code == 403


def test_practitioners_have_no_admin(rows, personas, login):
    response = login(personas.alice).get(CHANGELIST, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
