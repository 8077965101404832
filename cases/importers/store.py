"""Store a parsed batch: one set-based upsert per table, inside the caller's transaction.

Each table is written with one ``INSERT … ON CONFLICT (identity) DO UPDATE … WHERE`` statement (one
per set of fields, as a file may leave some out): new rows are inserted, rows whose fields changed
are updated, and rows that are the same are not touched, so re-importing a file writes nothing. The
rows go to the database as one JSON parameter, and events find their child by the LA child ID in the
same statement, so no existing row is read and no model instance is built. ``RETURNING`` says which
rows were inserted and which updated, for the counts the import report shows.

Fields a file does not carry (``None`` for a child's field, or absent) leave the stored value alone,
so an episodes file never blanks what the census said.

Works on PostgreSQL (``jsonb_array_elements``, ``IS DISTINCT FROM``, ``xmax = 0`` for a new row) and
on SQLite (``json_each``, ``IS NOT``, a new row has an id above the table's largest before).
"""

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import Authority, Team
from cases.importers.base import EVENT_TABLES, Batch
from cases.models import Assessment, CareEpisode, Child, CINPlan, CPPlan, Referral, Section47

MODELS: dict[str, type[models.Model]] = {
    "referrals": Referral,
    "assessments": Assessment,
    "cin_plans": CINPlan,
    "section47s": Section47,
    "cp_plans": CPPlan,
    "care_episodes": CareEpisode,
}
CHUNK = 2000  # keys in one IN (…) list
ROWS_PER_STATEMENT = 5000


@dataclass
class StoreResult:
    stored: int = 0
    updated: int = 0
    unchanged: int = 0
    # What the import changed for the measures: the earliest date of the dated records (events)
    # it stored or changed, and whether it moved a child from one team to another (which changes
    # the team's figures in every period).
    earliest: date | None = None
    moved_teams: bool = False

    def add(self, other: "StoreResult") -> None:
        self.stored += other.stored
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.moved_teams = self.moved_teams or other.moved_teams
        self.add_date(other.earliest)

    def add_date(self, day: date | None) -> None:
        if day is not None and (self.earliest is None or day < self.earliest):
            self.earliest = day

    @property
    def changes_measures(self) -> bool:
        return self.earliest is not None or self.moved_teams


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---------------------------------------------------------------------------------------------------
# The SQL of one upsert


@dataclass(frozen=True)
class _Column:
    name: str
    kind: str  # "text", "date", "boolean", "integer", "bigint", "json"
    default: Any


_KINDS = {
    "DateField": "date",
    "BooleanField": "boolean",
    "PositiveSmallIntegerField": "integer",
    "IntegerField": "integer",
    "JSONField": "json",
    "ForeignKey": "bigint",
}


def _columns(model: type[models.Model], skip: set[str]) -> dict[str, _Column]:
    """The model's columns by field name (its ``attname``: ``team_id``), less ``skip``."""
    found = {}
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key or model_field.attname in skip:
            continue
        kind = _KINDS.get(model_field.get_internal_type(), "text")
        found[model_field.attname] = _Column(model_field.column, kind, model_field.get_default())
    return found


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def _value(column: _Column, position: int) -> str:
    """The SQL reading the value at ``position`` of a row (a JSON array ``r``), as the column's type."""
    if _postgresql():
        if column.kind == "json":
            return f"(r.value -> {position})"
        cast = "" if column.kind == "text" else f"::{column.kind}"
        return f"(r.value ->> {position}){cast}"
    if column.kind == "json":
        return f"json(json_extract(r.value, '$[{position}]'))"
    return f"json_extract(r.value, '$[{position}]')"


def _text(position: int) -> str:
    return _value(_Column("", "text", ""), position)


