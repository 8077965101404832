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
"""

from collections.abc import Callable

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
from outcomes.periods import period_start_of_key
from outcomes.registry import Measure, register

PERIOD_END = "authority__reporting_periods__period_end"
PERIOD_START = "authority__reporting_periods__period_start"


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


def _window_start(period_type: str, authority_ids: list[int] | None) -> Case | None:
    """The start of the current window for each period end, as a CASE over the distinct period
    ends (a handful per period type): month arithmetic with the last-day rule is not portable SQL."""
    periods = ReportingPeriod.objects.filter(period_type=period_type)
    if authority_ids is not None:
        periods = periods.filter(authority_id__in=authority_ids)
    ends = sorted(set(periods.values_list("period_end", flat=True)))
    if not ends:
        return None
    return Case(
        *(When(**{PERIOD_END: end}, then=Value(months_before(end, CURRENT_MONTHS))) for end in ends),
        output_field=DateField(),
    )


def _coverage(
    hit: Callable[[], Exists], *, period_type: str, authority_ids: list[int] | None, by_team: bool
) -> Counts:
    """Open cases at each period end (the denominator) and those of them for which ``hit()``, a
    subquery on the outer child ("pk"), period end ("at") and window start ("since"), exists."""
    since = _window_start(period_type, authority_ids)
    if since is None:
        return {}
    children: QuerySet = Child.objects.filter(authority__reporting_periods__period_type=period_type)
    if authority_ids is not None:
        children = children.filter(authority_id__in=authority_ids)
    group = {"g_authority": F("authority_id")}
    if by_team:
        children = children.filter(team__isnull=False)
        group["g_team"] = F("team_id")
    children = (
        children.annotate(at=F(PERIOD_END), starts=F(PERIOD_START), since=since)
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


def coverage_map(*, period_type: str, authority_ids: list[int] | None, by_team: bool) -> Counts:
    return _coverage(_has_map, period_type=period_type, authority_ids=authority_ids, by_team=by_team)


def coverage_danger_goals(*, period_type: str, authority_ids: list[int] | None, by_team: bool) -> Counts:
    return _coverage(_has_danger_goal, period_type=period_type, authority_ids=authority_ids, by_team=by_team)


def coverage_childs_voice(*, period_type: str, authority_ids: list[int] | None, by_team: bool) -> Counts:
    return _coverage(_has_voice_tool, period_type=period_type, authority_ids=authority_ids, by_team=by_team)


def coverage_network(*, period_type: str, authority_ids: list[int] | None, by_team: bool) -> Counts:
    return _coverage(_has_network, period_type=period_type, authority_ids=authority_ids, by_team=by_team)


def coverage_safety_plan(*, period_type: str, authority_ids: list[int] | None, by_team: bool) -> Counts:
    return _coverage(_has_safety_plan, period_type=period_type, authority_ids=authority_ids, by_team=by_team)


def participatory_conferences(*, period_type: str, authority_ids: list[int] | None, by_team: bool) -> Counts:
    return _grouped(
        Conference.objects.all(),
        day_field="held_on",
        period_type=period_type,
        authority_ids=authority_ids,
        by_team=by_team,
        hit=Q(format="participatory"),
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
