"""Signs of Safety practice coverage measures, from the practice record of open cases (registered in
outcomes.registry).

The coverage measures count, at the end of each period of the authority's ``ReportingPeriod`` rows,
the **open cases**: children with a referral (CIN episode), a child protection plan or a
looked-after episode open on that date (started on or before it, and not ended, or ended after
it). Of those, the numerator counts the children whose practice record shows the tool in use on
that date:

- ``coverage_map``: a map dated within the 6 months up to the period end (``cases.practice``:
  the period end moved back 6 months, same day or the month's last day, inclusive);
- ``coverage_danger_goals``: a danger statement written on or before the period end, not closed
  by then (no closing date, or one after the period end), with a safety goal;
- ``coverage_childs_voice``: a child's-voice tool used within the 6 months;
- ``coverage_network``: a safety network member who joined on or before the period end and had not
  left by then (no leaving date, or one after the period end);
- ``coverage_safety_plan``: a safety plan agreed on or before the period end, and agreed or
  reviewed within the 6 months.

``participatory_conferences`` is the share of conferences held in the period that were
participatory.

Each function runs a fixed number of queries (two for coverage: the distinct period ends, then one
grouped query joining children to the reporting periods; one for conferences).

With ``since`` a measure answers only the periods from the one containing it (the incremental
job). Every measure here looks backwards from the period end, so a record whose earliest date
(before or after a change) is ``d`` only changes periods ending on or after ``d``: a case is open
at a period end only if its referral, plan or episode started on or before it (an end or closure
date is after the start); a map or child's-voice tool counts at the period ends of the 6 months
from its date; a danger statement, network member or safety plan counts from the date written,
joined or agreed (its closing, leaving or review date is after that); a conference counts in the
period it was held. ``RECORD_MODELS`` are the practice-record rows these measures read: writing
one marks its authority stale from its earliest date (``outcomes.services.mark_record_stale``).
"""

from collections.abc import Callable
from datetime import date

from django.db import models
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from cases.models import (
    CareEpisode,
    Child,
    ChildVoiceRecord,
    Conference,
    CPPlan,
    DangerStatement,
    NetworkMember,
    Referral,
    SafetyMap,
    SafetyPlan,
)
from cases.practice import CURRENT_MONTHS, months_before
from outcomes.case_measures import Counts, _grouped
from outcomes.models import ReportingPeriod
from outcomes.periods import period_start, period_start_of_key
from outcomes.registry import Measure, register

PERIOD_END = "authority__reporting_periods__period_end"
PERIOD_START = "authority__reporting_periods__period_start"
PERIOD_TYPE = "authority__reporting_periods__period_type"

# The practice-record rows the coverage measures read (scalings are not among them).
RECORD_MODELS: tuple[type[models.Model], ...] = (
    SafetyMap,
    DangerStatement,
    ChildVoiceRecord,
    NetworkMember,
    SafetyPlan,
    Conference,
)


def _open_at_period_end() -> Q:
    """An open referral, CP plan or looked-after episode on the outer row's period end."""
    at = OuterRef("at")
    open_referral = Referral.objects.filter(
        Q(closure_date__isnull=True) | Q(closure_date__gt=at), child=OuterRef("pk"), referral_date__lte=at
    )
    open_plan = CPPlan.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gt=at), child=OuterRef("pk"), start_date__lte=at
    )
    open_episode = CareEpisode.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gt=at), child=OuterRef("pk"), start_date__lte=at
    )
    return Q(Exists(open_referral)) | Q(Exists(open_plan)) | Q(Exists(open_episode))


def _window_start(period_type: str, authority_ids: list[int] | None, since: date | None) -> Case | None:
    """The start of the current window for each period end, as a CASE over the distinct period
    ends (a handful per period type): month arithmetic with the last-day rule is not portable SQL."""
    periods = ReportingPeriod.objects.filter(period_type=period_type)
    if authority_ids is not None:
        periods = periods.filter(authority_id__in=authority_ids)
    if since is not None:
        periods = periods.filter(period_start__gte=period_start(period_type, since))
    ends = sorted(set(periods.values_list("period_end", flat=True)))
    if not ends:
        return None
    return Case(
        *(When(**{PERIOD_END: end}, then=Value(months_before(end, CURRENT_MONTHS))) for end in ends),
        output_field=DateField(),
    )


def _coverage(
    hit: Callable[[], Exists],
    *,
    period_type: str,
    authority_ids: list[int] | None,
    by_team: bool,
    since: date | None = None,
) -> Counts:
    """Open cases at each period end (the denominator) and those of them for which ``hit()``, a
    subquery on the outer child ("pk"), period end ("at") and window start ("since"), exists.
    With ``since``, only the periods from the one containing it."""
    window_start = _window_start(period_type, authority_ids, since)
    if window_start is None:
        return {}
    # The conditions on the periods go in one filter() so that they apply to the same joined row.
    periods: dict[str, object] = {PERIOD_TYPE: period_type}
    if since is not None:
        periods[f"{PERIOD_START}__gte"] = period_start(period_type, since)
    children: QuerySet = Child.objects.filter(**periods)
    if authority_ids is not None:
        children = children.filter(authority_id__in=authority_ids)
    group = {"g_authority": F("authority_id")}
    if by_team:
        children = children.filter(team__isnull=False)
        group["g_team"] = F("team_id")
    children = (
        children.annotate(at=F(PERIOD_END), starts=F(PERIOD_START), since=window_start)
        .filter(_open_at_period_end())
        .annotate(hit=hit())
    )
    rows = (
        children.order_by()
        .values(**group, g_period=F("starts"))
        .annotate(
            g_denominator=Count("pk"),
            g_numerator=Sum(
                Case(When(hit=True, then=Value(1)), default=Value(0), output_field=IntegerField())
            ),
        )
    )
    return {
        (row["g_authority"], row.get("g_team"), period_start_of_key(period_type, row["g_period"])): (
            row["g_numerator"] or 0,
            row["g_denominator"],
        )
        for row in rows
    }


