"""The case-activity measures of ``shared/spec/measures.md`` as set-based queries.

Each function answers, for one period type, a mapping ``(authority_id, team_id, period_start) ->
(numerator, denominator)`` for the periods that have at least one record in the denominator
(``team_id`` is None when ``by_team`` is false; with ``by_team`` only children with a team count).
For counts the denominator is the count itself and is not stored. Every function runs one query,
whatever the number of children: GROUP BY on the period expression, conditional aggregates,
correlated EXISTS subqueries and joins to ``outcomes.CalendarDay`` by primary key.

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

from cases.models import Assessment, CareEpisode, Child, CPPlan, Referral, Section47
from outcomes.models import CalendarDay
from outcomes.periods import period_key, period_start, period_start_of_key

Counts = dict[tuple[int, int | None, date], tuple[int, int]]

KINSHIP_PLACEMENTS = ("U1", "U2", "U3")
ASSESSMENT_WORKING_DAYS = 45
ICPC_WORKING_DAYS = 15


def _calendar(field: str, column: str) -> Subquery:
    """The calendar table's ``column`` for the day in the outer row's ``field``."""
    return Subquery(CalendarDay.objects.filter(day=OuterRef(field)).order_by().values(column)[:1])


def _grouped(
    queryset: QuerySet,
    *,
    day_field: str,
    period_type: str,
    authority_ids: list[int] | None,
    by_team: bool,
    hit=None,
    child_path: str = "child__",
    since: date | None = None,
) -> Counts:
    """Rows of ``queryset`` whose ``day_field`` is set, counted per group and period; ``hit`` (a
    condition) picks the numerator, all rows when None. With ``since``, only the periods from the
    one containing it."""
    queryset = queryset.filter(**{f"{day_field}__isnull": False})
    if since is not None:
        queryset = queryset.filter(**{f"{day_field}__gte": period_start(period_type, since)})
    if authority_ids is not None:
        queryset = queryset.filter(**{f"{child_path}authority_id__in": authority_ids})
    group = {"g_authority": F(f"{child_path}authority_id")}
    if by_team:
        queryset = queryset.filter(**{f"{child_path}team__isnull": False})
        group["g_team"] = F(f"{child_path}team_id")
    numerator = Count("pk") if hit is None else Sum(Case(When(hit, then=Value(1)), default=Value(0)))
    rows = (
        queryset.order_by()
        .values(**group, g_period=period_key(period_type, day_field))
        .annotate(g_denominator=Count("pk"), g_numerator=numerator)
    )
    return {
        (row["g_authority"], row.get("g_team"), period_start_of_key(period_type, row["g_period"])): (
            row["g_numerator"] or 0,
            row["g_denominator"],
        )
        for row in rows
    }


def referrals(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    return _grouped(
        Referral.objects.all(),
        day_field="referral_date",
        period_type=period_type,
        authority_ids=authority_ids,
        by_team=by_team,
        since=since,
    )


def rereferrals_12m(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    earlier_within_a_year = Referral.objects.filter(
        child=OuterRef("child"),
        referral_date__lt=OuterRef("referral_date"),
        referral_date__gte=OuterRef("year_before"),
    )
    return _grouped(
        Referral.objects.annotate(year_before=_calendar("referral_date", "one_year_before")),
        day_field="referral_date",
        period_type=period_type,
        authority_ids=authority_ids,
        by_team=by_team,
        since=since,
        hit=Exists(earlier_within_a_year),
    )


def cp_plan_starts(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    return _grouped(
        CPPlan.objects.all(),
        day_field="start_date",
        period_type=period_type,
        authority_ids=authority_ids,
        by_team=by_team,
        since=since,
    )


def repeat_cp_plans(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    earlier_plan = CPPlan.objects.filter(child=OuterRef("child"), start_date__lt=OuterRef("start_date"))
    return _grouped(
        CPPlan.objects.all(),
        day_field="start_date",
        period_type=period_type,
        authority_ids=authority_ids,
        by_team=by_team,
        since=since,
        hit=Q(Exists(earlier_plan)) | Q(previous_plans__gte=1),
    )


def cp_plans_ended_2y(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    return _grouped(
        CPPlan.objects.annotate(two_years=_calendar("start_date", "two_years_after")),
        day_field="end_date",
        period_type=period_type,
        authority_ids=authority_ids,
        by_team=by_team,
        since=since,
        hit=Q(end_date__gte=F("two_years")),
    )


def _working_days(start_field: str, end_field: str):
    """working_days(start, end) as an expression: the difference of the two working-day numbers."""
    return _calendar(end_field, "working_day_number") - _calendar(start_field, "working_day_number")


def assessments_45wd(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    return _grouped(
        Assessment.objects.annotate(took=_working_days("start_date", "authorisation_date")),
        day_field="authorisation_date",
        period_type=period_type,
        authority_ids=authority_ids,
        by_team=by_team,
        since=since,
        hit=Q(took__lte=ASSESSMENT_WORKING_DAYS),
    )


def icpc_15wd(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    return _grouped(
        Section47.objects.annotate(took=_working_days("start_date", "icpc_date")),
        day_field="icpc_date",
        period_type=period_type,
        authority_ids=authority_ids,
        by_team=by_team,
        since=since,
        hit=Q(took__lte=ICPC_WORKING_DAYS),
    )


def cla_starts(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    return _grouped(
        CareEpisode.objects.filter(reason_new_episode="S"),
        day_field="start_date",
        period_type=period_type,
        authority_ids=authority_ids,
        by_team=by_team,
        since=since,
    )


def kinship_share(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    """Children looked after at each period end of their authority's ``ReportingPeriod`` rows (an
    episode with start <= period_end and no end or end > period_end), and of those the children
    whose latest such episode is placed in U1–U3. Children are counted once, however many episodes.
    """
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
    group = {"g_authority": F("authority_id")}
    if by_team:
        children = children.filter(team__isnull=False)
        group["g_team"] = F("team_id")
    rows = (
        children.order_by()
        .values(**group, g_period=F("starts"))
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
    return {
        (row["g_authority"], row.get("g_team"), period_start_of_key(period_type, row["g_period"])): (
            row["g_numerator"] or 0,
            row["g_denominator"],
        )
        for row in rows
    }