def _distinct(column: str, json_columns: set[str]) -> str:
    if _postgresql():
        return f"t.{column} IS DISTINCT FROM excluded.{column}"
    if column in json_columns:
        # SQLite keeps JSON as text: compare it minified, however it was written.
        return f"json(t.{column}) IS NOT json(excluded.{column})"
    return f"t.{column} IS NOT excluded.{column}"


def _json_default(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a value an importer stores")


def _rows_parameter(rows: list[list[Any]]) -> str:
    return json.dumps(rows, default=_json_default, separators=(",", ":"))


def _row_source() -> str:
    if _postgresql():
        return "jsonb_array_elements(%s::jsonb) AS r(value)"
    return "json_each(%s) AS r"


@dataclass
class _Upsert:
    """One statement: the rows of one table sharing one set of fields."""

    table: str
    key: list[str]  # the identity's columns
    inserted: dict[str, str]  # column -> SQL of its value
    updated: list[str]  # the columns a conflicting row takes from the file
    returning: list[str]  # the columns returned (dates, for the earliest changed date)
    source: str  # FROM … (and JOIN …) giving the rows
    parameters: list[Any]
    json_columns: set[str] = field(default_factory=set)

    def run(self) -> tuple[int, int, list[tuple]]:
        """(rows inserted, rows updated, the returned columns of each inserted or updated row)."""
        columns = ", ".join(self.inserted)
        values = ", ".join(self.inserted.values())
        if self.updated:
            on_conflict = (
                "DO UPDATE SET "
                + ", ".join(f"{name} = excluded.{name}" for name in self.updated)
                + " WHERE "
                + " OR ".join(
                    _distinct(name, self.json_columns) for name in self.updated if name != "updated_at"
                )
            )
        else:
            on_conflict = "DO NOTHING"
        # RETURNING reads only the table written, so its names need no qualifier.
        returned = ", ".join(self.returning)
        new_row = "(xmax = 0)" if _postgresql() else "id > %s"
        sql = (
            f"INSERT INTO {self.table} AS t ({columns}) SELECT {values} FROM {self.source} WHERE true "
            f"ON CONFLICT ({', '.join(self.key)}) {on_conflict} "
            f"RETURNING {new_row}{', ' if returned else ''}{returned}"
        )
        with connection.cursor() as cursor:
            parameters = list(self.parameters)
            if not _postgresql():
                cursor.execute(f"SELECT coalesce(max(id), 0) FROM {self.table}")
                parameters.append(cursor.fetchone()[0])
            cursor.execute(sql, parameters)
            rows = cursor.fetchall()
        inserted = sum(1 for row in rows if row[0])
        return inserted, len(rows) - inserted, [row[1:] for row in rows]


def _groups(rows: dict[Any, dict[str, Any]]) -> dict[tuple[str, ...], list[tuple[Any, dict[str, Any]]]]:
    """The rows by the set of fields they carry (one statement each)."""
    grouped: dict[tuple[str, ...], list[tuple[Any, dict[str, Any]]]] = defaultdict(list)
    for key, fields in rows.items():
        grouped[tuple(sorted(fields))].append((key, fields))
    return grouped


# ---------------------------------------------------------------------------------------------------
# Children and events


def _resolve_teams(batch: Batch, authority: Authority) -> None:
    """Annex A names the allocated team: link the child to the authority's team of that name, if any."""
    names = {fields["team_name"] for fields in batch.children.values() if fields.get("team_name")}
    teams = (
        {team.name.casefold(): team.pk for team in Team.objects.filter(authority=authority)} if names else {}
    )
    for fields in batch.children.values():
        name = fields.pop("team_name", None)
        if name and name.strip().casefold() in teams:
            fields["team_id"] = teams[name.strip().casefold()]


def _teams_moved(authority: Authority, teams: dict[str, int]) -> bool:
    """Whether any of these children (LA child ID → team) is stored with another team."""
    for part in chunks(list(teams)):
        stored = Child.objects.filter(authority=authority, la_child_id__in=part).values_list(
            "la_child_id", "team_id"
        )
        if any(team_id != teams[la_child_id] for la_child_id, team_id in stored):
            return True
    return False


def _store_children(batch: Batch, authority: Authority) -> StoreResult:
    result = StoreResult()
    columns = _columns(Child, skip={"authority_id", "la_child_id", "created_at", "updated_at"})
    json_columns = {column.name for column in columns.values() if column.kind == "json"}
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    for names, group in _groups(batch.children).items():
        if "team_id" in names:
            result.moved_teams = result.moved_teams or _teams_moved(
                authority, {key: fields["team_id"] for key, fields in group}
            )
        order = list(columns)
        rows = [[key] + [fields.get(name, columns[name].default) for name in order] for key, fields in group]
        for part in chunks(rows, ROWS_PER_STATEMENT):
            inserted = {"authority_id": "%s", "la_child_id": _text(0)}
            inserted.update(
                {columns[name].name: _value(columns[name], index) for index, name in enumerate(order, 1)}
            )
            inserted.update({"created_at": "%s", "updated_at": "%s"})
            upsert = _Upsert(
                table=Child._meta.db_table,
                key=["authority_id", "la_child_id"],
                inserted=inserted,
                updated=[columns[name].name for name in names] + (["updated_at"] if names else []),
                returning=[],
                source=_row_source(),
                # The placeholders in order: authority, created_at, updated_at (in the SELECT list),
                # then the rows (in FROM).
                parameters=[authority.pk, now, now, _rows_parameter(part)],
                json_columns=json_columns,
            )
            stored, updated, _ = upsert.run()
            result.stored += stored
            result.updated += updated
            result.unchanged += len(part) - stored - updated
    return result


def _store_events(
    table: str, events: dict[tuple[str, date], dict[str, Any]], authority: Authority
) -> StoreResult:
    result = StoreResult()
    model = MODELS[table]
    columns = _columns(model, skip={"child_id"})
    identity = EVENT_TABLES[table]
    dates = [column.name for column in columns.values() if column.kind == "date"]
    json_columns = {column.name for column in columns.values() if column.kind == "json"}
    child_table = Child._meta.db_table
    for names, group in _groups(events).items():
        order = list(columns)
        rows = [
            [key[0]] + [fields.get(name, columns[name].default) for name in order] for key, fields in group
        ]
        for part in chunks(rows, ROWS_PER_STATEMENT):
            inserted = {"child_id": "c.id"}
            inserted.update(
                {columns[name].name: _value(columns[name], index) for index, name in enumerate(order, 1)}
            )
            upsert = _Upsert(
                table=model._meta.db_table,
                key=["child_id", columns[identity].name],
                inserted=inserted,
                updated=[columns[name].name for name in names if name != identity],
                returning=dates,
                source=(
                    f"{_row_source()} JOIN {child_table} AS c "
                    f"ON c.authority_id = %s AND c.la_child_id = {_text(0)}"
                ),
                parameters=[_rows_parameter(part), authority.pk],
                json_columns=json_columns,
            )
            stored, updated, changed = upsert.run()
            result.stored += stored
            result.updated += updated
            result.unchanged += len(part) - stored - updated
            for row in changed:
                for day in row:
                    if day is not None:
                        result.add_date(day if isinstance(day, date) else date.fromisoformat(day))
    return result


def store_chunk(batch: Batch, authority: Authority) -> StoreResult:
    """Store one batch in the caller's transaction: the children first, then their events."""
    result = StoreResult()
    _resolve_teams(batch, authority)
    if batch.children:
        result.add(_store_children(batch, authority))
    for table in EVENT_TABLES:
        if batch.events[table]:
            result.add(_store_events(table, batch.events[table], authority))
    return result


@transaction.atomic
def store_batch(batch: Batch, authority: Authority) -> StoreResult:
    """Store one batch in a transaction of its own (or a savepoint of the caller's)."""
    return store_chunk(batch, authority)
