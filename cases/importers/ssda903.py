"""The SSDA903 return (looked-after children): the Header and Episodes tables, one CSV each.

Authorities export these CSVs from their case management systems in several shapes: UTF-8 with or
without a byte order mark, or Windows-1252; dates as DD/MM/YYYY (the DfE specification) or ISO
YYYY-MM-DD; column names in any case. Columns beyond the ones read here (``LA``, ``YEAR`` ...) are
ignored.

What is kept: from the Header, the child's ID, month of birth (never the date), sex and ethnicity;
from the Episodes, every episode with its codes and the outward part of its two postcodes. UPN,
MOTHER and MC_DOB are never read.

A row that cannot be used (no CHILD, no usable DECOM, an unusable DEC, DEC before DECOM) is listed
as a problem with its line number and left out; the rest of the file is imported. A Header row with
an unusable DOB keeps the child, without a month of birth, and lists the problem.
"""

import csv
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO

from cases.importers.base import (
    Batch,
    FileRejected,
    RecordRejected,
    birth_month,
    code,
    parse_date,
    postcode_district,
    require_date,
    require_order,
)
from cases.models import ImportFormat

LA_CHILD_ID_MAX = 40  # Child.la_child_id: a longer ID would be cut and could merge two children
EARLIEST = date(1900, 1, 1)  # strptime accepts year 1; no looked-after child was born before 1900
DELIMITERS = ",;\t|"

HEADER_COLUMNS = ("CHILD", "SEX", "DOB", "ETHNIC")
EPISODE_COLUMNS = ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC")
# Added to the return in later years; older exports lack them, and a missing column leaves what is
# stored alone rather than blanking it.
OPTIONAL_EPISODE_COLUMNS = ("REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN")

# Episode codes: (column, CareEpisode field, the field's max_length).
EPISODE_CODES = (
    ("RNE", "reason_new_episode", 2),
    ("LS", "legal_status", 4),
    ("CIN", "category_of_need", 4),
    ("PLACE", "placement", 4),
    ("PLACE_PROVIDER", "placement_provider", 4),
    ("REC", "reason_end", 4),
    ("REASON_PLACE_CHANGE", "reason_place_change", 8),
    ("URN", "urn", 10),
)
DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


# ---------------------------------------------------------------------------------------------------
# Detection


def column_name(value: str) -> str:
    """A column name as compared: upper case, any run of spaces or punctuation as one underscore."""
    return re.sub(r"[^A-Z0-9]+", "_", value.replace("\ufeff", "").upper()).strip("_")


def _split(line: str, delimiter: str) -> list[str]:
    try:
        return [column_name(name) for name in next(csv.reader([line], delimiter=delimiter), [])]
    except csv.Error:
        return []


def _header_columns(first_line: str) -> tuple[str, list[str]]:
    """The delimiter and column names of a header line: the first delimiter that gives a CHILD
    column, else "," and the names it gives."""
    for delimiter in DELIMITERS:
        names = _split(first_line, delimiter)
        if "CHILD" in names:
            return delimiter, names
    return ",", _split(first_line, ",")


def _format_of(columns: list[str]) -> str | None:
    if "CHILD" not in columns:
        return None
    if "DECOM" in columns:
        return ImportFormat.SSDA903_EPISODES.value
    if "SEX" in columns and "DOB" in columns:
        return ImportFormat.SSDA903_HEADER.value
    return None


def _looks_binary(head: bytes) -> bool:
    """NUL bytes or many control characters: not a text file, whatever its name."""
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 13))
    return controls > len(head) // 100


def _decode_head(head: bytes) -> str:
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # The head may end inside a multi-byte character; what comes before it decides.
        if error.start > 0 and len(head) - error.start < 4:
            return head[: error.start].decode("utf-8-sig")
        return head.decode("cp1252", errors="replace")


def detect(head: bytes, filename: str) -> str | None:
    """The SSDA903 table whose header row the file starts with: CHILD and DECOM for the Episodes,
    CHILD, SEX and DOB for the Header; None for anything else."""
    if not head or _looks_binary(head):
        return None
    lines = _decode_head(head).splitlines()
    return _format_of(_header_columns(lines[0])[1]) if lines else None


# ---------------------------------------------------------------------------------------------------
# Parsing


def parse(path: Path, file_format: str, filename: str) -> Batch:
    """The children (Header) or episodes (Episodes) of one SSDA903 CSV."""
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    if not head.strip():
        raise FileRejected("The file is empty.")
    if _looks_binary(head):
        raise FileRejected("The file is not a CSV text file (it holds binary data).")
    try:
        return _parse_text(path, "utf-8-sig", file_format, filename)
    except UnicodeDecodeError:
        # Not UTF-8 somewhere in the file: Excel on Windows saves CSV as Windows-1252. Bytes that
        # code page leaves undefined become U+FFFD rather than failing the whole file.
        return _parse_text(path, "cp1252", file_format, filename)