def _current(field: str) -> dict:
    return {f"{field}__gte": OuterRef("since"), f"{field}__lte": OuterRef("at")}


def _has_map() -> Exists:
    return Exists(SafetyMap.objects.filter(child=OuterRef("pk"), **_current("mapped_on")))


def _has_danger_goal() -> Exists:
    return Exists(
        DangerStatement.objects.filter(
            Q(closed_on__isnull=True) | Q(closed_on__gt=OuterRef("at")),
            child=OuterRef("pk"),
            written_on__lte=OuterRef("at"),
        ).exclude(safety_goal="")
    )


def _has_voice_tool() -> Exists:
    return Exists(ChildVoiceRecord.objects.filter(child=OuterRef("pk"), **_current("used_on")))


def _has_network() -> Exists:
    return Exists(
        NetworkMember.objects.filter(
            Q(left_on__isnull=True) | Q(left_on__gt=OuterRef("at")),
            child=OuterRef("pk"),
            joined_on__lte=OuterRef("at"),
        )
    )


def _has_safety_plan() -> Exists:
    return Exists(
        SafetyPlan.objects.filter(
            Q(agreed_on__gte=OuterRef("since")) | Q(**_current("reviewed_on")),
            child=OuterRef("pk"),
            agreed_on__lte=OuterRef("at"),
        )
    )


def coverage_map(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    return _coverage(
        _has_map, period_type=period_type, authority_ids=authority_ids, by_team=by_team, since=since
    )


def coverage_danger_goals(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    return _coverage(
        _has_danger_goal, period_type=period_type, authority_ids=authority_ids, by_team=by_team, since=since
    )


def coverage_childs_voice(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    return _coverage(
        _has_voice_tool, period_type=period_type, authority_ids=authority_ids, by_team=by_team, since=since
    )


def coverage_network(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    return _coverage(
        _has_network, period_type=period_type, authority_ids=authority_ids, by_team=by_team, since=since
    )


def coverage_safety_plan(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    return _coverage(
        _has_safety_plan, period_type=period_type, authority_ids=authority_ids, by_team=by_team, since=since
    )


def participatory_conferences(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    return _grouped(
        Conference.objects.all(),
        day_field="held_on",
        period_type=period_type,
        authority_ids=authority_ids,
        by_team=by_team,
        hit=Q(format="participatory"),
        since=since,
    )


OPEN_CASES = (
    "Open cases at the end of the period: children with a referral, a child protection plan or a "
    "looked-after episode started on or before it and not ended by then"
)

register(
    Measure(
        key="coverage_map",
        name="Open cases with a current map",
        kind="rate",
        numerator="Open cases at the end of the period with a map dated within the 6 months up to it",
        denominator=OPEN_CASES,
        direction="up",
        node="practice_fidelity.case_tools.map",
        compute=coverage_map,
    )
)
register(
    Measure(
        key="coverage_danger_goals",
        name="Open cases with danger statements and safety goals",
        kind="rate",
        numerator=(
            "Open cases at the end of the period with a danger statement written by then, not closed, "
            "that has a safety goal"
        ),
        denominator=OPEN_CASES,
        direction="up",
        node="practice_fidelity.case_tools.danger_statements",
        compute=coverage_danger_goals,
    )
)
register(
    Measure(
        key="coverage_childs_voice",
        name="Open cases with a child's-voice tool",
        kind="rate",
        numerator=(
            "Open cases at the end of the period where a child's-voice tool (Three Houses, Words and "
            "Pictures, Wizard and Fairy, Safety House) was used within the 6 months up to it"
        ),
        denominator=OPEN_CASES,
        direction="up",
        node="practice_fidelity.case_tools.childs_voice",
        compute=coverage_childs_voice,
    )
)
register(
    Measure(
        key="coverage_network",
        name="Open cases with a safety network",
        kind="rate",
        numerator=(
            "Open cases at the end of the period with at least one safety network member who had joined "
            "and not left by then"
        ),
        denominator=OPEN_CASES,
        direction="up",
        node="practice_fidelity.case_tools.network",
        compute=coverage_network,
    )
)
register(
    Measure(
        key="coverage_safety_plan",
        name="Open cases with a current safety plan",
        kind="rate",
        numerator=(
            "Open cases at the end of the period with a safety plan agreed by then, and agreed or "
            "reviewed within the 6 months up to it"
        ),
        denominator=OPEN_CASES,
        direction="up",
        node="practice_fidelity.case_tools.safety_plan",
        compute=coverage_safety_plan,
    )
)
register(
    Measure(
        key="participatory_conferences",
        name="Conferences held as participatory conferences",
        kind="rate",
        numerator="Conferences held in the period in the participatory format",
        denominator="Conferences held in the period",
        direction="up",
        node="practice_fidelity.processes.participatory_meetings",
        compute=participatory_conferences,
    )
)
