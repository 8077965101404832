"""Import the Signs of Safety practice record from a CSV export of the case-recording system.

Run it with ``python manage.py import_practice --authority CODE FILE.csv``.

The file
--------
One CSV file (UTF-8, with or without a byte order mark, or Windows-1252), comma-separated, with a
header line. One row per record; ``record_type`` says which record and which columns it reads.
Column names are compared in lower case with spaces and punctuation as underscores
(``Record Type`` is ``record_type``); columns not listed here are ignored; columns a file does not
have leave what is stored alone. Dates are ``YYYY-MM-DD`` or ``DD/MM/YYYY``; yes/no columns take
``yes``/``no``, ``y``/``n``, ``true``/``false`` or ``1``/``0``.

==================== ============================== ===============================================
column               record types                   meaning
==================== ============================== ===============================================
child_id             all (required)                 the LA child ID, as in the statutory returns
record_type          all (required)                 ``map``, ``danger_statement``, ``scaling``,
                                                    ``network_member``, ``safety_plan``,
                                                    ``voice_tool`` or ``conference``
date                 all (required)                 mapped on, written on, scaled on, joined on,
                                                    agreed on, used on, held on
end_date             danger_statement,              closed on (the danger no longer applies);
                     network_member                 left the network on
danger_statement_ref danger_statement, scaling      the export's own reference of a danger
                                                    statement; a scaling row names the statement it
                                                    scales by it (empty: the overall safety scale)
statement            danger_statement (required)    the danger statement
safety_goal          danger_statement               its safety goal
respondent           scaling (required)             ``parent``, ``child``, ``worker``, ``network``
value                scaling (required)             0 to 10
rationale            scaling                        why this value
relationship         network_member (required)      e.g. maternal grandmother (never a name)
role                 network_member                 what they do in the safety plan
reviewed_on          safety_plan                    date last reviewed
family_owned         safety_plan                    yes/no (default yes)
with_family          map                            mapped with the family: yes/no (default yes)
tool                 voice_tool (required)          ``three_houses``, ``words_pictures``,
                                                    ``wizard_fairy``, ``safety_house`` (or the
                                                    names: Three Houses, Words and Pictures ...)
format               conference (required)          ``participatory`` or ``traditional``
kind                 conference                     ``initial``, ``review`` (default) or
                                                    ``network``
participants         conference                     roles who took part, separated by ``;``,
                                                    e.g. ``parent;child;network;school``
==================== ============================== ===============================================

Example::

    child_id,record_type,date,end_date,danger_statement_ref,statement,safety_goal,respondent,value,tool,format,participants
    C001,map,2024-05-02,,,,,,,,,
    C001,danger_statement,2024-05-02,,DS1,"Dad may hit Mum again when he drinks","Mum and Dad show the network ...",,,,,
    C001,scaling,2024-05-02,,DS1,,,worker,3,,,
    C001,scaling,2024-05-02,,,,,parent,6,,,
    C001,voice_tool,2024-05-09,,,,,,,three_houses,,
    C001,conference,2024-05-20,,,,,,,,participatory,parent;child;network

A ``danger_statement_ref`` is only a link inside the file: a scaling row's reference must name a
danger statement row of the same child in the same file (an export is a full extract).

What happens
------------
- A file that cannot be read (not a CSV, no header with ``child_id``, ``record_type`` and
  ``date``, too large) is rejected whole and nothing from it is stored.
- A row that cannot be used (an unknown child of this authority, an unknown record type, a missing
  or impossible date, an end before its start, a value outside 0–10, an unknown code, a scaling
  whose danger statement is not usable) is not stored; each is listed with its line, child, field
  and reason. The rest of the file is stored in one transaction.
- Identities: a map is (child, date); a danger statement (child, date written, statement); a
  scaling (child, its danger statement or the overall scale, respondent, date); a network member
  (child, relationship, date joined); a safety plan (child, date agreed); a child's-voice record
  (child, tool, date); a conference (child, date). A record already stored is updated when its
  other fields differ, and left alone otherwise, so importing the same file again changes nothing.
  A repeated row in one file is kept once (the later one wins). The importing user is recorded as
  ``recorded_by`` of the rows stored or changed.
"""

import codecs
import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.models import Authority
from cases.importers.base import (
    FileRejected,
    Problem,
    RecordRejected,
    parse_bool,
    parse_count,
    parse_date,
    require_date,
    require_order,
)
from cases.models import (
    Child,
    ChildVoiceRecord,
    Conference,
    DangerStatement,
    NetworkMember,
    Respondent,
    SafetyMap,
    SafetyPlan,
    Scaling,
    VoiceTool,
)
from cases.practice import participants_clean

