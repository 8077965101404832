"""The standard results logic and rubric, loaded by the data migration on an empty database."""

import importlib

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RunPython
from django.db.models import ProtectedError

from fidelity.models import ResultsNode, Rubric, RubricElement

pytestmark = pytest.mark.django_db

MIGRATION = ("fidelity", "0002_standard_results_logic")

# The stable keys of the shared design (issue 4): tools, measures and other migrations use them.
EXPECTED_NODES = [
    "outcomes",
    "outcomes.children_families",
    *(
        f"outcomes.children_families.{leaf}"
        for leaf in (
            "referrals",
            "rereferral",
            "cp_plans",
            "repeat_cp_plans",
            "cp_plan_duration",
            "care_entry",
            "reentry_to_care",
            "kinship_care",
            "family_experience",
            "child_experience",
        )
    ),
    "outcomes.practice",
    "outcomes.practice.assessment_timeliness",
    "outcomes.practice.icpc_timeliness",
    "outcomes.workforce",
    *(f"outcomes.workforce.{leaf}" for leaf in ("climate", "wellbeing", "turnover", "agency", "caseload")),
    "practice_fidelity",
    "practice_fidelity.principles",
    "practice_fidelity.case_tools",
    *(
        f"practice_fidelity.case_tools.{leaf}"
        for leaf in (
            "map",
            "danger_statements",
            "safety_goals",
            "scaling",
            "childs_voice",
            "words_pictures",
            "network",
            "safety_plan",
        )
    ),
    "practice_fidelity.processes",
    "practice_fidelity.processes.participatory_meetings",
    "practice_fidelity.processes.family_owned_plans",
    "implementation_fidelity",
    *(
        f"implementation_fidelity.{leaf}"
        for leaf in ("learning", "leadership", "alignment", "measures", "stakeholders")
    ),
]

EXPECTED_ELEMENT_NODES = {
    "P1": "practice_fidelity.case_tools.map",
    "P2": "practice_fidelity.case_tools.danger_statements",
    "P3": "practice_fidelity.case_tools.map",
    "P4": "practice_fidelity.case_tools.map",
    "P5": "practice_fidelity.case_tools.safety_goals",
    "P6": "practice_fidelity.case_tools.scaling",
    "P7": "practice_fidelity.case_tools.childs_voice",
    "P8": "practice_fidelity.case_tools.words_pictures",
    "P9": "practice_fidelity.case_tools.network",
    "P10": "practice_fidelity.case_tools.safety_plan",
    "P11": "practice_fidelity.processes.family_owned_plans",
    "P12": "practice_fidelity.processes.participatory_meetings",
    "P13": "practice_fidelity.principles",
    "P14": "outcomes.children_families.family_experience",
}


def test_the_tree_has_exactly_the_listed_keys():
    assert len(EXPECTED_NODES) == 41
    assert sorted(ResultsNode.objects.values_list("key", flat=True)) == sorted(EXPECTED_NODES)


def test_each_node_sits_under_the_node_its_key_names():
    for node in ResultsNode.objects.select_related("parent"):
        parent_key = node.key.rpartition(".")[0]
        assert (node.parent.key if node.parent else "") == parent_key, node.key
        node.full_clean()  # the model's own check: a child's key starts with its parent's


def test_every_node_has_a_name_and_a_description_citing_the_domain_brief():
    for node in ResultsNode.objects.all():
        assert node.name, node.key
        assert "Domain brief §" in node.description, node.key


def test_siblings_are_numbered_in_the_listed_order():
    top = list(ResultsNode.objects.filter(parent=None).order_by("order").values_list("key", flat=True))
    assert top == ["outcomes", "practice_fidelity", "implementation_fidelity"]
    workforce = ResultsNode.objects.get(key="outcomes.workforce").children.order_by("order")
    assert [n.key.rpartition(".")[2] for n in workforce] == [
        "climate",
        "wellbeing",
        "turnover",
        "agency",
        "caseload",
    ]


def test_the_standard_rubric_has_four_levels():
    rubric = Rubric.objects.get(key="sofs-case-practice")
    assert list(rubric.levels.values_list("value", "label")) == [
        (1, "Not evident"),
        (2, "Emerging"),
        (3, "Established"),
        (4, "Embedded"),
    ]
    assert all(level.description for level in rubric.levels.all())


def test_the_standard_rubric_has_p1_to_p14_each_core_with_four_descriptors_and_its_node():
    elements = list(RubricElement.objects.filter(rubric__key="sofs-case-practice").select_related("node"))
    assert [e.key for e in elements] == [f"P{n}" for n in range(1, 15)]  # in their order
    for element in elements:
        assert element.is_core, element.key
        assert element.name, element.key
        assert sorted(element.descriptors) == ["1", "2", "3", "4"], element.key
        assert all(text.strip() for text in element.descriptors.values()), element.key
        assert element.node.key == EXPECTED_ELEMENT_NODES[element.key]


def test_level_3_descriptors_follow_the_domain_brief_table():
    descriptors = dict(
        RubricElement.objects.filter(rubric__key="sofs-case-practice").values_list("key", "descriptors")
    )
    assert "behaviour" in descriptors["P1"]["3"] and "impact on the child" in descriptors["P1"]["3"]
    assert "at least three perspectives" in descriptors["P6"]["3"]
    assert "time-bound" in descriptors["P11"]["3"]


def test_loading_again_changes_nothing_and_keeps_edits():
    migration = importlib.import_module(f"fidelity.migrations.{MIGRATION[1]}")
    ResultsNode.objects.filter(key="outcomes").update(name="Results")
    migration.load(apps, None)
    assert ResultsNode.objects.count() == 41
    assert RubricElement.objects.filter(rubric__key="sofs-case-practice").count() == 14
    assert ResultsNode.objects.get(key="outcomes").name == "Results"


def test_the_reverse_refuses_while_a_node_is_in_use_and_loses_nothing():
    migration = importlib.import_module(f"fidelity.migrations.{MIGRATION[1]}")
    local = Rubric.objects.create(key="local-rubric", name="Local")
    RubricElement.objects.create(
        rubric=local, key="L1", name="Local element", node=ResultsNode.objects.get(key="outcomes.workforce")
    )
    with pytest.raises(ProtectedError), transaction.atomic():
        migration.unload(apps, None)
    assert ResultsNode.objects.count() == 41
    assert RubricElement.objects.filter(rubric__key="sofs-case-practice").count() == 14


def test_the_reverse_removes_what_was_added():
    """As ``migrate fidelity 0001`` would: the data migrations that depend on this one (the
    standard tool library) are reversed first, with the historical models."""
    loader = MigrationLoader(connection)
    state_apps = loader.project_state().apps
    for key in loader.graph.backwards_plan(MIGRATION):
        for operation in reversed(loader.graph.nodes[key].operations):
            if isinstance(operation, RunPython):
                if not operation.reversible:
                    pytest.skip(f"{key} cannot be reversed")
                operation.reverse_code(state_apps, None)
    assert not ResultsNode.objects.exists()
    assert not Rubric.objects.exists()

    migration = importlib.import_module(f"fidelity.migrations.{MIGRATION[1]}")
    ResultsNode.objects.create(key="local", name="Kept: not the migration's")
    migration.load(state_apps, None)
    migration.unload(state_apps, None)
    assert list(ResultsNode.objects.values_list("key", flat=True)) == ["local"]
