"""The results logic and rubrics in the admin: platform admins change them, QA leads read them,
everyone else is kept out; every change is in the history with the person who made it."""

import pytest
from django.urls import reverse

from fidelity.models import ResultsNode, Rubric, RubricElement

pytestmark = pytest.mark.django_db

MODELS = ["resultsnode", "rubric", "rubriclevel", "rubricelement"]


def _node_form(node, **changes):
    data = {
        "name": node.name,
        "parent": node.parent_id or "",
        "order": node.order,
        "description": node.description,
    }
    return {**data, **changes}


def _rubric_form(rubric, element_changes=None):
    """The rubric's change form as posted: its levels and elements as inlines, each element with
    one text box per level."""
    element_changes = element_changes or {}
    levels = list(rubric.levels.all())
    elements = list(rubric.elements.all())
    data = {
        "name": rubric.name,
        "description": rubric.description,
        "levels-TOTAL_FORMS": len(levels),
        "levels-INITIAL_FORMS": len(levels),
        "levels-MIN_NUM_FORMS": 0,
        "levels-MAX_NUM_FORMS": 1000,
        "elements-TOTAL_FORMS": len(elements),
        "elements-INITIAL_FORMS": len(elements),
        "elements-MIN_NUM_FORMS": 0,
        "elements-MAX_NUM_FORMS": 1000,
    }
    for i, level in enumerate(levels):
        data |= {
            f"levels-{i}-id": level.pk,
            f"levels-{i}-rubric": rubric.pk,
            f"levels-{i}-value": level.value,
            f"levels-{i}-label": level.label,
            f"levels-{i}-description": level.description,
        }
    for i, element in enumerate(elements):
        data |= {
            f"elements-{i}-id": element.pk,
            f"elements-{i}-rubric": rubric.pk,
            f"elements-{i}-key": element.key,
            f"elements-{i}-name": element.name,
            f"elements-{i}-node": element.node_id,
            f"elements-{i}-is_core": "on" if element.is_core else "",
            f"elements-{i}-order": element.order,
        }
        for level in levels:
            data[f"elements-{i}-descriptor_{level.value}"] = element.descriptors.get(str(level.value), "")
        for name, value in element_changes.get(element.key, {}).items():
            data[f"elements-{i}-{name}"] = value
    return data


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_platform_admins_may_do_everything(personas, model):
    pat = personas.pat
    assert pat.has_perm("fidelity")
    assert all(pat.has_perm(f"fidelity.{action}_{model}") for action in ("view", "add", "change", "delete"))


@pytest.mark.parametrize("name", ["quinn", "quentin"])
@pytest.mark.parametrize("model", MODELS)
def test_qa_leads_may_only_view(personas, name, model):
    lead = getattr(personas, name)
    assert lead.has_perm("fidelity")
    assert lead.has_perm(f"fidelity.view_{model}")
    assert not any(lead.has_perm(f"fidelity.{action}_{model}") for action in ("add", "change", "delete"))


@pytest.mark.parametrize("name", ["alice", "bob", "leah", "charlie", "ana"])
def test_everyone_else_may_do_nothing(personas, name):
    user = getattr(personas, name)
    assert not user.has_perm("fidelity")
    for model in MODELS:
        assert not any(
            user.has_perm(f"fidelity.{action}_{model}") for action in ("view", "add", "change", "delete")
        )


# --- results-logic nodes ----------------------------------------------------------------------


def test_the_node_list_shows_the_tree_grouped_by_parent(personas, login):
    response = login(personas.pat).get(reverse("admin:fidelity_resultsnode_changelist"))
    assert response.status_code == 200
    nodes = list(response.context["cl"].queryset)
    assert len(nodes) == 41
    assert [n.key for n in nodes[:3]] == ["outcomes", "practice_fidelity", "implementation_fidelity"]
    assert [n.key for n in nodes[3:8]] == [
        "implementation_fidelity.learning",
        "implementation_fidelity.leadership",
        "implementation_fidelity.alignment",
        "implementation_fidelity.measures",
        "implementation_fidelity.stakeholders",
    ]
    assert list(response.context["cl"].list_display)[1:] == ["key", "name", "parent", "order"]


