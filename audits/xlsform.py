"""XLSForm round trip: export a tool version (or an authority's adaptation of it) to an XLSForm
workbook, and import a workbook as a new draft version, so QA leads can author tools in a
spreadsheet as users of ODK and KoboToolbox already do. Workbooks are read with pyxform (the ODK
reference parser) and written with openpyxl.

The exported workbook
---------------------
``survey`` sheet, one row per section boundary, section description and item:

- ``type``: ``begin group`` / ``end group`` for a section, ``note`` for the section's description
  (the first row of its group), and for items: rubric level → ``select_one levels_<rubric key>``;
  0–10 scale → ``select_one scale_0_10``; yes/partly/no → ``select_one yes_partly_no`` (or the
  item's own list when it has options of its own); single choice → ``select_one options_<key>``;
  multiple choice → ``select_multiple options_<key>``; number → ``decimal``; date → ``date``; free
  text → ``text``. A choice item without options (an unfinished draft) is written as ``text``;
  its ``qa_type`` keeps it a choice item on the way back.
- ``name``: the section's or item's key; ``label``: its title or text; ``hint``: the item's
  guidance; ``required``: ``yes``/``no``.
- Columns XLSForm lacks (every one optional on import):
  ``qa_type`` (the platform's item type: rubric, scale, yes_partly_no, single_choice,
  multiple_choice, number, date, text); ``qa_key`` (the key, when it is not a valid XLSForm name
  and ``name`` had to get a leading underscore); ``qa_core`` (yes/no); ``qa_rubric`` and
  ``qa_rubric_element`` (rubric key and element key, e.g. ``sofs-case-practice`` / ``P6``);
  ``qa_node`` (results-logic node key); ``qa_descriptor::1`` … ``qa_descriptor::4`` (what the
  item looks like at each rubric level, as people see it: the item's own descriptor, else the
  element's, else the level's general description); ``qa_anchor::0`` and ``qa_anchor::10`` (the anchor texts
  of a 0–10 scale); ``qa_local_guidance`` (an adaptation's local guidance).

``choices`` sheet (``list_name``, ``name``, ``label``): one ``levels_<rubric key>`` list per rubric
(level values and labels), ``scale_0_10`` (0 to 10), ``yes_partly_no`` (yes, partly, no) and one
``options_<key>`` list per choice item.

``settings`` sheet: ``form_title`` (the tool's name), ``form_id`` (the tool key), ``version`` (the
version number), and for an adaptation ``qa_adaptation`` (authority code and adaptation number).

Import
------
Groups become sections (a group's ``hint`` and the notes at its start become the section's
description), questions become items keyed by their ``name`` (slugified), types as above in
reverse, with ``qa_type`` deciding when present. Without it: a select whose choices are 0 to 10 is
a scale, one whose choices are yes/partly/no is a yes/partly/no item, a select naming a rubric
element is a rubric item; integer and decimal are numbers. Stored rubric descriptors are only
those that differ from what the item would show without them (the element's descriptor, else the
level's description), so an export read back stores what the version stored. Sections and items
are numbered in tens (10, 20, ...), as the standard library numbers them. Questions outside any
group go to sections titled "Questions". Everything the platform does not support is either
imported in the closest form or left out, and either way named in the report, row by row
("row 7, name 'x': ..."); the same lines go into the new version's notes.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.styles import Font

from audits.models import Adaptation, Item, ItemType, Section, Tool, ToolVersion, VersionStatus
from audits.resolution import ResolvedItem, ResolvedTool
from audits.selectors import resolved_tool
from fidelity.models import ResultsNode, RubricElement, RubricLevel

SURVEY_BASE_COLUMNS = ["type", "name", "label", "hint", "required"]
SCALE_LIST = "scale_0_10"
YES_PARTLY_NO_LIST = "yes_partly_no"
SCALE_VALUES = [str(n) for n in range(11)]
YES_PARTLY_NO = [("yes", "Yes"), ("partly", "Partly"), ("no", "No")]
DEFAULT_LEVELS = [1, 2, 3, 4]
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls"}

_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_TRUE = {"yes", "true", "true()", "1", "y"}
_FALSE = {"no", "false", "false()", "0", "n", ""}


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------


def version_to_xlsform(*, version: ToolVersion, adaptation: Adaptation | None = None) -> bytes:
    """The version, or the tool as ``adaptation`` resolves it, as an XLSForm workbook (.xlsx bytes).

    Hidden items are left out of an adaptation's export; its local and reworded items appear as
    the authority's people see them, with local guidance in ``qa_local_guidance``.
    """
    if adaptation is not None and adaptation.base_version_id != version.pk:
        raise ValidationError(
            f"Adaptation {adaptation.pk} derives from version {adaptation.base_version_id}, not from {version}."
        )
    resolved = resolved_tool(version=version, adaptation=adaptation)
    rubric_of_item = dict(
        Item.objects.filter(version=version, rubric_element__isnull=False).values_list(
            "key", "rubric_element__rubric__key"
        )
    )
    settings: list[tuple[str, str]] = [
        ("form_title", resolved.tool_name),
        ("form_id", resolved.tool_key),
        ("version", str(resolved.version_number)),
    ]
    if adaptation is not None:
        settings.append(
            (
                "qa_adaptation",
                f"{resolved.authority_code or ''} adaptation {resolved.adaptation_number}".strip(),
            )
        )
    return _write_workbook(_survey_rows(resolved, rubric_of_item), settings)


def _numeric_key(pair: tuple[str, str]) -> tuple[int, str]:
    return (int(pair[0]), "") if pair[0].lstrip("-").isdigit() else (10**6, pair[0])


def _xml_name(key: str, prefix: str = "") -> str:
    """``prefix + key`` as a valid XLSForm name: keys that are not get a leading underscore and
    their other characters replaced."""
    name = prefix + key
    if _XML_NAME.match(name):
        return name
    return "_" + re.sub(r"[^A-Za-z0-9_.-]", "_", name)


@dataclass
class _Sheets:
    survey: list[dict[str, str]] = field(default_factory=list)
    choices: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # list name -> (name, label)


def _survey_rows(resolved: ResolvedTool, rubric_of_item: dict[str, str]) -> tuple[list[str], _Sheets]:
    sheets = _Sheets()
    level_values: set[int] = set()
    anchor_keys: set[str] = {"0", "10"}
    for section in resolved.sections:
        section_name = _xml_name(section.key)
        taken = {_xml_name(item.key) for item in section.items}
        sheets.survey.append(_row("begin group", section_name, section.title, key=section.key))
        if section.description:
            note_name = _xml_name(section.key, "about_")
            while note_name in taken:
                note_name += "_note"
            sheets.survey.append({"type": "note", "name": note_name, "label": section.description})
        for item in section.items:
            sheets.survey.append(_item_row(item, rubric_of_item.get(item.key, ""), sheets))
            level_values.update(value for value, _label, _descriptor in item.levels)
            anchor_keys.update(key for key, _text in item.anchors)
        sheets.survey.append({"type": "end group"})
    columns = [
        *SURVEY_BASE_COLUMNS,
        "qa_type",
        "qa_key",
        "qa_core",
        "qa_rubric",
        "qa_rubric_element",
        "qa_node",
        *(f"qa_descriptor::{value}" for value in sorted(level_values or DEFAULT_LEVELS)),
        *(f"qa_anchor::{key}" for key, _ in sorted(((k, "") for k in anchor_keys), key=_numeric_key)),
        "qa_local_guidance",
    ]
    return columns, sheets


def _row(type_: str, name: str, label: str, *, key: str) -> dict[str, str]:
    row = {"type": type_, "name": name, "label": label}
    if name != key:
        row["qa_key"] = key
    return row


def _item_row(item: ResolvedItem, rubric_key: str, sheets: _Sheets) -> dict[str, str]:
    name = _xml_name(item.key)
    row = _row("", name, item.text, key=item.key)
    row.update(
        {
            "hint": item.guidance,
            "required": "yes" if item.required else "no",
            "qa_type": item.type,
            "qa_core": "yes" if item.is_core else "no",
            "qa_rubric_element": item.rubric_element_key,
            "qa_node": item.node_key,
            "qa_local_guidance": item.local_guidance,
        }
    )
    own_list = _xml_name(item.key, "options_")
    if item.type == ItemType.RUBRIC:
        row["qa_rubric"] = rubric_key
        list_name = _xml_name(rubric_key or "unknown", "levels_")
        levels = [(str(v), label) for v, label, _d in item.levels] or [
            (str(v), str(v)) for v in DEFAULT_LEVELS
        ]
        sheets.choices.setdefault(list_name, levels)
        row["type"] = f"select_one {list_name}"
        for value, _label, descriptor in item.levels:
            row[f"qa_descriptor::{value}"] = descriptor
    elif item.type == ItemType.SCALE:
        sheets.choices.setdefault(SCALE_LIST, [(v, v) for v in SCALE_VALUES])
        row["type"] = f"select_one {SCALE_LIST}"
        for key, text in item.anchors:
            row[f"qa_anchor::{key}"] = text
    elif item.type == ItemType.YES_PARTLY_NO and list(item.options) in ([], YES_PARTLY_NO):
        sheets.choices.setdefault(YES_PARTLY_NO_LIST, list(YES_PARTLY_NO))
        row["type"] = f"select_one {YES_PARTLY_NO_LIST}"
    elif item.type in (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE, ItemType.YES_PARTLY_NO):
        if item.options:
            sheets.choices[own_list] = list(item.options)
            verb = "select_multiple" if item.type == ItemType.MULTIPLE_CHOICE else "select_one"
            row["type"] = f"{verb} {own_list}"
        else:
            row["type"] = "text"
    elif item.type == ItemType.NUMBER:
        row["type"] = "decimal"
    elif item.type == ItemType.DATE:
        row["type"] = "date"
    else:
        row["type"] = "text"
    return row


def _write_workbook(survey: tuple[list[str], _Sheets], settings: list[tuple[str, str]]) -> bytes:
    columns, sheets = survey
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "survey"
    _append_table(sheet, columns, ([row.get(column, "") for column in columns] for row in sheets.survey))
    choices = workbook.create_sheet("choices")
    _append_table(
        choices,
        ["list_name", "name", "label"],
        ([list_name, name, label] for list_name, rows in sheets.choices.items() for name, label in rows),
    )
    settings_sheet = workbook.create_sheet("settings")
    _append_table(settings_sheet, [key for key, _ in settings], [[value for _, value in settings]])
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _append_table(sheet: Any, header: list[str], rows: Iterable[list[str]]) -> None:
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # Empty strings become empty cells, as a person would leave them.
        sheet.append([value if value != "" else None for value in row])
    sheet.freeze_panes = "A2"


# ---------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------


def xlsform_to_draft(
    *, tool: Tool, data: bytes, filename: str, acting_user: Any
) -> tuple[ToolVersion, list[str]]:
    """A new draft version of ``tool`` built from an XLSForm workbook, and the report.

    The draft is numbered after the tool's latest version and derives from it. The report names,
    row by row, every XLSForm feature the platform does not support and what became of it
    (imported in the closest form, or not imported and why); the same lines are kept in the
    version's notes. Raises ``ValidationError`` (and stores nothing) when pyxform cannot read the
    workbook, when it holds no question the platform can import, or when the tool already has a
    draft version.
    """
    form, definition, warnings = _parse(data, filename)
    builder = _DraftBuilder(form=form, definition=definition, tool=tool)
    builder.build()
    report = builder.report + [f"XLSForm warning: {' '.join(warning.split())}" for warning in warnings]
    if not any(section.items for section in builder.sections):
        raise ValidationError(
            [f"'{filename}' holds no question the platform can import; nothing was stored."] + report
        )
    with transaction.atomic():
        locked = Tool.objects.select_for_update().get(pk=tool.pk)
        draft = locked.versions.filter(status=VersionStatus.DRAFT).first()
        if draft is not None:
            raise ValidationError(
                f"{locked.name} already has a draft (version {draft.number}); publish or delete it "
                "before importing another."
            )
        latest = locked.versions.order_by("-number").first()
        version = ToolVersion(
            tool=locked,
            number=latest.number + 1 if latest else 1,
            derived_from=latest,
            notes=_notes(filename, report),
        )
        _save(version, acting_user)
        # Orders in tens, as the standard library numbers them, leave room for an adaptation's moves.
        for section_order, planned in enumerate(builder.sections, start=1):
            section = Section(
                version=version,
                key=planned.key,
                title=planned.title,
                description=planned.description,
                order=section_order * 10,
            )
            _save(section, acting_user)
            for item_order, fields in enumerate(planned.items, start=1):
                _save(Item(version=version, section=section, order=item_order * 10, **fields), acting_user)
    return version, report


def _save(instance: Any, acting_user: Any) -> None:
    instance._history_user = acting_user
    instance.save()


def _notes(filename: str, report: list[str]) -> str:
    notes = f"Imported from the XLSForm workbook '{filename}'."
    if report:
        notes += "\n\nWhat the import reported:\n" + "\n".join(f"- {line}" for line in report)
    return notes


def _parse(data: bytes, filename: str) -> tuple[dict[str, Any], Any, list[str]]:
    """pyxform's reading of the workbook: (survey dict, raw sheets, pyxform's warnings)."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import workbook_to_json
    from pyxform.xls2json_backends import get_xlsform

    suffix = PurePath(filename).suffix.lower()
    if suffix not in WORKBOOK_SUFFIXES:
        raise ValidationError(
            f"'{filename}' is not an XLSForm workbook: the file name must end in .xlsx, .xlsm or .xls."
        )
    warnings: list[str] = []
    try:
        definition = get_xlsform(xlsform=data, file_type=suffix)
        form = workbook_to_json(
            workbook_dict=definition,
            fallback_form_name=PurePath(filename).stem,
            warnings=warnings,
        )
    except PyXFormError as error:
        raise ValidationError(f"'{filename}' could not be read as an XLSForm: {_clean(error)}") from error
    except Exception as error:  # openpyxl and zipfile raise many kinds for a damaged file
        raise ValidationError(
            f"'{filename}' could not be read as an XLSForm workbook ({type(error).__name__}: {_clean(error)})."
        ) from error
    return form, definition, warnings


