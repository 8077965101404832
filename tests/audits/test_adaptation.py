"""Adopt or adapt: resolving, comparability, divergence, upgrading onto a new standard version.

The worked example (``tests.audits.builders.small_standard_tool``), standard v1:

    map:   r1 rubric core, r2 rubric core, worry text
    voice: r3 rubric core, s1 0–10 scale, c1 single choice

Authority A's adaptation: r1 reworded as equivalent (and its level 3 descriptor), r2 reworded with a
new meaning, worry and c1 hidden, s1 moved to the end of the map, local guidance on r3, and a local
item "a-school" at the end of the child's voice.
"""

import pytest
from django.core.exceptions import ValidationError

from audits import selectors, services
from audits.adaptation import (
    AdaptationData,
    ChangeData,
    DivergenceRow,
    ItemData,
    SectionData,
    VersionData,
    comparable_keys,
    plan_upgrade,
    resolve,
)
from audits.models import Adaptation, Adoption, AdoptionMode, ChangeKind, ItemType, ToolVersion, VersionStatus
from audits.resolution import Origin
from tests.audits import builders

REWORD, HIDE, ADD = ChangeKind.REWORD, ChangeKind.HIDE, ChangeKind.ADD
MOVE, GUIDANCE = ChangeKind.MOVE, ChangeKind.GUIDANCE


@pytest.fixture
def small(personas):
    return builders.small_standard_tool(user=personas.pat)


def adapt_worked_example(small, quinn, authority):
    draft = services.tool_adapt(authority=authority, tool=small.tool, acting_user=quinn)

    def change(item_key, kind, **fields):
        services.item_change_set(adaptation=draft, item_key=item_key, kind=kind, acting_user=quinn, **fields)

    change(
        "r1",
        REWORD,
        text="Harm is described in the family's own words",
        descriptors={"3": "Harm in the family's words, with its impact on the child"},
        equivalent=True,
    )
    change("r2", REWORD, text="The danger statement was written with the family")
    change("worry", HIDE)
    change("c1", HIDE)
    change("s1", MOVE, section_key="map", order=4)
    change("r3", GUIDANCE, guidance="Use the Three Houses with children under 12.")
    change(
        "a-school",
        ADD,
        type=ItemType.YES_PARTLY_NO,
        text="Did the school take part?",
        section_key="voice",
        order=4,
    )
    return draft


@pytest.fixture
def adapted(small, personas):
    return adapt_worked_example(small, personas.quinn, personas.authority_a)


def _layout(tool):
    return [(s.key, [(i.key, i.origin, i.comparable) for i in s.items]) for s in tool.sections]


# --- resolve and comparability ----------------------------------------------------------------


def test_the_resolved_adaptation(small, adapted):
    tool = selectors.resolved_tool(version=small.version, adaptation=adapted)

    assert _layout(tool) == [
        (
            "map",
            [
                ("r1", Origin.REWORDED, True),
                ("r2", Origin.REWORDED, False),
                ("s1", Origin.STANDARD, True),
            ],
        ),
        ("voice", [("r3", Origin.STANDARD, True), ("a-school", Origin.LOCAL, False)]),
    ]
    assert tool.hidden_keys == ("worry", "c1")
    assert (tool.adaptation_id, tool.adaptation_number, tool.authority_code) == (adapted.pk, 1, "991")
    items = {item.key: item for item in tool.items()}
    assert items["r1"].text == "Harm is described in the family's own words"
    assert items["r1"].levels == (
        (1, "Not evident", "T1 at level 1"),
        (2, "Emerging", "T1 at level 2"),
        (3, "Established", "Harm in the family's words, with its impact on the child"),
        (4, "Embedded", "T1 at level 4"),
    )
    assert items["r3"].local_guidance == "Use the Three Houses with children under 12."
    assert items["a-school"].options == (("yes", "Yes"), ("partly", "Partly"), ("no", "No"))
    assert items["s1"].anchors == (("0", "Nothing is in place"), ("10", "Fully in place"))


def test_comparable_items_are_the_unchanged_standard_items_and_equivalent_rewords(small, adapted, personas):
    a = selectors.resolved_tool(version=small.version, adaptation=adapted)
    standard = selectors.resolved_tool(version=small.version)

    assert standard.comparable_keys() == ["r1", "r2", "worry", "r3", "s1", "c1"]
    # r2 reworded with a new meaning, worry and c1 hidden, a-school local: not comparable.
    assert a.comparable_keys() == ["r1", "s1", "r3"]
    assert comparable_keys(standard, a) == ["r1", "r3", "s1"]


