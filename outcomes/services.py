"""Writes of the outcomes app: the working-day calendar, the measure values and the jobs that
compute them.

The aggregation jobs store, per authority, one ``MeasureValue`` per authority (and per team with
children), measure and period, by the rules in ``outcomes.registry``. The work is a fixed number of
set-based queries per measure and period type; nothing loops over case records in Python.

- ``measures_compute`` is the full job (nightly, ``manage.py compute_measures``, "Recompute now"):
  every period of the given authorities.
- ``mark_stale`` records that a change (an import, a sign-off, a learning action done, a practice
  record written) makes an authority's values stale from a date on (a ``PendingRecompute``), and
  asks for the incremental job once the change commits.
- ``measures_refresh`` is the incremental job (every two minutes, debounced): for each authority
  with marks, only the periods that end on or after the earliest marked date. Every measure looks
  only backwards in time (``outcomes.registry``), so earlier periods cannot have changed.

Both are the same code (``job_runs_start`` then ``job_runs_execute``) and are recorded as one
``JobRun`` per authority. They are idempotent: the values are computed first (reads only, the run's
progress saved as it goes), then written in one transaction per authority that locks the
authority's row, deletes the periods it recomputed, inserts their values in bulk and deletes
exactly the marks it read. A rerun, or a run after a worker was stopped half-way, stores the same
values, and nothing is counted twice.

The periods of an authority (or team) run from the earliest to the latest of its case-record dates
and of the dates the audit measures count by (``outcomes.audit_measures.date_ranges``: local
sign-off dates of signed-off audits, due dates of decided learning actions), so an authority or
team with audits but no case records gets rows too.
"""

import logging
import operator
import uuid
from collections.abc import Iterable
from dataclasses import asdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Max, Min, Q
from django.utils import timezone

from accounts.models import Authority
from cases.models import Assessment, CareEpisode, Child, CPPlan, Referral, Section47
from outcomes.models import (
    CalendarDay,
    JobKind,
    JobRun,
    JobStatus,
    MeasureValue,
    PendingRecompute,
    ReportingPeriod,
)
from outcomes.periods import PeriodType, period_start, period_starting, periods_between
from outcomes.registry import MEASURES
from outcomes.workdays import calendar_days

logger = logging.getLogger(__name__)

FOUR_PLACES = Decimal("0.0001")
BATCH = 1000
# An authority whose changes keep coming is taken anyway once its oldest waiting change is this many
# debounce intervals old, so that a steady trickle of changes never starves it.
MAX_WAIT_FACTOR = 10
REFRESH_PASSES = 3
INTERRUPTED = "Interrupted: the job stopped before it finished (its worker was stopped or ran out of time)."

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


def _reporting_periods_store(authority_id: int, ranges: dict[Group, tuple[date, date]]) -> None:
    """Rewrite the authority's reporting periods (a few dozen rows) from its current range."""
    ReportingPeriod.objects.filter(authority_id=authority_id).delete()
    ReportingPeriod.objects.bulk_create(
        [
            ReportingPeriod(
                authority_id=authority_id,
                period_type=period.period_type,
                period_start=period.start,
                period_end=period.end,
            )
            for (_authority, team_id), (first, last) in ranges.items()
            if team_id is None
            for period_type in PeriodType
            for period in periods_between(period_type, first, last)
        ],
        batch_size=BATCH,
    )


def _now() -> datetime:
    # A seam for tests.
    return timezone.now()


