"""XLSForm round trip (audits.xlsform) and its management commands.

The sample forms are pyxform's own test forms, in ../shared/data/external/xlsform/ (read through
the ``external_data`` fixture, never copied).
"""

import zipfile
from io import BytesIO, StringIO

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st
from pyxform.xls2xform import convert

from audits.models import Item, ItemType, Section, Tool, ToolVersion, VersionStatus
from audits.services import item_change_set, tool_adapt
from audits.xlsform import version_to_xlsform, xlsform_to_draft
from tests.audits import builders
from tests.factories import UserFactory

pytestmark = pytest.mark.filterwarnings("ignore:Unknown extension is not supported:UserWarning")


# --- helpers -------------------------------------------------------------------------------------


def every_type_tool() -> ToolVersion:
    """A published version 1 with an item of every type, a section description, own rubric
    descriptors, guidance, required and core flags, and a key that is not a valid XLSForm name."""
    builders.rubric()
    version = builders.version(builders.tool("t-xls", name="Every type"))
    first = builders.section(version, "map", order=10, title="The map")
    first.description = "Harm, danger and what is working well."
    first.save()
    second = builders.section(version, "3-voice", order=20, title="The child's voice")
    builders.item(
        first,
        "r1",
        type=ItemType.RUBRIC,
        text="Harm is described",
        order=10,
        element_key="T1",
        is_core=True,
        required=True,
        guidance="Look for plain words.",
        descriptors={"2": "Harm named but not its impact", "4": "In the family's words"},
    )
    builders.item(first, "r2", type=ItemType.RUBRIC, text="Danger", order=20, element_key="T2", is_core=True)
    builders.item(
        first, "s1", type=ItemType.SCALE, text="How safe is the child?", order=30, node_key="t-practice.map"
    )
    builders.item(
        first, "y1", type=ItemType.YES_PARTLY_NO, text="Was the plan shared?", order=40, node_key="t-practice"
    )
    builders.item(
        second, "c1", type=ItemType.SINGLE_CHOICE, text="How often seen?", order=10, node_key="t-practice"
    )
    builders.item(
        second,
        "m1",
        type=ItemType.MULTIPLE_CHOICE,
        text="Who took part?",
        order=20,
        node_key="t-practice",
        options=[{"value": "child", "label": "The child"}, {"value": "parent", "label": "A parent"}],
    )
    builders.item(
        second, "n1", type=ItemType.NUMBER, text="How many visits?", order=30, node_key="t-practice"
    )
    builders.item(second, "d1", type=ItemType.DATE, text="Date of the audit", order=40, node_key="t-practice")
    builders.item(
        second,
        "3-houses",
        text="What did the child draw?",
        order=50,
        element_key="T3",
        required=True,
        guidance="Three houses.",
    )
    builders.publish(version)
    return builders.refreshed(version)


def snapshot(version: ToolVersion) -> list[tuple]:
    """What the round trip must keep: sections in order, and their items in order."""
    sections = []
    for section in Section.objects.filter(version=version).order_by("order", "key"):
        items = [
            (
                item.key,
                item.type,
                item.text,
                item.guidance,
                item.required,
                item.is_core,
                item.rubric_element_id,
                item.node_id,
                item.options,
                item.anchors,
                item.descriptors,
                item.order,
            )
            for item in Item.objects.filter(section=section).order_by("order", "key")
        ]
        sections.append((section.key, section.title, section.description, section.order, items))
    return sections


