"""The audit answers export: one row per audit of an authority, one column per stable item key.

**Rows.** Every audit of the authority (of one tool when asked, and created between two dates when
asked), oldest first: ``audit_id``, the child's LA id (``child_la_id``, only when
``include_child`` is set: the web export gives it to the authority's own QA lead, whose data it is;
the command line leaves it out), ``team``, ``tool`` (key), ``tool_version`` (number),
``adaptation`` (the authority's adaptation number, empty for the tool as published), ``status``,
``signed_off_on`` (local date) and ``overall_level``. No names, and no free-text evidence or
disagreement notes: those are read on the audit page, where the audit's own access rules apply.

**Item columns, version-aware.** An item's key is stable across versions, so the columns are the
keys of every published or retired version of the tools, plus the items the authority's
adaptations added, in this order: the latest version's items in that version's order, the
authority's local items, then items retired from the tool (newest version first). An item retired
in v2 keeps its column and the v1 audits keep their answers there. A key answered but in none of
those (an audit answered against a draft, say) still gets a column at the end: an answer is never
dropped. Two tools that share a key share its column (the ``tool`` column tells them apart).

Each key gives a column ``<key>``: the agreed level of a rubric item, else the answer's value
(a list of choices joined with "; "); rubric items also give ``<key>:self`` (the practitioner's
level) and ``<key>:auditor`` (the auditor's).

**Queries.** Four, whatever the number of audits: the audits, the items of the tools' versions,
the adaptations' local items, and the answers; the answers are pivoted in one pass in Python.

CSV and XLSX are written from the same rows by ``qa_system.spreadsheets`` (``write_csv``,
``xlsx_bytes``), the writers every export uses.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Authority
from audits.models import Audit, AuditAnswer, ChangeKind, Item, ItemChange, ItemType, Tool, VersionStatus
from qa_system.spreadsheets import Cell, Sheet

AUDIT_COLUMNS = [
    "audit_id",
    "team",
    "tool",
    "tool_version",
    "adaptation",
    "status",
    "signed_off_on",
    "overall_level",
]
CHILD_COLUMN = "child_la_id"
SELF_SUFFIX = ":self"
AUDITOR_SUFFIX = ":auditor"
FROZEN = (VersionStatus.PUBLISHED, VersionStatus.RETIRED)


class Origin:
    CURRENT = "current"  # in the latest version of its tool
    LOCAL = "local"  # added by the authority's adaptation
    RETIRED = "retired"  # in an earlier version only
    UNLISTED = "unlisted"  # answered, but in no published version or adaptation


@dataclass(frozen=True)
class ItemColumn:
    """One stable item key and where it comes from (also the XLSX's "Items" sheet)."""

    key: str
    tool: str
    type: str
    text: str
    origin: str
    versions: tuple[int, ...] = ()  # the tool's version numbers that have the item

    @property
    def is_rubric(self) -> bool:
        return self.type == ItemType.RUBRIC

    def headers(self) -> list[str]:
        if self.is_rubric:
            return [self.key, self.key + SELF_SUFFIX, self.key + AUDITOR_SUFFIX]
        return [self.key]


@dataclass
class AnswerTable:
    header: list[str]
    rows: list[list[Cell]]
    columns: list[ItemColumn] = field(default_factory=list)


# --- reads -------------------------------------------------------------------------------------


def answer_audits(
    *,
    authority: Authority,
    tool: Tool | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Audit]:
    """The authority's audits, of ``tool`` when given, created (local date) between the dates."""
    audits = Audit.objects.filter(authority_id=authority.pk)
    if tool is not None:
        audits = audits.filter(tool_version__tool_id=tool.pk)
    if date_from is not None:
        audits = audits.filter(created_at__date__gte=date_from)
    if date_to is not None:
        audits = audits.filter(created_at__date__lte=date_to)
    return audits


def export_tools(*, authority: Authority) -> QuerySet[Tool]:
    """Tools whose answers the authority can export: its own, those it adopted, those it audited with."""
    return (
        Tool.objects.filter(
            Q(authority_id=authority.pk)
            | Q(adoptions__authority_id=authority.pk)
            | Q(versions__audits__authority_id=authority.pk)
        )
        .distinct()
        .order_by("name")
    )


def _item_rows(tool_ids) -> list[dict]:
    return list(
        Item.objects.filter(version__tool_id__in=tool_ids, version__status__in=FROZEN)
        .order_by()
        .values(
            "key",
            "type",
            "text",
            "order",
            "section__order",
            "version__number",
            "version__tool__key",
            "version__tool__name",
        )
    )


def _local_rows(authority: Authority, tool_ids) -> list[dict]:
    return list(
        ItemChange.objects.filter(
            kind=ChangeKind.ADD,
            adaptation__adoption__authority_id=authority.pk,
            adaptation__adoption__tool_id__in=tool_ids,
            adaptation__status__in=FROZEN,
        )
        .order_by()
        .values("item_key", "type", "text", "order", "adaptation__number", "adaptation__adoption__tool__key")
    )


def item_columns(item_rows: Iterable[dict], local_rows: Iterable[dict] = ()) -> list[ItemColumn]:
    """The item columns from item rows (``_item_rows``) and local-item rows (``_local_rows``), in
    the export's order: per tool (by name), the latest version's items in its order, then the
    authority's local items, then the retired items, newest version first. Pure."""
    by_tool: dict[str, list[dict]] = {}
    names: dict[str, str] = {}
    for row in item_rows:
        by_tool.setdefault(row["version__tool__key"], []).append(row)
        names[row["version__tool__key"]] = row["version__tool__name"]
    local_by_tool: dict[str, list[dict]] = {}
    for row in local_rows:
        local_by_tool.setdefault(row["adaptation__adoption__tool__key"], []).append(row)

    columns: list[ItemColumn] = []
    seen: set[str] = set()

    def add(column: ItemColumn) -> None:
        if column.key not in seen:
            seen.add(column.key)
            columns.append(column)

    for tool_key in sorted(set(by_tool) | set(local_by_tool), key=lambda key: (names.get(key, key), key)):
        rows = by_tool.get(tool_key, [])
        versions: dict[str, set[int]] = {}
        for row in rows:
            versions.setdefault(row["key"], set()).add(row["version__number"])
        latest = max((row["version__number"] for row in rows), default=None)
        # Each key as it stands in the newest version that has it.
        newest: dict[str, dict] = {}
        for row in sorted(rows, key=lambda row: row["version__number"]):
            newest[row["key"]] = row

        def place(row: dict) -> tuple:
            return (-row["version__number"], row["section__order"], row["order"], row["key"])

        for row in sorted(newest.values(), key=place):
            if row["version__number"] == latest:
                add(_column(row, tool_key, Origin.CURRENT, versions))
        for row in sorted(
            local_by_tool.get(tool_key, []),
            key=lambda row: (
                -row["adaptation__number"],
                row["order"] if row["order"] is not None else 10**4,
                row["item_key"],
            ),
        ):
            add(
                ItemColumn(
                    key=row["item_key"],
                    tool=tool_key,
                    type=row["type"] or ItemType.TEXT,
                    text=row["text"],
                    origin=Origin.LOCAL,
                )
            )
        for row in sorted(newest.values(), key=place):
            if row["version__number"] != latest:
                add(_column(row, tool_key, Origin.RETIRED, versions))
    return columns


def _column(row: dict, tool_key: str, origin: str, versions: dict[str, set[int]]) -> ItemColumn:
    return ItemColumn(
        key=row["key"],
        tool=tool_key,
        type=row["type"],
        text=row["text"],
        origin=origin,
        versions=tuple(sorted(versions.get(row["key"], ()))),
    )


def answer_value(value: Any) -> Cell:
    """An answer's stored value as one cell: numbers and text as they are, a list joined with "; "."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, list):
        return "; ".join(str(part) for part in value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _local_date(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment is not None else None


def pivot(
    audits: Sequence[dict],
    answers: Iterable[Sequence],
    columns: list[ItemColumn],
    *,
    include_child: bool = False,
) -> AnswerTable:
    """The table from audit rows (``answer_table``'s values), answer rows
    ``(audit_id, item_key, self_level, auditor_level, agreed_level, value)`` and the item columns;
    keys answered but not among ``columns`` get a column at the end. One pass over the answers. Pure."""
    by_audit: dict[int, dict[str, Sequence]] = {}
    for answer in answers:
        by_audit.setdefault(answer[0], {})[answer[1]] = answer
    known = {column.key for column in columns}
    unlisted = sorted({key for found in by_audit.values() for key in found} - known)
    rubric_keys = {
        answer[1]
        for found in by_audit.values()
        for answer in found.values()
        if any(level is not None for level in answer[2:5])
    }
    columns = columns + [
        ItemColumn(
            key=key,
            tool="",
            type=ItemType.RUBRIC if key in rubric_keys else ItemType.TEXT,
            text="",
            origin=Origin.UNLISTED,
        )
        for key in unlisted
    ]
    fixed = AUDIT_COLUMNS[:1] + ([CHILD_COLUMN] if include_child else []) + AUDIT_COLUMNS[1:]
    header = fixed + [name for column in columns for name in column.headers()]
    rows: list[list[Cell]] = []
    for audit in audits:
        row: list[Cell] = [audit["pk"]]
        if include_child:
            row.append(audit["child__la_child_id"])
        row += [
            audit["team__name"] or "",
            audit["tool_version__tool__key"],
            audit["tool_version__number"],
            audit["adaptation__number"],
            audit["status"],
            _local_date(audit["signed_off_at"]),
            audit["overall_level"],
        ]
        found = by_audit.get(audit["pk"], {})
        for column in columns:
            given = found.get(column.key)
            if given is None:
                row += [None] * len(column.headers())
                continue
            _audit_id, _key, self_level, auditor_level, agreed_level, value = given
            row.append(agreed_level if agreed_level is not None else answer_value(value))
            if column.is_rubric:
                row += [self_level, auditor_level]
        rows.append(row)
    return AnswerTable(header=header, rows=rows, columns=columns)


def answer_table(
    *,
    authority: Authority,
    tool: Tool | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    include_child: bool = False,
) -> AnswerTable:
    """The authority's answers export (see the module docstring): four queries."""
    audits = answer_audits(authority=authority, tool=tool, date_from=date_from, date_to=date_to)
    fields = [
        "pk",
        "team__name",
        "tool_version__tool__key",
        "tool_version__number",
        "adaptation__number",
        "status",
        "signed_off_at",
        "overall_level",
    ]
    if include_child:
        fields.append("child__la_child_id")
    audit_rows = list(audits.order_by("created_at", "pk").values(*fields))
    tool_ids: Any = [tool.pk] if tool is not None else audits.order_by().values("tool_version__tool_id")
    columns = item_columns(_item_rows(tool_ids), _local_rows(authority, tool_ids))
    answers = (
        AuditAnswer.objects.filter(audit__in=audits.order_by().values("pk"))
        .order_by()
        .values_list("audit_id", "item_key", "self_level", "auditor_level", "agreed_level", "value")
    )
    return pivot(audit_rows, answers, columns, include_child=include_child)


# --- writing: CSV and XLSX from the same rows (``qa_system.spreadsheets``) ------------------------


def answer_sheets(table: AnswerTable) -> list[Sheet]:
    """The answers, then a key to the item columns (what each key asks, and in which versions)."""
    items = Sheet(
        title="Items",
        header=["column", "tool", "type", "question", "where from", "in versions"],
        rows=[
            [
                column.key,
                column.tool,
                column.type,
                column.text,
                ORIGIN_LABELS[column.origin],
                ", ".join(str(number) for number in column.versions),
            ]
            for column in table.columns
        ],
        widths={0: 18, 1: 16, 2: 14, 3: 70, 4: 34, 5: 12},
    )
    return [Sheet(title="Answers", header=table.header, rows=table.rows), items]


ORIGIN_LABELS = {
    Origin.CURRENT: "in the latest version",
    Origin.LOCAL: "added by the authority",
    Origin.RETIRED: "retired from the tool",
    Origin.UNLISTED: "answered, not in a published version",
}