if TYPE_CHECKING:
    from _csv import _reader

REQUIRED_COLUMNS = ("child_id", "record_type", "date")
COLUMN_ALIASES = {"ref": "danger_statement_ref", "la_child_id": "child_id", "type": "record_type"}
RECORD_TYPES = (
    "map",
    "danger_statement",
    "scaling",
    "network_member",
    "safety_plan",
    "voice_tool",
    "conference",
)
CHILD_ID_MAX = 40
RELATIONSHIP_MAX = 80
ROLE_MAX = 200
CHUNK = 2000
# The export is read a block at a time (its rows are parsed as they are read), never whole.
READ_BYTES = 64 * 1024
CONFERENCE_KINDS = {
    "initial": "initial",
    "review": "review",
    "network": "network",
    "network_meeting": "network",
}
CONFERENCE_FORMATS = ("participatory", "traditional")


def _token(value: str) -> str:
    """Lower case, "and" dropped, any run of other characters as one underscore."""
    text = re.sub(r"[^a-z0-9]+", "_", value.replace("\ufeff", "").lower()).strip("_")
    return re.sub(r"(^|_)and(_|$)", "_", text).strip("_")


def column_name(value: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "_", value.replace("\ufeff", "").lower()).strip("_")
    return COLUMN_ALIASES.get(name, name)


# Respondents and tools by their code or their name, compared as tokens.
RESPONDENTS = {_token(value): value for value in Respondent.values} | {
    _token(label): value for value, label in Respondent.choices
}
TOOLS = {_token(value): value for value in VoiceTool.values} | {
    _token(label): value for value, label in VoiceTool.choices
}
TOOLS |= {"fairy_wizard": VoiceTool.WIZARD_FAIRY.value}


@dataclass
class ParsedRow:
    """A usable row: its record type, the child, its identity (without the child) and its fields.
    A field given as None came from a column the file does not have: what is stored stays."""

    line: int
    child: str
    record_type: str
    key: tuple
    fields: dict[str, Any]
    ref: str = ""


@dataclass
class Parsed:
    file: str
    rows: list[ParsedRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def reject(self, line: int, child: str, field_name: str, reason: str) -> None:
        self.problems.append(Problem(self.file, child, field_name, reason, f"line {line}"))


@dataclass
class PracticeImportResult:
    file: str
    stored: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.problems)


# --- reading ------------------------------------------------------------------------------------


def _size(handle: IO[bytes]) -> int:
    position = handle.tell()
    size = handle.seek(0, io.SEEK_END)
    handle.seek(position)
    return size


def _blocks(handle: IO[bytes]) -> Iterator[bytes]:
    handle.seek(0)
    return iter(lambda: handle.read(READ_BYTES), b"")


def _encoding(handle: IO[bytes]) -> tuple[str, str]:
    """The encoding and error handling to read the file with: UTF-8 (its byte order mark dropped)
    when all of it is UTF-8, else Windows-1252, which reads any bytes. Decided on the whole file, read
    a block at a time (once more as Windows-1252 when it is not UTF-8). Rejects a binary file and
    one with nothing but white space."""
    handle.seek(0)
    if b"\x00" in handle.read(4096):
        raise FileRejected("The file is not a CSV text file.")
    for encoding, errors in (("utf-8-sig", "strict"), ("cp1252", "replace")):
        decoder = codecs.getincrementaldecoder(encoding)(errors)
        blank = True
        try:
            for block in _blocks(handle):
                blank = not decoder.decode(block).strip() and blank
            blank = not decoder.decode(b"", final=True).strip() and blank
        except UnicodeDecodeError:
            continue
        if blank:
            raise FileRejected("The file is empty.")
        handle.seek(0)
        return encoding, errors
    raise AssertionError("Windows-1252 with replacement decodes any bytes.")


def _text(row: dict[str, str], name: str) -> str | None:
    """The trimmed cell, or None when the file has no such column."""
    if name not in row:
        return None
    return (row[name] or "").strip()


def _required_text(row: dict[str, str], name: str, max_length: int | None = None) -> str:
    text = _text(row, name)
    if not text:
        raise RecordRejected(name, "is missing")
    if max_length is not None and len(text) > max_length:
        raise RecordRejected(name, f"is longer than {max_length} characters")
    return text


def _optional_text(row: dict[str, str], name: str, max_length: int | None = None) -> str | None:
    text = _text(row, name)
    if text and max_length is not None and len(text) > max_length:
        raise RecordRejected(name, f"is longer than {max_length} characters")
    return text