def read_workbook(data: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def survey_rows(data: bytes) -> list[dict]:
    rows = read_workbook(data)["survey"]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def import_sample(external_data, name: str, key: str = "t-sample") -> tuple[ToolVersion, list[str]]:
    tool = builders.tool(key)
    data = (external_data / "xlsform" / name).read_bytes()
    return xlsform_to_draft(tool=tool, data=data, filename=name, acting_user=None)


def items_of(version: ToolVersion) -> list[tuple[str, str, str]]:
    return [
        (item.section.key, item.key, item.type)
        for item in Item.objects.filter(version=version)
        .select_related("section")
        .order_by("section__order", "order")
    ]


# --- export --------------------------------------------------------------------------------------


def test_export_writes_the_xlsform_sheets(db):
    version = every_type_tool()
    data = version_to_xlsform(version=version)

    sheets = read_workbook(data)
    assert list(sheets) == ["survey", "choices", "settings"]
    assert sheets["settings"] == [("form_title", "form_id", "version"), ("Every type", "t-xls", "1")]
    rows = {row["name"]: row for row in survey_rows(data)}
    assert [row["type"] for row in survey_rows(data)] == [
        "begin group",
        "note",
        "select_one levels_t-rubric",
        "select_one levels_t-rubric",
        "select_one scale_0_10",
        "select_one yes_partly_no",
        "end group",
        "begin group",
        "select_one options_c1",
        "select_multiple options_m1",
        "decimal",
        "date",
        "text",
        "end group",
    ]
    assert rows["about_map"]["label"] == "Harm, danger and what is working well."
    r1 = rows["r1"]
    assert (r1["qa_type"], r1["qa_core"], r1["required"], r1["qa_rubric"], r1["qa_rubric_element"]) == (
        "rubric",
        "yes",
        "yes",
        "t-rubric",
        "T1",
    )
    assert r1["qa_node"] == "t-practice.t1"
    # The descriptors shown are the item's own where it has them, else the element's.
    assert [r1[f"qa_descriptor::{n}"] for n in range(1, 5)] == [
        "T1 at level 1",
        "Harm named but not its impact",
        "T1 at level 3",
        "In the family's words",
    ]
    assert (rows["s1"]["qa_anchor::0"], rows["s1"]["qa_anchor::10"]) == (
        "Nothing is in place",
        "Fully in place",
    )
    # A key that is not a valid XLSForm name keeps its key in qa_key.
    assert (rows["_3-houses"]["qa_key"], rows["_3-voice"]["qa_key"]) == ("3-houses", "3-voice")
    choices = sheets["choices"]
    assert ("levels_t-rubric", "3", "Established") in choices
    assert [row[1] for row in choices if row[0] == "scale_0_10"] == [str(n) for n in range(11)]
    assert [row[1:] for row in choices if row[0] == "yes_partly_no"] == [
        ("yes", "Yes"),
        ("partly", "Partly"),
        ("no", "No"),
    ]
    assert [row[1:] for row in choices if row[0] == "options_m1"] == [
        ("child", "The child"),
        ("parent", "A parent"),
    ]


def test_exported_workbook_converts_to_an_xform(db):
    version = every_type_tool()
    result = convert(xlsform=BytesIO(version_to_xlsform(version=version)), file_type=".xlsx")
    assert "<h:title>Every type</h:title>" in result.xform
    assert 'id="t-xls"' in result.xform


def test_export_of_an_adaptation_shows_the_tool_as_the_authority_uses_it(personas):
    version = every_type_tool()
    adaptation = tool_adapt(authority=personas.authority_a, tool=version.tool, acting_user=personas.quinn)
    item_change_set(adaptation=adaptation, item_key="y1", kind="hide", acting_user=personas.quinn)
    item_change_set(
        adaptation=adaptation,
        item_key="c1",
        kind="reword",
        text="How often was the child seen?",
        acting_user=personas.quinn,
    )
    item_change_set(
        adaptation=adaptation,
        item_key="c1",
        kind="guidance",
        guidance="Count home visits.",
        acting_user=personas.quinn,
    )
    item_change_set(
        adaptation=adaptation,
        item_key="local-1",
        kind="add",
        text="Was the interpreter booked?",
        type=ItemType.TEXT,
        section_key="map",
        order=50,
        acting_user=personas.quinn,
    )

    data = version_to_xlsform(version=version, adaptation=adaptation)

    rows = {row["name"]: row for row in survey_rows(data)}
    assert "y1" not in rows
    assert rows["c1"]["label"] == "How often was the child seen?"
    assert rows["c1"]["qa_local_guidance"] == "Count home visits."
    assert rows["local-1"]["label"] == "Was the interpreter booked?"
    assert read_workbook(data)["settings"][1] == (
        "Every type",
        "t-xls",
        "1",
        f"991 adaptation {adaptation.number}",
    )

    other_tool = builders.tool("t-xls-copy")
    copy, report = xlsform_to_draft(tool=other_tool, data=data, filename="adapted.xlsx", acting_user=None)
    assert report == [
        "settings sheet: form_id 't-xls' is not this tool's key 't-xls-copy'; imported as a new version of 't-xls-copy'",
        "settings sheet: the workbook is an export of an adaptation (991 adaptation 1); its local and reworded "
        "items were imported as items of the tool itself",
        "row 10, name 'c1': the adaptation's local guidance was imported as part of the item's guidance",
    ]
    c1 = Item.objects.get(version=copy, key="c1")
    assert (c1.text, c1.guidance) == ("How often was the child seen?", "Count home visits.")
    assert [key for _section, key, _type in items_of(copy)] == [
        "r1",
        "r2",
        "s1",
        "local-1",
        "c1",
        "m1",
        "n1",
        "d1",
        "3-houses",
    ]


def test_export_refuses_an_adaptation_of_another_version(personas):
    version = every_type_tool()
    adaptation = tool_adapt(authority=personas.authority_a, tool=version.tool, acting_user=personas.quinn)
    other = builders.version(builders.tool("t-other"))
    with pytest.raises(ValidationError, match="derives from version"):
        version_to_xlsform(version=other, adaptation=adaptation)


# --- round trip ----------------------------------------------------------------------------------


def test_round_trip_keeps_every_item_type(db):
    version = every_type_tool()
    pat = UserFactory(username="pat-xls")

    draft, report = xlsform_to_draft(
        tool=version.tool, data=version_to_xlsform(version=version), filename="every.xlsx", acting_user=pat
    )

    assert report == []
    assert (draft.number, draft.derived_from_id, draft.status) == (2, version.pk, VersionStatus.DRAFT)
    assert snapshot(draft) == snapshot(version)
    assert len(snapshot(draft)[0][4]) == 4 and len(snapshot(draft)[1][4]) == 5
    assert draft.notes == "Imported from the XLSForm workbook 'every.xlsx'."
    assert draft.history.first().history_user == pat
    assert Item.history.filter(version_id=draft.pk).first().history_user == pat


def test_round_trip_of_the_standard_case_audit(db):
    tool = Tool.objects.filter(key="case-audit").first()
    if tool is None:
        pytest.skip(
            "the standard library (audits/migrations/0002_standard_library.py) has not loaded case-audit"
        )
    version = tool.versions.get(number=1)

    draft, report = xlsform_to_draft(
        tool=tool, data=version_to_xlsform(version=version), filename="case-audit.xlsx", acting_user=None
    )

    assert report == []
    assert snapshot(draft) == snapshot(version)
    keys = [item[0] for section in snapshot(draft) for item in section[4]]
    assert keys == [
        *(f"p{n}" for n in range(1, 15)),
        "what-working-well",
        "what-worried-about",
        "what-needs-to-happen",
        "proudest",
        "overall-safety-scale",
    ]


def test_import_refuses_when_the_tool_has_a_draft(db):
    version = every_type_tool()
    data = version_to_xlsform(version=version)
    xlsform_to_draft(tool=version.tool, data=data, filename="one.xlsx", acting_user=None)

    with pytest.raises(ValidationError, match=r"already has a draft \(version 2\)"):
        xlsform_to_draft(tool=version.tool, data=data, filename="two.xlsx", acting_user=None)
    assert version.tool.versions.count() == 2


def test_a_tool_without_versions_gets_version_1(db, external_data):
    draft, _report = import_sample(external_data, "text_and_integer.xlsx")
    assert (draft.number, draft.derived_from) == (1, None)


def workbook(survey: list[list], choices: list[list], settings_rows: list[list] | None = None) -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "survey"
    for row in survey:
        book.active.append(row)
    choices_sheet = book.create_sheet("choices")
    for row in choices:
        choices_sheet.append(row)
    if settings_rows:
        settings_sheet = book.create_sheet("settings")
        for row in settings_rows:
            settings_sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_hand_written_workbook_without_qa_type(db):
    """What a QA lead writes in a spreadsheet: types are inferred, the platform's columns are used."""
    builders.rubric()
    builders.node("t-practice.map")
    data = workbook(
        [
            ["type", "name", "label", "hint", "required", "qa_rubric_element", "qa_node", "qa_descriptor::1"],
            ["begin group", "Map", "The map"],
            ["note", "intro", "Harm and danger."],
            ["note", "more", "Kept apart."],
            [
                "select_one levels",
                "harm",
                "Harm is described",
                "Plain words",
                "yes",
                "T1",
                None,
                "T1 at level 1",
            ],
            ["select_one levels", "danger", "Danger", None, "${harm} = '1'", "T9"],
            ["select_one levels", "worry", "Worry", None, None, "T9"],
            ["select_one scale", "safety", "How safe?", None, None, None, "t-practice.map"],
            ["select_one ypn", "shared", "Plan shared?", None, None, None, "t-nowhere"],
            ["end group"],
            ["note", "bye", "Thank you"],
            ["select_one ypn", "again", "Again?", None, None, None, None],
        ],
        [
            ["list_name", "name", "label"],
            *(["levels", str(n), label] for n, label in builders.LEVELS),
            *(["scale", str(n), {0: "0 Not safe", 10: "10 Safe"}.get(n, str(n))] for n in range(11)),
            ["ypn", "yes", "Yes"],
            ["ypn", "partly", "Partly"],
            ["ypn", "no", "No"],
        ],
    )
    draft, report = xlsform_to_draft(
        tool=builders.tool("t-hand"), data=data, filename="hand.xlsx", acting_user=None
    )

    section = draft.sections.get(key="map")
    assert (section.title, section.description) == ("The map", "Harm and danger.\n\nKept apart.")
    assert items_of(draft) == [
        ("map", "harm", ItemType.RUBRIC),
        ("map", "danger", ItemType.RUBRIC),
        ("map", "worry", ItemType.RUBRIC),
        ("map", "safety", ItemType.SCALE),
        ("map", "shared", ItemType.YES_PARTLY_NO),
        ("questions", "again", ItemType.YES_PARTLY_NO),
    ]
    harm = Item.objects.get(version=draft, key="harm")
    assert (harm.rubric_element, harm.node.key, harm.required, harm.guidance) == (
        builders.element("T1"),
        "t-practice.t1",
        True,
        "Plain words",
    )
    assert harm.descriptors == {}  # the element's own descriptor is not stored again
    assert Item.objects.get(version=draft, key="safety").anchors == {"0": "0 Not safe", "10": "10 Safe"}
    assert Item.objects.get(version=draft, key="shared").options == []
    assert report == [
        "row 2, name 'Map': the group name was turned into the section key 'map'",
        "row 6, name 'danger': conditional required ('${harm} = '1'') is not supported; imported as not required",
        "row 6, name 'danger': rubric element 'T9' does not exist; imported without a rubric element",
        "row 7, name 'worry': rubric element 'T9' does not exist; imported without a rubric element",
        "row 9, name 'shared': results-logic node 't-nowhere' does not exist; imported without a node",
        "row 11, name 'bye': notes are supported only at the start of a group, where they become the section's "
        "description; not imported ('Thank you')",
    ]


# --- the sample forms ----------------------------------------------------------------------------


def test_groups_become_sections(db, external_data):
    draft, report = import_sample(external_data, "group.xlsx")
    assert [(s.key, s.title, s.order) for s in draft.sections.order_by("order")] == [
        ("questions", "Questions", 10),
        ("father", "Father", 20),
    ]
    assert items_of(draft) == [
        ("questions", "family_name", ItemType.TEXT),
        ("father", "phone_number", ItemType.TEXT),
        ("father", "age", ItemType.NUMBER),
    ]
    assert Item.objects.get(version=draft, key="family_name").text == "What's your family name?"
    assert report == [
        "row 4, name 'phone_number': phone number questions are not supported; imported as a free text item"
    ]


def test_yes_or_no_question(db, external_data):
    draft, report = import_sample(external_data, "yes_or_no_question.xlsx")
    item = Item.objects.get(version=draft)
    assert (item.key, item.type, item.text) == (
        "good_day",
        ItemType.SINGLE_CHOICE,
        "have you had a good day today?",
    )
    assert item.options == [{"value": "yes", "label": "yes"}, {"value": "no", "label": "no"}]
    assert report == []


def test_choice_filters_are_reported(db, external_data):
    draft, report = import_sample(external_data, "choice_filter_test.xlsx")
    assert items_of(draft) == [
        ("questions", "state", ItemType.SINGLE_CHOICE),
        ("questions", "county", ItemType.SINGLE_CHOICE),
        ("questions", "city", ItemType.SINGLE_CHOICE),
    ]
    assert [o["value"] for o in Item.objects.get(version=draft, key="county").options] == [
        "king",
        "pierce",
        "king",
        "cameron",
    ]
    assert report == [
        "settings sheet: 'allow_choice_duplicates' is not supported; ignored",
        "settings sheet: form_id 'cascading_selects1' is not this tool's key 't-sample'; imported as a new version "
        "of 't-sample'",
        "choices sheet, list 'counties': column 'cf' is not supported; ignored",
        "row 3, name 'county': choice filters ('${state}=cf') are not supported; all the list's choices were imported",
        "choices sheet, list 'cities': column 'cf' is not supported; ignored",
        "row 4, name 'city': choice filters ('${county}=cf') are not supported; all the list's choices were imported",
    ]


def test_loops_and_or_other_are_reported(db, external_data):
    draft, report = import_sample(external_data, "loop.xlsx")
    assert items_of(draft) == [
        ("questions", "available_toilet_types", ItemType.MULTIPLE_CHOICE),
        ("questions", "available_toilet_types_other", ItemType.TEXT),
        ("loop_toilet_types", "number", ItemType.NUMBER),
    ]
    assert report[:2] == [
        "row 2, name 'available_toilet_types': 'or_other' is not supported as such; the choice 'other' was kept "
        "and the follow-up question was imported as the free text item 'available_toilet_types_other', always asked",
        "row 3, name 'loop_toilet_types': loops are not supported; its 1 question was imported as ordinary items, "
        "asked once, in the section 'loop_toilet_types'",
    ]
    assert report[2].startswith("XLSForm warning: This form uses or_other and translations")
    assert len(report) == 3


def test_or_other(db, external_data):
    draft, report = import_sample(external_data, "or_other.xlsx")
    assert items_of(draft) == [
        ("questions", "fav_color", ItemType.SINGLE_CHOICE),
        ("questions", "fav_color_other", ItemType.TEXT),
        ("questions", "fav_pastel", ItemType.SINGLE_CHOICE),
    ]
    assert Item.objects.get(version=draft, key="fav_color").options[-1] == {
        "value": "other",
        "label": "Other",
    }
    assert Item.objects.get(version=draft, key="fav_color_other").text == "Specify other."
    assert report == [
        "choices sheet, list 'colors': column 'pastel' is not supported; ignored",
        "row 2, name 'fav_color': 'or_other' is not supported as such; the choice 'other' was kept and the "
        "follow-up question was imported as the free text item 'fav_color_other', always asked",
        "row 3, name 'fav_pastel': choice filters ('pastel=yes') are not supported; all the list's choices were imported",
    ]


def test_specify_other(db, external_data):
    draft, report = import_sample(external_data, "specify_other.xlsx")
    assert items_of(draft) == [
        ("questions", "sex", ItemType.SINGLE_CHOICE),
        ("questions", "sex_other", ItemType.TEXT),
    ]
    assert report[0] == (
        "row 2, name 'sex': 'or_other' is not supported as such; the choice 'other' was kept and the follow-up "
        "question was imported as the free text item 'sex_other', always asked"
    )
    assert len(report) == 2 and report[1].startswith("XLSForm warning:")


def test_text_and_integer(db, external_data):
    draft, report = import_sample(external_data, "text_and_integer.xlsx")
    assert items_of(draft) == [
        ("questions", "your_name", ItemType.TEXT),
        ("questions", "your_age", ItemType.NUMBER),
    ]
    assert report == []


def test_extra_empty_columns_are_harmless(db, external_data):
    draft, report = import_sample(external_data, "extra_columns.xlsx")
    assert items_of(draft) == [("questions", "a", ItemType.TEXT)]
    assert report == []


def test_case_insensitive_headers_and_unsupported_sheets(db, external_data):
    draft, report = import_sample(external_data, "case_insensitivity.xlsx")
    assert items_of(draft) == [("questions", "q1", ItemType.SINGLE_CHOICE)]
    assert Item.objects.get(version=draft).text == "Are you good?"
    assert report == [
        "sheet 'EXTERNAL_CHOICES': choices from an external_choices sheet are not supported; that sheet was not imported",
        "sheet 'ENTITIES': entities are not supported; that sheet was not imported",
        "sheet 'OSM': OpenStreetMap tags are not supported; that sheet was not imported",
        "settings sheet: form_id 'YesNo' is not this tool's key 't-sample'; imported as a new version of 't-sample'",
        "row 3, name 'q2': choices from an external_choices sheet are not supported; not imported ('Where are you?')",
        "row 4, name 'q3': OpenStreetMap questions are not supported; not imported ('Where exactly?')",
    ]


def test_xlsform_spec_test(db, external_data):
    draft, report = import_sample(external_data, "xlsform_spec_test.xlsx")

    assert [(s.key, s.title) for s in draft.sections.order_by("order")] == [
        ("questions", "Questions"),
        ("everything", "everything"),
        ("questions-2", "Questions"),
    ]
    assert [key for _section, key, _type in items_of(draft)] == [
        "skip_to_end",
        "my_name",
        "address",
        "text_image_audio_video_test",
        "autocomplete_test",
        "autocomplete_chars_test",
        "a_integer",
        "a_decimal",
        "required_text",
        "select_multiple_test",
        "label-test",
        "list-nolabel-test",
        "table_list_question",
        "compact-test",
        "compact-2-test",
        "date_test",
        "time_test",
        "datetime_test",
        "barcode_test",
        "1",
        "false",
        "launch",
    ]
    required = set(Item.objects.filter(version=draft, required=True).values_list("key", flat=True))
    assert required == {"required_text", "list-nolabel-test"}
    assert Item.objects.get(version=draft, key="address").text == "Enter an address"
    assert Item.objects.get(version=draft, key="compact-test").options == [
        {"value": "a", "label": "a"},
        {"value": "b", "label": "b"},
    ]
    for line in [
        "sheet 'columns': not an XLSForm sheet; ignored",
        "settings sheet: 'submission_url' is not supported; ignored",
        "choices sheet, list 'yes_no': translations are not supported; the labels were imported in 'default', "
        "not in 'chinese'",
        "row 3, name 'everything': show-if conditions (relevant: 'not(selected(${skip_to_end}, 'yes'))') are not "
        "supported; always shown",
        "row 5, name 'invalid_variable': notes are supported only at the start of a group, where they become the "
        "section's description; not imported ('Your name is ${my_name}')",
        "row 6, name 'address': translations are not supported; the label was imported in 'english', not in 'chinese'",
        "row 9, name 'text_image_audio_video_test': media (audio, image, video) are not supported; not imported",
        "row 14, name 'a_decimal': constraints ('. <= ${a_integer}') are not supported; ignored",
        "row 15, name 'repeat_test': repeat groups are not supported; its 7 questions were imported as ordinary "
        "items, asked once, in the section 'everything'",
        "row 16, name 'group_test': groups inside groups are not supported; its 2 questions were imported into the "
        "section 'everything'",
        "row 17, name 'required_text': custom required messages are not supported; ignored",
        "row 18, name 'select_multiple_test': constraints ('not(selected(., 'yes') and selected (., 'no'))') and "
        "its message are not supported; ignored",
        "row 30, name 'acknowledge_test': acknowledge questions are not supported; not imported ('acknowledge_test')",
        "row 32, name 'time_test': time questions are not supported; imported as a free text item",
        "row 33, name 'datetime_test': date and time questions are not supported; imported as a date item",
        "row 34, name 'geopoint_test': location questions are not supported; not imported ('geopoint_test')",
        "row 36, name 'image_test': photo, audio, video and file questions are not supported; not imported "
        "('image_test')",
        "row 40, name 'calculate_test': calculations are not supported; not imported",
        "row 42, name 'start': metadata fields are not supported; not imported",
        "row 54, name '_1': the name was turned into the key '1'",
        "row 57, name 'launch': column 'buttonText' is not supported; ignored",
    ]:
        assert line in report
    # Every question row of the sheet is accounted for: imported, or named in the report.
    imported = {key for _section, key, _type in items_of(draft)}
    reported = {line.split("name '")[1].split("'")[0] for line in report if "name '" in line}
    sheet = openpyxl.load_workbook(
        external_data / "xlsform" / "xlsform_spec_test.xlsx", read_only=True, data_only=True
    )["survey"]
    names = {
        str(row[1])
        for row in sheet.iter_rows(min_row=2, values_only=True)
        if row[1] and "group" not in str(row[0])
    }
    assert names - imported - reported - {"False", "_1"} == set()
    assert draft.notes.count("\n- ") == len(report)


def test_survey_sheet_without_its_name_is_read(db, external_data):
    # pyxform reads the only sheet of a workbook as the survey, whatever its name.
    draft, report = import_sample(external_data, "survey_no_name.xlsx")
    assert items_of(draft) == [("questions", "state", ItemType.TEXT)]
    assert report == [
        "sheet 'Sheet1': the workbook has no sheet named 'survey'; its only sheet was read as the survey"
    ]


def test_a_form_with_nothing_importable_stores_nothing(db, external_data):
    # bad_calc.xlsx is accepted by pyxform, but its only question is a calculation.
    with pytest.raises(ValidationError) as raised:
        import_sample(external_data, "bad_calc.xlsx")
    assert raised.value.messages == [
        "'bad_calc.xlsx' holds no question the platform can import; nothing was stored.",
        "row 2, name 'badcalc': calculations are not supported; not imported ('This calculation fails')",
    ]
    assert not ToolVersion.objects.filter(tool__key="t-sample").exists()


# --- unreadable workbooks --------------------------------------------------------------------------


def test_random_bytes_give_a_clear_error_and_store_nothing(db):
    tool = builders.tool("t-corrupt")
    with pytest.raises(ValidationError) as raised:
        xlsform_to_draft(
            tool=tool, data=b"\x00\x01not a workbook\xff" * 50, filename="broken.xlsx", acting_user=None
        )
    assert raised.value.messages == [
        "'broken.xlsx' could not be read as an XLSForm: Argument 'definition' was not recognized as a supported "
        "type. Must be one of: .xlsx, .xlsm, .xls, .md, .csv"
    ]
    assert not ToolVersion.objects.filter(tool=tool).exists()


def test_a_damaged_zip_gives_a_clear_error(db):
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a spreadsheet")
    tool = builders.tool("t-corrupt")
    with pytest.raises(ValidationError, match="'zip.xlsx' could not be read as an XLSForm"):
        xlsform_to_draft(tool=tool, data=buffer.getvalue(), filename="zip.xlsx", acting_user=None)
    assert not ToolVersion.objects.filter(tool=tool).exists()


def test_a_workbook_without_a_survey_sheet(db):
    book = openpyxl.Workbook()
    book.active.title = "questions"
    book.create_sheet("choices")
    buffer = BytesIO()
    book.save(buffer)
    with pytest.raises(ValidationError, match="You must have a sheet named 'survey'"):
        xlsform_to_draft(
            tool=builders.tool("t-x"), data=buffer.getvalue(), filename="x.xlsx", acting_user=None
        )


def test_only_workbooks_are_accepted(db):
    with pytest.raises(ValidationError, match="must end in .xlsx, .xlsm or .xls"):
        xlsform_to_draft(
            tool=builders.tool("t-x"), data=b"type,name\ntext,a\n", filename="x.csv", acting_user=None
        )


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=2000))
def test_any_bytes_either_parse_or_raise_validation_error(data):
    # No database: parsing fails before anything is looked up or stored.
    with pytest.raises(ValidationError, match="could not be read as an XLSForm"):
        xlsform_to_draft(tool=Tool(key="t-any"), data=data, filename="any.xlsx", acting_user=None)