def test_an_authoritys_own_tool_is_never_benchmarked(personas):
    own = builders.tool("t-own", authority=personas.authority_a)
    v1 = builders.version(own)
    builders.fill_small_version(v1)
    builders.publish(v1)

    tool = selectors.resolved_tool(version=v1)
    assert tool.authority_code == "991"
    assert {item.origin for item in tool.items()} == {Origin.STANDARD}
    assert tool.comparable_keys() == []


def test_resolve_takes_descriptors_from_the_reword_then_the_item_then_the_element():
    levels = ((1, "Low", "Low overall"), (2, "High", "High overall"), (3, "Top", "Top overall"))
    item = ItemData(
        key="p1",
        section_key="s",
        type=ItemType.RUBRIC,
        text="Harm",
        is_core=True,
        descriptors={"2": "item's own 2"},
        rubric_element_key="P1",
        element_descriptors={"1": "element 1", "2": "element 2"},
        rubric_levels=levels,
        node_key="n",
    )
    version = VersionData("t", "T", "case_audit", 1, 1, sections=(SectionData("s", "S"),), items=(item,))
    reworded = AdaptationData(1, 1, "991", (ChangeData("p1", REWORD, descriptors={"3": "mine 3"}),))
    stray_hide = AdaptationData(1, 1, "991", (ChangeData("p1", HIDE),))

    assert resolve(version).items()[0].levels == (
        (1, "Low", "element 1"),
        (2, "High", "item's own 2"),
        (3, "Top", "Top overall"),
    )
    resolved = resolve(version, reworded).items()[0]
    assert (resolved.text, resolved.levels[2], resolved.origin, resolved.comparable) == (
        "Harm",
        (3, "Top", "mine 3"),
        Origin.REWORDED,
        False,
    )
    # A core item stays in the tool even if a hide slipped through.
    assert [i.key for i in resolve(version, stray_hide).items()] == ["p1"]


# --- changes ----------------------------------------------------------------------------------


def test_core_items_cannot_be_hidden(small, personas):
    draft = services.tool_adapt(authority=personas.authority_a, tool=small.tool, acting_user=personas.quinn)
    with pytest.raises(ValidationError) as raised:
        services.item_change_set(adaptation=draft, item_key="r1", kind=HIDE, acting_user=personas.quinn)
    assert raised.value.messages == [
        'Item "r1" (Harm is described) is a core item and cannot be hidden: core items are compared across '
        "authorities. Reword it, or add local guidance, instead."
    ]
    assert not draft.changes.exists()


@pytest.mark.parametrize(
    ("item_key", "kind", "fields", "message"),
    [
        ("nope", REWORD, {"text": "x"}, 'There is no item "nope" in Tool t-audit v1: only its items can be changed.'),
        ("r1", REWORD, {}, 'Item "r1" (Harm is described): a reword needs new wording or new level descriptors.'),
        ("r1", REWORD, {"descriptors": {"7": "x"}}, 'Item "r1" (Harm is described): the rubric has no level 7.'),
        ("s1", MOVE, {"section_key": "elsewhere"}, 'Item "s1" (How safe is the child?): there is no section '
         '"elsewhere" in Tool t-audit v1.'),
        ("r1", ADD, {"type": ItemType.TEXT, "text": "x", "section_key": "map"},
         'Local item "r1": Tool t-audit v1 already has an item "r1"; give the local item a new key.'),
        ("mine", ADD, {"type": ItemType.RUBRIC, "text": "x", "section_key": "map"},
         'Local item "mine" cannot be a rubric-level item: rubric items measure a standard rubric element. '
         "Use a 0–10 scale or a choice question instead."),
        ("mine", ADD, {"type": ItemType.SCALE, "text": "x", "section_key": "map"},
         'Local item "mine" is a 0–10 scale but has no anchor text for 0 and 10: say what 0 and 10 mean.'),
    ],
)  # fmt: skip
def test_changes_are_checked_against_the_base_version(small, personas, item_key, kind, fields, message):
    draft = services.tool_adapt(authority=personas.authority_a, tool=small.tool, acting_user=personas.quinn)
    with pytest.raises(ValidationError) as raised:
        services.item_change_set(
            adaptation=draft, item_key=item_key, kind=kind, acting_user=personas.quinn, **fields
        )
    assert raised.value.messages == [message]


