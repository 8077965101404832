"""CSV and XLSX files from rows of cells: the writers every export uses (audit answers, measure
values, survey results).

Text a spreadsheet would run as a formula when it opens the file (a cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return: CSV injection) is written with a leading
apostrophe in CSV (``safe_text``) and stored as text in XLSX. Numbers, dates, and text that reads
as a number (``-0.5``) are written as they are.
"""

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

Cell = str | int | float | Decimal | date | None

# Text a spreadsheet would run as a formula if it came first in a cell (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: Cell) -> str:
    """A cell as CSV text: empty for nothing, ISO dates, numbers as written."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def safe_text(value: Cell) -> str:
    """``cell_text``, with a leading apostrophe before free text a spreadsheet would run as a formula."""
    text = cell_text(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS) and not _is_number(text):
        # A leading apostrophe keeps a spreadsheet from running free text as a formula.
        return "'" + text
    return text


def safe_row(row: Iterable[Cell]) -> list[str]:
    return [safe_text(value) for value in row]


def write_csv(stream: IO[str], header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(safe_row(row))


@dataclass
class Sheet:
    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Cell]]
    widths: dict[int, float] = field(default_factory=dict)  # column index (0-based) → width


def _xlsx_cell(sheet, value: Cell) -> Any:
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=value)
        # Text stays text, even when it starts with "=" (openpyxl would otherwise store a formula).
        cell.data_type = "s"
        return cell
    if isinstance(value, date) and not isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """A workbook with one sheet per ``Sheet``: a bold header row, frozen, then the rows."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for spec in sheets:
        sheet = workbook.create_sheet(title=spec.title[:31])
        sheet.freeze_panes = "A2"
        for index, width in spec.widths.items():
            sheet.column_dimensions[get_column_letter(index + 1)].width = width
        header = []
        for name in spec.header:
            cell = WriteOnlyCell(sheet, value=name)
            cell.data_type = "s"
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in spec.rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()
