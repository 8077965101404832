"""A published version (and a published adaptation) never changes, one row at a time or in bulk;
only the move published → retired is allowed; answers keep pointing at their version."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from audits import services
from audits.models import (
    Adaptation,
    Answer,
    ChangeKind,
    Item,
    ItemChange,
    Response,
    Section,
    ToolVersion,
    VersionFrozen,
    VersionStatus,
)
from tests.audits import builders


@pytest.fixture
def small(personas):
    return builders.small_standard_tool(user=personas.pat)


def _rows(small):
    """One row of each frozen kind: (model, row, a field to change)."""
    version = ToolVersion.objects.get(pk=small.version.pk)
    return [
        (ToolVersion, version, "notes"),
        (Section, version.sections.get(key="map"), "title"),
        (Item, version.items.get(key="r1"), "text"),
    ]


@pytest.mark.parametrize("status", [VersionStatus.PUBLISHED, VersionStatus.RETIRED])
def test_a_frozen_version_its_sections_and_items_cannot_be_saved_or_deleted(small, status):
    if status == VersionStatus.RETIRED:
        services.tool_version_retire(version=small.version, acting_user=None)
    for model, row, field in _rows(small):
        setattr(row, field, "Changed")
        with pytest.raises(VersionFrozen):
            row.save()
        with pytest.raises(VersionFrozen):
            row.delete()
        with pytest.raises(VersionFrozen):
            model.objects.filter(pk=row.pk).update(**{field: "Changed"})
        with pytest.raises(VersionFrozen):
            model.objects.filter(pk=row.pk).delete()
        assert model.objects.filter(pk=row.pk).exists()
        assert getattr(model.objects.get(pk=row.pk), field) != "Changed"


def test_a_new_item_cannot_be_added_to_a_published_version(small):
    section = small.version.sections.get(key="map")
    with pytest.raises(VersionFrozen):
        builders.item(section, "late", node_key="t-practice")
    assert not Item.objects.filter(key="late").exists()


def test_bulk_changes_refuse_when_any_row_is_frozen(small, personas):
    v2 = services.tool_version_create_next(tool=small.tool, acting_user=personas.pat)
    both = Item.objects.filter(version__tool=small.tool, key="r1")
    with pytest.raises(VersionFrozen):
        both.update(text="Changed")
    with pytest.raises(VersionFrozen):
        both.delete()
    # The draft alone can change.
    assert Item.objects.filter(version=v2, key="r1").update(text="Changed") == 1


def test_the_only_move_is_published_to_retired(small):
    version = ToolVersion.objects.get(pk=small.version.pk)
    version.status = VersionStatus.DRAFT
    with pytest.raises(VersionFrozen):
        version.save()

    assert ToolVersion.objects.filter(pk=version.pk).update(status=VersionStatus.RETIRED) == 1
    retired = ToolVersion.objects.get(pk=version.pk)
    for status in (VersionStatus.PUBLISHED, VersionStatus.DRAFT):
        retired.status = status
        with pytest.raises(VersionFrozen):
            retired.save()
    assert ToolVersion.objects.get(pk=version.pk).status == VersionStatus.RETIRED


def test_a_draft_version_can_change(small, personas):
    v2 = services.tool_version_create_next(tool=small.tool, acting_user=personas.pat)
    item = v2.items.get(key="worry")
    item.text = "What worries you?"
    item.save()
    v2.items.get(key="c1").delete()
    assert list(v2.items.values_list("key", flat=True)) == ["r1", "r2", "worry", "r3", "s1"]


@pytest.fixture
def published_adaptation(small, personas):
    draft = services.tool_adapt(authority=personas.authority_a, tool=small.tool, acting_user=personas.quinn)
    services.item_change_set(
        adaptation=draft,
        item_key="worry",
        kind=ChangeKind.REWORD,
        text="What worries you?",
        acting_user=personas.quinn,
    )
    return services.adaptation_publish(adaptation=draft, acting_user=personas.quinn)


def test_a_published_adaptation_and_its_changes_cannot_change(published_adaptation, personas):
    adaptation = Adaptation.objects.get(pk=published_adaptation.pk)
    change = adaptation.changes.get()
    for model, row, field in [(Adaptation, adaptation, "notes"), (ItemChange, change, "text")]:
        setattr(row, field, "Changed")
        with pytest.raises(VersionFrozen):
            row.save()
        with pytest.raises(VersionFrozen):
            row.delete()
        with pytest.raises(VersionFrozen):
            model.objects.filter(pk=row.pk).update(**{field: "Changed"})
        with pytest.raises(VersionFrozen):
            model.objects.filter(pk=row.pk).delete()
    with pytest.raises(VersionFrozen):
        ItemChange.objects.create(adaptation=adaptation, item_key="s1", kind=ChangeKind.HIDE)
    assert list(adaptation.changes.values_list("item_key", "text")) == [("worry", "What worries you?")]


def test_services_refuse_to_change_a_published_adaptation(published_adaptation, personas):
    with pytest.raises(ValidationError, match="only a draft adaptation can change"):
        services.item_change_set(
            adaptation=published_adaptation, item_key="s1", kind=ChangeKind.HIDE, acting_user=personas.quinn
        )
    with pytest.raises(ValidationError, match="only a draft can be published"):
        services.adaptation_publish(adaptation=published_adaptation, acting_user=personas.quinn)


def test_answers_keep_pointing_at_the_version_they_were_given_against(small, personas):
    response = Response.objects.create(authority=personas.authority_a, tool_version=small.version)
    Answer.objects.create(response=response, item_key="r1", value=3)
    Answer.objects.create(response=response, item_key="worry", value="No school for a month")

    v2 = services.tool_version_create_next(tool=small.tool, acting_user=personas.pat)
    v2.items.filter(key="worry").update(text="What are you most worried about?")
    services.tool_version_publish(version=v2, acting_user=personas.pat)

    response.refresh_from_db()
    assert response.tool_version_id == small.version.pk
    assert response.tool_version.status == VersionStatus.RETIRED
    assert dict(response.answers.values_list("item_key", "value")) == {
        "r1": 3,
        "worry": "No school for a month",
    }
    # The wording they answered is still there, unchanged.
    assert response.tool_version.items.get(key="worry").text == "What are you worried about?"
    with pytest.raises(VersionFrozen):
        response.tool_version.delete()


def test_an_answered_version_cannot_be_deleted_even_as_a_draft(small, personas):
    v2 = services.tool_version_create_next(tool=small.tool, acting_user=personas.pat)
    Response.objects.create(authority=personas.authority_a, tool_version=v2)
    with pytest.raises(ProtectedError):
        v2.delete()
    assert ToolVersion.objects.filter(pk=v2.pk).exists()
