"""The standard staff survey, version 2: version 1 with a section "Leadership and culture" on the
EIP2 evaluation's standout challenges, visible and engaged leadership and a compliance-dominated
culture (``audits/standard_library/staff-survey.v2.json``; Domain brief §2.3, §4). Every item of
version 1 keeps its key, so answers to both versions line up. The new version is derived from the
latest published one (``create_tools`` of 0002) and the staff survey waves in ``surveys`` use it.

The reverse deletes version 2 only, and fails rather than lose a survey wave or a response that
points at it."""

import importlib
import json

from django.db import migrations

library = importlib.import_module("audits.migrations.0002_standard_library")

FILES = ["staff-survey.v2.json"]


def read_files():
    return [json.loads((library.LIBRARY / name).read_text(encoding="utf-8")) for name in FILES]


def create(apps, schema_editor):
    library.create_tools(apps, read_files())


def delete(apps, schema_editor):
    ToolVersion = apps.get_model("audits", "ToolVersion")
    Section = apps.get_model("audits", "Section")
    Item = apps.get_model("audits", "Item")
    keys = [(spec["key"], spec["version"]) for spec in read_files()]
    ids = []
    for key, number in keys:
        ids += list(
            ToolVersion.objects.filter(
                tool__key=key, tool__authority__isnull=True, number=number
            ).values_list("id", flat=True)
        )
    versions = ToolVersion.objects.filter(id__in=ids)
    versions.update(status="draft", derived_from=None)
    # By id and without the ORM's cascade, as in 0004: a wave, response or adaptation that points at
    # the version makes the database refuse the delete, and the reverse fails rather than lose it.
    for model in (Item, Section):
        rows = model.objects.filter(version_id__in=ids)
        rows._raw_delete(rows.db)
    versions._raw_delete(versions.db)


class Migration(migrations.Migration):
    dependencies = [("audits", "0004_workshop_poll")]

    operations = [migrations.RunPython(create, delete)]
