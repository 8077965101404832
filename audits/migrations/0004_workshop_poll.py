"""The standard workshop poll (version 1): the questions of the programme's quarterly workshop,
from ``audits/standard_library/workshop-poll.v1.json`` (Domain brief §3). Workshops in
``journal`` take their questions from it. The reverse deletes the tool, and fails rather than
lose a workshop that used it."""

import importlib

from django.db import migrations

library = importlib.import_module("audits.migrations.0002_standard_library")

FILES = ["workshop-poll.v1.json"]


def create(apps, schema_editor):
    library.create_tools(apps, library.read_library(FILES))


def delete(apps, schema_editor):
    Tool = apps.get_model("audits", "Tool")
    ToolVersion = apps.get_model("audits", "ToolVersion")
    keys = [spec["key"] for spec in library.read_library(FILES)]
    tools = Tool.objects.filter(key__in=keys, authority__isnull=True)
    library.delete_versions(apps, list(ToolVersion.objects.filter(tool__in=tools).values_list("id", flat=True)))
    tools._raw_delete(tools.db)


class Migration(migrations.Migration):
    dependencies = [("audits", "0003_participatory_audits")]

    operations = [migrations.RunPython(create, delete)]