def test_setting_a_change_again_updates_it(adapted, personas):
    services.item_change_set(
        adaptation=adapted, item_key="r2", kind=REWORD, equivalent=True, acting_user=personas.quinn
    )
    change = adapted.changes.get(item_key="r2", kind=REWORD)
    assert (change.text, change.equivalent) == ("The danger statement was written with the family", True)
    assert adapted.changes.count() == 7


def test_tool_adapt_returns_the_draft_and_later_copies_the_published_changes(small, adapted, personas):
    assert (
        services.tool_adapt(authority=personas.authority_a, tool=small.tool, acting_user=personas.quinn)
        == adapted
    )
    services.adaptation_publish(adaptation=adapted, acting_user=personas.quinn)

    second = services.tool_adapt(authority=personas.authority_a, tool=small.tool, acting_user=personas.quinn)
    assert (second.number, second.status, second.base_version) == (2, VersionStatus.DRAFT, small.version)
    fields = ("item_key", "kind", "text", "equivalent", "section_key", "order", "guidance")
    assert list(second.changes.values_list(*fields)) == list(adapted.changes.values_list(*fields))


def test_only_standard_tools_are_adapted(personas):
    own = builders.tool("t-own", authority=personas.authority_a)
    with pytest.raises(ValidationError, match="only tools of the standard library are adopted or adapted"):
        services.tool_adapt(authority=personas.authority_a, tool=own, acting_user=personas.quinn)


def test_publishing_an_adaptation_retires_the_previous_one_and_records_who(small, adapted, personas):
    first = services.adaptation_publish(adaptation=adapted, acting_user=personas.quinn)
    second = services.tool_adapt(authority=personas.authority_a, tool=small.tool, acting_user=personas.quinn)
    services.item_change_set(adaptation=second, item_key="s1", kind=HIDE, acting_user=personas.quinn)
    services.adaptation_publish(adaptation=second, acting_user=personas.quinn)

    first.refresh_from_db()
    assert first.status == VersionStatus.RETIRED
    assert [
        (h.status, h.history_user) for h in Adaptation.history.filter(id=first.pk).order_by("history_id")
    ] == [
        (VersionStatus.DRAFT, personas.quinn),
        (VersionStatus.PUBLISHED, personas.quinn),
        (VersionStatus.RETIRED, personas.quinn),
    ]
    assert {h.history_user for h in second.changes.model.history.filter(adaptation_id=second.pk)} == {
        personas.quinn
    }


# --- upgrade ----------------------------------------------------------------------------------


def publish_standard_v2(small, pat):
    """v2: r1 reworded, s1 removed, a new item n1 at the end of the child's voice."""
    v2 = services.tool_version_create_next(tool=small.tool, acting_user=pat)
    v2.items.filter(key="r1").update(text="Past harm is described behaviourally")
    v2.items.get(key="s1").delete()
    builders.item(
        v2.sections.get(key="voice"), "n1", text="What is the child's view?", order=5, node_key="t-practice"
    )
    return builders.publish(v2, user=pat)


def test_upgrade_keeps_rewords_hides_and_local_items_and_reports_conflicts(small, adapted, personas):
    services.adaptation_publish(adaptation=adapted, acting_user=personas.quinn)
    v2 = publish_standard_v2(small, personas.pat)

    preview = selectors.upgrade_preview(adaptation=adapted, target_version=v2)
    upgraded, report = services.adaptation_upgrade(adaptation=adapted, acting_user=personas.quinn)

    assert report == preview
    assert (report.from_number, report.to_number) == (1, 2)
    assert (report.added, report.removed, report.reworded, report.moved) == (("n1",), ("s1",), ("r1",), ())
    assert [(c.item_key, c.kind, c.status, c.reason, c.carried) for c in report.changes] == [
        ("a-school", ADD, "applies", "", True),
        ("c1", HIDE, "applies", "", True),
        (
            "r1",
            REWORD,
            "conflict",
            "the standard reworded this item since you reworded it: check your wording still fits",
            True,
        ),
        ("r2", REWORD, "applies", "", True),
        ("r3", GUIDANCE, "applies", "", True),
        ("s1", MOVE, "conflict", "the standard removed this item", False),
        ("worry", HIDE, "applies", "", True),
    ]
    # The conflict keeps what the authority had decided, so nothing is silently lost.
    assert report.conflicts[1].change.section_key == "map"

    assert (upgraded.number, upgraded.status, upgraded.base_version) == (2, VersionStatus.DRAFT, v2)
    assert list(upgraded.changes.values_list("item_key", "kind")) == [
        ("a-school", ADD),
        ("c1", HIDE),
        ("r1", REWORD),
        ("r2", REWORD),
        ("r3", GUIDANCE),
        ("worry", HIDE),
    ]
    services.adaptation_publish(adaptation=upgraded, acting_user=personas.quinn)
    tool = selectors.resolved_tool(version=v2, adaptation=upgraded)
    assert _layout(tool) == [
        ("map", [("r1", Origin.REWORDED, True), ("r2", Origin.REWORDED, False)]),
        (
            "voice",
            [("r3", Origin.STANDARD, True), ("a-school", Origin.LOCAL, False), ("n1", Origin.STANDARD, True)],
        ),
    ]
    assert tool.hidden_keys == ("worry", "c1")
    assert {i.key: i.text for i in tool.items()}["r1"] == "Harm is described in the family's own words"
    assert selectors.tool_in_use(authority=personas.authority_a, tool=small.tool) == (v2, upgraded)