def _choice(
    row: dict[str, str], name: str, known: dict[str, str], *, default: str | None = None
) -> str | None:
    text = _text(row, name)
    if not text:
        if default is not None or text is None:
            return default
        raise RecordRejected(name, "is missing")
    found = known.get(_token(text))
    if found is None:
        raise RecordRejected(name, f"{text!r} is not one of {', '.join(sorted(set(known.values())))}")
    return found


def _bool(row: dict[str, str], name: str, fields: dict[str, Any]) -> None:
    """A yes/no column: empty means yes (the model's default)."""
    if name in row:
        value = parse_bool(_text(row, name), name)
        fields[name] = True if value is None else value


def _present(row: dict[str, str], fields: dict[str, Any], **values: tuple[str, Any]) -> dict[str, Any]:
    """Add each ``field=(column, value)`` whose column the file has."""
    for name, (column, value) in values.items():
        if column in row:
            fields[name] = value
    return fields


def _map(row: dict[str, str], day: date) -> tuple[tuple, dict[str, Any]]:
    fields: dict[str, Any] = {}
    _bool(row, "with_family", fields)
    return (day,), fields


def _danger_statement(row: dict[str, str], day: date) -> tuple[tuple, dict[str, Any]]:
    statement = _required_text(row, "statement")
    closed = parse_date(_text(row, "end_date"), "end_date")
    require_order(day, closed, "date", "end_date")
    fields = _present(
        row,
        {},
        safety_goal=("safety_goal", _optional_text(row, "safety_goal")),
        closed_on=("end_date", closed),
    )
    return (day, statement), fields


def _scaling(row: dict[str, str], day: date) -> tuple[tuple, dict[str, Any]]:
    respondent = _choice(row, "respondent", RESPONDENTS)
    if respondent is None:
        raise RecordRejected("respondent", "is missing")
    value = parse_count(_text(row, "value"), "value")
    if value is None:
        raise RecordRejected("value", "is missing")
    if value > 10:
        raise RecordRejected("value", f"{value} is not on the 0–10 scale")
    fields = _present(row, {"value": value}, rationale=("rationale", _optional_text(row, "rationale")))
    return (respondent, day), fields


def _network_member(row: dict[str, str], day: date) -> tuple[tuple, dict[str, Any]]:
    relationship = _required_text(row, "relationship", RELATIONSHIP_MAX)
    left = parse_date(_text(row, "end_date"), "end_date")
    require_order(day, left, "date", "end_date")
    fields = _present(
        row, {}, role=("role", _optional_text(row, "role", ROLE_MAX)), left_on=("end_date", left)
    )
    return (relationship, day), fields


def _safety_plan(row: dict[str, str], day: date) -> tuple[tuple, dict[str, Any]]:
    reviewed = parse_date(_text(row, "reviewed_on"), "reviewed_on")
    require_order(day, reviewed, "date", "reviewed_on")
    fields = _present(row, {}, reviewed_on=("reviewed_on", reviewed))
    _bool(row, "family_owned", fields)
    return (day,), fields


def _voice_tool(row: dict[str, str], day: date) -> tuple[tuple, dict[str, Any]]:
    tool = _choice(row, "tool", TOOLS)
    if tool is None:
        raise RecordRejected("tool", "is missing")
    return (tool, day), {}


def _conference(row: dict[str, str], day: date) -> tuple[tuple, dict[str, Any]]:
    conference_format = _choice(row, "format", {value: value for value in CONFERENCE_FORMATS})
    if conference_format is None:
        raise RecordRejected("format", "is missing")
    fields = _present(
        row,
        {"format": conference_format},
        kind=("kind", _choice(row, "kind", CONFERENCE_KINDS, default="review")),
        participants=("participants", participants_clean(_text(row, "participants"))),
    )
    return (day,), fields


PARSERS: dict[str, Callable[[dict[str, str], date], tuple[tuple, dict[str, Any]]]] = {
    "map": _map,
    "danger_statement": _danger_statement,
    "scaling": _scaling,
    "network_member": _network_member,
    "safety_plan": _safety_plan,
    "voice_tool": _voice_tool,
    "conference": _conference,
}


def parse(handle: IO[bytes], filename: str) -> Parsed:
    """The usable rows of the file (open in binary mode, seekable), and a problem for each row that
    cannot be used; raises ``FileRejected`` when the file cannot be read as this layout at all. The
    file is read as a stream, row by row; it is left open."""
    encoding, errors = _encoding(handle)
    text = io.TextIOWrapper(handle, encoding=encoding, errors=errors, newline="")
    try:
        return _parse_rows(csv.reader(text), filename)
    finally:
        text.detach()  # closing the reader must not close the caller's file


