"""The standard workshop poll (version 1): the questions of the programme's quarterly workshop,
from ``audits/standard_library/workshop-poll.v1.json`` (Domain brief §3). Workshops in
``journal`` take their questions from it. The reverse deletes the tool, and fails rather than
lose a workshop that used it."""

import importlib
import json

from django.db import migrations

library = importlib.import_module("audits.migrations.0002_standard_library")

FILES = ["workshop-poll.v1.json"]


def read_files():
    return [json.loads((library.LIBRARY / name).read_text(encoding="utf-8")) for name in FILES]


def create(apps, schema_editor):
    library.create_tools(apps, read_files())


def delete(apps, schema_editor):
    Tool = apps.get_model("audits", "Tool")
    ToolVersion = apps.get_model("audits", "ToolVersion")
    Section = apps.get_model("audits", "Section")
    Item = apps.get_model("audits", "Item")
    tools = Tool.objects.filter(key__in=[spec["key"] for spec in read_files()], authority__isnull=True)
    versions = ToolVersion.objects.filter(tool__in=tools)
    ids = list(versions.values_list("id", flat=True))
    versions.update(status="draft", derived_from=None)
    # By id and without the ORM's cascade (the models of a reversed state do not all agree on
    # which ToolVersion class they point at): a workshop, response or audit that points at a
    # version makes the database refuse the delete, and the reverse fails rather than lose it.
    for model in (Item, Section, ToolVersion):
        rows = model.objects.filter(**({"id__in": ids} if model is ToolVersion else {"version_id__in": ids}))
        rows._raw_delete(rows.db)
    tools._raw_delete(tools.db)


class Migration(migrations.Migration):
    dependencies = [("audits", "0003_participatory_audits")]

    operations = [migrations.RunPython(create, delete)]
