"""The Ofsted ILACS Annex A workbook (XLSX): one sheet per list, "List 1" to "List 11".

Authorities build the workbook by hand or from their own reports, so neither the sheet names
("List 3", "list 3 - referrals", "List_3") nor the headers ("Child Unique ID", "Child ID", "CHILD
ID ") nor the header row's position are fixed, and cells hold dates as Excel dates or as text
(DD/MM/YYYY or ISO). Coded answers come as Ofsted's drop-down labels ("a) Male", "e) PR4 - Private
provision", "C2: FCO") or as plain codes; the code is what is kept.

What is read (lists 3 to 8; the others describe contacts, early help, care leavers and adopters,
none of which has a table here):
- every list: the child's ID, sex, ethnicity and month of birth (never the date), and the allocated
  team when the list names one, resolved to one of the authority's teams by name when stored;
- List 3 referrals, List 4 assessments, List 5 section 47 enquiries, List 6 CIN plans, List 7 child
  protection plans, List 8 periods of care (as care episodes starting on the date the child
  started to be looked after; such an episode begins a period of care, so its reason for a new
  episode is "S", as the SSDA903 return gives it and as ``cla_starts`` counts it).

A row that cannot be used (no child ID, no start date, an unusable date, an end before its start, a
start impossible for the child's date of birth) is listed as a problem with its sheet row and left
out. A list whose header row or start-date column cannot be found is listed as a problem and
skipped. A workbook with no sheet named like an Annex A list is rejected whole.
"""

import itertools
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from cases.importers.base import (
    EVENT_TABLES,
    Batch,
    FileRejected,
    RecordRejected,
    birth_month,
    parse_count,
    parse_date,
    postcode_district,
    require_order,
)
from cases.models import ImportFormat