def test_platform_admin_changes_a_node_and_history_records_them(personas, login):
    node = ResultsNode.objects.get(key="outcomes.workforce.caseload")
    response = login(personas.pat).post(
        reverse("admin:fidelity_resultsnode_change", args=[node.pk]),
        _node_form(node, name="Caseloads per social worker", key="changed.key"),
    )
    assert response.status_code == 302
    node.refresh_from_db()
    assert node.name == "Caseloads per social worker"
    assert node.key == "outcomes.workforce.caseload"  # keys are stable: read-only once created
    latest = node.history.first()
    assert (latest.history_type, latest.name, latest.history_user) == (
        "~",
        "Caseloads per social worker",
        personas.pat,
    )
    history = login(personas.pat).get(reverse("admin:fidelity_resultsnode_history", args=[node.pk]))
    assert history.status_code == 200
    assert "Caseloads per social worker" in history.content.decode()


def test_a_child_must_keep_its_parents_key_as_a_prefix(personas, login):
    node = ResultsNode.objects.get(key="outcomes.workforce.caseload")
    other = ResultsNode.objects.get(key="practice_fidelity")
    response = login(personas.pat).post(
        reverse("admin:fidelity_resultsnode_change", args=[node.pk]), _node_form(node, parent=other.pk)
    )
    assert response.status_code == 200
    assert (
        "does not start with 'practice_fidelity.'" in response.context["adminform"].form.errors["parent"][0]
    )
    node.refresh_from_db()
    assert node.parent.key == "outcomes.workforce"


def test_a_new_node_needs_a_key_under_its_parent(personas, login):
    parent = ResultsNode.objects.get(key="outcomes.workforce")
    response = login(personas.pat).post(
        reverse("admin:fidelity_resultsnode_add"),
        {"key": "sickness", "name": "Sickness absence", "parent": parent.pk, "order": 6},
    )
    assert response.status_code == 200
    assert "key" in response.context["adminform"].form.errors
    assert not ResultsNode.objects.filter(key="sickness").exists()


def test_platform_admin_adds_a_node(personas, login):
    parent = ResultsNode.objects.get(key="outcomes.workforce")
    response = login(personas.pat).post(
        reverse("admin:fidelity_resultsnode_add"),
        {"key": "outcomes.workforce.sickness", "name": "Sickness absence", "parent": parent.pk, "order": 6},
    )
    assert response.status_code == 302
    assert (
        ResultsNode.objects.get(key="outcomes.workforce.sickness").history.get().history_user == personas.pat
    )


def test_qa_lead_views_nodes_but_cannot_change_them(personas, login):
    client = login(personas.quinn)
    node = ResultsNode.objects.get(key="outcomes.workforce.caseload")
    assert client.get(reverse("admin:fidelity_resultsnode_changelist")).status_code == 200
    page = client.get(reverse("admin:fidelity_resultsnode_change", args=[node.pk]))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    response = client.post(
        reverse("admin:fidelity_resultsnode_change", args=[node.pk]), _node_form(node, name="Renamed")
    )
    assert response.status_code == 403
    assert client.get(reverse("admin:fidelity_resultsnode_add")).status_code == 403
    assert (
        client.post(reverse("admin:fidelity_resultsnode_delete", args=[node.pk]), {"post": "yes"}).status_code
        == 403
    )
    node.refresh_from_db()
    assert node.name == "Caseloads"
    assert not node.history.exists()


