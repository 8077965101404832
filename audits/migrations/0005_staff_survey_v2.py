"""The standard staff survey, version 2: version 1 with a section "Leadership and culture" on the
EIP2 evaluation's standout challenges, visible and engaged leadership and a compliance-dominated
culture (``audits/standard_library/staff-survey.v2.json``; Domain brief §2.3, §4). Every item of
version 1 keeps its key, so answers to both versions line up. The new version is derived from the
latest published one (``create_tools`` of 0002) and the staff survey waves in ``surveys`` use it.

The reverse deletes version 2 only, and fails rather than lose a survey wave or a response that
points at it."""

import importlib

from django.db import migrations

library = importlib.import_module("audits.migrations.0002_standard_library")

FILES = ["staff-survey.v2.json"]


def create(apps, schema_editor):
    library.create_tools(apps, library.read_library(FILES))


def delete(apps, schema_editor):
    ToolVersion = apps.get_model("audits", "ToolVersion")
    ids = [
        version_id
        for spec in library.read_library(FILES)
        for version_id in ToolVersion.objects.filter(
            tool__key=spec["key"], tool__authority__isnull=True, number=spec["version"]
        ).values_list("id", flat=True)
    ]
    library.delete_versions(apps, ids)


class Migration(migrations.Migration):
    dependencies = [("audits", "0004_workshop_poll")]

    operations = [migrations.RunPython(create, delete)]
