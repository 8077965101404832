"""The case-activity measures of ``shared/spec/measures.md`` as set-based queries.

Each ``*_every`` function answers, for every period type (``Every``), a mapping ``(authority_id,
team_id, period_start) -> (numerator, denominator)`` for the periods that have at least one record
in the denominator, for the whole authorities (``team_id`` None) and for their teams (only children
with a team count there). For counts the denominator is the count itself and is not stored. The
measures that count a record in the period of one of its dates run one query, whatever the number
of children and periods: GROUP BY authority, team and month, with conditional aggregates,
correlated EXISTS subqueries and joins to ``outcomes.CalendarDay`` by primary key; the quarters,
years and authority totals are sums of those groups (``roll_up``), as a GROUP BY over grouping
sets would give, in SQL that SQLite runs too. ``kinship_share`` counts children at period ends,
one query per period type. The names without ``_every`` answer one period type and grouping, the
registry's per-call form (``one_period_type``).

With ``since`` (a date) a function answers only the periods that end on or after it, i.e. start on
or after ``period_start(period_type, since)``; the incremental job uses it. That is enough when a
record dated ``d`` changes (added, or one of its dates or fields changed, ``d`` being the earliest
of its dates before and after the change), because every measure only looks backwards in time:

- ``referrals``, ``cp_plan_starts``, ``cla_starts``: a record counts in the period of its own date.
- ``rereferrals_12m``: a referral counts in its own period; it can make *later* referrals (within a
  year after it) re-referrals, never earlier ones.
- ``repeat_cp_plans``: a plan counts in its own period; it makes *later* plans repeats.
- ``cp_plans_ended_2y``: counts in the period of the end date, which is on or after the start.
- ``assessments_45wd`` and ``icpc_15wd``: count in the period of the authorisation or conference
  date; the start date only decides the numerator, and ``d`` is the earliest of the record's dates.
- ``kinship_share``: an episode starting on ``d`` can only make a child looked after (and decide
  the placement) at period ends on or after ``d``; a changed end date is after the start.
"""

from collections.abc import Callable, Iterable, Iterator
from datetime import date

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractMonth, ExtractYear

from cases.models import Assessment, CareEpisode, Child, CPPlan, Referral, Section47
from outcomes.models import CalendarDay
from outcomes.periods import PeriodType, period_start, period_start_of_key

Counts = dict[tuple[int, int | None, date], tuple[int, int]]
Every = dict[str, Counts]  # period type -> Counts of the authorities (team None) and their teams

KINSHIP_PLACEMENTS = ("U1", "U2", "U3")
ASSESSMENT_WORKING_DAYS = 45
ICPC_WORKING_DAYS = 15


def _calendar(field: str, column: str) -> Subquery:
    """The calendar table's ``column`` for the day in the outer row's ``field``."""
    return Subquery(CalendarDay.objects.filter(day=OuterRef(field)).order_by().values(column)[:1])


def _monthly(
    queryset: QuerySet,
    *,
    day_field: str,
    authority_ids: list[int] | None,
    hit=None,
    child_path: str = "child__",
    since: date | None = None,
) -> Every:
    """Rows of ``queryset`` whose ``day_field`` is set, counted in one query per authority, team
    (children without a team in their own group) and month; ``hit`` (a condition) picks the
    numerator, all rows when None. Quarters, years and the whole authority are sums of those
    groups (``roll_up``). With ``since``, only the periods from the one containing it."""
    if authority_ids is not None:
        queryset = queryset.filter(**{f"{child_path}authority_id__in": authority_ids})
    rows = by_month(
        queryset,
        day=day_field,
        authority_field=f"{child_path}authority_id",
        team_field=f"{child_path}team_id",
        numerator=Count("pk") if hit is None else Sum(Case(When(hit, then=Value(1)), default=Value(0))),
        denominator=Count("pk"),
        since=since,
    )
    return roll_up(monthly_rows(rows), since=since)


def by_month(
    rows: QuerySet,
    *,
    day: str,
    authority_field: str,
    team_field: str,
    numerator,
    denominator,
    since: date | None,
) -> QuerySet:
    """``rows`` whose ``day`` (a date column or annotation) is set, from the financial year
    containing ``since`` (the earliest period any type needs), grouped by authority, team and
    month, with ``g_numerator`` and ``g_denominator``: what ``monthly_rows`` reads."""
    rows = rows.filter(**{f"{day}__isnull": False})
    if since is not None:
        rows = rows.filter(**{f"{day}__gte": period_start(PeriodType.YEAR, since)})
    return (
        rows.order_by()
        .values(g_authority=F(authority_field), g_team=F(team_field), **month_of(day))
        .annotate(g_numerator=numerator, g_denominator=denominator)
    )