def _clean(error: Exception) -> str:
    return " ".join(str(error).split()) or "no detail given"


# Question types of pyxform's dictionary (with its aliases), by what the platform makes of them.
def _types(names: str) -> set[str]:
    return {name.strip() for name in names.split("|")}


_TEXT_TYPES = _types("text|string|q string|add text prompt")
_NUMBER_TYPES = _types("integer|int|q int|add integer prompt|decimal|q decimal|add decimal prompt")
_DATE_TYPES = _types("date|q date|add date prompt")
_DATETIME_TYPES = _types("datetime|date time|q date time|add date time prompt|add datetime prompt")
_SELECT_ONE = _types("select one|select one using|q select1|add select one prompt using")
_SELECT_MULTIPLE = _types(
    "select all that apply|select multiple using|q select|add select multiple prompt using|"
    "select multiple from|select all that apply from"
)
# Imported in the closest form: question type -> (item type, what the report says).
_CLOSEST: dict[str, tuple[str, str]] = {
    "time": (ItemType.TEXT, "time questions are not supported; imported as a free text item"),
    "range": (ItemType.NUMBER, "range questions are not supported; imported as a number item"),
    "percentage": (ItemType.NUMBER, "percentage questions are not supported; imported as a number item"),
    "phone number": (ItemType.TEXT, "phone number questions are not supported; imported as a free text item"),
    "rank": (ItemType.MULTIPLE_CHOICE, "ranking is not supported; imported as a multiple choice item"),
    **dict.fromkeys(
        _types("barcode|q barcode|add barcode prompt"),
        (ItemType.TEXT, "barcode questions are not supported; imported as a free text item"),
    ),
}
# Not imported: question type -> why.
_NOT_IMPORTED: dict[str, str] = {
    **dict.fromkeys(_types("calculate|q calculate|add calculate prompt"), "calculations are not supported"),
    "hidden": "hidden fields are not supported",
    **dict.fromkeys(
        _types("acknowledge|q acknowledge|add acknowledge prompt|trigger"),
        "acknowledge questions are not supported",
    ),
    "select one external": "choices from an external_choices sheet are not supported",
    "osm": "OpenStreetMap questions are not supported",
    **dict.fromkeys(_types("xml-external|csv-external"), "external data files are not supported"),
    **dict.fromkeys(
        _types(
            "geopoint|geotrace|geoshape|location|gps|q geopoint|q geoshape|q geotrace|q location|add location prompt"
        ),
        "location questions are not supported",
    ),
    **dict.fromkeys(
        _types(
            "image|photo|audio|video|file|q image|q picture|q audio|q video|add image prompt|add audio prompt|"
            "add video prompt|add file prompt|background-audio"
        ),
        "photo, audio, video and file questions are not supported",
    ),
    **dict.fromkeys(
        _types(
            "start|end|today|deviceid|device id|imei|phonenumber|simserial|sim id|subscriberid|subscriber id|"
            "username|email|audit|start time|end time|get start time|get end time|get today|get device id|"
            "get phone number|get sim id|get subscriber id|uri:deviceid|uri:email|uri:phonenumber|uri:simserial|"
            "uri:subscriberid|uri:username|start-geopoint|background-geopoint|number of days in last month|"
            "number of days in last six months|number of days in last year"
        ),
        "metadata fields are not supported",
    ),
}
# Question types that an exported item can have, where ``qa_type`` decides the item type.
_TAKES_QA_TYPE = _SELECT_ONE | _SELECT_MULTIPLE | _TEXT_TYPES | _NUMBER_TYPES | _DATE_TYPES | set(_CLOSEST)
_QUESTION_KEYS = {"type", "name", "label", "hint", "choices", "itemset", "list_name"}
_XLSFORM_SHEETS = {"survey", "choices", "settings"}
_KNOWN_SETTINGS = {
    "form_title",
    "title",
    "form_id",
    "id_string",
    "version",
    "default_language",
    "qa_adaptation",
}
_SHEET_NOT_SUPPORTED = {
    "external_choices": "choices from an external_choices sheet are not supported; that sheet was not imported",
    "entities": "entities are not supported; that sheet was not imported",
    "osm": "OpenStreetMap tags are not supported; that sheet was not imported",
}