# --- commands --------------------------------------------------------------------------------------


def test_export_and_import_commands(db, tmp_path):
    version = every_type_tool()
    out = tmp_path / "every.xlsx"
    stdout = StringIO()

    call_command("export_xlsform", "t-xls", "--out", str(out), stdout=stdout)
    assert stdout.getvalue() == f"Wrote Every type v1 to {out}.\n"

    stdout = StringIO()
    call_command("import_xlsform", "t-xls", str(out), stdout=stdout)
    assert stdout.getvalue() == "Created Every type v2 (draft) from every.xlsx: 2 sections, 9 items.\n"
    assert snapshot(ToolVersion.objects.get(tool=version.tool, number=2)) == snapshot(version)


def test_import_command_prints_the_report(db, tmp_path, external_data):
    builders.tool("t-cmd")
    stdout = StringIO()
    call_command("import_xlsform", "t-cmd", str(external_data / "xlsform" / "group.xlsx"), stdout=stdout)
    assert stdout.getvalue().splitlines() == [
        "Created Tool t-cmd v1 (draft) from group.xlsx: 2 sections, 3 items.",
        "- row 4, name 'phone_number': phone number questions are not supported; imported as a free text item",
    ]


def test_commands_report_errors(db, tmp_path):
    builders.tool("t-cmd")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"garbage")
    with pytest.raises(CommandError, match="'broken.xlsx' could not be read as an XLSForm"):
        call_command("import_xlsform", "t-cmd", str(broken))
    with pytest.raises(CommandError, match="no tool with the key 'nope'"):
        call_command("export_xlsform", "nope", "--out", str(tmp_path / "x.xlsx"))
    with pytest.raises(CommandError, match="has no version 7"):
        call_command("export_xlsform", "t-cmd", "--version", "7", "--out", str(tmp_path / "x.xlsx"))