def month_of(day: str) -> dict:
    """GROUP BY expressions of the month of the date ``day``: its year and month as numbers (cheaper
    to read back than a truncated timestamp, and the same on SQLite and PostgreSQL)."""
    return {"g_year": ExtractYear(day), "g_month": ExtractMonth(day)}


def monthly_rows(rows: Iterable[dict]) -> Iterator[tuple[int, int | None, date, int, int]]:
    """``roll_up``'s input from rows of ``by_month``."""
    months: dict[tuple[int, int], date] = {}
    for row in rows:
        at = (row["g_year"], row["g_month"])
        month = months.get(at) or months.setdefault(at, date(at[0], at[1], 1))
        yield row["g_authority"], row["g_team"], month, row["g_numerator"] or 0, row["g_denominator"] or 0


def roll_up(rows: Iterable[tuple[int, int | None, date, int, int]], *, since: date | None) -> Every:
    """Counts per (authority, team or None, month, numerator, denominator) summed into every period
    type (the months, the quarters and the financial years containing them) for each team and for
    the whole authority (every team's children and the children without a team). Exact for
    measures that count each record in the period of one of its dates."""
    cuts = {
        period_type: None if since is None else period_start(period_type, since) for period_type in PeriodType
    }
    every: Every = {period_type: {} for period_type in PeriodType}
    periods_of: dict[date, list[tuple[Counts, date]]] = {}
    for authority_id, team_id, month, numerator, denominator in rows:
        periods = periods_of.get(month)
        if periods is None:
            periods = periods_of[month] = [
                (every[period_type], start)
                for period_type in PeriodType
                if (start := period_start(period_type, month)) >= (cuts[period_type] or start)
            ]
        for counts, start in periods:
            _count(counts, authority_id, team_id, start, numerator, denominator)
    return every


def with_authority_totals(rows: Iterable[tuple[int, int | None, date, int, int]]) -> Counts:
    """Counts per (authority, team or None, period start, numerator, denominator) of one period
    type, for each team and summed for the whole authority (children without a team count only
    there). For measures that count children at a period end: each child has one team."""
    counts: Counts = {}
    for authority_id, team_id, start, numerator, denominator in rows:
        _count(counts, authority_id, team_id, start, numerator, denominator)
    return counts


def _count(
    counts: Counts, authority_id: int, team_id: int | None, start: date, numerator: int, denominator: int
) -> None:
    """Add a group's numerator and denominator to its authority's, and to its team's when it has one."""
    for key in (
        ((authority_id, None, start),)
        if team_id is None
        else ((authority_id, None, start), (authority_id, team_id, start))
    ):
        known = counts.get(key)
        counts[key] = (
            (numerator, denominator) if known is None else (known[0] + numerator, known[1] + denominator)
        )


def of_grouping(counts: Counts, *, by_team: bool) -> Counts:
    """The whole authorities' counts (``by_team`` false) or their teams' (true)."""
    return {key: value for key, value in counts.items() if (key[1] is not None) == by_team}


def one_period_type(every: Callable[..., Every]) -> Callable[..., Counts]:
    """``every`` answered in the registry's per-call form: one period type, and either the whole
    authorities (``by_team`` false) or their teams (true)."""

    def compute(
        *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
    ) -> Counts:
        return of_grouping(every(authority_ids=authority_ids, since=since)[period_type], by_team=by_team)

    compute.__name__ = every.__name__
    compute.__doc__ = every.__doc__
    return compute


def referrals_every(*, authority_ids: list[int] | None, since: date | None = None) -> Every:
    return _monthly(
        Referral.objects.all(),
        day_field="referral_date",
        authority_ids=authority_ids,
        since=since,
    )


def rereferrals_12m_every(*, authority_ids: list[int] | None, since: date | None = None) -> Every:
    earlier_within_a_year = Referral.objects.filter(
        child=OuterRef("child"),
        referral_date__lt=OuterRef("referral_date"),
        referral_date__gte=OuterRef("year_before"),
    )
    return _monthly(
        Referral.objects.annotate(year_before=_calendar("referral_date", "one_year_before")),
        day_field="referral_date",
        authority_ids=authority_ids,
        since=since,
        hit=Exists(earlier_within_a_year),
    )


def cp_plan_starts_every(*, authority_ids: list[int] | None, since: date | None = None) -> Every:
    return _monthly(
        CPPlan.objects.all(),
        day_field="start_date",
        authority_ids=authority_ids,
        since=since,
    )


