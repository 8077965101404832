"""The admin's preview: a version, or an adaptation, as practitioners will see it."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits import services
from audits.admin_views import preview_item
from audits.models import Tool, VersionStatus
from audits.resolution import ResolvedItem
from tests.audits import builders

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(personas):
    return builders.small_standard_tool(user=personas.pat)


def preview_url(version) -> str:
    return reverse("admin:audits_toolversion_preview", args=[version.pk])


def radios(html: str, name: str) -> list[str]:
    return re.findall(rf'type="radio" name="{name}" id="[^"]+" value="([^"]+)"', html)


def test_the_preview_shows_the_rubric_descriptors_as_the_choices(small, personas, login):
    response = login(personas.quinn).get(preview_url(small.version))
    html = response.content.decode()

    assert response.status_code == 200
    assert radios(html, "item-r1") == ["1", "2", "3", "4"]
    for value, label in builders.LEVELS:
        assert f"{value} · {label}" in html
        assert f"T1 at level {value}" in html
        assert f"T3 at level {value}" in html
    assert 'data-testid="preview-banner"' in html
    assert "Signs of Safety <span" in html  # the practitioners' layout, not the admin's


def test_the_preview_shows_scales_with_anchors_options_and_text_boxes(small, personas, login):
    html = login(personas.quinn).get(preview_url(small.version)).content.decode()

    assert radios(html, "item-s1") == [str(value) for value in range(11)]
    assert "Nothing is in place" in html and "Fully in place" in html
    assert radios(html, "item-c1") == ["often", "rarely"]
    assert ">Often</label>" in html and ">Rarely</label>" in html
    assert '<textarea class="form-control" rows="3" name="item-worry"' in html
    # Sections in order, items numbered through the whole tool.
    assert html.index("The map") < html.index("The child&#x27;s voice")
    assert "6 items in 2 sections · 3 core" in " ".join(html.split())


def test_the_preview_of_an_adaptation_applies_the_changes(small, personas, login):
    adaptation = services.tool_adapt(
        authority=personas.authority_a, tool=small.tool, acting_user=personas.quinn
    )
    set_change = services.item_change_set
    set_change(
        adaptation=adaptation,
        item_key="r1",
        kind="reword",
        text="Harm is written so the family understands it",
        descriptors={"3": "The family would recognise the harm as written"},
        equivalent=True,
        acting_user=personas.quinn,
    )
    set_change(adaptation=adaptation, item_key="worry", kind="hide", acting_user=personas.quinn)
    set_change(
        adaptation=adaptation,
        item_key="r2",
        kind="guidance",
        guidance="Ask the family to read it back",
        acting_user=personas.quinn,
    )
    set_change(
        adaptation=adaptation,
        item_key="local-yn",
        kind="add",
        type="yes_partly_no",
        text="Was an interpreter offered?",
        section_key="voice",
        order=9,
        acting_user=personas.quinn,
    )

    response = login(personas.quinn).get(reverse("admin:audits_adaptation_preview", args=[adaptation.pk]))
    html = response.content.decode()

    assert response.status_code == 200
    assert "Harm is written so the family understands it" in html
    assert "The family would recognise the harm as written" in html
    assert "T1 at level 3" not in html
    assert "T1 at level 2" in html  # levels not reworded keep the element's descriptor
    assert "What are you worried about?" not in html
    assert "hidden here: worry" in html
    assert "Ashdown guidance:" in html and "Ask the family to read it back" in html
    assert radios(html, "item-local-yn") == ["yes", "partly", "no"]
    assert "Local item" in html and "Reworded locally, same meaning" in html


def test_the_preview_of_the_standard_case_audit(personas, login):
    tool = Tool.objects.filter(key="case-audit").first()
    if tool is None:
        pytest.skip("the standard library migration is not loaded")
    version = tool.versions.get(number=1, status=VersionStatus.PUBLISHED)
    response = login(personas.quinn).get(preview_url(version))
    html = response.content.decode()

    assert response.status_code == 200
    keys = [entry.item.key for _section, items in response.context["sections"] for entry in items]
    assert [f"p{n}" for n in range(1, 15)] == [key for key in keys if re.fullmatch(r"p\d+", key)]
    # P6 scaling: the four levels of the standard rubric, with the element's own descriptors.
    assert radios(html, "item-p6") == ["1", "2", "3", "4"]
    assert "3 · Established" in html
    assert "Scales run from 0 to 10 with stated anchors" in html


def test_the_preview_reads_a_few_queries_whatever_the_size(small, personas, login):
    client = login(personas.quinn)
    bigger = builders.tool("t-bigger")
    draft = builders.version(bigger)
    builders.fill_small_version(draft)
    extra = builders.section(draft, "more", order=3)
    for number in range(20):
        builders.item(extra, f"extra-{number}", type="scale", order=number, node_key="t-practice.map")

    def queries(version) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(preview_url(version)).status_code == 200
        return len(captured)

    queries(small.version)  # the session's first read
    assert queries(small.version) == queries(draft) <= 12


def test_items_without_choices_still_get_an_input():
    item = ResolvedItem(key="n", section_key="s", order=1, type="number", text="How many visits?")
    assert preview_item(item, 1).input == "number"
    unknown = ResolvedItem(key="x", section_key="s", order=1, type="text", text="Anything else?")
    assert preview_item(unknown, 2).input == "text"
    yes_no = ResolvedItem(key="y", section_key="s", order=1, type="yes_partly_no", text="Seen alone?")
    assert [value for value, _label in preview_item(yes_no, 3).choices] == ["yes", "partly", "no"]