@dataclass
class _PlannedSection:
    key: str
    title: str
    description: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)


class _DraftBuilder:
    """Walks pyxform's survey dict in sheet order, planning sections and items and writing the report.

    Row numbers come from the raw survey sheet (pyxform keeps blank rows there so that row numbers
    stay true); elements pyxform generates itself (``meta``, a repeat's count, the "specify other"
    question) have no row of their own.
    """

    def __init__(self, *, form: dict[str, Any], definition: Any, tool: Tool) -> None:
        self.form = form
        self.definition = definition
        self.tool = tool
        self.report: list[str] = []
        self.sections: list[_PlannedSection] = []
        self._section_keys: set[str] = set()
        self._item_keys: set[str] = set()
        self._rows = self._raw_rows(definition.survey or [])
        self._cursor = 0
        self._language = self._form_language()
        self._lists_reported: set[str] = set()
        self._elements: dict[tuple[str, str], list[RubricElement]] = {}
        self._nodes: dict[str, ResultsNode | None] = {}
        self._or_other: set[str] = set()
        self._levels_checked: set[str] = set()
        self._row_by_name: dict[str, int] = {}
        self._level_descriptions: dict[int, dict[str, str]] = {}

    # --- walking -------------------------------------------------------------------------------

    def build(self) -> None:
        self._report_sheets_and_settings()
        current: _PlannedSection | None = None  # the section of questions outside any group
        for element in self.form.get("children", []):
            kind = _norm(element.get("type"))
            if (
                kind == "group"
                and element.get("name") == "meta"
                and (element.get("control") or {}).get("bodyless")
            ):
                continue  # generated by pyxform (instanceID and the like)
            if kind in ("group", "repeat", "loop"):
                row = self._row_of(element)
                self._container(element, row, kind, self._new_section(element, row), nested=False)
                current = None
                continue
            item = self._element(element, None)
            if item is not None:
                if current is None:
                    current = self._implicit_section()
                current.items.append(item)

    def _children(self, container: dict[str, Any], section: _PlannedSection) -> None:
        for element in container.get("children", []):
            kind = _norm(element.get("type"))
            if kind in ("group", "repeat", "loop"):
                self._container(element, self._row_of(element), kind, section, nested=True)
                continue
            item = self._element(element, section)
            if item is not None:
                section.items.append(item)

    def _container(
        self, element: dict[str, Any], row: int | None, kind: str, section: _PlannedSection, *, nested: bool
    ) -> None:
        """A group, repeat or loop: its questions go into ``section``; what is lost is reported."""
        where = _where(row, element.get("name"))
        before = len(section.items)
        if kind == "group" and not nested and element.get("hint"):
            section.description = self._text(element.get("hint"))
        self._other_features(element, where, skip={"type", "name", "label", "hint", "children", "columns"})
        # The container's own line comes before the lines of its questions.
        position = len(self.report)
        self._children(element, section)
        count = len(section.items) - before
        questions = f"{count} question was" if count == 1 else f"{count} questions were"
        line = ""
        if kind == "repeat":
            line = (
                f"{where}: repeat groups are not supported; its {questions} imported as ordinary items, "
                f"asked once, in the section '{section.title}'"
            )
        elif kind == "loop":
            line = (
                f"{where}: loops are not supported; its {questions} imported as ordinary items, asked once, "
                f"in the section '{section.title}'"
            )
        elif nested:
            line = (
                f"{where}: groups inside groups are not supported; its {questions} imported into the "
                f"section '{section.title}'"
            )
        if line:
            self.report.insert(position, line)

    def _element(self, element: dict[str, Any], section: _PlannedSection | None) -> dict[str, Any] | None:
        """The item planned for a question (``None`` when it is not imported); ``section`` is the
        group it sits in, ``None`` outside any group."""
        row = self._row_of(element)
        name = str(element.get("name", ""))
        if row is None and name not in self._or_other:
            # Generated by pyxform for a feature reported on its own row (a repeat's count, a
            # table-list's label row, ...).
            return None
        kind = _norm(element.get("type"))
        where = _where(row, name)
        if kind == "note":
            self._note(element, where, section)
            return None
        if kind in _NOT_IMPORTED:
            text = self._text(element.get("label"))
            shown = f" ('{_short(text)}')" if text else ""
            self.report.append(f"{where}: {_NOT_IMPORTED[kind]}; not imported{shown}")
            return None
        return self._item(element, kind, where)

    def _note(self, element: dict[str, Any], where: str, section: _PlannedSection | None) -> None:
        text = self._text(element.get("label"))
        if section is not None and not section.items and text:
            section.description = f"{section.description}\n\n{text}".strip()
            self._other_features(element, where, skip={"type", "name", "label"})
            return
        shown = f" ('{_short(text)}')" if text else ""
        self.report.append(
            f"{where}: notes are supported only at the start of a group, where they become the section's "
            f"description; not imported{shown}"
        )

    # --- items ---------------------------------------------------------------------------------

    def _item(self, element: dict[str, Any], kind: str, where: str) -> dict[str, Any] | None:
        name = str(element.get("name", ""))
        text = self._text(element.get("label"))
        if not text:
            text = name
            self.report.append(f"{where}: the question has no label; its name was used as the text")
        choices = self._choices(element)
        qa_type = str(element.get("qa_type", "")).strip()
        item_type = self._type(kind, qa_type, choices, element, where)
        if item_type is None:
            return None
        fields: dict[str, Any] = {
            "key": self._item_key(element, where),
            "type": item_type,
            "text": text,
            "guidance": self._text(element.get("hint")),
            "required": self._required(element, where),
            "is_core": _truthy(element.get("qa_core")),
        }
        local_guidance = self._text(element.get("qa_local_guidance"))
        if local_guidance:
            fields["guidance"] = f"{fields['guidance']}\n\n{local_guidance}".strip()
            self.report.append(
                f"{where}: the adaptation's local guidance was imported as part of the item's guidance"
            )
        fields.update(self._choice_fields(item_type, element, choices, where))
        element_row = self._rubric_element(element, where, item_type)
        fields["rubric_element"] = element_row
        fields["node"] = self._node(element, where, element_row)
        fields["descriptors"] = self._descriptors(element, element_row)
        self._other_features(element, where, skip=_QUESTION_KEYS)
        self._or_other_feature(element, where)
        return fields

    def _type(
        self,
        kind: str,
        qa_type: str,
        choices: list[dict[str, Any]] | None,
        element: dict[str, Any],
        where: str,
    ) -> str | None:
        itemset = str(element.get("itemset", ""))
        is_select = kind in _SELECT_ONE or kind in _SELECT_MULTIPLE or kind == "rank"
        if is_select and re.search(r"\.(csv|xml|geojson)$", itemset):
            self.report.append(
                f"{where}: choices from an external file ('{itemset}') are not supported; not imported"
            )
            return None
        if qa_type and qa_type not in ItemType.values:
            self.report.append(f"{where}: qa_type '{qa_type}' is not an item type of the platform; ignored")
            qa_type = ""
        if qa_type and kind in _TAKES_QA_TYPE:
            return qa_type
        if kind in _CLOSEST:
            item_type, why = _CLOSEST[kind]
            self.report.append(f"{where}: {why}")
            return item_type
        if kind in _TEXT_TYPES:
            return ItemType.TEXT
        if kind in _NUMBER_TYPES:
            return ItemType.NUMBER
        if kind in _DATE_TYPES:
            return ItemType.DATE
        if kind in _DATETIME_TYPES:
            self.report.append(f"{where}: date and time questions are not supported; imported as a date item")
            return ItemType.DATE
        if kind in _SELECT_MULTIPLE:
            return ItemType.MULTIPLE_CHOICE
        if kind in _SELECT_ONE:
            names = [str(choice.get("name")) for choice in choices or []]
            if element.get("qa_rubric_element"):
                return ItemType.RUBRIC
            if names == SCALE_VALUES:
                return ItemType.SCALE
            if sorted(n.lower() for n in names) == sorted(v for v, _ in YES_PARTLY_NO):
                return ItemType.YES_PARTLY_NO
            return ItemType.SINGLE_CHOICE
        self.report.append(f"{where}: question type '{element.get('type')}' is not supported; not imported")
        return None

    def _choices(self, element: dict[str, Any]) -> list[dict[str, Any]] | None:
        list_name = element.get("list_name") or element.get("itemset")
        if not list_name:
            return None
        choices = element.get("choices") or (self.form.get("choices") or {}).get(list_name) or []
        self._report_list(str(list_name), choices)
        return list(choices)

    def _report_list(self, list_name: str, choices: list[dict[str, Any]]) -> None:
        if list_name in self._lists_reported:
            return
        self._lists_reported.add(list_name)
        where = f"choices sheet, list '{list_name}'"
        columns = sorted({key for choice in choices for key in choice} - {"name", "label", "media"})
        for column in columns:
            self.report.append(f"{where}: column '{column}' is not supported; ignored")
        languages = {
            lang for choice in choices if isinstance(choice.get("label"), dict) for lang in choice["label"]
        }
        chosen = {
            self._language_of(choice["label"]) for choice in choices if isinstance(choice.get("label"), dict)
        }
        if languages - chosen:
            self.report.append(
                f"{where}: translations are not supported; the labels were imported in {_quoted(sorted(chosen))}, "
                f"not in {_quoted(sorted(languages - chosen))}"
            )
        if any(choice.get("media") for choice in choices):
            self.report.append(f"{where}: images and other media on choices are not supported; ignored")
        unlabelled = sum(1 for choice in choices if not self._text(choice.get("label")))
        if unlabelled:
            self.report.append(
                f"{where}: {unlabelled} choice{'s have' if unlabelled > 1 else ' has'} no label; "
                "the name was used as the label"
            )

    def _options(self, choices: list[dict[str, Any]] | None) -> list[dict[str, str]]:
        options = []
        for choice in choices or []:
            value = str(choice.get("name", ""))
            options.append({"value": value, "label": self._text(choice.get("label")) or value})
        return options

    def _choice_fields(
        self, item_type: str, element: dict[str, Any], choices: list[dict[str, Any]] | None, where: str
    ) -> dict[str, Any]:
        options = self._options(choices)
        list_name = str(element.get("list_name") or element.get("itemset") or "")
        if item_type in (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE):
            return {"options": options, "anchors": {}}
        if item_type == ItemType.YES_PARTLY_NO:
            default = [{"value": value, "label": label} for value, label in YES_PARTLY_NO]
            if list_name == YES_PARTLY_NO_LIST or not options or options == default:
                return {"options": [], "anchors": {}}
            return {"options": options, "anchors": {}}
        if item_type == ItemType.SCALE:
            anchors = {str(k): str(v) for k, v in (element.get("qa_anchor") or {}).items() if v}
            if not anchors:
                # Forms written elsewhere put anchors in the choice labels ("10 - fully").
                anchors = {o["value"]: o["label"] for o in options if o["label"] != o["value"]}
            if options and [o["value"] for o in options] != SCALE_VALUES:
                self.report.append(
                    f"{where}: a 0–10 scale has the choices 0 to 10; the list '{list_name}' was not used"
                )
            return {"options": [], "anchors": anchors}
        return {"options": [], "anchors": {}}

    def _rubric_element(self, element: dict[str, Any], where: str, item_type: str) -> RubricElement | None:
        element_key = str(element.get("qa_rubric_element", "")).strip()
        rubric_key = str(element.get("qa_rubric", "")).strip()
        if not element_key:
            if item_type == ItemType.RUBRIC:
                self.report.append(
                    f"{where}: a rubric item needs a rubric element (qa_rubric_element); imported without one"
                )
            return None
        if (rubric_key, element_key) not in self._elements:
            found = RubricElement.objects.filter(key=element_key).select_related("rubric")
            if rubric_key:
                found = found.filter(rubric__key=rubric_key)
            self._elements[(rubric_key, element_key)] = list(found[:2])
        matches = self._elements[(rubric_key, element_key)]
        if not matches:
            of = f" of rubric '{rubric_key}'" if rubric_key else ""
            self.report.append(
                f"{where}: rubric element '{element_key}'{of} does not exist; imported without a rubric element"
            )
            return None
        if len(matches) > 1:
            self.report.append(
                f"{where}: rubric element '{element_key}' is in several rubrics and qa_rubric does not say "
                "which; imported without a rubric element"
            )
            return None
        found_element = matches[0]
        if item_type == ItemType.RUBRIC:
            self._check_levels(element, found_element, where)
        return found_element

    def _check_levels(self, element: dict[str, Any], rubric_element: RubricElement, where: str) -> None:
        list_name = str(element.get("list_name") or element.get("itemset") or "")
        if list_name in self._levels_checked:
            return
        self._levels_checked.add(list_name)
        levels = [
            {"value": str(value), "label": label}
            for value, label in RubricLevel.objects.filter(rubric_id=rubric_element.rubric_id)
            .order_by("value")
            .values_list("value", "label")
        ]
        if self._options(self._choices(element)) != levels:
            self.report.append(
                f"{where}: the choices of list '{list_name}' differ from the levels of rubric "
                f"'{rubric_element.rubric.key}'; the rubric's levels apply"
            )

    def _node(
        self, element: dict[str, Any], where: str, rubric_element: RubricElement | None
    ) -> ResultsNode | None:
        node_key = str(element.get("qa_node", "")).strip()
        if not node_key:
            return rubric_element.node if rubric_element is not None else None
        if node_key not in self._nodes:
            self._nodes[node_key] = ResultsNode.objects.filter(key=node_key).first()
        node = self._nodes[node_key]
        if node is None:
            self.report.append(
                f"{where}: results-logic node '{node_key}' does not exist; imported without a node"
            )
        return node

    def _descriptors(self, element: dict[str, Any], rubric_element: RubricElement | None) -> dict[str, str]:
        """The item's own descriptors: those that differ from what the item shows without them
        (the element's descriptor, else the level's general description), as exports write both."""
        given = {str(k): str(v) for k, v in (element.get("qa_descriptor") or {}).items() if v}
        if rubric_element is None:
            return given
        if rubric_element.rubric_id not in self._level_descriptions:
            self._level_descriptions[rubric_element.rubric_id] = {
                str(value): description
                for value, description in RubricLevel.objects.filter(
                    rubric_id=rubric_element.rubric_id
                ).values_list("value", "description")
            }
        general = self._level_descriptions[rubric_element.rubric_id]
        inherited = {**general, **{k: v for k, v in (rubric_element.descriptors or {}).items() if v}}
        return {level: text for level, text in given.items() if inherited.get(level) != text}

    def _required(self, element: dict[str, Any], where: str) -> bool:
        value = str((element.get("bind") or {}).get("required", "")).strip()
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        self.report.append(
            f"{where}: conditional required ('{value}') is not supported; imported as not required"
        )
        return False

    def _item_key(self, element: dict[str, Any], where: str) -> str:
        raw = str(element.get("qa_key") or element.get("name") or "")
        key = slugify(raw)[:60].strip("-_")
        if not key:
            key = "item"
        base, n = key, 2
        while key in self._item_keys:
            suffix = f"-{n}"
            key = base[: 60 - len(suffix)] + suffix
            n += 1
        self._item_keys.add(key)
        if key != raw:
            self.report.append(f"{where}: the name was turned into the key '{key}'")
        return key

    def _or_other_feature(self, element: dict[str, Any], where: str) -> None:
        row = self._row_by_name.get(str(element.get("name", "")))
        raw_type = _norm(self._rows[row - 2].get("type") if row else "")
        if not raw_type.endswith(" or other") and not raw_type.endswith(" or specify other"):
            return
        follow_up = f"{element.get('name')}_other"
        self._or_other.add(follow_up)
        self.report.append(
            f"{where}: 'or_other' is not supported as such; the choice 'other' was kept and the follow-up "
            f"question was imported as the free text item '{slugify(follow_up)}', always asked"
        )

    # --- features the platform does not have ------------------------------------------------------

    def _other_features(self, element: dict[str, Any], where: str, *, skip: set[str]) -> None:
        if str(element.get("name", "")) in self._or_other:
            return  # the generated follow-up: its 'relevant' is part of the or_other line
        for key, value in element.items():
            if key in skip or key.startswith("qa_") or value in (None, "", {}, []):
                continue
            if key == "bind":
                for bind_key, bind_value in value.items():
                    if bind_key == "required" or (bind_key == "jr:constraintMsg" and "constraint" in value):
                        continue
                    self.report.append(f"{where}: {_bind_message(bind_key, bind_value, value)}")
            elif key == "control":
                for control_key, control_value in value.items():
                    if control_key == "appearance":
                        self.report.append(f"{where}: appearance '{control_value}' is not supported; ignored")
                    elif control_key == "jr:count":
                        self.report.append(
                            f"{where}: repeat_count ('{control_value}') is not supported; ignored"
                        )
                    elif control_key != "bodyless":
                        self.report.append(f"{where}: the '{control_key}' setting is not supported; ignored")
            elif key == "media":
                kinds = ", ".join(sorted(value))
                self.report.append(f"{where}: media ({kinds}) are not supported; not imported")
            elif key == "choice_filter":
                self.report.append(
                    f"{where}: choice filters ('{value}') are not supported; all the list's choices were imported"
                )
            elif key == "parameters":
                shown = " ".join(f"{name}={setting}" for name, setting in value.items())
                self.report.append(f"{where}: parameters ('{shown}') are not supported; ignored")
            elif key == "default":
                self.report.append(f"{where}: default values ('{value}') are not supported; ignored")
            elif key == "label" or key == "hint":
                continue
            else:
                self.report.append(f"{where}: column '{key}' is not supported; ignored")
        self._translations(element, where)

    def _translations(self, element: dict[str, Any], where: str) -> None:
        for key in ("label", "hint"):
            value = element.get(key)
            if isinstance(value, dict) and value:
                chosen = self._language_of(value)
                lost = sorted(lang for lang, text in value.items() if lang != chosen and text)
                if lost:
                    self.report.append(
                        f"{where}: translations are not supported; the {key} was imported in '{chosen}', "
                        f"not in {_quoted(lost)}"
                    )

    def _report_sheets_and_settings(self) -> None:
        names = list(self.definition.sheet_names or [])
        for name in names:
            lowered = name.lower()
            if lowered in _XLSFORM_SHEETS:
                continue
            if lowered in _SHEET_NOT_SUPPORTED:
                self.report.append(f"sheet '{name}': {_SHEET_NOT_SUPPORTED[lowered]}")
            elif len(names) == 1:
                self.report.append(
                    f"sheet '{name}': the workbook has no sheet named 'survey'; its only sheet was read as the survey"
                )
            else:
                self.report.append(f"sheet '{name}': not an XLSForm sheet; ignored")
        raw_settings = (self.definition.settings or [{}])[0] or {}
        settings = {str(k).lower(): v for k, v in raw_settings.items()}
        for key in raw_settings:
            if str(key).lower() not in _KNOWN_SETTINGS:
                self.report.append(f"settings sheet: '{key}' is not supported; ignored")
        form_id = settings.get("form_id") or settings.get("id_string")
        if form_id and str(form_id) != self.tool.key:
            self.report.append(
                f"settings sheet: form_id '{form_id}' is not this tool's key '{self.tool.key}'; "
                f"imported as a new version of '{self.tool.key}'"
            )
        if settings.get("qa_adaptation"):
            self.report.append(
                f"settings sheet: the workbook is an export of an adaptation ({settings['qa_adaptation']}); its local "
                "and reworded items were imported as items of the tool itself"
            )

    # --- sections -----------------------------------------------------------------------------

    def _new_section(self, element: dict[str, Any], row: int | None) -> _PlannedSection:
        raw = str(element.get("qa_key") or element.get("name") or "")
        title = self._text(element.get("label")) or raw
        where = _where(row, element.get("name"))
        if len(title) > 200:
            title = title[:199] + "…"
            self.report.append(f"{where}: the group label was cut to 200 characters")
        section = _PlannedSection(key=self._section_key(raw, where), title=title)
        self.sections.append(section)
        return section

    def _implicit_section(self) -> _PlannedSection:
        section = _PlannedSection(key=self._section_key("questions", None), title="Questions")
        self.sections.append(section)
        return section

    def _section_key(self, raw: str, where: str | None) -> str:
        key = slugify(raw)[:60].strip("-_") or "section"
        base, n = key, 2
        while key in self._section_keys:
            suffix = f"-{n}"
            key = base[: 60 - len(suffix)] + suffix
            n += 1
        self._section_keys.add(key)
        if where is not None and key != raw:
            self.report.append(f"{where}: the group name was turned into the section key '{key}'")
        return key

    # --- raw rows and texts -----------------------------------------------------------------------

    @staticmethod
    def _raw_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
        return [{str(k).lower(): str(v) for k, v in row.items()} for row in rows]

    def _row_of(self, element: dict[str, Any]) -> int | None:
        """The survey sheet row (header = row 1) that defined ``element``: the next row, in sheet
        order, with its name; ``None`` for elements pyxform generated."""
        name = str(element.get("name", ""))
        for index in range(self._cursor, len(self._rows)):
            row = self._rows[index]
            if (row.get("name") or row.get("value") or row.get("tag")) == name:
                self._cursor = index + 1
                self._row_by_name[name] = index + 2
                return index + 2
        return None

    def _form_language(self) -> str:
        settings = (self.definition.settings or [{}])[0] or {}
        language = str({str(k).lower(): v for k, v in settings.items()}.get("default_language", "default"))
        if language != "default":
            return language
        for element in _walk(self.form.get("children", [])):
            label = element.get("label")
            if isinstance(label, dict):
                for lang in label:
                    if lang != "default":
                        return lang
        return "default"

    def _language_of(self, value: dict[str, Any]) -> str:
        for lang in (self._language, "default"):
            if value.get(lang):
                return lang
        return next((lang for lang, text in value.items() if text), next(iter(value)))

    def _text(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, dict):
            if not value:
                return ""
            value = value.get(self._language_of(value), "")
        return str(value).strip()


def _walk(elements: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for element in elements:
        yield element
        yield from _walk(element.get("children", []))


def _norm(value: Any) -> str:
    return " ".join(str(value or "").replace("_", " ").split()).lower()


def _truthy(value: Any) -> bool:
    return str(value or "").strip().lower() in _TRUE


def _where(row: int | None, name: Any) -> str:
    return f"row {row}, name '{name}'" if row is not None else f"name '{name}'"


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bind_message(key: str, value: Any, bind: dict[str, Any]) -> str:
    if key == "relevant":
        return f"show-if conditions (relevant: '{value}') are not supported; always shown"
    if key == "constraint":
        message = bind.get("jr:constraintMsg")
        extra = " and its message" if message else ""
        return f"constraints ('{value}'){extra} are not supported; ignored"
    if key == "calculate":
        return f"calculations ('{value}') are not supported; ignored"
    if key == "readonly":
        return "read-only questions are not supported; imported as an ordinary question"
    if key == "jr:requiredMsg":
        return "custom required messages are not supported; ignored"
    return f"'{key}' ('{value}') is not supported; ignored"
