"""The standard tool library loaded by ``audits/migrations/0002_standard_library.py`` and the
later migrations that add tools to it (``0004_workshop_poll.py``) or versions of a tool
(``0005_staff_survey_v2.py``).

The test database is built by running the migrations, so these tests see exactly what a new
installation gets.
"""

import importlib

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audits import services
from audits.models import Item, ItemType, Section, Tool, ToolKind, ToolVersion, VersionStatus
from fidelity.models import RubricElement

migration = importlib.import_module("audits.migrations.0002_standard_library")

RUBRIC_KEY = "sofs-case-practice"

CASE_AUDIT_RUBRIC_KEYS = [f"p{n}" for n in range(1, 15)]

# tool key -> (kind, item keys in the order people meet them)
EXPECTED = {
    "case-audit": (
        ToolKind.CASE_AUDIT,
        [
            *CASE_AUDIT_RUBRIC_KEYS,
            "what-working-well",
            "what-worried-about",
            "what-needs-to-happen",
            "proudest",
            "overall-safety-scale",
        ],
    ),
    "implementation-scale": (
        ToolKind.IMPLEMENTATION_SCALE,
        [*(f"e{n}" for n in range(1, 11)), "sentinel-leadership", "sentinel-compliance"],
    ),
    "workshop-poll": (ToolKind.WORKSHOP_POLL, ["achievement", "challenge", "next-workshop"]),
    "staff-survey": (
        ToolKind.STAFF_SURVEY,
        [
            "conf-map",
            "conf-danger-goals",
            "conf-scaling",
            "conf-childs-voice",
            "conf-words-pictures",
            "conf-network-plan",
            "climate-teamwork",
            "climate-safety",
            "climate-management",
            "climate-job-satisfaction",
            "climate-stress",
            "climate-working-conditions",
            "what-working-well",
            "what-worried-about",
            "what-needs-to-happen",
        ],
    ),
    "family-feedback": (
        ToolKind.FAMILY_FEEDBACK,
        [
            "what-working-well",
            "what-worried-about",
            "what-needs-to-happen",
            "explained-worries",
            "listened-to",
            "know-what-needs-to-happen",
            "network-involved",
            "your-plan",
        ],
    ),
    "child-feedback": (
        ToolKind.CHILD_FEEDBACK,
        [
            "house-worries",
            "house-good-things",
            "house-dreams",
            "explained-worries",
            "words-pictures-helped",
            "agree-what-needs-to-happen",
            "plan-tells-everyone",
            "tablet-helped",
        ],
    ),
    "supervision-audit": (
        ToolKind.SUPERVISION_AUDIT,
        [
            "sup-mapped",
            "sup-harm-danger-apart",
            "sup-safety-not-strengths",
            "sup-plain-language",
            "sup-perspectives",
            "sup-scaling",
            "sup-inquiry",
            "sup-next-steps",
            "sup-learning-point",
        ],
    ),
    "practice-observation": (
        ToolKind.PRACTICE_OBSERVATION,
        [
            "obs-setting",
            "obs-plain-language",
            "obs-worries-explained",
            "obs-working-well",
            "obs-child-voice",
            "obs-scaling",
            "obs-participation",
            "obs-next-steps",
            "obs-feedback",
        ],
    ),
}

# Later standard versions: (tool key, number) -> item keys in order.
STAFF_SURVEY_V2 = [
    *EXPECTED["staff-survey"][1][:12],
    "leadership-visible",
    "culture-compliance",
    *EXPECTED["staff-survey"][1][12:],
]
LATER_VERSIONS = {("staff-survey", 2): STAFF_SURVEY_V2}
ALL_VERSIONS = [(key, 1) for key in EXPECTED] + list(LATER_VERSIONS)
ALL_ITEMS = sum(len(keys) for _, keys in EXPECTED.values()) + sum(len(k) for k in LATER_VERSIONS.values())

