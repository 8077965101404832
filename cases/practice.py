"""The Signs of Safety practice record of a case: writes (services) and reads (selectors).

Every write is a keyword-only service taking ``acting_user``; it validates the row
(``full_clean``), checks what the model cannot (dates in order, a scaling's danger statement
belongs to the same child) and stores it in one transaction. ``recorded_by`` names who recorded the
row as it now stands; the history table keeps every earlier state and who changed it.

"Current" means within ``CURRENT_MONTHS`` months before a reference date, counted as the
measures count years: the same day of the month, or the month's last day when that day does not
exist (31 August − 6 months = 29 February in a leap year). The coverage measures
(``outcomes.coverage_measures``) use the same window.
"""

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

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
)

CURRENT_MONTHS = 6
PARTICIPANT_MAX = 40  # characters of one participant role; the roles are short words

Record = TypeVar("Record", bound=models.Model)


def months_before(day: date, months: int) -> date:
    """``day`` moved back ``months`` calendar months, keeping the day of the month or, when that
    day does not exist, taking the month's last day."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_current(day: date | None, *, on: date) -> bool:
    """Whether ``day`` lies within the ``CURRENT_MONTHS`` months up to and including ``on``."""
    return day is not None and months_before(on, CURRENT_MONTHS) <= day <= on


def _check_order(start: date | None, end: date | None, *, end_field: str, start_label: str) -> None:
    if start is not None and end is not None and end < start:
        raise ValidationError({end_field: f"This date is before the {start_label} ({start:%d %b %Y})."})


def _save(record: Record, acting_user) -> Record:
    record.recorded_by = acting_user if getattr(acting_user, "pk", None) else None  # type: ignore[attr-defined]
    record.full_clean()
    from outcomes.services import mark_record_stale  # outcomes reads this module: imported late

    mark_record_stale(record=record, reason="Practice record written")
    record._history_user = acting_user if getattr(acting_user, "pk", None) else None  # type: ignore[attr-defined]
    record.save()
    return record


def _update(record: Record, *, allowed: Iterable[str], fields: dict[str, Any]) -> Record:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"{type(record).__name__} cannot change {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(record, name, value)
    return record


def participants_clean(values: Iterable[str] | str | None) -> list[str]:
    """Roles who took part, trimmed and lower-cased, each once, in the order given; a string is
    split on commas, semicolons or vertical bars."""
    if values is None:
        return []
    if isinstance(values, str):
        for separator in ";|":
            values = values.replace(separator, ",")
        values = values.split(",")
    seen: list[str] = []
    for value in values:
        role = " ".join(str(value).split()).lower()[:PARTICIPANT_MAX]
        if role and role not in seen:
            seen.append(role)
    return seen


# --- maps ------------------------------------------------------------------------------------


@transaction.atomic
def safety_map_add(*, child: Child, mapped_on: date, with_family: bool = True, acting_user) -> SafetyMap:
    """Record that the case was mapped on ``mapped_on``; the latest map is the current one."""
    return _save(SafetyMap(child=child, mapped_on=mapped_on, with_family=with_family), acting_user)


@transaction.atomic
def safety_map_update(*, safety_map: SafetyMap, acting_user, **fields: Any) -> SafetyMap:
    """Change ``mapped_on`` or ``with_family``."""
    _update(safety_map, allowed={"mapped_on", "with_family"}, fields=fields)
    return _save(safety_map, acting_user)


# --- danger statements and their safety goals ------------------------------------------------


def _danger_checked(statement: DangerStatement) -> DangerStatement:
    statement.statement = statement.statement.strip()
    statement.safety_goal = statement.safety_goal.strip()
    _check_order(statement.written_on, statement.closed_on, end_field="closed_on", start_label="date written")
    return statement


@transaction.atomic
def danger_statement_add(
    *,
    child: Child,
    statement: str,
    written_on: date,
    safety_goal: str = "",
    closed_on: date | None = None,
    acting_user,
) -> DangerStatement:
    """A danger statement with its safety goal (the goal may follow later, by an update)."""
    row = DangerStatement(
        child=child, statement=statement, safety_goal=safety_goal, written_on=written_on, closed_on=closed_on
    )
    return _save(_danger_checked(row), acting_user)


@transaction.atomic
def danger_statement_update(
    *, danger_statement: DangerStatement, acting_user, **fields: Any
) -> DangerStatement:
    """Change the statement, its safety goal, the date written or the date it was closed
    (``closed_on``: the danger no longer applies)."""
    _update(
        danger_statement,
        allowed={"statement", "safety_goal", "written_on", "closed_on"},
        fields=fields,
    )
    return _save(_danger_checked(danger_statement), acting_user)


# --- scaling -----------------------------------------------------------------------------------


def _scaling_checked(scaling: Scaling) -> Scaling:
    statement = scaling.danger_statement
    if statement is not None and statement.child_id != scaling.child_id:
        raise ValidationError({"danger_statement": "This danger statement belongs to another child."})
    if scaling.value is not None and not 0 <= scaling.value <= 10:
        raise ValidationError({"value": "A safety scale runs from 0 to 10."})
    scaling.rationale = scaling.rationale.strip()
    return scaling


@transaction.atomic
def scaling_add(
    *,
    child: Child,
    respondent: str,
    value: int,
    scaled_on: date,
    danger_statement: DangerStatement | None = None,
    rationale: str = "",
    acting_user,
) -> Scaling:
    """One respondent's 0–10 judgement on one date: of ``danger_statement``, or the overall safety
    scale when it is None."""
    row = Scaling(
        child=child,
        danger_statement=danger_statement,
        respondent=respondent,
        value=value,
        scaled_on=scaled_on,
        rationale=rationale,
    )
    return _save(_scaling_checked(row), acting_user)


@transaction.atomic
def scaling_update(*, scaling: Scaling, acting_user, **fields: Any) -> Scaling:
    """Change the value, the date, the respondent or the rationale."""
    _update(scaling, allowed={"value", "scaled_on", "respondent", "rationale"}, fields=fields)
    return _save(_scaling_checked(scaling), acting_user)


# --- the safety network ------------------------------------------------------------------------


def _member_checked(member: NetworkMember) -> NetworkMember:
    member.relationship = member.relationship.strip()
    member.role = member.role.strip()
    _check_order(member.joined_on, member.left_on, end_field="left_on", start_label="date joined")
    return member


@transaction.atomic
def network_member_add(
    *,
    child: Child,
    relationship: str,
    joined_on: date,
    role: str = "",
    left_on: date | None = None,
    acting_user,
) -> NetworkMember:
    """A member of the child's safety network, by relationship and role (never by name)."""
    row = NetworkMember(
        child=child, relationship=relationship, role=role, joined_on=joined_on, left_on=left_on
    )
    return _save(_member_checked(row), acting_user)


