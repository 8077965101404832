"""Knowledge resources beside the audit items: those tied to the item's rubric element or
results-logic node, the programme's and the audit authority's own (never another authority's), read
in one query for the whole form."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits.auditing import audit_create
from audits.models import Audit, AuditStatus, ToolVersion
from knowledge.selectors import guidance_for_items
from tests.factories import ChildFactory
from tests.knowledge.builders import resource

pytestmark = pytest.mark.django_db


def make_audit(personas) -> Audit:
    audit = audit_create(
        child=ChildFactory(authority=personas.authority_a, team=personas.team_a),
        practitioner=personas.alice,
        auditor=personas.bob,
        acting_user=personas.quinn,
        due_on=timezone.localdate() + timedelta(days=28),
    )
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.CONVERSATION)
    audit.refresh_from_db()
    return audit


def page(audit: Audit) -> str:
    return reverse("audits:detail", kwargs={"pk": audit.pk})


def guidance_block(html: str, item_key: str) -> str:
    """The guidance disclosure of one item ("" when it has none)."""
    found = re.search(
        rf'<details class="item-knowledge[^"]*" data-testid="guidance-{item_key}">(.*?)</details>', html, re.S
    )
    return found.group(1) if found else ""


@pytest.fixture
def tagged(personas):
    return {
        "scaling": resource("Scaling questions guide", elements=("P6",)),
        "voice": resource("Three Houses", nodes=("practice_fidelity.case_tools.childs_voice",)),
        "learning": resource("Appreciative inquiry", nodes=("implementation_fidelity.learning",)),
        "local_a": resource("Ashdown scaling standard", authority=personas.authority_a, elements=("P6",)),
        "local_b": resource("Brackenford scaling standard", authority=personas.authority_b, elements=("P6",)),
        "draft": resource("Unfinished guide", elements=("P6",), is_published=False),
    }


def test_resources_are_shown_beside_the_matching_items(tagged, personas, login):
    audit = make_audit(personas)
    html = login(personas.alice).get(page(audit)).content.decode()

    p6 = guidance_block(html, "p6")
    assert "Scaling questions guide" in p6
    assert "Ashdown scaling standard" in p6  # the audit authority's own
    assert "Brackenford scaling standard" not in html  # another authority's: never
    assert "Unfinished guide" not in html  # not published
    # P7 (the child's voice) is tied to the node, and the proudest question to learning.
    assert "Three Houses" in guidance_block(html, "p7")
    assert "Appreciative inquiry" in guidance_block(html, "proudest")


def test_items_without_matching_resources_show_no_guidance(tagged, personas, login):
    audit = make_audit(personas)
    html = login(personas.alice).get(page(audit)).content.decode()
    assert guidance_block(html, "p1") == ""
    assert "Scaling questions guide" not in guidance_block(html, "p7")
    assert html.count(">Scaling questions guide</a>") == 1


def test_external_links_open_in_a_new_tab(tagged, personas, login):
    html = login(personas.bob).get(page(make_audit(personas))).content.decode()
    assert (
        'href="https://www.signsofsafety.net/" target="_blank" rel="noopener noreferrer">Scaling questions guide</a>'
        in html
    )


def test_reloading_one_item_keeps_its_guidance(tagged, personas, login):
    audit = make_audit(personas)
    response = login(personas.bob).get(reverse("audits:answer", kwargs={"pk": audit.pk, "item_key": "p6"}))
    assert response.status_code == 200
    assert "Scaling questions guide" in guidance_block(response.content.decode(), "p6")


def test_the_guidance_costs_one_query_whatever_the_number_of_resources(personas, login):
    audit = make_audit(personas)
    client = login(personas.bob)
    client.get(page(audit))  # warm the session and caches

    with CaptureQueriesContext(connection) as none_yet:
        assert client.get(page(audit)).status_code == 200
    for n in range(1, 15):
        resource(
            f"Guide P{n}",
            elements=(f"P{n}",),
            nodes=("practice_fidelity", "outcomes.children_families", "implementation_fidelity.learning"),
        )
        resource(f"Local guide P{n}", authority=personas.authority_a, elements=(f"P{n}",))
    with CaptureQueriesContext(connection) as many:
        response = client.get(page(audit))

    assert response.content.decode().count('class="item-knowledge') == 19  # every item of the case audit
    assert len(many) == len(none_yet), [query["sql"] for query in many.captured_queries]
    knowledge_queries = [q for q in many.captured_queries if "knowledge_resource" in q["sql"]]
    assert len(knowledge_queries) == 1


def test_the_selector_matches_elements_and_nodes_each_once(tagged, personas, django_assert_num_queries):
    from audits import selectors

    version = ToolVersion.objects.get(tool__key="case-audit", status="published")
    items = selectors.resolved_tool(version=version).items()
    with django_assert_num_queries(1):
        guidance = guidance_for_items(items=items, authority_id=personas.authority_a.pk)
    by_key = {item.key: [link.title for link in guidance.for_item(item)] for item in items}
    assert by_key["p6"] == ["Scaling questions guide", "Ashdown scaling standard"]  # the programme's first
    assert by_key["p1"] == []


def test_the_preview_shows_the_guidance_too(tagged, personas, login):
    version = ToolVersion.objects.get(tool__key="case-audit", status="published")
    response = login(personas.pat).get(reverse("admin:audits_toolversion_preview", args=[version.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Scaling questions guide" in guidance_block(html, "p6")
    assert "Ashdown scaling standard" not in html  # the standard tool: the programme's library only
