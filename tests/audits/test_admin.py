"""The tool library in the admin: who sees and changes what, publishing, and a QA lead's whole
journey (adapt → edit → preview → publish → upgrade after a new standard version), in history."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits import services
from audits.models import (
    Adaptation,
    Adoption,
    AdoptionMode,
    ChangeKind,
    Item,
    ItemChange,
    ItemType,
    Tool,
    ToolVersion,
    VersionStatus,
)
from tests.audits import builders

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(personas):
    return builders.small_standard_tool(user=personas.pat)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def change_form_data(response) -> dict:
    """The POST data of an admin change page as shown (main form and every inline formset)."""
    data: dict = {}

    def add(form) -> None:
        for bound in form:
            value = bound.field.prepare_value(bound.value())
            if bound.widget_type == "checkbox":
                if value:
                    data[bound.html_name] = "on"
            elif value is not None:
                data[bound.html_name] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    data["_continue"] = "Save and continue editing"
    return data


def admin_models(response) -> list[str]:
    return sorted(m["object_name"] for app in response.context["app_list"] for m in app["models"])


def url(name: str, obj) -> str:
    return reverse(f"admin:audits_{name}", args=[obj.pk])


# --- frozen versions --------------------------------------------------------------------------


def test_a_published_version_cannot_be_changed_through_the_admin(small, personas, login):
    client = login(personas.pat)
    version = small.version
    page = client.get(url("toolversion_change", version))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert "notes" in page.context["adminform"].readonly_fields
    # The inlines are read-only too.
    for inline in page.context["inline_admin_formsets"]:
        assert (inline.has_add_permission, inline.has_change_permission, inline.has_delete_permission) == (
            False,
            False,
            False,
        )

    first = version.items.get(key="r1")
    response = client.post(
        url("toolversion_change", version),
        {
            "notes": "Sneaky",
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "1",
            "items-0-id": first.pk,
            "items-0-version": version.pk,
            "items-0-key": "r1",
            "items-0-text": "Changed after publishing",
        },
    )
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.notes == ""
    assert Item.objects.get(pk=first.pk).text == "Harm is described"


def test_a_published_version_cannot_be_deleted_through_the_admin(small, personas, login):
    client = login(personas.pat)
    assert client.get(url("toolversion_delete", small.version)).status_code == 403
    assert client.post(url("toolversion_delete", small.version), {"post": "yes"}).status_code == 403
    changelist = reverse("admin:audits_toolversion_changelist")
    client.post(
        changelist, {"action": "delete_selected", "_selected_action": [small.version.pk], "post": "yes"}
    )
    assert ToolVersion.objects.filter(pk=small.version.pk, status=VersionStatus.PUBLISHED).exists()
    assert small.version.items.count() == 6


def test_pat_edits_a_standard_draft(small, personas, login):
    client = login(personas.pat)
    draft = services.tool_version_create_next(tool=small.tool, acting_user=personas.pat)
    page = client.get(url("toolversion_change", draft))
    assert page.context["has_change_permission"] is True
    data = change_form_data(page)
    data["notes"] = "Clearer wording for harm"
    prefix = next(
        form.prefix
        for inline in page.context["inline_admin_formsets"]
        for form in inline.formset.forms
        if getattr(form.instance, "key", "") == "r1" and isinstance(form.instance, Item)
    )
    data[f"{prefix}-text"] = "Harm to the child is described in plain words"
    data[f"{prefix}-order"] = "5"

    response = client.post(url("toolversion_change", draft), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    item = draft.items.get(key="r1")
    assert (item.text, item.order) == ("Harm to the child is described in plain words", 5)
    assert item.history.latest().history_user == personas.pat
    draft.refresh_from_db()
    assert draft.notes == "Clearer wording for harm"
    # The published version keeps its wording.
    assert small.version.items.get(key="r1").text == "Harm is described"


def test_the_publish_action_reports_every_problem(personas, login):
    builders.rubric()
    tool = builders.tool("t-broken")
    draft = builders.version(tool)
    part = builders.section(draft, "only")
    builders.item(part, "no-element", type=ItemType.RUBRIC, text="Rubric without element")
    builders.item(part, "no-anchors", type=ItemType.SCALE, node_key="t-practice", anchors={})
    client = login(personas.pat)

    response = client.post(
        reverse("admin:audits_toolversion_changelist"),
        {"action": "publish_selected", "_selected_action": [draft.pk]},
        follow=True,
    )

    errors = [m for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    texts = [str(m) for m in errors]
    assert len(texts) >= 2
    assert any("no-element" in text and "rubric element" in text for text in texts)
    assert any("no-anchors" in text for text in texts)
    assert all(text.startswith(f"{draft}: ") for text in texts)
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_the_publish_button_publishes_a_valid_draft(small, personas, login):
    client = login(personas.pat)
    draft = services.tool_version_create_next(tool=small.tool, acting_user=personas.pat)
    page = client.get(url("toolversion_change", draft))
    assert url("toolversion_publish", draft) in page.content.decode()

    response = client.post(url("toolversion_publish", draft))

    assert response.status_code == 302
    draft.refresh_from_db()
    small.version.refresh_from_db()
    assert (draft.status, draft.published_by) == (VersionStatus.PUBLISHED, personas.pat)
    assert small.version.status == VersionStatus.RETIRED
    assert any("is published" in text for text in messages_of(response))
    # Publishing is a POST: a link cannot publish.
    assert client.get(url("toolversion_publish", draft)).status_code == 405


def test_pat_starts_a_standard_tool_and_its_first_version(personas, login):
    client = login(personas.pat)
    add_page = client.get(reverse("admin:audits_tool_add"))
    assert "authority" not in add_page.context["adminform"].form.fields  # platform admins make standard tools
    response = client.post(
        reverse("admin:audits_tool_add"), {"key": "t-new", "name": "New tool", "kind": "supervision_audit"}
    )
    assert response.status_code == 302
    tool = Tool.objects.get(key="t-new")
    assert tool.authority is None

    response = client.post(url("tool_new_version", tool))
    version = tool.versions.get()
    assert response["Location"] == url("toolversion_change", version)
    # A second draft is refused, with the reason.
    response = client.post(url("tool_new_version", tool))
    assert tool.versions.count() == 1
    assert any("already has a draft" in text for text in messages_of(response))


def test_the_version_page_reads_the_same_queries_for_more_items(small, personas, login):
    client = login(personas.pat)
    small_draft = services.tool_version_create_next(tool=small.tool, acting_user=personas.pat)
    bigger = builders.version(builders.tool("t-bigger"))
    builders.fill_small_version(bigger)
    more = builders.section(bigger, "more", order=3)
    for number in range(20):
        builders.item(more, f"extra-{number}", node_key="t-practice.map", order=number)

    def queries(version) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("toolversion_change", version)).status_code == 200
        return len(captured)

    queries(small_draft)
    assert queries(small_draft) == queries(bigger)


def test_retire_action(small, personas, login):
    login(personas.pat).post(
        reverse("admin:audits_toolversion_changelist"),
        {"action": "retire_selected", "_selected_action": [small.version.pk]},
    )
    small.version.refresh_from_db()
    assert small.version.status == VersionStatus.RETIRED


# --- who sees what ----------------------------------------------------------------------------


def test_quinn_sees_the_tool_library_in_the_admin(personas, login):
    response = login(personas.quinn).get(reverse("admin:index"))
    models = admin_models(response)
    assert {"Tool", "ToolVersion", "Adoption", "Adaptation"} <= set(models)
    assert "Item" not in models and "ItemChange" not in models


def test_quinn_sees_the_standard_library_read_only(small, personas, login):
    client = login(personas.quinn)
    tools = client.get(reverse("admin:audits_tool_changelist")).context["cl"].queryset
    assert small.tool in tools

    page = client.get(url("tool_change", small.tool))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert 'data-testid="adapt"' in page.content.decode()
    assert client.post(url("tool_change", small.tool), {"name": "Mine now"}).status_code == 403
    assert client.get(url("tool_delete", small.tool)).status_code == 403

    draft = services.tool_version_create_next(tool=small.tool, acting_user=personas.pat)
    assert client.get(url("toolversion_change", draft)).context["has_change_permission"] is False
    assert client.post(url("toolversion_publish", draft)).status_code == 302
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    # quinn cannot start a standard version either.
    client.post(url("tool_new_version", small.tool))
    assert small.tool.versions.count() == 2


def test_quinn_manages_an_own_tool_of_authority_a(personas, login):
    client = login(personas.quinn)
    response = client.post(
        reverse("admin:audits_tool_add"),
        {
            "key": "t-ashdown-poll",
            "name": "Ashdown poll",
            "kind": "workshop_poll",
            "authority": personas.authority_a.pk,
        },
    )
    assert response.status_code == 302
    tool = Tool.objects.get(key="t-ashdown-poll")
    assert tool.authority == personas.authority_a
    client.post(url("tool_new_version", tool))
    assert tool.versions.get().status == VersionStatus.DRAFT

    # Not in another authority, and not without one.
    for authority in (personas.authority_b.pk, ""):
        refused = client.post(
            reverse("admin:audits_tool_add"),
            {"key": "t-sneaky", "name": "Sneaky", "kind": "workshop_poll", "authority": authority},
        )
        assert refused.status_code == 200
        assert "authority" in refused.context["adminform"].form.errors
    assert not Tool.objects.filter(key="t-sneaky").exists()


def test_alice_is_kept_out_of_the_tool_admin(small, personas, login):
    client = login(personas.alice)
    for path in (
        reverse("admin:audits_tool_changelist"),
        url("toolversion_change", small.version),
        url("toolversion_preview", small.version),
    ):
        response = client.get(path, follow=True)
        assert response.redirect_chain[-1][0] == reverse("home")


# --- the QA lead's journey ----------------------------------------------------------------------


def test_quinn_adapts_previews_publishes_and_upgrades(small, personas, login):
    client = login(personas.quinn)

    # Adapt for A: a draft adaptation, and quinn lands on its change page.
    response = client.post(url("tool_adapt", small.tool))
    adaptation = Adaptation.objects.get(adoption__authority=personas.authority_a)
    assert response["Location"] == url("adaptation_change", adaptation)
    assert adaptation.adoption.mode == AdoptionMode.ADAPT
    assert (adaptation.number, adaptation.base_version, adaptation.status) == (1, small.version, "draft")

    # Edit the adaptation: reword r1 (same meaning), reword c1, hide "worry", add a local item.
    page = client.get(url("adaptation_change", adaptation))
    assert page.context["has_change_permission"] is True
    data = change_form_data(page)
    changes = [
        {"item_key": "r1", "kind": ChangeKind.REWORD, "text": "Harm is set out clearly", "equivalent": "on"},
        {"item_key": "c1", "kind": ChangeKind.REWORD, "text": "How often did you see the child alone?"},
        {"item_key": "worry", "kind": ChangeKind.HIDE},
        {
            "item_key": "local-q",
            "kind": ChangeKind.ADD,
            "text": "Was the family's first language used?",
            "type": ItemType.YES_PARTLY_NO,
            "section_key": "voice",
            "order": "9",
        },
    ]
    data["changes-TOTAL_FORMS"] = str(len(changes))
    for index, change in enumerate(changes):
        for name in ("descriptors", "options", "anchors"):
            data[f"changes-{index}-{name}"] = "{}" if name != "options" else "[]"
        for name, value in change.items():
            data[f"changes-{index}-{name}"] = value
    response = client.post(url("adaptation_change", adaptation), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert set(adaptation.changes.values_list("item_key", "kind")) == {
        ("r1", "reword"),
        ("c1", "reword"),
        ("worry", "hide"),
        ("local-q", "add"),
    }

    # Preview: as practitioners will see it.
    preview = client.get(url("adaptation_preview", adaptation))
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Harm is set out clearly" in html
    assert "What are you worried about?" not in html
    assert "Was the family&#x27;s first language used?" in html
    assert [entry.item.key for _section, items in preview.context["sections"] for entry in items] == [
        "r1",
        "r2",
        "r3",
        "s1",
        "c1",
        "local-q",
    ]

    # Publish it.
    response = client.post(url("adaptation_publish", adaptation))
    adaptation.refresh_from_db()
    assert adaptation.status == VersionStatus.PUBLISHED
    assert adaptation.published_by == personas.quinn
    published = client.get(url("adaptation_change", adaptation))
    assert published.context["has_change_permission"] is False
    assert client.post(url("adaptation_change", adaptation), data).status_code == 403
    assert adaptation.changes.count() == 4

    # pat publishes v2 of the standard: c1 is gone, a new item n1 arrives.
    pat = login(personas.pat)
    pat.post(url("tool_new_version", small.tool))
    v2 = small.tool.versions.get(number=2)
    Item.objects.filter(version=v2, key="c1").delete()
    builders.item(
        v2.sections.get(key="voice"), "n1", text="What does the child say?", node_key="t-practice.map"
    )
    pat.post(url("toolversion_publish", v2))
    v2.refresh_from_db()
    assert v2.status == VersionStatus.PUBLISHED

    # quinn sees the upgrade, with the conflict named, before anything changes.
    client = login(personas.quinn)
    assert 'data-testid="upgrade"' in client.get(url("adaptation_change", adaptation)).content.decode()
    upgrade = client.get(url("adaptation_upgrade", adaptation))
    assert upgrade.status_code == 200
    report = upgrade.context["report"]
    assert (report.added, report.removed) == (("n1",), ("c1",))
    outcomes = {(outcome.item_key, outcome.kind): outcome.status for outcome in report.changes}
    assert outcomes == {
        ("r1", "reword"): "applies",
        ("c1", "reword"): "conflict",
        ("worry", "hide"): "applies",
        ("local-q", "add"): "applies",
    }
    assert "How often did you see the child alone?" in upgrade.content.decode()
    assert Adaptation.objects.filter(adoption=adaptation.adoption).count() == 1

    response = client.post(url("adaptation_upgrade", adaptation), {"target": v2.pk})
    upgraded = Adaptation.objects.get(adoption=adaptation.adoption, number=2)
    assert response["Location"] == url("adaptation_change", upgraded)
    assert upgraded.base_version == v2
    assert set(upgraded.changes.values_list("item_key", "kind")) == {
        ("r1", "reword"),
        ("worry", "hide"),
        ("local-q", "add"),
    }
    client.post(url("adaptation_publish", upgraded))
    upgraded.refresh_from_db()
    adaptation.refresh_from_db()
    assert (upgraded.status, adaptation.status) == (VersionStatus.PUBLISHED, VersionStatus.RETIRED)

    # Every step is in history, with who did it.
    adaptation_history = Adaptation.history.filter(adoption=adaptation.adoption).order_by("history_date")
    steps = [(row.number, row.status, row.history_user) for row in adaptation_history]
    # (Saving the change form writes a row even when only the item changes changed.)
    assert [step for index, step in enumerate(steps) if index == 0 or step != steps[index - 1]] == [
        (1, "draft", personas.quinn),
        (1, "published", personas.quinn),
        (2, "draft", personas.quinn),
        (1, "retired", personas.quinn),
        (2, "published", personas.quinn),
    ]
    assert {row.history_user for row in ItemChange.history.all()} == {personas.quinn}
    assert ItemChange.history.filter(item_key="local-q", history_type="+").count() == 2
    assert {row.history_user for row in ToolVersion.history.filter(tool=small.tool, number=2)} == {
        personas.pat
    }
    assert client.get(url("adaptation_history", upgraded)).status_code == 200
    assert Adoption.history.filter(authority=personas.authority_a).first().history_user == personas.quinn


def test_the_change_form_refuses_hiding_a_core_item(small, personas, login):
    adaptation = services.tool_adapt(
        authority=personas.authority_a, tool=small.tool, acting_user=personas.quinn
    )
    client = login(personas.quinn)
    data = change_form_data(client.get(url("adaptation_change", adaptation)))
    data.update(
        {
            "changes-TOTAL_FORMS": "1",
            "changes-0-item_key": "r1",
            "changes-0-kind": ChangeKind.HIDE,
            "changes-0-descriptors": "{}",
            "changes-0-options": "[]",
            "changes-0-anchors": "{}",
        }
    )
    response = client.post(url("adaptation_change", adaptation), data)
    assert response.status_code == 200
    assert "core item and cannot be hidden" in str(response.context["errors"])
    assert not adaptation.changes.exists()


def test_adopt_whole(small, personas, login):
    login(personas.quinn).post(url("tool_adopt", small.tool))
    adoption = Adoption.objects.get(authority=personas.authority_a, tool=small.tool)
    assert adoption.mode == AdoptionMode.ADOPT
    listed = login(personas.quinn).get(reverse("admin:audits_adoption_changelist")).context["cl"].queryset
    assert list(listed) == [adoption]


def test_the_adapt_action_redirects_to_the_draft(small, personas, login):
    response = login(personas.quinn).post(
        reverse("admin:audits_tool_changelist"),
        {"action": "adapt_for_my_authority", "_selected_action": [small.tool.pk]},
    )
    adaptation = Adaptation.objects.get(adoption__authority=personas.authority_a)
    assert response["Location"] == url("adaptation_change", adaptation)


def test_the_divergence_report(small, personas, login):
    adaptation = services.tool_adapt(
        authority=personas.authority_a, tool=small.tool, acting_user=personas.quinn
    )
    services.item_change_set(
        adaptation=adaptation,
        item_key="r2",
        kind="reword",
        text="Danger, in the family's words",
        acting_user=None,
    )
    services.item_change_set(adaptation=adaptation, item_key="worry", kind="hide", acting_user=None)
    response = login(personas.quinn).get(url("adaptation_divergence", adaptation))
    assert response.status_code == 200
    rows = {row.item_key: (row.difference, row.comparable) for row in response.context["rows"]}
    assert rows["r1"] == ("unchanged", True)
    assert rows["r2"] == ("reworded", False)
    assert rows["worry"] == ("hidden", False)
    assert "Danger, in the family&#x27;s words" in response.content.decode()


# --- other authorities ------------------------------------------------------------------------


def test_quentin_cannot_see_or_change_authority_a_adaptations(small, personas, login):
    adaptation = services.tool_adapt(
        authority=personas.authority_a, tool=small.tool, acting_user=personas.quinn
    )
    services.item_change_set(adaptation=adaptation, item_key="worry", kind="hide", acting_user=personas.quinn)
    client = login(personas.quentin)

    assert list(client.get(reverse("admin:audits_adaptation_changelist")).context["cl"].queryset) == []
    assert list(client.get(reverse("admin:audits_adoption_changelist")).context["cl"].queryset) == []
    for name in ("change", "preview", "divergence", "upgrade", "publish", "history", "delete"):
        response = client.get(url(f"adaptation_{name}", adaptation))
        assert response.status_code == 302, name
        assert response["Location"] == reverse("admin:index"), name
    for name in ("change", "history"):
        response = client.get(url(f"adoption_{name}", adaptation.adoption))
        assert response["Location"] == reverse("admin:index"), name
    followed = client.get(url("adaptation_change", adaptation), follow=True)
    assert "doesn’t exist" in followed.content.decode()
    response = client.post(url("adaptation_publish", adaptation))
    assert response["Location"] == reverse("admin:index")
    client.post(
        reverse("admin:audits_adaptation_changelist"),
        {"action": "publish_selected", "_selected_action": [adaptation.pk]},
    )
    adaptation.refresh_from_db()
    assert adaptation.status == VersionStatus.DRAFT
    assert adaptation.changes.count() == 1


def test_quentin_cannot_open_authority_a_own_tools(personas, login):
    tool = builders.tool("t-ashdown-own", authority=personas.authority_a)
    version = builders.version(tool)
    client = login(personas.quentin)
    assert tool not in client.get(reverse("admin:audits_tool_changelist")).context["cl"].queryset
    for path in (
        url("tool_change", tool),
        url("tool_history", tool),
        url("toolversion_change", version),
        url("toolversion_preview", version),
        url("toolversion_history", version),
    ):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, reverse("admin:index")), path
    client.post(url("tool_new_version", tool))
    client.post(url("toolversion_publish", version))
    assert tool.versions.get().status == VersionStatus.DRAFT


def test_the_upgrade_action_opens_the_upgrade_page(small, personas, login):
    adaptation = services.tool_adapt(
        authority=personas.authority_a, tool=small.tool, acting_user=personas.quinn
    )
    response = login(personas.quinn).post(
        reverse("admin:audits_adaptation_changelist"),
        {"action": "upgrade_selected", "_selected_action": [adaptation.pk]},
    )
    assert response["Location"] == url("adaptation_upgrade", adaptation)
    # Already on the latest standard version: nothing to do, and it says so.
    followed = login(personas.quinn).get(response["Location"], follow=True)
    assert "already based on the latest" in followed.content.decode()


def test_pat_sees_adaptations_read_only(small, personas, login):
    adaptation = services.tool_adapt(
        authority=personas.authority_a, tool=small.tool, acting_user=personas.quinn
    )
    client = login(personas.pat)
    page = client.get(url("adaptation_change", adaptation))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    client.post(url("adaptation_publish", adaptation))
    adaptation.refresh_from_db()
    assert adaptation.status == VersionStatus.DRAFT
    # Adapting is a QA lead's act, for their authority.
    client.post(url("tool_adapt", small.tool))
    assert Adaptation.objects.count() == 1