def _parse_text(path: Path, encoding: str, file_format: str, filename: str) -> Batch:
    errors = "replace" if encoding == "cp1252" else "strict"
    with path.open(encoding=encoding, errors=errors, newline="") as handle:
        first_line = handle.readline()
        delimiter, columns = _header_columns(first_line)
        found = _format_of(columns)
        if file_format not in (ImportFormat.SSDA903_HEADER, ImportFormat.SSDA903_EPISODES):
            file_format = found or ""
        required: tuple[str, ...]
        if file_format == ImportFormat.SSDA903_HEADER:
            required = HEADER_COLUMNS
        elif file_format == ImportFormat.SSDA903_EPISODES:
            required = EPISODE_COLUMNS
        else:
            raise FileRejected(
                "The file is not an SSDA903 CSV: its first line has no CHILD column "
                "(with DECOM for the Episodes table, or SEX and DOB for the Header table)."
            )
        missing = [name for name in required if name not in columns]
        if missing:
            table = "Header" if file_format == ImportFormat.SSDA903_HEADER else "Episodes"
            raise FileRejected(f"The SSDA903 {table} file is missing required columns: {', '.join(missing)}.")
        batch = Batch(file=filename, file_format=file_format)
        add_row = _header_row if file_format == ImportFormat.SSDA903_HEADER else _episode_row
        try:
            for line, row in _rows(handle, columns, delimiter):
                add_row(batch, row, f"line {line}")
        except csv.Error as error:
            raise FileRejected(f"The file is not a well-formed CSV ({error}).") from None
    return batch


def _rows(handle: IO[str], columns: list[str], delimiter: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Each data row as {column: stripped text} with the line it starts on; blank rows are skipped.
    A column named twice keeps its first occurrence."""
    reader = csv.reader(handle, delimiter=delimiter)
    positions: dict[str, int] = {}
    for index, name in enumerate(columns):
        positions.setdefault(name, index)
    last_line = 1  # the header line, read already
    for values in reader:
        start, last_line = last_line + 1, reader.line_num + 1
        if not any(value.strip() for value in values):
            continue
        yield (
            start,
            {name: values[index].strip() if index < len(values) else "" for name, index in positions.items()},
        )


def _child_id(row: dict[str, str]) -> str:
    child = row.get("CHILD", "")
    if not child:
        raise RecordRejected("CHILD", "is missing")
    if len(child) > LA_CHILD_ID_MAX:
        raise RecordRejected("CHILD", f"is longer than {LA_CHILD_ID_MAX} characters")
    return child


def _date(value: str, field_name: str, *, required: bool = False) -> date | None:
    parsed = require_date(value, field_name) if required else parse_date(value, field_name)
    if parsed is not None and parsed < EARLIEST:
        raise RecordRejected(field_name, f"{parsed.isoformat()} is before {EARLIEST.year}")
    return parsed


def _header_row(batch: Batch, row: dict[str, str], where: str) -> None:
    try:
        child = _child_id(row)
    except RecordRejected as rejection:
        batch.reject(row.get("CHILD", ""), rejection.field, rejection.reason, where)
        return
    try:
        born = birth_month(_date(row["DOB"], "DOB"))
    except RecordRejected:
        # The reason leaves the value out: a mistyped date of birth is still close to the real one.
        born = None
        batch.reject(child, "DOB", "is not a valid date (DD/MM/YYYY or YYYY-MM-DD)", where)
    batch.add_child(child, birth_month=born, sex=code(row["SEX"]), ethnicity=code(row["ETHNIC"]))


def district(value: str | None) -> str:
    """The outward part of a postcode, or "" when the text holds no postcode ("ABC 1", "N/A")."""
    outward = postcode_district(value)
    return outward if DISTRICT.match(outward) else ""


def episode_fields(row: dict[str, str]) -> tuple[str, dict]:
    """The child and the CareEpisode fields of one Episodes row; RecordRejected when unusable."""
    child = _child_id(row)
    start = _date(row["DECOM"], "DECOM", required=True)
    end = _date(row["DEC"], "DEC")
    require_order(start, end, "DECOM", "DEC")
    fields: dict = {"start_date": start, "end_date": end}
    for column, name, length in EPISODE_CODES:
        if column in row:
            fields[name] = code(row[column], length)
    if "HOME_POST" in row:
        fields["home_postcode_district"] = district(row["HOME_POST"])
    if "PL_POST" in row:
        fields["placement_postcode_district"] = district(row["PL_POST"])
    return child, fields


def _episode_row(batch: Batch, row: dict[str, str], where: str) -> None:
    try:
        child, fields = episode_fields(row)
    except RecordRejected as rejection:
        batch.reject(row.get("CHILD", ""), rejection.field, rejection.reason, where)
        return
    batch.add_event("care_episodes", child, **fields)
