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

Each function runs a fixed number of queries, whatever the number of children. Coverage: the
distinct period ends; the open cases at each period end rewritten into the work table ``OpenCase``
by an interval join (a DELETE and one INSERT … SELECT DISTINCT over the open referrals, plans and
episodes joined to the reporting periods whose end falls within them); then one grouped query over
the open cases, looking up each child's practice records by index. Conferences: one query. Inside
``open_cases_once`` (the jobs) the open cases are stored once per period type, authorities and
``since``, and one grouped query counts all five coverage numerators for the five measures.

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

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

from django.db import connection, models
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
from outcomes.models import OpenCase, ReportingPeriod
from outcomes.periods import period_start, period_start_of_key
from outcomes.registry import MEASURES, Measure, register

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


def _open_records(
    model: type[models.Model],
    start: str,
    end: str,
    period_type: str,
    authority_ids: list[int] | None,
    cut: date | None,
) -> QuerySet:
    """(child, authority, team, period type, period start, period end) for each record of ``model``
    open at the end of one of its child's authority's periods: started on or before it, not ended
    (``end`` empty) or ended after it. An interval join on the period ends (index
    ``reporting_period_ends``); the conditions on the periods are in one filter() so that they
    apply to the same joined row."""
    at = F(f"child__{PERIOD_END}")
    periods: dict[str, object] = {f"child__{PERIOD_TYPE}": period_type, f"{start}__lte": at}
    if cut is not None:
        periods[f"child__{PERIOD_START}__gte"] = cut
    records = model._default_manager.filter(
        Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gt": at}), **periods
    )
    if authority_ids is not None:
        records = records.filter(child__authority_id__in=authority_ids)
    return records.order_by().values_list(
        "child_id",
        "child__authority_id",
        "child__team_id",
        f"child__{PERIOD_TYPE}",
        f"child__{PERIOD_START}",
        f"child__{PERIOD_END}",
    )


def open_cases_store(*, period_type: str, authority_ids: list[int] | None, since: date | None = None) -> None:
    """Rewrite the ``OpenCase`` rows of the authorities (every authority when None) for the periods
    of ``period_type`` from the one containing ``since`` (all when None): one DELETE and one
    INSERT … SELECT DISTINCT over the union of open referrals, plans and episodes. The SELECT is
    the ORM's; only the INSERT around it is written here (the ORM has no INSERT … SELECT), in SQL
    that SQLite and PostgreSQL both run."""
    cut = None if since is None else period_start(period_type, since)
    stale = OpenCase.objects.filter(period_type=period_type)
    if authority_ids is not None:
        stale = stale.filter(authority_id__in=authority_ids)
    if cut is not None:
        stale = stale.filter(period_start__gte=cut)
    stale.delete()
    parts = [
        _open_records(Referral, "referral_date", "closure_date", period_type, authority_ids, cut),
        _open_records(CPPlan, "start_date", "end_date", period_type, authority_ids, cut),
        _open_records(CareEpisode, "start_date", "end_date", period_type, authority_ids, cut),
    ]
    union = parts[0].union(*parts[1:], all=True)
    select, params = union.query.get_compiler(connection=connection).as_sql()
    quote = connection.ops.quote_name
    column = {field.name: field.column for field in OpenCase._meta.concrete_fields}
    columns = ", ".join(
        quote(column[name])
        for name in ("child", "authority", "team", "period_type", "period_start", "period_end")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(OpenCase._meta.db_table)} ({columns}) "
            f"SELECT DISTINCT * FROM ({select}) open_records",
            params,
        )


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
        *(When(period_end=end, then=Value(months_before(end, CURRENT_MONTHS))) for end in ends),
        output_field=DateField(),
    )


# The coverage counts worked out so far in this job (``open_cases_once``), by the arguments asked for.
_COUNTED: ContextVar[dict[tuple, dict[str, Counts]] | None] = ContextVar("outcomes_open_cases", default=None)


@contextmanager
def open_cases_once() -> Iterator[None]:
    """Within the block, the first coverage measure asked for a period type, authorities, grouping
    and ``since`` counts every coverage numerator in the same query (the open cases at each
    period end worked out once), and the other coverage measures read its answer."""
    token = _COUNTED.set({})
    try:
        yield
    finally:
        _COUNTED.reset(token)


def _coverage(
    hit: str,
    *,
    period_type: str,
    authority_ids: list[int] | None,
    by_team: bool,
    since: date | None = None,
) -> Counts:
    """Open cases at each period end (the denominator) and those of them with the practice-record
    tool ``hit`` (a key of ``HITS``). With ``since``, only the periods from the one containing it.
    Inside ``open_cases_once`` one query counts every tool and the answer is kept for the others."""
    counted = _COUNTED.get()
    if counted is None:
        return _coverage_counts((hit,), period_type, authority_ids, by_team, since)[hit]
    key = (period_type, None if authority_ids is None else tuple(sorted(authority_ids)), by_team, since)
    if key not in counted:
        counted[key] = _coverage_counts(tuple(HITS), period_type, authority_ids, by_team, since)
    return counted[key][hit]