CASE_AUDIT_SECTIONS = {
    "the-map": ["p1", "p2", "p3", "p4"],
    "goals-and-scaling": ["p5", "p6"],
    "childs-voice": ["p7", "p8"],
    "network-and-plan": ["p9", "p10", "p11"],
    "practice": ["p12", "p13", "p14"],
    "conversation": [
        "what-working-well",
        "what-worried-about",
        "what-needs-to-happen",
        "proudest",
        "overall-safety-scale",
    ],
}


def standard_items():
    return Item.objects.filter(version__tool__authority__isnull=True).select_related(
        "version__tool", "rubric_element__rubric", "rubric_element__node", "node"
    )


def library_counts():
    return {
        "tools": Tool.objects.count(),
        "versions": ToolVersion.objects.count(),
        "sections": Section.objects.count(),
        "items": Item.objects.count(),
    }


@pytest.mark.django_db
def test_every_standard_tool_is_published_at_version_1_and_later_versions_derive_from_it():
    tools = Tool.objects.filter(authority__isnull=True)
    assert sorted(tools.values_list("key", flat=True)) == sorted(EXPECTED)
    for tool in tools:
        kind, _ = EXPECTED[tool.key]
        assert tool.kind == kind
        assert "Domain brief" in tool.description
        versions = sorted(tool.versions.all(), key=lambda v: v.number)
        expected_numbers = [1] + sorted(n for key, n in LATER_VERSIONS if key == tool.key)
        assert [v.number for v in versions] == expected_numbers
        assert all(v.status == VersionStatus.PUBLISHED and v.published_at is not None for v in versions)
        assert versions[0].derived_from is None
        for earlier, later in zip(versions, versions[1:], strict=False):
            assert later.derived_from == earlier


@pytest.mark.django_db
def test_staff_survey_v2_adds_leadership_and_culture_and_keeps_every_v1_item():
    v1, v2 = (ToolVersion.objects.get(tool__key="staff-survey", number=n) for n in (1, 2))
    assert list(v2.items.values_list("key", flat=True)) == STAFF_SURVEY_V2
    section = v2.sections.get(key="leadership-culture")
    assert section.title == "Leadership and culture"
    items = {item.key: item for item in v2.items.select_related("node")}
    assert items["leadership-visible"].node.key == "implementation_fidelity.leadership"
    assert items["culture-compliance"].node.key == "implementation_fidelity.alignment"
    assert (
        items["leadership-visible"].text
        == "Senior leaders are visible and engaged in our practice with families."
    )
    climate_options = items["climate-teamwork"].options
    for key in ("leadership-visible", "culture-compliance"):
        assert items[key].is_core and items[key].required
        assert items[key].options == climate_options
        assert "Domain brief" in items[key].guidance and "§4" in items[key].guidance
    fields = ["key", "type", "text", "guidance", "required", "is_core", "node_id", "options", "anchors"]
    assert list(v1.items.values_list(*fields)) == [
        row
        for row in v2.items.values_list(*fields)
        if row[0] not in ("leadership-visible", "culture-compliance")
    ]
    assert "Leadership and culture" in v2.notes


@pytest.mark.django_db
@pytest.mark.parametrize("tool_key", list(EXPECTED))
def test_item_keys_per_tool_in_order(tool_key):
    version = ToolVersion.objects.get(tool__key=tool_key, number=1)
    assert list(version.items.values_list("key", flat=True)) == EXPECTED[tool_key][1]


@pytest.mark.django_db
def test_tools_stay_short():
    counts = {key: ToolVersion.objects.get(tool__key=key, number=1).items.count() for key in EXPECTED}
    assert ToolVersion.objects.get(tool__key="staff-survey", number=2).items.count() == 17
    assert counts["case-audit"] == 14 + 5
    assert counts["workshop-poll"] == 3  # a poll in a workshop asks a few questions
    for key, count in counts.items():
        if key not in ("case-audit", "workshop-poll"):
            assert 6 <= count <= 20, key


