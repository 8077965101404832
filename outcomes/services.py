"""Writes of the outcomes app: the working-day calendar and the measure values.

``measures_compute`` is the aggregation job: it stores, for the given authorities, one
``MeasureValue`` per authority (and per team with children), measure and period, by the rules in
``outcomes.registry``. The work is a fixed number of set-based queries per measure and period
type; nothing loops over case records in Python. Running it again writes the same values.

The periods of an authority (or team) run from the earliest to the latest of its case-record dates
and of the dates the audit measures count by (``outcomes.audit_measures.date_ranges``: local
sign-off dates of signed-off audits, due dates of decided learning actions), so an authority or
team with audits but no case records gets rows too.
"""

from dataclasses import asdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import models, transaction
from django.db.models import F, Max, Min
from django.utils import timezone

from cases.models import Assessment, CareEpisode, CPPlan, Referral, Section47
from outcomes.models import CalendarDay, MeasureValue, ReportingPeriod
from outcomes.periods import PeriodType, periods_between
from outcomes.registry import MEASURES
from outcomes.workdays import calendar_days

FOUR_PLACES = Decimal("0.0001")
BATCH = 1000

# Per table: the dates that decide which periods get rows, and the further dates the measures
# look up in the calendar table.
DATE_SOURCES: list[tuple[type[models.Model], tuple[str, ...], tuple[str, ...]]] = [
    (Referral, ("referral_date",), ()),
    (Assessment, ("authorisation_date",), ("start_date",)),
    (Section47, ("icpc_date",), ("start_date",)),
    (CPPlan, ("start_date", "end_date"), ()),
    (CareEpisode, ("start_date", "end_date"), ()),
]

Group = tuple[int, int | None]  # (authority_id, team_id or None for the whole authority)