def _parse_rows(reader: "_reader", filename: str) -> Parsed:
    try:
        header = next(reader)
    except csv.Error as error:
        raise FileRejected(f"The file is not a readable CSV ({error}).") from None
    columns = [column_name(name) for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise FileRejected(
            f"The header has no {', '.join(missing)} column: this is not a practice record export "
            "(see the column layout in the README)."
        )
    parsed = Parsed(filename)
    seen: dict[tuple, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            row = dict(zip(columns, cells, strict=False))
            child = (row.get("child_id") or "").strip()
            try:
                parsed_row = _parse_row(row, child, line)
            except RecordRejected as rejection:
                parsed.reject(line, child, rejection.field, rejection.reason)
                continue
            identity = (
                parsed_row.record_type,
                child,
                parsed_row.ref if parsed_row.record_type == "scaling" else "",
            )
            identity += parsed_row.key
            if identity in seen:
                # A repeated record: the later row wins, as a later import would.
                parsed.rows[seen[identity]] = parsed_row
            else:
                seen[identity] = len(parsed.rows)
                parsed.rows.append(parsed_row)
    except csv.Error as error:
        raise FileRejected(f"The file is not a readable CSV (line {reader.line_num}: {error}).") from None
    return parsed


def _parse_row(row: dict[str, str], child: str, line: int) -> ParsedRow:
    if not child:
        raise RecordRejected("child_id", "is missing")
    if len(child) > CHILD_ID_MAX:
        raise RecordRejected("child_id", f"is longer than {CHILD_ID_MAX} characters")
    record_type = _token(row.get("record_type") or "")
    if not record_type:
        raise RecordRejected("record_type", "is missing")
    if record_type not in PARSERS:
        raise RecordRejected(
            "record_type", f"{row.get('record_type', '').strip()!r} is not one of {', '.join(RECORD_TYPES)}"
        )
    day = require_date(row.get("date"), "date")
    key, fields = PARSERS[record_type](row, day)
    return ParsedRow(
        line, child, record_type, key, fields, ref=(row.get("danger_statement_ref") or "").strip()
    )


# --- storing ------------------------------------------------------------------------------------

# Per record type: the model and the identity fields (after the child).
TABLES: dict[str, tuple[type[models.Model], tuple[str, ...]]] = {
    "map": (SafetyMap, ("mapped_on",)),
    "danger_statement": (DangerStatement, ("written_on", "statement")),
    "scaling": (Scaling, ("danger_statement_id", "respondent", "scaled_on")),
    "network_member": (NetworkMember, ("relationship", "joined_on")),
    "safety_plan": (SafetyPlan, ("agreed_on",)),
    "voice_tool": (ChildVoiceRecord, ("tool", "used_on")),
    "conference": (Conference, ("held_on",)),
}


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(
    model: type[models.Model], identity: tuple[str, ...], child_pks: list[int]
) -> dict[tuple, dict]:
    """Stored rows of these children by identity; of two rows with one identity (entered twice by
    hand), the first recorded."""
    found: dict[tuple, dict] = {}
    for part in _chunks(child_pks):
        rows = model._default_manager.filter(child_id__in=part).order_by("pk").values()  # type: ignore[attr-defined]
        for row in rows:
            found.setdefault((row["child_id"], *(row[name] for name in identity)), row)
    return found


def _upsert(
    record_type: str,
    incoming: dict[tuple, dict[str, Any]],
    child_pks: list[int],
    acting_user,
    result: PracticeImportResult,
) -> None:
    """Insert the records whose identity is new, update those whose given fields differ."""
    model, identity = TABLES[record_type]
    existing = _existing(model, identity, child_pks)
    recorded_by_id = getattr(acting_user, "pk", None)
    new_rows = []
    changed: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for key, fields in incoming.items():
        stored = existing.get(key)
        if stored is None:
            values = dict(zip(("child_id", *identity), key, strict=True)) | fields
            new_rows.append(model(recorded_by_id=recorded_by_id, **values))
            continue
        differs = {name: value for name, value in fields.items() if stored.get(name) != value}
        if not differs:
            result.unchanged += 1
            continue
        changed[tuple(sorted(differs))].append((stored["id"], differs))
        result.updated += 1
    # With history rows, as every write a person makes: who, when, before and after.
    bulk_create_with_history(new_rows, model, batch_size=CHUNK, default_user=acting_user)
    for names, changes in changed.items():
        full = model._default_manager.in_bulk([pk for pk, _ in changes])  # type: ignore[attr-defined]
        rows = []
        for pk, differs in changes:
            row = full[pk]
            for name, value in differs.items():
                setattr(row, name, value)
            row.recorded_by_id = recorded_by_id  # type: ignore[attr-defined]
            rows.append(row)
        bulk_update_with_history(
            rows, model, [*names, "recorded_by"], batch_size=CHUNK, default_user=acting_user
        )
    result.stored += len(new_rows)


@transaction.atomic
def practice_import(
    *,
    authority: Authority,
    filename: str,
    file: IO[bytes] | None = None,
    data: bytes | None = None,
    acting_user=None,
) -> PracticeImportResult:
    """Import one practice-record export into ``authority``: every usable row stored or updated in
    one transaction, every other row listed as a problem (see the module docstring). The export is
    ``file``, open in binary mode and seekable, read a block at a time (it stays open), or ``data``,
    its bytes."""
    if file is not None and data is None:
        handle = file
    elif file is None and data is not None:
        handle = io.BytesIO(data)
    else:
        raise TypeError("practice_import takes the export as file or as data.")
    size = _size(handle)
    if size > settings.QA_IMPORT_MAX_BYTES:
        raise FileRejected(
            f"The file is {size:,} bytes; the limit is {settings.QA_IMPORT_MAX_BYTES:,} bytes."
        )
    parsed = parse(handle, filename)
    result = PracticeImportResult(filename, problems=list(parsed.problems))

    wanted = sorted({row.child for row in parsed.rows})
    pk_of: dict[str, int] = {}
    for part in _chunks(wanted):
        pk_of.update(
            Child.objects.filter(authority=authority, la_child_id__in=part).values_list("la_child_id", "pk")
        )
    usable = []
    for row in parsed.rows:
        if row.child in pk_of:
            usable.append(row)
        else:
            result.problems.append(
                Problem(
                    filename,
                    row.child,
                    "child_id",
                    f"no child with this ID in {authority.name}",
                    f"line {row.line}",
                )
            )
    child_pks = sorted({pk_of[row.child] for row in usable})

    by_type: dict[str, dict[tuple, dict[str, Any]]] = {record_type: {} for record_type in TABLES}
    statement_of_ref: dict[tuple[str, str], tuple] = {}
    for row in usable:
        if row.record_type == "scaling":
            continue
        by_type[row.record_type][(pk_of[row.child], *row.key)] = row.fields
        if row.record_type == "danger_statement" and row.ref:
            statement_of_ref[(row.child, row.ref)] = (pk_of[row.child], *row.key)

    for record_type in TABLES:
        if record_type != "scaling":
            _upsert(record_type, by_type[record_type], child_pks, acting_user, result)

    # Scalings point at danger statements, now all stored: resolve each reference to its row.
    statement_pk = {
        (row["child_id"], row["written_on"], row["statement"]): row["id"]
        for part in _chunks(child_pks)
        for row in DangerStatement.objects.filter(child_id__in=part)
        .order_by("-pk")
        .values("id", "child_id", "written_on", "statement")
    }
    scalings: dict[tuple, dict[str, Any]] = {}
    for row in usable:
        if row.record_type != "scaling":
            continue
        statement_id = None
        if row.ref:
            statement_key = statement_of_ref.get((row.child, row.ref))
            if statement_key is None:
                result.problems.append(
                    Problem(
                        filename,
                        row.child,
                        "danger_statement_ref",
                        f"{row.ref!r} names no usable danger statement of this child in the file",
                        f"line {row.line}",
                    )
                )
                continue
            statement_id = statement_pk[statement_key]
        respondent, day = row.key
        scalings[(pk_of[row.child], statement_id, respondent, day)] = row.fields
    _upsert("scaling", scalings, child_pks, acting_user, result)
    if result.stored or result.updated:
        from outcomes.models import StaleScope
        from outcomes.services import mark_stale  # outcomes reads cases.practice: imported late

        # Each row's date is its identity, and the earliest of its dates: rows updated keep it.
        first = min(day for row in usable for day in row.key if isinstance(day, date))
        mark_stale(
            authority_id=authority.pk,
            since=first,
            reason=f"Practice record import of {filename}",
            scope=StaleScope.PRACTICE,
        )

    result.problems.sort(key=lambda problem: int(problem.where.split()[-1]) if problem.where else 0)
    return result
