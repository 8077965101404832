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

Each function runs a fixed number of queries, whatever the number of children. Coverage, per
period type: the distinct period ends; then one query that works out the open cases at each period
end in a subquery (SELECT DISTINCT over the open referrals, plans and episodes joined to the
reporting periods whose end falls within them: an interval join, nothing written) and counts
them, grouped by authority, team and period, looking up each child's practice records by index.
The authority totals are the sums of its teams' (a child has one team). Conferences: one query
for every period type. Inside ``open_cases_once`` (the jobs) that query counts all five coverage
numerators at once, and the five measures share its answer.

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

import operator
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import reduce

from django.db import connection, models
from django.db.models import (
    BooleanField,
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
from outcomes.case_measures import (
    Counts,
    Every,
    _monthly,
    of_grouping,
    one_period_type,
    with_authority_totals,
)
from outcomes.models import OpenCase, ReportingPeriod
from outcomes.periods import PeriodType, period_start, period_start_of_key
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
    return records.order_by().values(
        **{
            f"open_{name}": F(path)
            for name, path in (
                ("child", "child_id"),
                ("authority", "child__authority_id"),
                ("team", "child__team_id"),
                ("type", f"child__{PERIOD_TYPE}"),
                ("start", f"child__{PERIOD_START}"),
                ("end", f"child__{PERIOD_END}"),
            )
        }
    )


def _open_cases_sql(period_type: str, authority_ids: list[int] | None, cut: date | None) -> tuple[str, tuple]:
    """SQL (and its parameters) of the open cases at each period end, distinct per child, with the
    columns of ``OpenCase``: the union of open referrals, plans and episodes. The SELECTs are the
    ORM's; only the DISTINCT around them is written here, in SQL that SQLite and PostgreSQL both run."""
    parts = [
        _open_records(Referral, "referral_date", "closure_date", period_type, authority_ids, cut),
        _open_records(CPPlan, "start_date", "end_date", period_type, authority_ids, cut),
        _open_records(CareEpisode, "start_date", "end_date", period_type, authority_ids, cut),
    ]
    union = parts[0].union(*parts[1:], all=True)
    select, params = union.query.get_compiler(connection=connection).as_sql()
    quote = connection.ops.quote_name
    columns = ", ".join(
        f"{quote(f'open_{name}')} AS {quote(column)}"
        for name, column in (
            ("child", "id"),
            ("child", "child_id"),
            ("authority", "authority_id"),
            ("team", "team_id"),
            ("type", "period_type"),
            ("start", "period_start"),
            ("end", "period_end"),
        )
    )
    return f"SELECT DISTINCT {columns} FROM ({select}) open_records", tuple(params)


def _over_open_cases(queryset: QuerySet, open_cases: tuple[str, tuple]) -> tuple[str, tuple]:
    """The SQL of ``queryset`` (a query on ``OpenCase``) reading the open cases ``open_cases`` in
    place of the table: ``OpenCase`` has none, it only gives the ORM the columns to compile against."""
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    table = connection.ops.quote_name(OpenCase._meta.db_table)
    source = f"FROM {table}"
    if sql.count(source) != 1:
        raise RuntimeError(f"Expected one {source} in the coverage query")
    open_sql, open_params = open_cases
    before, after = sql.split(source)
    # The open cases come first in the FROM clause: their parameters go between the SELECT list's and the rest.
    select_params = before.count("%s")
    return (
        f"{before}FROM ({open_sql}) {table}{after}",
        (*params[:select_params], *open_params, *params[select_params:]),
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
    """Within the block, the first coverage measure asked for a period type, authorities and
    ``since`` counts every coverage numerator in the same query (the open cases at each period end
    worked out once), and the other coverage measures read its answer."""
    token = _COUNTED.set({})
    try:
        yield
    finally:
        _COUNTED.reset(token)


def _counted(hit: str, period_type: str, authority_ids: list[int] | None, since: date | None) -> Counts:
    """Open cases at each period end (the denominator) and those of them with the practice-record
    tool ``hit`` (a key of ``HITS``), for the authorities and their teams. Inside
    ``open_cases_once`` one query counts every tool and the answer is kept for the others."""
    counted = _COUNTED.get()
    if counted is None:
        return _coverage_counts((hit,), period_type, authority_ids, since)[hit]
    key = (period_type, None if authority_ids is None else tuple(sorted(authority_ids)), since)
    if key not in counted:
        counted[key] = _coverage_counts(tuple(HITS), period_type, authority_ids, since)
    return counted[key][hit]


def _coverage_one(hit: str) -> Callable[..., Counts]:
    def compute(
        *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
    ) -> Counts:
        return of_grouping(_counted(hit, period_type, authority_ids, since), by_team=by_team)

    compute.__name__ = f"coverage_{hit}"
    return compute


def _coverage_every(hit: str) -> Callable[..., Every]:
    def every(*, authority_ids: list[int] | None, since: date | None = None) -> Every:
        return {period_type: _counted(hit, period_type, authority_ids, since) for period_type in PeriodType}

    every.__name__ = f"coverage_{hit}_every"
    return every


def _coverage_counts(
    hits: tuple[str, ...],
    period_type: str,
    authority_ids: list[int] | None,
    since: date | None,
) -> dict[str, Counts]:
    """The open cases at each period end (``_open_cases_sql``) counted in one query,
    grouped by authority, team and period, with a conditional count per tool of ``hits`` (each a
    subquery on the outer child ("child_id"), period end ("at") and window start ("since"))
    looking up the child's practice records by index; the authority totals are the sums of its
    teams' (``with_authority_totals``: a child has one team)."""
    window_start = _window_start(period_type, authority_ids, since)
    if window_start is None:
        return {name: {} for name in hits}
    cut = None if since is None else period_start(period_type, since)
    # The tools are looked up only for children with a practice record at all (each table's
    # children hashed once): most open cases of an authority new to recording have none.
    practiced = reduce(
        operator.or_,
        (Q(child_id__in=model._default_manager.values("child_id")) for model in PRACTICE_TABLES),
    )
    children = (
        OpenCase.objects.annotate(at=F("period_end"), starts=F("period_start"), since=window_start)
        .annotate(
            **{
                f"hit_{name}": Case(
                    When(practiced, then=HITS[name]()), default=Value(False), output_field=BooleanField()
                )
                for name in hits
            }
        )
        .order_by()
        .values(g_authority=F("authority_id"), g_team=F("team_id"), g_period=F("starts"))
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
    sql, params = _over_open_cases(children, _open_cases_sql(period_type, authority_ids, cut))
    names = ["g_authority", "g_team", "g_period", "g_denominator", *(f"g_{name}" for name in hits)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {
        name: with_authority_totals(
            (
                row["g_authority"],
                row["g_team"],
                period_start_of_key(period_type, row["g_period"]),
                row[f"g_{name}"] or 0,
                row["g_denominator"],
            )
            for row in rows
        )
        for name in hits
    }


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


# The tables the tools are looked up in (a child with a row in none has none of the tools).
PRACTICE_TABLES: tuple[type[models.Model], ...] = (
    SafetyMap,
    DangerStatement,
    ChildVoiceRecord,
    NetworkMember,
    SafetyPlan,
)

# The practice-record tools the coverage measures look for, by name.
HITS: dict[str, Callable[[], Exists]] = {
    "map": _has_map,
    "danger_goals": _has_danger_goal,
    "childs_voice": _has_voice_tool,
    "network": _has_network,
    "safety_plan": _has_safety_plan,
}


def participatory_conferences_every(*, authority_ids: list[int] | None, since: date | None = None) -> Every:
    return _monthly(
        Conference.objects.all(),
        day_field="held_on",
        authority_ids=authority_ids,
        hit=Q(format="participatory"),
        since=since,
    )


# The per-call form (one period type, authorities or their teams), as the case measures have it.
coverage_map = _coverage_one("map")
coverage_danger_goals = _coverage_one("danger_goals")
coverage_childs_voice = _coverage_one("childs_voice")
coverage_network = _coverage_one("network")
coverage_safety_plan = _coverage_one("safety_plan")
participatory_conferences = one_period_type(participatory_conferences_every)


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
        compute_every=_coverage_every("map"),
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
        compute_every=_coverage_every("danger_goals"),
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
        compute_every=_coverage_every("childs_voice"),
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
        compute_every=_coverage_every("network"),
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
        compute_every=_coverage_every("safety_plan"),
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
        compute_every=participatory_conferences_every,
    )
)

# The measures of this module: a practice record written makes only these stale
# (``outcomes.services.measures_stale_by``).
MEASURE_KEYS = tuple(key for key in MEASURES if key not in _REGISTERED_BEFORE)
