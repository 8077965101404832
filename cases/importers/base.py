"""What every importer shares: the batch of parsed records, problems, and small value parsers."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


class FileRejected(Exception):
    """The file cannot be imported at all (not the format, not readable, wrong authority)."""


class RecordRejected(Exception):
    """One record cannot be used; ``field`` names the culprit."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Problem:
    file: str
    child: str
    field: str
    reason: str
    where: str = ""  # "line 12", "sheet List 3 row 7", "Child 4 CINdetails 2"

    def as_dict(self) -> dict[str, str]:
        return {
            "file": self.file,
            "child": self.child,
            "field": self.field,
            "reason": self.reason,
            "where": self.where,
        }


# The tables a batch fills, with each one's identity field (besides the child).
EVENT_TABLES = {
    "referrals": "referral_date",
    "assessments": "start_date",
    "cin_plans": "start_date",
    "section47s": "start_date",
    "cp_plans": "start_date",
    "care_episodes": "start_date",
}


@dataclass
class Batch:
    """Parsed records of one file, keyed by identity so that a repeated record is kept once (the
    later occurrence wins, as a later import would)."""

    file: str
    file_format: str
    authority_code: str | None = None  # from the file itself, where the format carries it
    children: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[tuple[str, date], dict[str, Any]]] = field(
        default_factory=lambda: {table: {} for table in EVENT_TABLES}
    )
    problems: list[Problem] = field(default_factory=list)

    def add_child(self, la_child_id: str, **fields: Any) -> None:
        """Record the child; fields given as None are left as they are (another file may know them)."""
        known = self.children.setdefault(la_child_id, {})
        known.update({key: value for key, value in fields.items() if value is not None})

    def add_event(self, table: str, la_child_id: str, **fields: Any) -> None:
        key = (la_child_id, fields[EVENT_TABLES[table]])
        self.children.setdefault(la_child_id, {})
        self.events[table][key] = fields

    def reject(self, child: str, field_name: str, reason: str, where: str = "") -> None:
        self.problems.append(Problem(self.file, child, field_name, reason, where))

    @property
    def record_count(self) -> int:
        return len(self.children) + sum(len(rows) for rows in self.events.values())


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
_MIDNIGHT = re.compile(r"[T ]00:00(:00(\.0+)?)?$")


def parse_date(value: str | None, field_name: str, *, formats: tuple[str, ...] = DATE_FORMATS) -> date | None:
    """A date in one of ``formats``; empty gives None; anything else rejects the record."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and "%Y-%m-%d" in formats:
        # The usual case (every CIN census date): the C parser is several times faster than
        # strptime. Whatever it refuses goes on to strptime, which gives the same answer or the message.
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    elif len(text) > 10:
        # Spreadsheet exports sometimes carry a time part: "2024-04-01 00:00:00" or "2024-04-01T00:00:00".
        text = _MIDNIGHT.sub("", text)
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
    expected = " or ".join(
        fmt.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD") for fmt in formats
    )
    raise RecordRejected(field_name, f"{text!r} is not a valid date ({expected})")


def require_date(value: str | None, field_name: str, **kwargs: Any) -> date:
    parsed = parse_date(value, field_name, **kwargs)
    if parsed is None:
        raise RecordRejected(field_name, "is missing")
    return parsed


def require_order(start: date | None, end: date | None, start_field: str, end_field: str) -> None:
    if start is not None and end is not None and end < start:
        raise RecordRejected(end_field, f"{end.isoformat()} is before {start_field} {start.isoformat()}")


def birth_month(value: date | None) -> date | None:
    return value.replace(day=1) if value else None


def parse_bool(value: str | None, field_name: str) -> bool | None:
    text = (value or "").strip().lower()
    if not text:
        return None
    if text in {"1", "true", "y", "yes"}:
        return True
    if text in {"0", "false", "n", "no"}:
        return False
    raise RecordRejected(field_name, f"{value!r} is not one of 0/1/true/false")


def parse_count(value: str | None, field_name: str) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        number = int(float(text))
    except ValueError:
        raise RecordRejected(field_name, f"{text!r} is not a whole number") from None
    if number < 0 or number != float(text):
        raise RecordRejected(field_name, f"{text!r} is not a whole number of 0 or more")
    return number


def code(value: str | None, max_length: int = 10) -> str:
    """A code field as returned, trimmed and cut to the column's length."""
    return (value or "").strip()[:max_length]


_OUTWARD = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)(\s*[0-9][A-Z]{2})?$")


def postcode_district(value: str | None) -> str:
    """The outward part of a UK postcode ("EG19 7TT" → "EG19"); nothing else of it is kept."""
    text = re.sub(r"\s+", " ", (value or "").strip().upper())
    if not text:
        return ""
    match = _OUTWARD.match(text)
    if match:
        return match.group(1)
    return text.split(" ")[0][:4]