def test_upgrade_refusals(small, adapted, personas):
    with pytest.raises(ValidationError, match="it can only move to a newer version"):
        services.adaptation_upgrade(adaptation=adapted, acting_user=personas.quinn)
    services.adaptation_publish(adaptation=adapted, acting_user=personas.quinn)
    v2 = publish_standard_v2(small, personas.pat)
    services.tool_adapt(authority=personas.authority_a, tool=small.tool, acting_user=personas.quinn)
    with pytest.raises(ValidationError, match=r"There is already a draft adaptation \(v2\)"):
        services.adaptation_upgrade(adaptation=adapted, acting_user=personas.quinn, target_version=v2)


def test_a_draft_on_a_retired_standard_version_must_be_upgraded_before_publishing(small, adapted, personas):
    v2 = publish_standard_v2(small, personas.pat)
    with pytest.raises(ValidationError, match="which is retired: upgrade it to v2 before publishing"):
        services.adaptation_publish(adaptation=adapted, acting_user=personas.quinn)

    rebased, report = services.adaptation_upgrade(adaptation=adapted, acting_user=personas.quinn)
    assert (rebased.pk, rebased.number, rebased.base_version) == (adapted.pk, 1, v2)
    assert len(report.conflicts) == 2
    assert services.adaptation_publish(adaptation=rebased, acting_user=personas.quinn).status == "published"


def test_upgrade_conflicts_for_local_keys_the_standard_took_and_items_made_core():
    def version(number, *items):
        return VersionData(
            "t", "T", "case_audit", number, number, sections=(SectionData("s", "S"),), items=items
        )

    old = version(1, ItemData("x", "s", ItemType.TEXT, "X", node_key="n"))
    new = version(
        2,
        ItemData("x", "s", ItemType.TEXT, "X", is_core=True, node_key="n"),
        ItemData("mine", "s", ItemType.TEXT, "Standard now", node_key="n"),
    )
    changes = (
        ChangeData("mine", ADD, text="Mine", type=ItemType.TEXT, section_key="s"),
        ChangeData("x", HIDE),
    )
    report = plan_upgrade(old, new, AdaptationData(1, 1, "991", changes))
    assert [(c.item_key, c.status, c.reason, c.carried) for c in report.changes] == [
        (
            "mine",
            "conflict",
            "the standard now has an item with this key: add your local item again under a new key, "
            "or use the standard item",
            False,
        ),
        ("x", "conflict", "the standard made this item core, and core items cannot be hidden", False),
    ]


# --- divergence ---------------------------------------------------------------------------------


def test_divergence_report_on_the_worked_example(adapted):
    assert selectors.divergence_report(adaptation=adapted) == [
        DivergenceRow(
            "r1",
            "Harm is described",
            "Harm is described in the family's own words",
            ("reworded, same meaning",),
            True,
        ),
        DivergenceRow(
            "r2",
            "Danger is described",
            "The danger statement was written with the family",
            ("reworded",),
            False,
        ),
        DivergenceRow("worry", "What are you worried about?", "", ("hidden",), False),
        DivergenceRow(
            "r3", "The child's voice is heard", "The child's voice is heard", ("local guidance",), True
        ),
        DivergenceRow("s1", "How safe is the child?", "How safe is the child?", ("moved",), True),
        DivergenceRow("c1", "How often was the child seen?", "", ("hidden",), False),
        DivergenceRow("a-school", "", "Did the school take part?", ("local item",), False),
    ]


