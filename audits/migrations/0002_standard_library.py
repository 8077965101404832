"""The standard tool library: version 1 of each standard tool, published, so that every installation
has it (domain.md §1–§3 and §6; the rubric items use the rubric of fidelity's 0002).

The content is read from the JSON files in ``audits/standard_library/`` listed in ``FILES``. They
are a frozen snapshot: a later version of a tool is added by a later migration (with files of its
own) or in the admin, never by editing these files, which installations that already ran this
migration would never read again.

Historical models have no custom ``save()``, so the rows are created while each version is a draft
and the version is published last. A tool whose key already exists is left alone, so running the
migration again changes nothing. The reverse deletes the tools listed in the files with all their
versions; a tool that an authority has adopted, or a version that responses or adaptations point
at, is protected, and the reverse then fails rather than lose that data.
"""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

LIBRARY = Path(__file__).resolve().parent.parent / "standard_library"

FILES = [
    "case-audit.v1.json",
    "implementation-scale.v1.json",
    "staff-survey.v1.json",
    "family-feedback.v1.json",
    "child-feedback.v1.json",
    "supervision-audit.v1.json",
    "practice-observation.v1.json",
]


def read_library(files=FILES):
    """The tool definitions of ``files`` (by default ``FILES``), in that order, as plain dicts.
    Later migrations that add tools or versions read their own files with it."""
    return [json.loads((LIBRARY / name).read_text(encoding="utf-8")) for name in files]


def delete_versions(apps, version_ids):
    """Delete the tool versions ``version_ids`` with their sections and items, for the reverse of
    a later migration. By id and without the ORM's cascade (the models of a reversed state do not
    all agree on which ToolVersion class they point at): a workshop, survey wave, response, audit
    or adaptation that points at a version makes the database refuse the delete, and the reverse
    fails rather than lose it."""
    ToolVersion = apps.get_model("audits", "ToolVersion")
    ToolVersion.objects.filter(id__in=version_ids).update(status="draft", derived_from=None)
    for model, lookup in (("Item", "version_id__in"), ("Section", "version_id__in"), ("ToolVersion", "id__in")):
        rows = apps.get_model("audits", model).objects.filter(**{lookup: version_ids})
        rows._raw_delete(rows.db)


def create_standard_library(apps, schema_editor):
    """Create and publish version 1 of each tool in ``FILES`` whose key is not taken yet.

    Works with the historical models of a migration and with the real ones (``django.apps.apps``):
    both accept rows added to a draft version and the move from draft to published.
    """
    create_tools(apps, read_library())


def create_tools(apps, specs):
    """Create and publish each tool version of ``specs`` (dicts in the format of the JSON files).

    Version 1 of a tool whose key is taken is skipped, as is a version number the tool already has.
    A later version of an existing tool is added to it, derived from its latest published version.
    Later migrations that add tools or versions call this with their own files.
    """
    Tool = apps.get_model("audits", "Tool")
    ToolVersion = apps.get_model("audits", "ToolVersion")
    Section = apps.get_model("audits", "Section")
    Item = apps.get_model("audits", "Item")
    ResultsNode = apps.get_model("fidelity", "ResultsNode")
    RubricElement = apps.get_model("fidelity", "RubricElement")

    nodes = {node.key: node for node in ResultsNode.objects.all()}
    now = timezone.now()
    for spec in specs:
        tool = Tool.objects.filter(key=spec["key"]).first()
        if tool is not None and (
            spec["version"] == 1 or ToolVersion.objects.filter(tool=tool, number=spec["version"]).exists()
        ):
            continue
        elements = {
            element.key: element
            for element in RubricElement.objects.filter(rubric__key=spec.get("rubric", ""))
        }
        if tool is None:
            tool = Tool.objects.create(
                key=spec["key"],
                name=spec["name"],
                kind=spec["kind"],
                description=spec["description"],
                authority=None,
            )
        previous = (
            ToolVersion.objects.filter(tool=tool, status="published").order_by("-number").first()
        )
        version = ToolVersion.objects.create(
            tool=tool, number=spec["version"], status="draft", notes=spec["notes"], derived_from=previous
        )
        for section_spec in spec["sections"]:
            section = Section.objects.create(
                version=version,
                key=section_spec["key"],
                title=section_spec["title"],
                description=section_spec.get("description", ""),
                order=section_spec["order"],
            )
            for item_spec in section_spec["items"]:
                where = f"{spec['key']} item {item_spec['key']}"
                element = None
                if item_spec.get("rubric_element"):
                    element = _lookup(elements, item_spec["rubric_element"], f"{where}: rubric element")
                node = None
                if item_spec.get("node"):
                    node = _lookup(nodes, item_spec["node"], f"{where}: results-logic node")
                elif element is not None:
                    node = element.node
                Item.objects.create(
                    version=version,
                    section=section,
                    key=item_spec["key"],
                    order=item_spec["order"],
                    type=item_spec["type"],
                    text=item_spec["text"],
                    guidance=item_spec.get("guidance", ""),
                    required=item_spec.get("required", False),
                    is_core=item_spec.get("is_core", False),
                    rubric_element=element,
                    node=node,
                    options=item_spec.get("options", []),
                    anchors=item_spec.get("anchors", {}),
                    descriptors={},
                )
        # Last, once every part exists: from here on the version is frozen.
        version.status = "published"
        version.published_at = now
        version.save(update_fields=["status", "published_at"])


def _lookup(rows, key, what):
    try:
        return rows[key]
    except KeyError:
        raise LookupError(f"{what} {key!r} does not exist; the standard library needs it.") from None


def delete_standard_library(apps, schema_editor):
    """Delete the tools listed in ``FILES`` (standard ones only), their versions, sections and items."""
    Tool = apps.get_model("audits", "Tool")
    ToolVersion = apps.get_model("audits", "ToolVersion")

    keys = [spec["key"] for spec in read_library()]
    tools = Tool.objects.filter(key__in=keys, authority__isnull=True)
    versions = ToolVersion.objects.filter(tool__in=tools)
    # Back to draft first (the real models refuse any other change to a frozen version), then
    # unlink versions copied from one another: deleting a version that another one derives from is
    # otherwise refused (PROTECT).
    versions.update(status="draft")
    versions.update(derived_from=None)
    versions.delete()
    tools.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0001_tool_library"),
        ("fidelity", "0002_standard_results_logic"),
    ]

    operations = [migrations.RunPython(create_standard_library, delete_standard_library)]