def _coverage_counts(
    hits: tuple[str, ...],
    period_type: str,
    authority_ids: list[int] | None,
    by_team: bool,
    since: date | None,
) -> dict[str, Counts]:
    """The open cases at each period end stored (``open_cases_store``), then one query over them,
    grouped by authority (and team) and period, with a conditional count per tool of ``hits``
    (each a subquery on the outer child ("child_id"), period end ("at") and window start
    ("since")) looking up the child's practice records by index."""
    window_start = _window_start(period_type, authority_ids, since)
    if window_start is None:
        return {name: {} for name in hits}
    stored = (period_type, None if authority_ids is None else tuple(sorted(authority_ids)), since)
    counted = _COUNTED.get()
    if counted is None or stored not in counted:
        open_cases_store(period_type=period_type, authority_ids=authority_ids, since=since)
        if counted is not None:
            counted[stored] = {}  # stored once in this job, for both groupings
    cases: QuerySet = OpenCase.objects.filter(period_type=period_type)
    if since is not None:
        cases = cases.filter(period_start__gte=period_start(period_type, since))
    if authority_ids is not None:
        cases = cases.filter(authority_id__in=authority_ids)
    group = {"g_authority": F("authority_id")}
    if by_team:
        cases = cases.filter(team__isnull=False)
        group["g_team"] = F("team_id")
    children = cases.annotate(at=F("period_end"), starts=F("period_start"), since=window_start).annotate(
        **{f"hit_{name}": HITS[name]() for name in hits}
    )
    rows = (
        children.order_by()
        .values(**group, g_period=F("starts"))
        .annotate(
            g_denominator=Count("pk"),
            **{
                f"g_{name}": Sum(
                    Case(
                        When(**{f"hit_{name}": True}, then=Value(1)),
                        default=Value(0),
                        output_field=IntegerField(),
                    )
                )
                for name in hits
            },
        )
    )
    counts: dict[str, Counts] = {name: {} for name in hits}
    for row in rows:
        key = (row["g_authority"], row.get("g_team"), period_start_of_key(period_type, row["g_period"]))
        for name in hits:
            counts[name][key] = (row[f"g_{name}"] or 0, row["g_denominator"])
    return counts


def _current(field: str) -> dict:
    return {f"{field}__gte": OuterRef("since"), f"{field}__lte": OuterRef("at")}


def _has_map() -> Exists:
    return Exists(SafetyMap.objects.filter(child=OuterRef("child_id"), **_current("mapped_on")))


def _has_danger_goal() -> Exists:
    return Exists(
        DangerStatement.objects.filter(
            Q(closed_on__isnull=True) | Q(closed_on__gt=OuterRef("at")),
            child=OuterRef("child_id"),
            written_on__lte=OuterRef("at"),
        ).exclude(safety_goal="")
    )


def _has_voice_tool() -> Exists:
    return Exists(ChildVoiceRecord.objects.filter(child=OuterRef("child_id"), **_current("used_on")))


def _has_network() -> Exists:
    return Exists(
        NetworkMember.objects.filter(
            Q(left_on__isnull=True) | Q(left_on__gt=OuterRef("at")),
            child=OuterRef("child_id"),
            joined_on__lte=OuterRef("at"),
        )
    )


def _has_safety_plan() -> Exists:
    return Exists(
        SafetyPlan.objects.filter(
            Q(agreed_on__gte=OuterRef("since")) | Q(**_current("reviewed_on")),
            child=OuterRef("child_id"),
            agreed_on__lte=OuterRef("at"),
        )
    )


# The practice-record tools the coverage measures look for, by name.
HITS: dict[str, Callable[[], Exists]] = {
    "map": _has_map,
    "danger_goals": _has_danger_goal,
    "childs_voice": _has_voice_tool,
    "network": _has_network,
    "safety_plan": _has_safety_plan,
}


def coverage_map(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    return _coverage(
        "map", period_type=period_type, authority_ids=authority_ids, by_team=by_team, since=since
    )


def coverage_danger_goals(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    return _coverage(
        "danger_goals", period_type=period_type, authority_ids=authority_ids, by_team=by_team, since=since
    )


def coverage_childs_voice(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    return _coverage(
        "childs_voice", period_type=period_type, authority_ids=authority_ids, by_team=by_team, since=since
    )


def coverage_network(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    return _coverage(
        "network", period_type=period_type, authority_ids=authority_ids, by_team=by_team, since=since
    )


def coverage_safety_plan(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    return _coverage(
        "safety_plan", period_type=period_type, authority_ids=authority_ids, by_team=by_team, since=since
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


_REGISTERED_BEFORE = set(MEASURES)

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

# The measures of this module: a practice record written makes only these stale
# (``outcomes.services.measures_stale_by``).
MEASURE_KEYS = tuple(key for key in MEASURES if key not in _REGISTERED_BEFORE)