LA_CHILD_ID_MAX = 40  # Child.la_child_id: a longer ID would be cut and could merge two children
PREVIOUS_PLANS_MAX = 32767  # CPPlan.previous_plans is a PositiveSmallIntegerField
HEADER_SEARCH_ROWS = 15  # title rows and notes above the header, as some authorities add
EARLIEST = date(1900, 1, 1)
# Work with an unborn child (a pre-birth assessment or protection plan) starts during the pregnancy;
# 43 weeks is the longest one lasts. A child cannot be looked after before birth at all.
PREGNANCY = timedelta(weeks=43)
ZIP_MAGIC = b"PK\x03\x04"
XLSX_PART = b"xl/workbook.xml"  # a zip entry's name, in the clear in its local header
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls
EXCEL_ERRORS = {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#SPILL!", "#CALC!"}
DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


# ---------------------------------------------------------------------------------------------------
# Detection


def detect(head: bytes, filename: str) -> str | None:
    """ANNEX_A for an Excel workbook: an XLSX (a zip holding ``xl/workbook.xml``, or named .xlsx/.xlsm),
    or an old .xls, which ``parse`` rejects with a message saying to save it as .xlsx."""
    name = filename.lower()
    if head.startswith(ZIP_MAGIC) and (XLSX_PART in head or name.endswith((".xlsx", ".xlsm"))):
        return ImportFormat.ANNEX_A.value
    if head.startswith(OLE2_MAGIC) and name.endswith(".xls"):
        return ImportFormat.ANNEX_A.value
    return None


# ---------------------------------------------------------------------------------------------------
# Headers and cells


def normalise(text: Any) -> str:
    """A header as compared: lower case, "’" as "'", every run of other punctuation or space as one
    space ("Child's  Legal-Status" → "child's legal status")."""
    value = str(text or "").replace("\u2019", "'").replace("\u2018", "'").lower()
    value = re.sub(r"[^a-z0-9']+", " ", value)
    return re.sub(r"\s*'\s*", "'", value).strip()


@dataclass(frozen=True)
class Column:
    """How to find a column: a header matching ``include`` and not ``exclude`` (both searched in
    the normalised header)."""

    include: str
    exclude: str | None = None

    def matches(self, header: str) -> bool:
        return bool(re.search(self.include, header)) and not (
            self.exclude and re.search(self.exclude, header)
        )


def _is_child_id(header: str) -> bool:
    words = header.replace("'", " ").split()
    squashed = "".join(words)
    if squashed in {"id", "childid", "lachildid", "childuniqueid", "uniquechildid", "clientid", "personid"}:
        return True
    # Short headers only: "Number of episodes the child has been missing ..." is no identifier.
    return (
        "child" in words and len(words) <= 5 and bool({"id", "identifier", "ref", "reference"} & set(words))
    )


COMMON = {
    "sex": Column(r"^(gender|sex)\b|\bgender\b"),
    "ethnicity": Column(r"\bethnic"),
    "dob": Column(r"date of birth|\bdob\b|birth ?date"),
    "team": Column(r"\bteam\b"),
}

# Per list: the table it fills, its columns, and the column giving the record's identity date.
LISTS: dict[int, tuple[str, dict[str, Column], str]] = {
    3: (
        "referrals",
        {
            "referral_date": Column(r"referral.*date|date.*referral", r"\bnumber\b"),
            "referral_source": Column(r"\bsource\b"),
            "nfa": Column(r"\bnfa\b|no further action"),
        },
        "referral_date",
    ),
    4: (
        "assessments",
        {
            "start_date": Column(r"\bstart"),
            "authorisation_date": Column(r"authori[sz]|complet"),
        },
        "start_date",
    ),
    5: (
        "section47s",
        {
            "start_date": Column(
                r"\b(strategy|s47|section 47)\b.*\b(date|start)\b|\bstart date\b", r"\bnumber\b"
            ),
            "icpc_not_required": Column(r"unnecessary|not required|not needed"),
            "icpc_date": Column(
                r"\bdate\b.*(conference|icpc)|(conference|icpc).*\bdate\b", r"unnecessary|result"
            ),
        },
        "start_date",
    ),
    6: (
        "cin_plans",
        {
            "start_date": Column(r"\bstart"),
            "end_date": Column(r"\bclos|\bend\b", r"\breason\b"),
        },
        "start_date",
    ),
    7: (
        "cp_plans",
        {
            "start_date": Column(r"\bstart"),
            "end_date": Column(r"\bend (date|of plan)\b|\bdate\b.*\bend(ed)?\b|\bended\b"),
            "initial_category": Column(r"\binitial\b.*categor"),
            "latest_category": Column(r"\blatest\b.*categor"),
            "previous_plans": Column(r"\bprevious\b.*(plan|cpp)"),
        },
        "start_date",
    ),
    8: (
        "care_episodes",
        {
            "start_date": Column(
                r"started to be looked after|(start|entered|became|began).*\b(looked after|care)\b"
                r"|latest period of care",
                r"legal status|placement",
            ),
            "category_of_need": Column(r"categor.*need"),
            "legal_status": Column(r"legal status", r"\bdate\b"),
            "end_date": Column(r"ceased to be looked after|left care|(end|ceased).*\bcare\b", r"\breason\b"),
            "reason_end": Column(r"\breason\b.*(ceased|ceasing|left|end)"),
            "placement": Column(r"placement type|type of placement"),
            "placement_provider": Column(r"\bprovider\b"),
            "placement_postcode": Column(r"post ?code"),
            "urn": Column(r"\burn\b"),
        },
        "start_date",
    ),
}
LIST_NAMES = {
    3: "referrals",
    4: "assessments",
    5: "section 47",
    6: "CIN",
    7: "child protection",
    8: "looked after",
}
SHEET_NAME = re.compile(r"^\s*list\s*[_\-.:]?\s*(\d{1,2})(?!\d)", re.IGNORECASE)


def list_number(sheet_title: str) -> int | None:
    """1 to 11 for a sheet named like an Annex A list ("List 3", "list 3 - referrals", "List_3")."""
    match = SHEET_NAME.match(sheet_title)
    number = int(match.group(1)) if match else None
    return number if number is not None and 1 <= number <= 11 else None


def cell_text(value: Any) -> str | None:
    """A cell as trimmed text; None for an empty cell or an Excel error ("#N/A"). Whole numbers
    stored as floats lose their ".0"; non-breaking spaces become spaces."""
    if value is None or isinstance(value, bool):
        return None if value is None else str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = re.sub(r"\s+", " ", str(value).replace("\xa0", " ")).strip()
    if not text or text.upper() in EXCEL_ERRORS:
        return None
    return text


def cell_date(value: Any, field_name: str) -> date | None:
    """A date cell: an Excel date, a date serial number left unformatted, or DD/MM/YYYY or ISO text."""
    parsed: date | None
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not 1 <= value < 2958466:  # Excel's serial numbers: 1900-01-01 to 9999-12-31
            raise RecordRejected(field_name, f"{value!r} is not a date")
        parsed = from_excel(value).date()
    else:
        parsed = parse_date(cell_text(value), field_name)
    if parsed is not None and parsed < EARLIEST:
        raise RecordRejected(field_name, f"{parsed.isoformat()} is before {EARLIEST.year}")
    return parsed


# ---------------------------------------------------------------------------------------------------
# Coded answers

_OPTION_LETTER = re.compile(r"^[a-z]\)\s*", re.IGNORECASE)
_LEADING_CODE = re.compile(r"^([A-Za-z0-9]{1,6})(?:\s*[:\-–]\s*|\s+|$)")


def leading_code(value: Any, pattern: str) -> str | None:
    """The code an answer starts with, once Ofsted's option letter is dropped: "e) PR4 - Private
    provision" → "PR4" for the pattern ``PR[0-5]``; None when it starts with no such code."""
    text = cell_text(value)
    if text is None:
        return None
    text = _OPTION_LETTER.sub("", text)
    match = _LEADING_CODE.match(text)
    if match and re.fullmatch(pattern, match.group(1).upper()):
        return match.group(1).upper()
    return None


def _by_name(value: Any, names: dict[str, str]) -> str | None:
    """The code whose key phrase the answer contains ("Physical abuse" → "PHY")."""
    text = normalise(_OPTION_LETTER.sub("", cell_text(value) or ""))
    for phrase, found in names.items():
        if re.search(phrase, text):
            return found
    return None


SEX_NAMES = {
    r"^(m|male|boy)\b": "1",
    r"^(f|female|girl)\b": "2",
    r"neither|indeterminate": "9",
    r"not|unknown": "0",
}
ETHNICITY_NAMES = {
    r"white.*british": "WBRI",
    r"white.*irish": "WIRI",
    r"traveller": "WIRT",
    r"\b(gypsy|roma)\b": "WROM",
    r"other white|white other": "WOTH",
    r"white.*black caribbean": "MWBC",
    r"white.*black african": "MWBA",
    r"white.*asian": "MWAS",
    r"other mixed|mixed other": "MOTH",
    r"indian": "AIND",
    r"pakistani": "APKN",
    r"bangladeshi": "ABAN",
    r"other asian|asian other": "AOTH",
    r"caribbean": "BCRB",
    r"african": "BAFR",
    r"other black|black other": "BOTH",
    r"chinese": "CHNE",
    r"other ethnic": "OOTH",
    r"refused|did not wish": "REFU",
    r"not (yet )?obtained|information not": "NOBT",
}
ABUSE_NAMES = {
    r"neglect": "NEG",
    r"physical": "PHY",
    r"sexual": "SAB",
    r"emotional": "EMO",
    r"multiple": "MUL",
}
REFERRAL_SOURCE_NAMES = {
    r"anonymous": "9",
    r"unknown": "10",
    r"police": "6",
    r"housing": "4",
    r"school": "2A",
    r"\bgp\b|general practitioner": "3A",
    r"health visitor": "3B",
    r"a e|accident": "3E",
}
CODE_PATTERNS = {
    "referral_source": r"10|[1-9][A-F]?",
    "category_of_need": r"N[0-9]",
    "legal_status": r"[A-Z][0-9]",
    "placement": r"[A-Z][0-9]",
    "placement_provider": r"PR[0-9]",
    "reason_end": r"E[0-9]{1,2}[A-Z]?|X1",
    "initial_category": r"NEG|PHY|SAB|EMO|MUL",
    "latest_category": r"NEG|PHY|SAB|EMO|MUL",
}
NAMES = {
    "referral_source": REFERRAL_SOURCE_NAMES,
    "initial_category": ABUSE_NAMES,
    "latest_category": ABUSE_NAMES,
}


def coded(value: Any, field_name: str) -> str:
    """A coded answer's code, "" when the cell is empty or its answer names no known code."""
    found = leading_code(value, CODE_PATTERNS[field_name])
    if found is None and field_name in NAMES:
        found = _by_name(value, NAMES[field_name])
    return found or ""


def sex_code(value: Any) -> str | None:
    """The CIN census code (1 male, 2 female, 0 not known, 9 neither) of a Gender answer."""
    found = leading_code(value, r"[0129]")
    return found if found is not None else _by_name(value, SEX_NAMES)


ETHNICITY_CODES = (
    "WBRI|WIRI|WIRT|WOTH|WROM|MWBC|MWBA|MWAS|MOTH|AIND|APKN|ABAN|AOTH|BCRB|BAFR|BOTH|CHNE|OOTH|REFU|NOBT"
)


def ethnicity_code(value: Any) -> str | None:
    """The census code of an Ethnicity answer ("a) WBRI", "WBRI", "White British")."""
    found = leading_code(value, ETHNICITY_CODES)
    return found if found is not None else _by_name(value, ETHNICITY_NAMES)


def yes_no(value: Any) -> bool | None:
    """Yes → True, No → False; empty, "Unknown" and anything else → None."""
    text = normalise(_OPTION_LETTER.sub("", cell_text(value) or ""))
    first = text.split(" ")[0] if text else ""
    if first in {"yes", "y", "true", "1"}:
        return True
    if first in {"no", "n", "false", "0"}:
        return False
    return None


def district(value: Any) -> str:
    """The outward part of a postcode, or "" when the cell holds no postcode ("nope", "N/A")."""
    outward = postcode_district(cell_text(value))
    return outward if DISTRICT.match(outward) else ""


# ---------------------------------------------------------------------------------------------------
# Rows


def _child_id(value: Any) -> str:
    child = cell_text(value)
    if child is None:
        raise RecordRejected("Child ID", "is missing")
    if len(child) > LA_CHILD_ID_MAX:
        raise RecordRejected("Child ID", f"is longer than {LA_CHILD_ID_MAX} characters")
    return child


def _count(value: Any, field_name: str) -> int | None:
    number = parse_count(cell_text(value), field_name)
    if number is not None and number > PREVIOUS_PLANS_MAX:
        raise RecordRejected(field_name, f"{number} is more than {PREVIOUS_PLANS_MAX}")
    return number


def _record(table: str, cells: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    """The fields of one record from its cells (keyed by field name); absent columns give no field,
    so that what another file stored is left alone."""
    fields: dict[str, Any] = {}
    for name in cells:
        if name.endswith("_date"):
            fields[name] = cell_date(cells[name], headers[name])
        elif name in CODE_PATTERNS:
            fields[name] = coded(cells[name], name)
        elif name in {"nfa", "icpc_not_required"}:
            fields[name] = yes_no(cells[name])
        elif name == "previous_plans":
            fields[name] = _count(cells[name], headers[name])
        elif name == "placement_postcode":
            fields["placement_postcode_district"] = district(cells[name])
        elif name == "urn":
            fields[name] = (cell_text(cells[name]) or "")[:10]
    if table == "care_episodes":
        fields["reason_new_episode"] = "S"  # the first episode of the period of care the row gives
    identity = EVENT_TABLES[table]
    if fields.get(identity) is None:
        raise RecordRejected(headers[identity], "is missing")
    end_name = {"assessments": "authorisation_date", "section47s": "icpc_date"}.get(table, "end_date")
    if end_name in fields:
        require_order(fields[identity], fields[end_name], headers[identity], headers[end_name])
    return fields


def _check_birth(start: date, born: date | None, table: str, header: str) -> None:
    """Reject a start impossible for the date of birth: looked after before birth, or any work more
    than a pregnancy before it."""
    if born is None:
        return
    if table == "care_episodes" and start < born:
        raise RecordRejected(header, f"{start.isoformat()} is before the child's birth")
    if start < born - PREGNANCY:
        raise RecordRejected(header, f"{start.isoformat()} is more than 43 weeks before the child's birth")


@dataclass
class Sheet:
    number: int
    header_row: int
    columns: dict[str, int]  # field name → column index
    headers: dict[str, str]  # field name → the header as written

    @property
    def label(self) -> str:
        return f"List {self.number}"


def _find_header(rows: list[tuple[Any, ...]]) -> int | None:
    for index, row in enumerate(rows):
        if any(_is_child_id(normalise(value)) for value in row if isinstance(value, str)):
            return index
    return None


def _map_columns(number: int, header: tuple[Any, ...]) -> tuple[dict[str, int], dict[str, str]]:
    wanted = dict(COMMON)
    wanted.update(LISTS[number][1])
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for index, raw in enumerate(header):
        text = normalise(raw)
        if not text:
            continue
        if "child" not in columns and _is_child_id(text):
            name: str | None = "child"
        else:
            name = next(
                (key for key, spec in wanted.items() if key not in columns and spec.matches(text)), None
            )
        if name is not None:
            columns[name] = index
            headers[name] = re.sub(r"\s+", " ", str(raw)).strip()
    return columns, headers


def _read_rows(batch: Batch, sheet: Sheet, rows: Iterator[tuple[Any, ...]]) -> None:
    table = LISTS[sheet.number][0]
    event_fields = [name for name in LISTS[sheet.number][1] if name in sheet.columns]
    for row_number, row in enumerate(rows, start=sheet.header_row + 1):
        if not any(cell_text(value) is not None for value in row):
            continue

        def cell(name: str, row: tuple[Any, ...] = row) -> Any:
            index = sheet.columns.get(name)
            return row[index] if index is not None and index < len(row) else None

        where = f"{sheet.label} row {row_number}"
        try:
            child = _child_id(cell("child"))
        except RecordRejected as rejection:
            batch.reject("", rejection.field, rejection.reason, where)
            continue
        born: date | None = None
        if "dob" in sheet.columns:
            try:
                born = cell_date(cell("dob"), sheet.headers["dob"])
            except RecordRejected as rejection:
                # The reason leaves the value out: a mistyped date of birth is close to the real one.
                batch.reject(child, rejection.field, "is not a valid date (DD/MM/YYYY or YYYY-MM-DD)", where)
        try:
            fields = _record(table, {name: cell(name) for name in event_fields}, sheet.headers)
            identity = EVENT_TABLES[table]
            _check_birth(fields[identity], born, table, sheet.headers[identity])
        except RecordRejected as rejection:
            batch.reject(child, rejection.field, rejection.reason, where)
            continue
        batch.add_child(
            child,
            sex=sex_code(cell("sex")),
            ethnicity=ethnicity_code(cell("ethnicity")),
            birth_month=birth_month(born),
            team_name=cell_text(cell("team")),
        )
        batch.add_event(table, child, **fields)


# ---------------------------------------------------------------------------------------------------
# Parsing


# What a damaged workbook raises, when opened or when a sheet is read (read-only mode reads lazily):
# a broken zip, a missing part, malformed XML (ParseError is a SyntaxError), odd values.
DAMAGED = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError, SyntaxError, OSError)


def parse(path: Path, file_format: str, filename: str) -> Batch:
    """The children and records of lists 3 to 8 of an Annex A workbook."""
    with path.open("rb") as handle:
        magic = handle.read(8)
        if not magic:
            raise FileRejected("The file is empty.")
        if magic == OLE2_MAGIC:
            raise FileRejected(
                "The workbook is in the old Excel 97-2003 format (.xls): save it as .xlsx and import it again."
            )
        if not magic.startswith(ZIP_MAGIC):
            raise FileRejected("The file is not an Excel workbook (.xlsx).")
        handle.seek(0)
        try:
            # A file object, not the path: openpyxl refuses paths whose name does not end .xlsx.
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except DAMAGED as error:
            raise FileRejected(f"The file is not a readable Excel workbook (.xlsx): {error}.") from None
        try:
            return _parse_workbook(workbook, filename)
        finally:
            workbook.close()


def _parse_workbook(workbook: Any, filename: str) -> Batch:
    sheets = [(list_number(worksheet.title), worksheet) for worksheet in workbook.worksheets]
    found = [(number, worksheet) for number, worksheet in sheets if number is not None]
    if not found:
        names = ", ".join(repr(worksheet.title) for worksheet in workbook.worksheets) or "none"
        raise FileRejected(
            "The workbook has no Annex A list: no sheet is named like 'List 1' to 'List 11' "
            f"(its sheets: {names})."
        )
    batch = Batch(file=filename, file_format=ImportFormat.ANNEX_A.value)
    for number, worksheet in sorted(found, key=lambda pair: pair[0]):
        if number in LISTS:
            _read_sheet(batch, number, worksheet)
    return batch


def _sheet_rows(worksheet: Any) -> Iterator[tuple[Any, ...]]:
    """The sheet's rows as tuples of values; a damaged sheet rejects the file."""
    rows = worksheet.iter_rows(values_only=True)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except DAMAGED as error:
            raise FileRejected(
                f"The sheet {worksheet.title!r} is damaged and cannot be read: {error}."
            ) from None
        yield tuple(row)


def _read_sheet(batch: Batch, number: int, worksheet: Any) -> None:
    rows = _sheet_rows(worksheet)
    top: list[tuple[Any, ...]] = []
    for row in rows:
        top.append(row)
        if len(top) == HEADER_SEARCH_ROWS:
            break
    label = f"List {number}"
    header_index = _find_header(top)
    if header_index is None:
        if any(cell_text(value) is not None for row in top for value in row):
            batch.reject(
                "",
                "Child ID",
                f"no header row with a Child ID column in the first {HEADER_SEARCH_ROWS} rows",
                label,
            )
        return
    columns, headers = _map_columns(number, top[header_index])
    table, _, identity = LISTS[number]
    if identity not in columns:
        batch.reject(
            "", identity, f"the {LIST_NAMES[number]} list has no {identity.replace('_', ' ')} column", label
        )
        return
    sheet = Sheet(number=number, header_row=header_index + 1, columns=columns, headers=headers)
    _read_rows(batch, sheet, itertools.chain(top[header_index + 1 :], rows))
