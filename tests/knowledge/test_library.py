"""The library page, a resource, and its download.

Programme resources are read by everyone in the programme; a local resource of Ashdown (A) only by
A's staff: charlie (B) neither sees it nor opens it (404, like a missing one)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from knowledge.models import Resource
from tests.knowledge.builders import resource

pytestmark = pytest.mark.django_db

LIBRARY = reverse("knowledge:library")


@pytest.fixture
def library(personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    programme = resource("Danger statements guide", elements=("P2",), nodes=("practice_fidelity.principles",))
    local_a = resource("Ashdown practice standard", authority=personas.authority_a, elements=("P2",))
    local_a.url = ""
    local_a.file = SimpleUploadedFile("ashdown-standard.pdf", b"%PDF-1.4 Ashdown")
    local_a.save()
    draft = resource("Draft guide", is_published=False)
    return {"programme": programme, "local_a": local_a, "draft": draft}


def _titles(response) -> list[str]:
    return [row.title for row in response.context["page"].object_list]


def test_everyone_in_the_programme_sees_the_programme_library(library, personas, login):
    for person in (personas.alice, personas.charlie, personas.ana, personas.pam):
        response = login(person).get(LIBRARY)
        assert response.status_code == 200
        assert "Danger statements guide" in _titles(response)


def test_a_local_resource_is_seen_only_by_its_authoritys_staff(library, personas, login):
    assert "Ashdown practice standard" in _titles(login(personas.alice).get(LIBRARY))
    response = login(personas.charlie).get(LIBRARY)
    assert "Ashdown practice standard" not in _titles(response)
    assert b"Ashdown practice standard" not in response.content


def test_a_local_resource_of_another_authority_is_404(library, personas, login):
    client = login(personas.charlie)
    assert client.get(reverse("knowledge:detail", args=[library["local_a"].pk])).status_code == 404
    assert client.get(reverse("knowledge:download", args=[library["local_a"].pk])).status_code == 404
    assert client.get(reverse("knowledge:detail", args=[999_999])).status_code == 404


def test_unpublished_resources_are_for_the_people_who_edit_them(library, personas, login):
    assert "Draft guide" not in _titles(login(personas.alice).get(LIBRARY))
    assert (
        login(personas.alice).get(reverse("knowledge:detail", args=[library["draft"].pk])).status_code == 404
    )
    assert "Draft guide" in _titles(login(personas.pam).get(LIBRARY))


def test_the_authoritys_staff_download_the_local_file(library, personas, login):
    response = login(personas.bob).get(reverse("knowledge:download", args=[library["local_a"].pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 Ashdown"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/pdf"


def test_a_linked_resource_has_no_download(library, personas, login):
    response = login(personas.alice).get(reverse("knowledge:download", args=[library["programme"].pk]))
    assert response.status_code == 404


def test_people_outside_the_programme_are_refused(library, login):
    from tests.factories import UserFactory

    outsider = UserFactory(username="outsider")
    assert login(outsider).get(LIBRARY).status_code == 403
    assert login(outsider).get(reverse("knowledge:detail", args=[library["programme"].pk])).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(library, client):
    assert client.get(LIBRARY).status_code == 302


def test_links_open_in_a_new_tab_and_files_download(library, personas, login):
    content = login(personas.alice).get(LIBRARY).content.decode()
    assert 'href="https://www.signsofsafety.net/" target="_blank" rel="noopener noreferrer"' in content
    assert reverse("knowledge:download", args=[library["local_a"].pk]) in content
    assert ">Download<" in content


def test_search_and_filters(library, personas, login):
    from fidelity.models import ResultsNode, RubricElement

    client = login(personas.alice)
    assert _titles(client.get(LIBRARY, {"q": "ashdown standard"})) == ["Ashdown practice standard"]
    p2 = RubricElement.objects.get(rubric__key="sofs-case-practice", key="P2")
    assert sorted(_titles(client.get(LIBRARY, {"element": p2.pk}))) == [
        "Ashdown practice standard",
        "Danger statements guide",
    ]
    node = ResultsNode.objects.get(key="practice_fidelity.principles")
    assert _titles(client.get(LIBRARY, {"node": node.pk})) == ["Danger statements guide"]
    assert _titles(client.get(LIBRARY, {"kind": "video"})) == []


def test_htmx_gets_only_the_results(library, personas, login):
    response = login(personas.alice).get(LIBRARY, {"q": "danger"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "knowledge/_results.html"
    assert b"<html" not in response.content


def test_staff_see_their_own_access_on_the_library_page(library, personas, login):
    from tests.knowledge.builders import access_record

    access_record(personas.alice, personas.authority_a, expires_in=10)
    access_record(personas.bob, personas.authority_a, expires_in=100)
    response = login(personas.alice).get(LIBRARY)
    own = response.context["own_access"]
    assert [(record.user, state) for record, state, _days in own] == [(personas.alice, "expiring")]
    assert b"10 days left" in response.content


def test_the_library_reads_a_fixed_number_of_queries(library, personas, login, django_assert_num_queries):
    client = login(personas.alice)
    client.get(LIBRARY)
    with CaptureQueriesContext(connection) as few:
        client.get(LIBRARY)
    for n in range(15):
        resource(f"Guide {n}", elements=("P1", "P6"), nodes=("practice_fidelity.case_tools.scaling",))
    assert Resource.objects.count() > 15
    with django_assert_num_queries(len(few)):
        client.get(LIBRARY)