def rate_value(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator rounded half-up to 4 decimal places; None when the denominator is 0."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def calendar_ensure(*, first: date, last: date) -> int:
    """Make sure ``CalendarDay`` holds every day of the calendar years from ``first`` to ``last``.

    Idempotent: rows already present are left alone (their numbers count from a fixed anchor, so
    they never change). Returns the number of days it had to write (0 when the range was there).
    """
    first, last = date(first.year, 1, 1), date(last.year, 12, 31)
    expected = (last - first).days + 1
    if CalendarDay.objects.filter(day__gte=first, day__lte=last).count() == expected:
        return 0
    days = [CalendarDay(**asdict(day)) for day in calendar_days(first, last)]
    CalendarDay.objects.bulk_create(days, batch_size=BATCH, ignore_conflicts=True)
    return len(days)


def _date_ranges(
    authority_ids: list[int] | None, *, by_team: bool
) -> tuple[dict[Group, tuple[date, date]], tuple[date, date] | None]:
    """Per authority (or per authority and team), the earliest and latest dates that decide its
    periods; and the earliest and latest of every date the measures look up in the calendar."""
    ranges: dict[Group, tuple[date, date]] = {}
    everything: list[date] = []
    for model, period_fields, lookup_fields in DATE_SOURCES:
        queryset = model.objects.all()  # type: ignore[attr-defined]
        if authority_ids is not None:
            queryset = queryset.filter(child__authority_id__in=authority_ids)
        group = {"g_authority": F("child__authority_id")}
        if by_team:
            queryset = queryset.filter(child__team__isnull=False)
            group["g_team"] = F("child__team_id")
        bounds: dict[str, Min | Max] = {}
        for name in period_fields + lookup_fields:
            bounds[f"lo_{name}"] = Min(name)
            bounds[f"hi_{name}"] = Max(name)
        rows = queryset.order_by().values(**group).annotate(**bounds)
        for row in rows:
            key = (row["g_authority"], row.get("g_team"))
            found = [row[f"{end}_{name}"] for name in period_fields for end in ("lo", "hi")]
            found = [day for day in found if day is not None]
            if found:
                known = ranges.get(key)
                lo, hi = min(found), max(found)
                ranges[key] = (min(lo, known[0]), max(hi, known[1])) if known else (lo, hi)
            everything.extend(row[alias] for alias in bounds if row[alias] is not None)
    return ranges, ((min(everything), max(everything)) if everything else None)


def _audit_date_ranges(authority_ids: list[int] | None, *, by_team: bool) -> dict[Group, tuple[date, date]]:
    # Imported here, not at the top: importing outcomes.audit_measures before outcomes.registry
    # would register its measures after the coverage measures, changing the registry's (and the
    # export's) order depending on which module happened to be imported first.
    from outcomes.audit_measures import date_ranges

    return date_ranges(authority_ids=authority_ids, by_team=by_team)


def _widened(
    ranges: dict[Group, tuple[date, date]], more: dict[Group, tuple[date, date]]
) -> dict[Group, tuple[date, date]]:
    """Per group, the range covering both (groups of either kept)."""
    merged = dict(ranges)
    for group, (lo, hi) in more.items():
        known = merged.get(group)
        merged[group] = (min(lo, known[0]), max(hi, known[1])) if known else (lo, hi)
    return merged


def _reporting_periods_store(authority_ids: list[int] | None, ranges: dict[Group, tuple[date, date]]) -> None:
    stale = ReportingPeriod.objects.all()
    if authority_ids is not None:
        stale = stale.filter(authority_id__in=authority_ids)
    stale.delete()
    ReportingPeriod.objects.bulk_create(
        [
            ReportingPeriod(
                authority_id=authority_id,
                period_type=period.period_type,
                period_start=period.start,
                period_end=period.end,
            )
            for (authority_id, _team), (first, last) in ranges.items()
            for period_type in PeriodType
            for period in periods_between(period_type, first, last)
        ],
        batch_size=BATCH,
    )


@transaction.atomic
def measures_compute(*, authority_ids: list[int] | None = None) -> int:
    """Recompute every registered measure for the given authorities (all when None); returns the
    number of ``MeasureValue`` rows written.

    The authorities' previous values are replaced inside one transaction, so a rerun never
    duplicates and readers never see a half-written set.
    """
    if authority_ids is not None:
        authority_ids = sorted(set(authority_ids))
    authority_ranges, calendar_range = _date_ranges(authority_ids, by_team=False)
    team_ranges, _ = _date_ranges(authority_ids, by_team=True)
    authority_ranges = _widened(authority_ranges, _audit_date_ranges(authority_ids, by_team=False))
    team_ranges = _widened(team_ranges, _audit_date_ranges(authority_ids, by_team=True))
    if calendar_range is not None:
        calendar_ensure(first=calendar_range[0], last=calendar_range[1])
    _reporting_periods_store(authority_ids, authority_ranges)

    now = timezone.now()
    values = []
    for period_type in PeriodType:
        periods = {
            group: periods_between(period_type, first, last)
            for group, (first, last) in (authority_ranges | team_ranges).items()
        }
        for measure in MEASURES.values():
            counts = measure.compute(period_type=period_type, authority_ids=authority_ids, by_team=False)
            counts |= measure.compute(period_type=period_type, authority_ids=authority_ids, by_team=True)
            for (authority_id, team_id), group_periods in periods.items():
                for period in group_periods:
                    numerator, denominator = counts.get((authority_id, team_id, period.start), (0, 0))
                    values.append(
                        MeasureValue(
                            authority_id=authority_id,
                            team_id=team_id,
                            measure=measure.key,
                            period_type=period_type,
                            period_start=period.start,
                            period_end=period.end,
                            numerator=numerator,
                            denominator=denominator if measure.is_rate else None,
                            value=rate_value(numerator, denominator)
                            if measure.is_rate
                            else Decimal(numerator),
                            computed_at=now,
                        )
                    )

    stale = MeasureValue.objects.all()
    if authority_ids is not None:
        stale = stale.filter(authority_id__in=authority_ids)
    stale.delete()
    MeasureValue.objects.bulk_create(values, batch_size=BATCH)
    return len(values)