@transaction.atomic
def network_member_update(*, member: NetworkMember, acting_user, **fields: Any) -> NetworkMember:
    """Change the relationship, the role, or the dates joined and left (``left_on``)."""
    _update(member, allowed={"relationship", "role", "joined_on", "left_on"}, fields=fields)
    return _save(_member_checked(member), acting_user)


# --- the safety plan ---------------------------------------------------------------------------


def _plan_checked(plan: SafetyPlan) -> SafetyPlan:
    _check_order(plan.agreed_on, plan.reviewed_on, end_field="reviewed_on", start_label="date agreed")
    return plan


@transaction.atomic
def safety_plan_add(
    *,
    child: Child,
    agreed_on: date,
    reviewed_on: date | None = None,
    family_owned: bool = True,
    acting_user,
) -> SafetyPlan:
    """A safety plan agreed on ``agreed_on`` (and last reviewed on ``reviewed_on``)."""
    row = SafetyPlan(child=child, agreed_on=agreed_on, reviewed_on=reviewed_on, family_owned=family_owned)
    return _save(_plan_checked(row), acting_user)


@transaction.atomic
def safety_plan_update(*, plan: SafetyPlan, acting_user, **fields: Any) -> SafetyPlan:
    """Change the dates agreed and last reviewed (``reviewed_on``), or whether the family owns it."""
    _update(plan, allowed={"agreed_on", "reviewed_on", "family_owned"}, fields=fields)
    return _save(_plan_checked(plan), acting_user)


# --- the child's voice -------------------------------------------------------------------------


@transaction.atomic
def voice_record_add(*, child: Child, tool: str, used_on: date, acting_user) -> ChildVoiceRecord:
    """A child's-voice tool (Three Houses, Words and Pictures, Wizard and Fairy, Safety House) used
    with the child on ``used_on``."""
    return _save(ChildVoiceRecord(child=child, tool=tool, used_on=used_on), acting_user)


@transaction.atomic
def voice_record_update(*, record: ChildVoiceRecord, acting_user, **fields: Any) -> ChildVoiceRecord:
    """Change the tool or the date used."""
    _update(record, allowed={"tool", "used_on"}, fields=fields)
    return _save(record, acting_user)


# --- conferences -------------------------------------------------------------------------------


@transaction.atomic
def conference_add(
    *,
    child: Child,
    held_on: date,
    format: str,
    kind: str = "review",
    participants: Iterable[str] | str | None = None,
    acting_user,
) -> Conference:
    """A conference or network meeting, participatory or traditional, with the roles who took part."""
    row = Conference(
        child=child, held_on=held_on, format=format, kind=kind, participants=participants_clean(participants)
    )
    return _save(row, acting_user)


