"""Versions of a tool: next draft, validation, publish and retire, with history."""

import pytest
from django.core.exceptions import ValidationError

from audits import services
from audits.models import Item, ItemType, Section, ToolVersion, VersionStatus
from tests.audits import builders


@pytest.fixture
def small(personas):
    return builders.small_standard_tool(user=personas.pat)


def test_create_next_copies_sections_and_items_with_the_same_keys(small, personas):
    v2 = services.tool_version_create_next(tool=small.tool, acting_user=personas.pat)

    assert (v2.number, v2.status, v2.derived_from) == (2, VersionStatus.DRAFT, small.version)
    assert list(v2.sections.values_list("key", "title", "order")) == list(
        small.version.sections.values_list("key", "title", "order")
    )
    fields = ("key", "section__key", "order", "type", "text", "is_core", "rubric_element", "node", "anchors")
    assert list(v2.items.values_list(*fields)) == list(small.version.items.values_list(*fields))
    assert v2.items.count() == 6
    # The copies are new rows in the new version's own sections.
    assert set(v2.items.values_list("section__version", flat=True)) == {v2.pk}
    # The published version is untouched.
    assert small.version.items.count() == 6


def test_create_next_refuses_a_second_draft(small, personas):
    services.tool_version_create_next(tool=small.tool, acting_user=personas.pat)
    with pytest.raises(ValidationError, match=r"already has a draft \(v2\)"):
        services.tool_version_create_next(tool=small.tool, acting_user=personas.pat)


def test_the_first_version_of_a_new_tool_starts_empty(personas):
    tool = builders.tool("t-empty")
    v1 = services.tool_version_create_next(tool=tool, acting_user=personas.pat)
    assert (v1.number, v1.derived_from, v1.items.count()) == (1, None, 0)
    assert services.tool_version_validate(version=v1) == [
        "The version has no items: add at least one before publishing."
    ]


def test_a_valid_version_has_no_problems(small):
    assert services.tool_version_validate(version=small.version) == []


def test_validation_names_each_item_in_plain_english(db):
    builders.rubric()
    tool = builders.tool("t-broken")
    v1 = builders.version(tool)
    main = builders.section(v1, "main", order=1)
    builders.section(v1, "empty", order=2, title="Nothing here")
    builders.item(
        main, "no-element", type=ItemType.RUBRIC, text="Scaling is used", order=1, node_key="t-practice"
    )
    builders.item(
        main,
        "no-options",
        type=ItemType.SINGLE_CHOICE,
        text="Pick one",
        options=[],
        order=2,
        node_key="t-practice",
    )
    builders.item(
        main,
        "half-anchored",
        type=ItemType.SCALE,
        text="How safe?",
        anchors={"0": "Unsafe"},
        order=3,
        node_key="t-practice",
    )
    builders.item(main, "floating", type=ItemType.TEXT, text="Anything else?", order=4)

    assert services.tool_version_validate(version=v1) == [
        'Section "empty" (Nothing here) has no items: add items or remove it.',
        'Item "no-element" (Scaling is used) is a rubric-level item but has no rubric element.',
        'Item "no-options" (Pick one) is a choice question but has fewer than two options.',
        'Item "half-anchored" (How safe?) is a 0–10 scale but has no anchor text for 10: say what 0 and 10 mean.',
        'Item "floating" (Anything else?) measures nothing: choose the rubric element or results-logic node '
        "it informs.",
    ]
    with pytest.raises(ValidationError) as raised:
        services.tool_version_publish(version=v1, acting_user=None)
    assert len(raised.value.messages) == 5
    assert ToolVersion.objects.get(pk=v1.pk).status == VersionStatus.DRAFT


def test_publish_retires_the_previous_published_version(small, personas):
    v2 = services.tool_version_create_next(tool=small.tool, acting_user=personas.pat)
    published = services.tool_version_publish(version=v2, acting_user=personas.pat)

    v1 = ToolVersion.objects.get(pk=small.version.pk)
    assert (published.status, published.published_by, published.published_at is not None) == (
        VersionStatus.PUBLISHED,
        personas.pat,
        True,
    )
    assert (v1.status, v1.retired_at is not None) == (VersionStatus.RETIRED, True)
    assert list(small.tool.versions.filter(status=VersionStatus.PUBLISHED)) == [v2]


def test_publish_refuses_what_is_not_a_draft(small):
    with pytest.raises(ValidationError, match="only a draft can be published"):
        services.tool_version_publish(version=small.version, acting_user=None)


def test_retire(small, personas):
    retired = services.tool_version_retire(version=small.version, acting_user=personas.pat)
    assert retired.status == VersionStatus.RETIRED
    assert retired.history.first().history_user == personas.pat
    with pytest.raises(ValidationError, match="only a published version can be retired"):
        services.tool_version_retire(version=retired, acting_user=personas.pat)


def test_history_rows_carry_the_acting_user(small, personas):
    v2 = services.tool_version_create_next(tool=small.tool, acting_user=personas.quinn)
    services.tool_version_publish(version=v2, acting_user=personas.pat)

    assert [(h.history_type, h.status, h.history_user) for h in ToolVersion.history.filter(id=v2.pk)] == [
        ("~", VersionStatus.PUBLISHED, personas.pat),
        ("+", VersionStatus.DRAFT, personas.quinn),
    ]
    assert {h.history_user for h in Section.history.filter(version_id=v2.pk)} == {personas.quinn}
    assert {h.history_user for h in Item.history.filter(version_id=v2.pk)} == {personas.quinn}
    v1_moves = ToolVersion.history.filter(id=small.version.pk).order_by("history_id")
    assert [(h.status, h.history_user) for h in v1_moves] == [
        (VersionStatus.DRAFT, None),
        (VersionStatus.PUBLISHED, personas.pat),
        (VersionStatus.RETIRED, personas.pat),
    ]