def test_divergence_of_an_empty_adaptation_is_all_unchanged(small, personas):
    draft = services.tool_adapt(authority=personas.authority_b, tool=small.tool, acting_user=personas.quentin)
    rows = selectors.divergence_report(adaptation=draft)
    assert [(r.item_key, r.difference, r.comparable) for r in rows] == [
        (key, "unchanged", True) for key in ["r1", "r2", "worry", "r3", "s1", "c1"]
    ]


# --- in use and who sees what -------------------------------------------------------------------


def test_tool_in_use_for_adopt_and_adapt(small, personas):
    a, b = personas.authority_a, personas.authority_b
    with pytest.raises(ToolVersion.DoesNotExist):
        selectors.tool_in_use(authority=b, tool=small.tool)

    adoption = services.tool_adopt(authority=b, tool=small.tool, acting_user=personas.quentin)
    assert services.tool_adopt(authority=b, tool=small.tool, acting_user=personas.quentin) == adoption
    assert selectors.tool_in_use(authority=b, tool=small.tool) == (small.version, None)

    draft = adapt_worked_example(small, personas.quinn, a)
    assert Adoption.objects.get(authority=a).mode == AdoptionMode.ADAPT
    # Until the adaptation is published, A's people answer the standard.
    assert selectors.tool_in_use(authority=a, tool=small.tool) == (small.version, None)
    services.adaptation_publish(adaptation=draft, acting_user=personas.quinn)
    assert selectors.tool_in_use(authority=a, tool=small.tool) == (small.version, draft)

    v2 = publish_standard_v2(small, personas.pat)
    # B follows the standard; A keeps its adaptation (on v1) until it upgrades.
    assert selectors.tool_in_use(authority=b, tool=small.tool) == (v2, None)
    assert selectors.tool_in_use(authority=a, tool=small.tool) == (small.version, draft)

    # Going back to adopting the standard whole.
    services.tool_adopt(authority=a, tool=small.tool, acting_user=personas.quinn)
    assert selectors.tool_in_use(authority=a, tool=small.tool) == (v2, None)


def test_tool_in_use_for_own_tools(personas):
    own = builders.tool("t-own", authority=personas.authority_a)
    v1 = builders.version(own)
    builders.fill_small_version(v1)
    builders.publish(v1)
    assert selectors.tool_in_use(authority=personas.authority_a, tool=own) == (v1, None)
    with pytest.raises(ToolVersion.DoesNotExist):
        selectors.tool_in_use(authority=personas.authority_b, tool=own)


def test_a_qa_lead_sees_only_their_authoritys_adaptations(small, personas):
    mine = adapt_worked_example(small, personas.quinn, personas.authority_a)
    theirs = services.tool_adapt(
        authority=personas.authority_b, tool=small.tool, acting_user=personas.quentin
    )

    assert list(Adaptation.objects.for_user(personas.quinn)) == [mine]
    assert list(Adaptation.objects.for_user(personas.quentin)) == [theirs]
    assert theirs not in Adaptation.objects.for_user(personas.quinn)
    assert list(Adoption.objects.for_user(personas.quinn).values_list("authority__code", flat=True)) == [
        "991"
    ]
    assert set(Adaptation.objects.for_user(personas.pat)) == {mine, theirs}


# --- queries ------------------------------------------------------------------------------------


def test_selectors_read_a_fixed_small_number_of_queries(small, adapted, personas, django_assert_num_queries):
    version = ToolVersion.objects.get(pk=small.version.pk)
    adaptation = Adaptation.objects.get(pk=adapted.pk)
    # tool, sections, items, rubric levels
    with django_assert_num_queries(4):
        selectors.resolved_tool(version=version)
    # + the adaptation (with adoption and authority) and its changes
    with django_assert_num_queries(6):
        selectors.resolved_tool(version=version, adaptation=adaptation)
    with django_assert_num_queries(6):
        selectors.divergence_report(adaptation=adaptation)
    with django_assert_num_queries(10):
        selectors.upgrade_preview(adaptation=adaptation, target_version=version)


def test_a_change_can_be_undone_while_the_adaptation_is_a_draft(adapted, personas):
    services.item_change_remove(change=adapted.changes.get(item_key="c1"), acting_user=personas.quinn)
    tool = selectors.resolved_tool(version=adapted.base_version, adaptation=adapted)
    assert tool.hidden_keys == ("worry",)
    services.adaptation_publish(adaptation=adapted, acting_user=personas.quinn)
    with pytest.raises(ValidationError, match="only a draft adaptation can change"):
        services.item_change_remove(change=adapted.changes.get(item_key="worry"), acting_user=personas.quinn)