@pytest.mark.parametrize("name", ["alice", "leah", "ana"])
def test_people_without_admin_roles_are_kept_out(personas, login, name):
    node = ResultsNode.objects.get(key="outcomes")
    client = login(getattr(personas, name))
    for url in (
        reverse("admin:fidelity_resultsnode_changelist"),
        reverse("admin:fidelity_resultsnode_change", args=[node.pk]),
        reverse("admin:fidelity_rubric_changelist"),
    ):
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0] == reverse("home")
    response = client.post(
        reverse("admin:fidelity_resultsnode_change", args=[node.pk]), _node_form(node, name="X")
    )
    assert response.status_code == 302
    node.refresh_from_db()
    assert node.name == "Outcomes"


# --- rubrics ------------------------------------------------------------------------------------


def test_the_rubric_page_has_one_text_box_per_level_for_each_element(personas, login):
    rubric = Rubric.objects.get(key="sofs-case-practice")
    response = login(personas.pat).get(reverse("admin:fidelity_rubric_change", args=[rubric.pk]))
    assert response.status_code == 200
    levels, elements = (inline.formset for inline in response.context["inline_admin_formsets"])
    assert len(levels.forms) == 4
    assert len(elements.forms) == 14
    first = elements.forms[0]
    assert [first[f"descriptor_{n}"].label for n in range(1, 5)] == [
        "Level 1: Not evident",
        "Level 2: Emerging",
        "Level 3: Established",
        "Level 4: Embedded",
    ]
    assert first["descriptor_3"].value() == rubric.elements.get(key="P1").descriptors["3"]
    assert 'name="elements-0-descriptor_4"' in response.content.decode()


def test_platform_admin_edits_a_descriptor_and_history_records_them(personas, login):
    rubric = Rubric.objects.get(key="sofs-case-practice")
    before = rubric.elements.get(key="P6").descriptors
    response = login(personas.pat).post(
        reverse("admin:fidelity_rubric_change", args=[rubric.pk]),
        _rubric_form(rubric, {"P6": {"descriptor_4": "Scaling drives every decision."}}),
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    element = rubric.elements.get(key="P6")
    assert element.descriptors == {**before, "4": "Scaling drives every decision."}
    latest = element.history.first()
    assert latest.history_user == personas.pat
    assert latest.descriptors["4"] == "Scaling drives every decision."
    # The other elements were not touched.
    assert not RubricElement.history.filter(history_type="~").exclude(key="P6").exists()


def test_an_emptied_box_removes_that_levels_descriptor(personas, login):
    rubric = Rubric.objects.get(key="sofs-case-practice")
    response = login(personas.pat).post(
        reverse("admin:fidelity_rubric_change", args=[rubric.pk]),
        _rubric_form(rubric, {"P1": {"descriptor_2": "  "}}),
    )
    assert response.status_code == 302
    assert sorted(rubric.elements.get(key="P1").descriptors) == ["1", "3", "4"]


def test_qa_lead_views_the_rubric_but_cannot_change_it(personas, login):
    rubric = Rubric.objects.get(key="sofs-case-practice")
    client = login(personas.quinn)
    page = client.get(reverse("admin:fidelity_rubric_change", args=[rubric.pk]))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    content = page.content.decode()
    assert "Level 3: Established." in content
    assert rubric.elements.get(key="P6").descriptors["4"] in content
    assert 'name="elements-0-descriptor_1"' not in content
    response = client.post(
        reverse("admin:fidelity_rubric_change", args=[rubric.pk]),
        _rubric_form(rubric, {"P6": {"descriptor_4": "Changed by a QA lead"}}),
    )
    assert response.status_code == 403
    assert rubric.elements.get(key="P6").descriptors["4"] != "Changed by a QA lead"


def test_qa_lead_sees_the_fidelity_models_in_the_admin_index(personas, login):
    response = login(personas.quinn).get(reverse("admin:index"))
    models = {m["object_name"] for app in response.context["app_list"] for m in app["models"]}
    assert {"ResultsNode", "Rubric"} <= models