@pytest.mark.django_db
def test_case_audit_sections_group_the_elements():
    version = ToolVersion.objects.get(tool__key="case-audit")
    sections = {
        section.key: list(section.items.order_by("order").values_list("key", flat=True))
        for section in version.sections.order_by("order")
    }
    assert sections == CASE_AUDIT_SECTIONS
    assert list(sections) == list(CASE_AUDIT_SECTIONS)


@pytest.mark.django_db
def test_case_audit_rubric_items_are_core_required_and_tied_to_their_element():
    items = {item.key: item for item in standard_items().filter(version__tool__key="case-audit")}
    for key in CASE_AUDIT_RUBRIC_KEYS:
        item = items[key]
        assert item.type == ItemType.RUBRIC
        assert item.is_core and item.required, key
        assert item.rubric_element.key == key.upper()
        assert item.rubric_element.rubric.key == RUBRIC_KEY
        assert item.node == item.rubric_element.node
    narrative = set(items) - set(CASE_AUDIT_RUBRIC_KEYS)
    assert narrative == {
        "what-working-well",
        "what-worried-about",
        "what-needs-to-happen",
        "proudest",
        "overall-safety-scale",
    }
    assert not any(items[key].is_core for key in narrative)
    assert items["proudest"].text == "What are you proudest of in this work?"
    assert items["overall-safety-scale"].type == ItemType.SCALE


@pytest.mark.django_db
def test_case_audit_covers_every_element_of_the_rubric_once():
    elements = RubricElement.objects.filter(rubric__key=RUBRIC_KEY)
    assert elements.count() == 14
    used = standard_items().filter(version__tool__key="case-audit", rubric_element__isnull=False)
    assert sorted(used.values_list("rubric_element__key", flat=True)) == sorted(
        elements.values_list("key", flat=True)
    )


@pytest.mark.django_db
def test_every_item_maps_to_a_rubric_element_or_a_results_logic_node():
    items = list(standard_items())
    assert len(items) == ALL_ITEMS
    for item in items:
        assert item.rubric_element is not None or item.node is not None, item.key
        assert item.node is not None, item.key  # in this library every item has its node
        if item.type == ItemType.RUBRIC:
            assert item.rubric_element is not None, item.key
            assert item.rubric_element.rubric.key == RUBRIC_KEY
            assert item.node == item.rubric_element.node, item.key
            assert item.descriptors == {}, "level descriptors come from the rubric element"
        else:
            assert item.rubric_element is None, item.key


@pytest.mark.django_db
def test_nodes_follow_the_shared_design():
    items = list(standard_items())
    prefixes = {
        "implementation-scale": "implementation_fidelity.",
        "family-feedback": "outcomes.children_families.family_experience",
        "child-feedback": "outcomes.children_families.child_experience",
    }
    for item in items:
        prefix = prefixes.get(item.version.tool.key)
        if prefix:
            assert item.node.key.startswith(prefix), item.key
    climate = [i for i in items if i.version.tool.key == "staff-survey" and i.key.startswith("climate-")]
    assert {i.node.key for i in climate} == {"outcomes.workforce.climate", "outcomes.workforce.wellbeing"}
    implementation = {i.key: i for i in items if i.version.tool.key == "implementation-scale"}
    assert all(implementation[f"e{n}"].is_core for n in range(1, 11))
    assert implementation["sentinel-leadership"].node.key == "implementation_fidelity.leadership"


@pytest.mark.django_db
def test_scales_have_anchors_for_0_and_10():
    for item in standard_items():
        if item.type == ItemType.SCALE:
            assert item.anchors.get("0", "").strip(), item.key
            assert item.anchors.get("10", "").strip(), item.key
            assert set(item.anchors) <= {str(n) for n in range(11)}, item.key
        else:
            assert item.anchors == {}, item.key


@pytest.mark.django_db
def test_implementation_items_use_the_self_scale_anchors():
    items = {i.key: i for i in standard_items().filter(version__tool__key="implementation-scale")}
    zero_anchors = {items[f"e{n}"].anchors["0"] for n in range(1, 11)}
    assert len(zero_anchors) == 1, "E1 to E10 share the 0 anchor of Domain brief §2.3"
    assert "fade away" in zero_anchors.pop()
    assert "thoroughly familiar" in items["e1"].anchors["10"]