def repeat_cp_plans_every(*, authority_ids: list[int] | None, since: date | None = None) -> Every:
    earlier_plan = CPPlan.objects.filter(child=OuterRef("child"), start_date__lt=OuterRef("start_date"))
    return _monthly(
        CPPlan.objects.all(),
        day_field="start_date",
        authority_ids=authority_ids,
        since=since,
        hit=Q(Exists(earlier_plan)) | Q(previous_plans__gte=1),
    )


def cp_plans_ended_2y_every(*, authority_ids: list[int] | None, since: date | None = None) -> Every:
    return _monthly(
        CPPlan.objects.annotate(two_years=_calendar("start_date", "two_years_after")),
        day_field="end_date",
        authority_ids=authority_ids,
        since=since,
        hit=Q(end_date__gte=F("two_years")),
    )


def _working_days(start_field: str, end_field: str):
    """working_days(start, end) as an expression: the difference of the two working-day numbers."""
    return _calendar(end_field, "working_day_number") - _calendar(start_field, "working_day_number")


def assessments_45wd_every(*, authority_ids: list[int] | None, since: date | None = None) -> Every:
    return _monthly(
        Assessment.objects.annotate(took=_working_days("start_date", "authorisation_date")),
        day_field="authorisation_date",
        authority_ids=authority_ids,
        since=since,
        hit=Q(took__lte=ASSESSMENT_WORKING_DAYS),
    )


def icpc_15wd_every(*, authority_ids: list[int] | None, since: date | None = None) -> Every:
    return _monthly(
        Section47.objects.annotate(took=_working_days("start_date", "icpc_date")),
        day_field="icpc_date",
        authority_ids=authority_ids,
        since=since,
        hit=Q(took__lte=ICPC_WORKING_DAYS),
    )


def cla_starts_every(*, authority_ids: list[int] | None, since: date | None = None) -> Every:
    return _monthly(
        CareEpisode.objects.filter(reason_new_episode="S"),
        day_field="start_date",
        authority_ids=authority_ids,
        since=since,
    )


def kinship_share_every(*, authority_ids: list[int] | None, since: date | None = None) -> Every:
    """Children looked after at each period end of their authority's ``ReportingPeriod`` rows (an
    episode with start <= period_end and no end or end > period_end), and of those the children
    whose latest such episode is placed in U1–U3. Children are counted once, however many episodes.
    One query per period type, grouped by team (``with_authority_totals`` adds the authority)."""
    return {period_type: _kinship(period_type, authority_ids, since) for period_type in PeriodType}


def _kinship(period_type: str, authority_ids: list[int] | None, since: date | None) -> Counts:
    # One row per child and period end: the join through the authority's reporting periods. The
    # conditions on the periods go in one filter() so that they apply to the same joined row.
    periods: dict[str, object] = {"authority__reporting_periods__period_type": period_type}
    if since is not None:
        periods["authority__reporting_periods__period_start__gte"] = period_start(period_type, since)
    children = Child.objects.filter(**periods, id__in=CareEpisode.objects.values("child_id"))
    if authority_ids is not None:
        children = children.filter(authority_id__in=authority_ids)
    children = children.annotate(
        at=F("authority__reporting_periods__period_end"),
        starts=F("authority__reporting_periods__period_start"),
    )
    looked_after = CareEpisode.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gt=OuterRef("at")),
        child=OuterRef("pk"),
        start_date__lte=OuterRef("at"),
    )
    children = children.annotate(
        placement_at=Subquery(looked_after.order_by("-start_date").values("placement")[:1])
    ).filter(Exists(looked_after))
    rows = (
        children.order_by()
        .values(g_authority=F("authority_id"), g_team=F("team_id"), g_period=F("starts"))
        .annotate(
            g_denominator=Count("pk"),
            g_numerator=Sum(
                Case(
                    When(placement_at__in=KINSHIP_PLACEMENTS, then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            ),
        )
    )
    return with_authority_totals(
        (
            row["g_authority"],
            row["g_team"],
            period_start_of_key(period_type, row["g_period"]),
            row["g_numerator"] or 0,
            row["g_denominator"],
        )
        for row in rows
    )


# The per-call form the registry and the tests use: one period type, authorities or their teams.
referrals = one_period_type(referrals_every)
rereferrals_12m = one_period_type(rereferrals_12m_every)
cp_plan_starts = one_period_type(cp_plan_starts_every)
repeat_cp_plans = one_period_type(repeat_cp_plans_every)
cp_plans_ended_2y = one_period_type(cp_plans_ended_2y_every)
assessments_45wd = one_period_type(assessments_45wd_every)
icpc_15wd = one_period_type(icpc_15wd_every)
cla_starts = one_period_type(cla_starts_every)
kinship_share = one_period_type(kinship_share_every)
