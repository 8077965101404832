"""Store a parsed batch: bulk upsert by identity, inside one transaction.

Rows are compared with what is stored, so only new rows are inserted and only changed rows are
updated: re-importing a file writes nothing. Fields a file does not carry (``None`` in the batch,
or absent) leave the stored value alone, so an episodes file never blanks what the census said.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

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
CHUNK = 2000


@dataclass
class StoreResult:
    stored: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: "StoreResult") -> None:
        self.stored += other.stored
        self.updated += other.updated
        self.unchanged += other.unchanged


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _differs(stored: dict[str, Any], incoming: dict[str, Any]) -> list[str]:
    return [name for name, value in incoming.items() if stored.get(name) != value]


def _upsert(
    model: type[models.Model],
    existing: dict[Any, dict[str, Any]],
    incoming: dict[Any, dict[str, Any]],
    build: Callable[[Any, dict[str, Any]], models.Model],
) -> StoreResult:
    """Insert the rows whose key is new, update those whose fields changed."""
    result = StoreResult()
    new_rows = []
    changed: dict[tuple[str, ...], list[models.Model]] = defaultdict(list)
    for key, fields in incoming.items():
        stored = existing.get(key)
        if stored is None:
            new_rows.append(build(key, fields))
            result.stored += 1
            continue
        names = _differs(stored, fields)
        if not names:
            result.unchanged += 1
            continue
        row = model(pk=stored["id"], **{name: fields[name] for name in names})
        changed[tuple(sorted(names))].append(row)
        result.updated += 1
    model._default_manager.bulk_create(new_rows, batch_size=CHUNK)
    for changed_names, rows in changed.items():
        model._default_manager.bulk_update(rows, list(changed_names), batch_size=CHUNK)
    return result


def _existing(queryset: models.QuerySet, key_fields: Iterable[str], keys: list, lookup: str) -> dict:
    found: dict = {}
    key_fields = list(key_fields)
    for part in chunks(keys):
        for row in queryset.filter(**{lookup: part}).values():
            found[tuple(row[name] for name in key_fields) if len(key_fields) > 1 else row[key_fields[0]]] = (
                row
            )
    return found


def _event_builder(model: type[models.Model]) -> Callable[[Any, dict[str, Any]], models.Model]:
    def build(key: Any, fields: dict[str, Any]) -> models.Model:
        return model(child_id=key[0], **fields)

    return build


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


@transaction.atomic
def store_batch(
    batch: Batch, authority: Authority, on_progress: Callable[[float], None] | None = None
) -> StoreResult:
    result = StoreResult()
    _resolve_teams(batch, authority)
    child_ids = list(batch.children)
    existing_children = _existing(
        Child.objects.filter(authority=authority), ["la_child_id"], child_ids, "la_child_id__in"
    )
    result.add(
        _upsert(
            Child,
            existing_children,
            batch.children,
            lambda key, fields: Child(authority=authority, la_child_id=key, **fields),
        )
    )
    id_of = dict(
        row
        for part in chunks(child_ids)
        for row in Child.objects.filter(authority=authority, la_child_id__in=part).values_list(
            "la_child_id", "id"
        )
    )
    for step, (table, identity) in enumerate(EVENT_TABLES.items(), start=1):
        model = MODELS[table]
        incoming = {(id_of[child], day): fields for (child, day), fields in batch.events[table].items()}
        existing = _existing(
            model._default_manager.all(),
            ["child_id", identity],
            sorted({key[0] for key in incoming}),
            "child_id__in",
        )
        result.add(_upsert(model, existing, incoming, _event_builder(model)))
        if on_progress:
            on_progress(step / len(EVENT_TABLES))
    return result