@pytest.mark.django_db
def test_choice_items_have_options():
    choice_types = {ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE}
    seen = 0
    for item in standard_items():
        if item.type in choice_types:
            seen += 1
            assert item.options, item.key
            values = [option["value"] for option in item.options]
            assert len(values) == len(set(values)), item.key
            assert all(option["value"] and option["label"] for option in item.options), item.key
        else:
            assert item.options == [], item.key
    assert seen == 7 + 8  # six climate items and the observation setting; v2: climate and leadership


@pytest.mark.django_db
def test_items_have_text_guidance_and_unique_orders():
    for version in ToolVersion.objects.filter(tool__authority__isnull=True):
        section_orders = list(version.sections.values_list("order", flat=True))
        assert len(section_orders) == len(set(section_orders))
        for section in version.sections.all():
            orders = list(section.items.values_list("order", flat=True))
            assert len(orders) == len(set(orders)), section.key
            assert section.title
    for item in standard_items():
        assert item.text.strip() and item.guidance.strip(), item.key
        assert "Domain brief" in item.guidance, item.key


@pytest.mark.django_db
@pytest.mark.parametrize(("tool_key", "number"), ALL_VERSIONS)
def test_each_standard_version_passes_the_publishing_checks(tool_key, number):
    version = ToolVersion.objects.get(tool__key=tool_key, number=number)
    assert services.tool_version_validate(version=version) == []


@pytest.mark.django_db
def test_running_the_migration_again_changes_nothing():
    before = library_counts()
    published = dict(ToolVersion.objects.values_list("tool__key", "published_at"))

    migration.create_standard_library(django_apps, None)

    assert library_counts() == before
    assert dict(ToolVersion.objects.values_list("tool__key", "published_at")) == published


@pytest.mark.django_db
def test_the_migration_skips_a_tool_that_exists_and_creates_a_missing_one():
    migration.delete_standard_library(django_apps, None)
    version_1_files = [spec["key"] for spec in migration.read_library()]
    assert not Tool.objects.filter(key__in=version_1_files).exists()
    Tool.objects.create(key="case-audit", name="Someone else's case audit", kind=ToolKind.CASE_AUDIT)

    migration.create_standard_library(django_apps, None)

    assert Tool.objects.get(key="case-audit").name == "Someone else's case audit"
    assert not ToolVersion.objects.filter(tool__key="case-audit").exists()
    assert ToolVersion.objects.get(tool__key="staff-survey").status == VersionStatus.PUBLISHED
    assert ToolVersion.objects.get(tool__key="staff-survey").items.count() == 15


# serialized_rollback: the flush that ends a transactional test would otherwise leave later tests
# without the rows that migrations load.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_reverses_and_applies_again():
    executor = MigrationExecutor(connection)
    executor.migrate([("audits", "0001_tool_library")])
    assert not Tool.objects.filter(key__in=EXPECTED).exists()
    assert not Item.objects.exists()

    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert ToolVersion.objects.filter(
        tool__key__in=EXPECTED, number=1, status=VersionStatus.PUBLISHED
    ).count() == len(EXPECTED)
    assert Item.objects.count() == ALL_ITEMS


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_v2_migration_reverses_to_version_1_and_applies_again():
    executor = MigrationExecutor(connection)
    executor.migrate([("audits", "0004_workshop_poll")])
    assert list(ToolVersion.objects.filter(tool__key="staff-survey").values_list("number", flat=True)) == [1]
    assert Item.objects.count() == ALL_ITEMS - len(STAFF_SURVEY_V2)

    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    v2 = ToolVersion.objects.get(tool__key="staff-survey", number=2)
    assert v2.status == VersionStatus.PUBLISHED
    assert v2.derived_from == ToolVersion.objects.get(tool__key="staff-survey", number=1)
    assert Item.objects.count() == ALL_ITEMS