@transaction.atomic
def conference_update(*, conference: Conference, acting_user, **fields: Any) -> Conference:
    """Change the date, kind, format or participants."""
    if "participants" in fields:
        fields["participants"] = participants_clean(fields["participants"])
    _update(
        conference,
        allowed={"held_on", "kind", "format", "participants"},
        fields=fields,
    )
    return _save(conference, acting_user)


# --- reads -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    day: date
    value: int


@dataclass(frozen=True)
class Trend:
    """One respondent's scaling of one danger statement (or the overall scale) over time."""

    respondent: str
    points: tuple[TrendPoint, ...]

    @property
    def label(self) -> str:
        return Respondent(self.respondent).label if self.respondent in Respondent.values else self.respondent

    @property
    def latest(self) -> TrendPoint:
        return self.points[-1]

    @property
    def change(self) -> int:
        """Latest value minus the first (0 with a single point)."""
        return self.points[-1].value - self.points[0].value

    def sparkline(self, *, width: int = 120, height: int = 28, pad: int = 3) -> str:
        """SVG polyline points on a fixed 0–10 vertical scale, spaced evenly in time order."""
        steps = max(len(self.points) - 1, 1)
        usable_w, usable_h = width - 2 * pad, height - 2 * pad
        coordinates = []
        for index, point in enumerate(self.points):
            x = pad + (usable_w * index / steps if len(self.points) > 1 else usable_w / 2)
            y = pad + usable_h * (10 - point.value) / 10
            coordinates.append(f"{x:.1f},{y:.1f}")
        return " ".join(coordinates)


def scaling_trends(scalings: Iterable[Scaling]) -> dict[int | None, list[Trend]]:
    """Scalings grouped by danger statement (None: the overall scale) and respondent, each trend
    in date order; respondents in the order parent, child, worker, network member."""
    grouped: dict[int | None, dict[str, list[TrendPoint]]] = defaultdict(lambda: defaultdict(list))
    for scaling in sorted(scalings, key=lambda s: (s.scaled_on, s.pk or 0)):
        grouped[scaling.danger_statement_id][scaling.respondent].append(
            TrendPoint(scaling.scaled_on, scaling.value)
        )
    order = {value: index for index, value in enumerate(Respondent.values)}
    return {
        statement_id: [
            Trend(respondent, tuple(points))
            for respondent, points in sorted(by_respondent.items(), key=lambda item: order.get(item[0], 99))
        ]
        for statement_id, by_respondent in grouped.items()
    }


@dataclass(frozen=True)
class StatementWithTrends:
    statement: DangerStatement
    trends: list[Trend]


@dataclass
class PracticeRecordView:
    """Everything the practice page shows for one child."""

    child: Child
    maps: list[SafetyMap]
    statements: list[StatementWithTrends]
    overall: list[Trend]
    network: list[NetworkMember]
    plans: list[SafetyPlan]
    voice: list[ChildVoiceRecord]
    conferences: list[Conference]
    today: date = field(default_factory=timezone.localdate)

    @property
    def current_map(self) -> SafetyMap | None:
        """The latest map, whatever its age (``map_is_current`` says whether it is recent)."""
        return self.maps[0] if self.maps else None

    @property
    def map_is_current(self) -> bool:
        return self.current_map is not None and is_current(self.current_map.mapped_on, on=self.today)

    @property
    def current_plan(self) -> SafetyPlan | None:
        return self.plans[0] if self.plans else None

    @property
    def open_statements(self) -> list[StatementWithTrends]:
        return [item for item in self.statements if item.statement.closed_on is None]

    @property
    def active_network(self) -> list[NetworkMember]:
        return [member for member in self.network if member.left_on is None or member.left_on > self.today]


def current_map(*, child: Child) -> SafetyMap | None:
    """The child's latest map (by date mapped, then the latest recorded)."""
    return SafetyMap.objects.filter(child=child).order_by("-mapped_on", "-pk").first()


def practice_record(*, child: Child, today: date | None = None) -> PracticeRecordView:
    """The child's practice record, in seven queries whatever its size."""
    scalings = list(Scaling.objects.filter(child=child))
    trends = scaling_trends(scalings)
    statements = [
        StatementWithTrends(statement, trends.get(statement.pk, []))
        for statement in DangerStatement.objects.filter(child=child).select_related("recorded_by")
    ]
    return PracticeRecordView(
        child=child,
        maps=list(SafetyMap.objects.filter(child=child).order_by("-mapped_on", "-pk")),
        statements=statements,
        overall=trends.get(None, []),
        network=list(NetworkMember.objects.filter(child=child)),
        plans=list(SafetyPlan.objects.filter(child=child).order_by("-agreed_on", "-pk")),
        voice=list(ChildVoiceRecord.objects.filter(child=child).order_by("-used_on", "-pk")),
        conferences=list(Conference.objects.filter(child=child).order_by("-held_on", "-pk")),
        today=today or timezone.localdate(),
    )