def _chunks(items: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- marks: what the incremental job has to redo ----------------------------------------------


def recompute_debounce_seconds() -> int:
    """How old an authority's newest mark must be before the incremental job takes it: the
    ``QA_RECOMPUTE_DEBOUNCE_SECONDS`` setting with a worker; 0 when tasks run in-process (the
    embedded default), so that its pages show a change at once."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return 0
    return settings.QA_RECOMPUTE_DEBOUNCE_SECONDS


def mark_stale(*, authority_id: int, since: date | None, reason: str) -> PendingRecompute:
    """Record, in the caller's transaction, that the authority's stored values are stale for the
    periods ending on or after ``since`` (all of them when None), and ask for the incremental job
    once the transaction commits."""
    mark = PendingRecompute.objects.create(authority_id=authority_id, since=since, reason=reason[:100])
    transaction.on_commit(_request_refresh)
    return mark


def _request_refresh() -> None:
    from outcomes.tasks import refresh_measures
    from qa_system import background

    if settings.CELERY_TASK_ALWAYS_EAGER:
        background.start(refresh_measures)
        return
    try:
        # Once the debounce has passed; the schedule every two minutes also takes the marks.
        refresh_measures.apply_async(countdown=recompute_debounce_seconds() + 1)
    except Exception:
        logger.exception("Could not queue the incremental recompute; the schedule will run it")


def mark_audit_stale(*, audit, reason: str) -> PendingRecompute:
    """Mark the audit's authority stale from the local (Europe/London) date of its sign-off: the
    audit measures count an audit, with its answers, moderation and feedback, in that period."""
    from outcomes.audit_measures import LOCAL_TIME

    signed_off_at = audit.signed_off_at
    since = timezone.localtime(signed_off_at, LOCAL_TIME).date() if signed_off_at else None
    return mark_stale(authority_id=audit.authority_id, since=since, reason=reason)


def mark_record_stale(*, record: models.Model, reason: str) -> PendingRecompute | None:
    """Call before saving a practice-record row of a child: mark the child's authority stale from
    the earliest of the row's dates, as stored and as about to be saved (a date moved later still
    changes the periods from the old one). Rows no measure reads (scalings) mark nothing."""
    from outcomes.coverage_measures import RECORD_MODELS

    if not isinstance(record, RECORD_MODELS):
        return None
    names = [
        field.attname
        for field in record._meta.concrete_fields
        if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField)
    ]
    days = [getattr(record, name) for name in names]
    if record.pk is not None:
        days.extend(type(record)._default_manager.filter(pk=record.pk).values_list(*names).first() or ())
    known = [day for day in days if day is not None]
    child_id = record.child_id  # type: ignore[attr-defined]  # every practice record is a child's
    authority_id = Child.objects.filter(pk=child_id).values_list("authority_id", flat=True).get()
    return mark_stale(authority_id=authority_id, since=min(known) if known else None, reason=reason)


# --- the jobs -------------------------------------------------------------------------------------


def steps_total() -> int:
    """The steps of one job run: every measure for every period type, then the write."""
    return len(MEASURES) * len(PeriodType) + 1


def job_runs_start(*, kind: str, authority_ids: Iterable[int], triggered_by=None) -> list[JobRun]:
    """Claim the authorities for a job: one ``running`` JobRun each, sharing a batch, committed
    before any work so that other connections see the progress.

    An authority with a run still running is left out (its marks wait for the next run), so two
    runs never compute one authority at once. A run left running longer than the task time limit
    (a worker stopped half-way) is first recorded as failed ("interrupted"); its values were never
    written, and its marks are still there.
    """
    now = _now()
    batch = uuid.uuid4()
    wanted = sorted(set(authority_ids))
    with transaction.atomic():
        locked = list(
            Authority.objects.select_for_update()
            .filter(pk__in=wanted)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        JobRun.objects.filter(
            authority_id__in=locked,
            status=JobStatus.RUNNING,
            started_at__lt=now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT),
        ).update(status=JobStatus.FAILED, finished_at=now, error=INTERRUPTED)
        busy = set(
            JobRun.objects.filter(authority_id__in=locked, status=JobStatus.RUNNING).values_list(
                "authority_id", flat=True
            )
        )
        runs = JobRun.objects.bulk_create(
            [
                JobRun(
                    batch=batch,
                    kind=kind,
                    authority_id=authority_id,
                    started_at=now,
                    steps_total=steps_total(),
                    triggered_by=triggered_by,
                )
                for authority_id in locked
                if authority_id not in busy
            ]
        )
    if busy:
        logger.info("Authorities %s already have a job running: left for the next run", sorted(busy))
    return runs


def job_runs_execute(*, batch: uuid.UUID | str) -> int:
    """Do the running runs of a batch, one authority after another; returns the rows written.

    A run that fails is recorded as failed with the error, and the others still run; the first
    error is raised at the end. Runs of the batch that are no longer running (done, or recorded
    as interrupted) are left alone, so running a batch twice does nothing the second time.
    """
    runs = list(JobRun.objects.filter(batch=batch, status=JobStatus.RUNNING).order_by("authority_id", "pk"))
    written = 0
    failure: Exception | None = None
    for run in runs:
        try:
            written += _execute(run)
        except Exception as error:
            logger.exception("Measure job %s for authority %s failed", run.pk, run.authority_id)
            failure = failure or error
    if failure is not None:
        raise failure
    return written


JOB_RUNS_KEPT_DAYS = 400


def job_runs_prune(*, kept_days: int = JOB_RUNS_KEPT_DAYS) -> int:
    """Forget finished job runs older than ``kept_days`` (the nightly job adds one per authority a
    night); returns how many went. Runs still marked running are left for the claim to settle."""
    cutoff = _now() - timedelta(days=kept_days)
    deleted, _ = JobRun.objects.filter(started_at__lt=cutoff).exclude(status=JobStatus.RUNNING).delete()
    return deleted


def measures_compute(*, authority_ids: list[int] | None = None, triggered_by=None) -> int:
    """The full job: recompute every period of every registered measure for the given authorities
    (every authority when None); returns the number of ``MeasureValue`` rows written.

    Each authority's previous values are replaced inside one transaction, so a rerun never
    duplicates and readers never see a half-written set. An authority whose job is still running
    is left out.
    """
    if authority_ids is None:
        authority_ids = list(Authority.objects.order_by("pk").values_list("pk", flat=True))
        job_runs_prune()
    runs = job_runs_start(kind=JobKind.FULL, authority_ids=authority_ids, triggered_by=triggered_by)
    return job_runs_execute(batch=runs[0].batch) if runs else 0


def measures_refresh(*, authority_ids: list[int] | None = None, debounce_seconds: int | None = None) -> int:
    """The incremental job: recompute, for each authority with marks whose newest mark is older
    than the debounce (or whose oldest is ``MAX_WAIT_FACTOR`` times older), the periods ending on
    or after the earliest marked date; returns the rows written.

    Marks that become due while it runs (a change committed meanwhile, whose own request for a
    refresh found the authority busy) are taken by a further pass, up to ``REFRESH_PASSES``.
    """
    debounce = timedelta(
        seconds=recompute_debounce_seconds() if debounce_seconds is None else debounce_seconds
    )
    written = 0
    for _pass in range(REFRESH_PASSES):
        now = _now()
        marks = PendingRecompute.objects.all()
        if authority_ids is not None:
            marks = marks.filter(authority_id__in=authority_ids)
        due = [
            row["authority_id"]
            for row in marks.order_by()
            .values("authority_id")
            .annotate(newest=Max("created_at"), oldest=Min("created_at"))
            .filter(Q(newest__lte=now - debounce) | Q(oldest__lte=now - debounce * MAX_WAIT_FACTOR))
        ]
        runs = job_runs_start(kind=JobKind.INCREMENTAL, authority_ids=due) if due else []
        if not runs:
            break
        written += job_runs_execute(batch=runs[0].batch)
    return written


def _execute(run: JobRun) -> int:
    """Compute one authority's values, then write them in one transaction; on any error record the
    run as failed (nothing written, no mark consumed) and raise it again."""
    try:
        marks = list(
            PendingRecompute.objects.filter(authority_id=run.authority_id).values_list("pk", "since")
        )
        mark_ids = [pk for pk, _since in marks]
        since: date | None = None
        if run.kind == JobKind.INCREMENTAL:
            if not marks:  # another run has counted them
                _succeed(run, rows=0, mark_ids=[])
                return 0
            dates = [day for _pk, day in marks]
            since = None if None in dates else min(day for day in dates if day is not None)
        ranges, calendar_range = _ranges(run.authority_id)
        since = _since_covering_ranges(run.authority_id, since, ranges)
        JobRun.objects.filter(pk=run.pk).update(since=since)
        if calendar_range is not None:
            calendar_ensure(first=calendar_range[0], last=calendar_range[1])
        with transaction.atomic():
            # Read by the measures counted at period ends; derived from the records alone.
            _reporting_periods_store(run.authority_id, ranges)
        values = _values(run, ranges, since)
        with transaction.atomic():
            # Locks the authority: another run's write waits for this one, and never interleaves.
            list(Authority.objects.select_for_update().filter(pk=run.authority_id).values_list("pk"))
            MeasureValue.objects.filter(authority_id=run.authority_id).filter(
                _replaced(ranges, since)
            ).delete()
            MeasureValue.objects.bulk_create(values, batch_size=BATCH)
            _succeed(run, rows=len(values), mark_ids=mark_ids)
        return len(values)
    except Exception as error:
        JobRun.objects.filter(pk=run.pk).update(
            status=JobStatus.FAILED, finished_at=_now(), error=f"{type(error).__name__}: {error}"
        )
        raise


def _succeed(run: JobRun, *, rows: int, mark_ids: list[int]) -> None:
    # Exactly the marks read: one written since (even with a lower id) waits for the next run.
    for part in _chunks(mark_ids):
        PendingRecompute.objects.filter(pk__in=part).delete()
    JobRun.objects.filter(pk=run.pk).update(
        status=JobStatus.SUCCEEDED, finished_at=_now(), steps_done=F("steps_total"), rows_written=rows
    )


def _ranges(authority_id: int) -> tuple[dict[Group, tuple[date, date]], tuple[date, date] | None]:
    """The authority's groups (itself, and each of its teams with records) with the dates their
    periods run between; and the range of every date the measures look up in the calendar."""
    ids = [authority_id]
    authority_ranges, calendar_range = _date_ranges(ids, by_team=False)
    team_ranges, _ = _date_ranges(ids, by_team=True)
    ranges = _widened(authority_ranges, _audit_date_ranges(ids, by_team=False))
    ranges |= _widened(team_ranges, _audit_date_ranges(ids, by_team=True))
    return ranges, calendar_range


def _next_month(month_start: date) -> date:
    return period_starting(PeriodType.MONTH, month_start).end + timedelta(days=1)


def _since_covering_ranges(
    authority_id: int, since: date | None, ranges: dict[Group, tuple[date, date]]
) -> date | None:
    """``since``, moved back so that the recomputed periods also cover any change in which periods
    the authority and its teams have rows for: a group with no rows yet gets all its periods; a
    group whose first or last period moved gets every period from the earlier of the old and new
    boundary (else a gap after an old last period would stay without rows, or rows after a new
    last period would stay behind). One query, on the stored month rows of one measure."""
    if since is None:
        return None
    stored = {
        row["team_id"]: (row["first"], row["last"])
        for row in MeasureValue.objects.filter(
            authority_id=authority_id, measure=next(iter(MEASURES)), period_type=PeriodType.MONTH
        )
        .order_by()
        .values("team_id")
        .annotate(first=Min("period_start"), last=Max("period_start"))
    }
    for (_authority, team_id), (first, last) in ranges.items():
        known = stored.get(team_id)
        if known is None:
            since = min(since, first)
            continue
        first_month, last_month = period_start(PeriodType.MONTH, first), period_start(PeriodType.MONTH, last)
        if known[0] != first_month:
            since = min(since, known[0], first_month)
        if known[1] != last_month:
            since = min(since, _next_month(min(known[1], last_month)))
    return since


def _values(run: JobRun, ranges: dict[Group, tuple[date, date]], since: date | None) -> list[MeasureValue]:
    """The values of every measure for the groups' periods ending on or after ``since`` (all when
    None), saving the run's progress after each measure and period type."""
    now = _now()
    values = []
    done = 0
    for period_type in PeriodType:
        cut = None if since is None else period_start(period_type, since)
        periods = {
            group: [
                period
                for period in periods_between(period_type, first, last)
                if cut is None or period.start >= cut
            ]
            for group, (first, last) in ranges.items()
        }
        wanted = any(periods.values())  # else nothing to store: no need to ask
        for measure in MEASURES.values():
            scope = {"period_type": period_type, "authority_ids": [run.authority_id], "since": since}
            counts = measure.compute(**scope, by_team=False) if wanted else {}
            counts |= measure.compute(**scope, by_team=True) if wanted else {}
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
            done += 1
            JobRun.objects.filter(pk=run.pk).update(steps_done=done)
    return values


def _replaced(ranges: dict[Group, tuple[date, date]], since: date | None) -> Q:
    """The stored rows of the authority a run replaces: every row when ``since`` is None; else the
    periods from the one containing ``since``, and every row of a group that no longer has periods
    (a team whose children all moved away)."""
    if since is None:
        return Q()
    conditions = [
        Q(period_type=period_type, period_start__gte=period_start(period_type, since))
        for period_type in PeriodType
    ]
    teams = sorted(team_id for (_authority, team_id) in ranges if team_id is not None)
    conditions.append(Q(team__isnull=False) & ~Q(team_id__in=teams))
    if not any(team_id is None for (_authority, team_id) in ranges):
        conditions.append(Q(team__isnull=True))
    return reduce(operator.or_, conditions)
