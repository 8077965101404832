"""Writes of the outcomes app: the working-day calendar, the measure values and the jobs that
compute them.

The aggregation jobs store, per authority, one ``MeasureValue`` per authority (and per team with
children), measure and period, by the rules in ``outcomes.registry``. The work is a fixed number of
set-based queries per measure and period type; nothing loops over case records in Python.

- ``measures_compute`` is the full job (nightly, ``manage.py compute_measures``, "Recompute now"):
  every period of the given authorities.
- ``mark_stale`` records that a change (an import, a sign-off, a learning action done, a practice
  record written) makes an authority's values stale from a date on (a ``PendingRecompute``), for
  the measures the change can affect (its ``scope``: a sign-off only the audit measures), and
  asks for the incremental job once the change commits.
- ``measures_refresh`` is the incremental job (every two minutes, debounced): for each authority
  with marks, only the periods that end on or after the earliest marked date, of the measures
  the marks name. Every measure looks only backwards in time (``outcomes.registry``), so earlier
  periods cannot have changed.

Both are the same code (``job_runs_start`` then ``job_runs_execute``) and are recorded as one
``JobRun`` per authority. The authorities of a job are computed together: each measure is asked
once for all of them, every period type and grouping at once (``Measure.counts_every``: for most
measures one query by authority, team and month; a job also resolves each audit tool once), not
once per authority.

They are idempotent: the values are computed first (reads only, the runs' progress saved three
times along the measures), then written in one transaction per authority that locks the authority's row,
deletes the periods it recomputed, inserts their values set-based (``COPY`` on PostgreSQL, plain
tuples, no model instances) and deletes exactly the marks it read. A rerun, or a run after a
worker was stopped half-way, stores the same values, and nothing is counted twice. Should the
computation for several authorities together fail, they are computed again one at a time, so that
one authority's bad data fails only its own run.

An authority stores every measure for every one of its periods (0 where nothing was counted); a
team only the values where something was counted (``outcomes.registry``). The periods of an
authority run from the earliest to the latest of its case-record dates and of
the dates the audit measures count by (``outcomes.audit_measures.date_ranges``: local sign-off
dates of signed-off audits, due dates of decided learning actions), so an authority or team with
audits but no case records gets rows too. A team's periods run from its own earliest date to its
authority's last period: a team's child still looked after (or with a case still open) counts at
the period ends after the team's last dated record.
"""

import logging
import operator
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache, reduce

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.db.models import F, Max, Min, Q
from django.utils import timezone

from accounts.models import Authority
from cases.models import Assessment, CareEpisode, Child, CPPlan, Referral, Section47
from outcomes.case_measures import Counts
from outcomes.models import (
    CalendarDay,
    JobKind,
    JobRun,
    JobStatus,
    MeasureValue,
    PendingRecompute,
    ReportingPeriod,
    StaleScope,
)
from outcomes.periods import PeriodType, period_start, period_starting, periods_between
from outcomes.registry import MEASURES
from outcomes.workdays import calendar_days
from qa_system import leases

logger = logging.getLogger(__name__)

FOUR_PLACES = Decimal("0.0001")
BATCH = 1000
# Authorities computed together by one job: each measure is asked once for all of them; their values
# are held in memory until each authority's write.
TOGETHER = 50
# An authority whose changes keep coming is taken anyway once its oldest waiting change is this many
# debounce intervals old, so that a steady trickle of changes never starves it.
MAX_WAIT_FACTOR = 10
REFRESH_PASSES = 3
INTERRUPTED = (
    "The job stopped before it finished: its process ended (a worker or server was stopped or restarted)."
)

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


def _reporting_periods_store(authority_ids: list[int], ranges: dict[Group, tuple[date, date]]) -> None:
    """Rewrite the authorities' reporting periods (a few dozen rows each) from their current ranges."""
    ReportingPeriod.objects.filter(authority_id__in=authority_ids).delete()
    wanted = set(authority_ids)
    ReportingPeriod.objects.bulk_create(
        [
            ReportingPeriod(
                authority_id=authority_id,
                period_type=period.period_type,
                period_start=period.start,
                period_end=period.end,
            )
            for (authority_id, team_id), (first, last) in ranges.items()
            if team_id is None and authority_id in wanted
            for period_type in PeriodType
            for period in periods_between(period_type, first, last)
        ],
        batch_size=BATCH,
    )


def _analyze(model: type[models.Model]) -> None:
    """Refresh PostgreSQL's statistics of a table the job has just rewritten, so that the queries
    that follow (interval joins on the period ends) are planned for its rows, not for the empty
    table autovacuum last saw. Other databases plan without them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


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


def mark_stale(
    *, authority_id: int, since: date | None, reason: str, scope: str = StaleScope.ALL
) -> PendingRecompute:
    """Record, in the caller's transaction, that the authority's stored values of the measures of
    ``scope`` (every measure by default; ``measures_stale_by``) are stale for the periods ending
    on or after ``since`` (all of them when None), and ask for the incremental job once the
    transaction commits."""
    mark = PendingRecompute.objects.create(
        authority_id=authority_id, since=since, reason=reason[:100], scope=scope
    )
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
    """Mark the audit measures of the audit's authority stale from the local (Europe/London) date
    of its sign-off: they count an audit, with its answers, moderation and feedback, in that
    period, and no other measure reads audits."""
    from outcomes.audit_measures import LOCAL_TIME

    signed_off_at = audit.signed_off_at
    since = timezone.localtime(signed_off_at, LOCAL_TIME).date() if signed_off_at else None
    return mark_stale(authority_id=audit.authority_id, since=since, reason=reason, scope=StaleScope.AUDITS)


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
    return mark_stale(
        authority_id=authority_id,
        since=min(known) if known else None,
        reason=reason,
        scope=StaleScope.PRACTICE,
    )


# --- the jobs -------------------------------------------------------------------------------------


def steps_total() -> int:
    """The steps of one job run: every measure for every period type, then the write."""
    return len(MEASURES) * len(PeriodType) + 1


def job_runs_start(*, kind: str, authority_ids: Iterable[int], triggered_by=None) -> list[JobRun]:
    """Claim the authorities for a job: one ``running`` JobRun each, sharing a batch, committed
    before any work so that other connections see the progress. The process that does the work
    takes the runs' lease (``job_runs_execute``).

    An authority with a run still under way is left out (its marks wait for the next run), so two
    runs never compute one authority at once. A run whose holder is gone (its process ended: a
    worker killed, a command or server stopped; ``qa_system.leases``) is first recorded as
    interrupted: its values were never written, its marks are still there, and it never blocks
    the claim.
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
        under_way = JobRun.objects.filter(authority_id__in=locked, status=JobStatus.RUNNING)
        job_runs_interrupt(
            pks=leases.abandoned(under_way.values("pk", "owner", "heartbeat_at", "started_at"), now=now)
        )
        busy = set(under_way.values_list("authority_id", flat=True))
        runs = JobRun.objects.bulk_create(
            [
                JobRun(
                    batch=batch,
                    kind=kind,
                    authority_id=authority_id,
                    started_at=now,
                    heartbeat_at=now,
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


def job_runs_interrupt(*, pks: list[int]) -> int:
    """Record these runs, if still under way, as interrupted (their holder is gone); returns how
    many were."""
    if not pks:
        return 0
    logger.warning("Measure job runs %s were interrupted: their process ended before they finished", pks)
    return JobRun.objects.filter(pk__in=pks, status=JobStatus.RUNNING).update(
        status=JobStatus.INTERRUPTED, finished_at=_now(), error=INTERRUPTED
    )


def job_runs_execute(*, batch: uuid.UUID | str, measures: list[str] | None = None) -> int:
    """Do the running runs of a batch; returns the rows written. A full run recomputes
    ``measures`` only when given (and then leaves the authority's marks for the incremental job).

    The runs are done together, ``TOGETHER`` authorities at a time: each measure is computed once
    for all of them (``_counts``: a fixed number of queries per measure, whatever the number of
    authorities), then each authority's values are written in a transaction of its own. Should a
    computation fail for the authorities together, they are done again one at a time, so that one
    authority's bad data fails only its own run. A run that fails is recorded as failed with the
    error, and the others still run; the first error is raised at the end.

    The process takes the lease of the batch's runs that are waiting for one (claimed by
    ``job_runs_start``) or whose holder is gone (a worker killed half-way: the task delivered again
    does them), and renews it while it works; a run that another live process holds is left to it.
    Runs of the batch that are no longer running (done, or recorded as interrupted) are left alone,
    so running a batch twice does nothing the second time.
    """
    mine = leases.owner()
    under_way = JobRun.objects.filter(batch=batch, status=JobStatus.RUNNING)
    held = list(under_way.exclude(owner=mine).values("pk", "owner", "heartbeat_at", "started_at"))
    free = set(leases.abandoned([row for row in held if row["owner"]]))
    takeable: dict[str, list[int]] = defaultdict(list)
    for row in held:
        if not row["owner"] or row["pk"] in free:
            takeable[row["owner"]].append(row["pk"])
    for previous, pks in takeable.items():
        # Conditional on the holder read: of two processes taking a run, one gets it.
        under_way.filter(pk__in=pks, owner=previous).update(owner=mine, heartbeat_at=_now())
    runs = list(under_way.filter(owner=mine).order_by("authority_id", "pk"))
    with leases.renewing(lambda now: under_way.filter(owner=mine).update(heartbeat_at=now)):
        return _execute_runs(runs, measures)


def _execute_runs(runs: list[JobRun], measures: list[str] | None) -> int:
    written = 0
    failures: list[Exception] = []
    for together in _chunks(runs, TOGETHER):
        try:
            count, errors = _execute(together, measures)
        except Exception as error:
            if len(together) == 1:
                failures.append(_failed(together[0], error))
                continue
            logger.warning("Measure job over %d authorities failed (%s): one at a time", len(together), error)
            count, errors = 0, []
            still = JobRun.objects.filter(pk__in=[run.pk for run in together], status=JobStatus.RUNNING)
            for run in still.order_by("authority_id", "pk"):
                try:
                    one, more = _execute([run], measures)
                except Exception as error:
                    one, more = 0, [_failed(run, error)]
                count += one
                errors += more
        written += count
        failures += errors
    if failures:
        raise failures[0]
    return written


NOT_STARTED = (
    "The job could not start: the background service was not answering. The recompute was kept "
    "waiting, and the next incremental run does it once the service is back."
)


def job_runs_postpone(*, batch: uuid.UUID | str, acting_user=None) -> None:
    """The runs of a batch that no worker could be asked to do (the broker down): recorded as
    interrupted, and their authorities marked stale from the start, so that the incremental job
    recomputes them once the broker is back and nothing asked for is lost."""
    with transaction.atomic():
        runs = JobRun.objects.filter(batch=batch, status=JobStatus.RUNNING)
        authority_ids = list(runs.values_list("authority_id", flat=True))
        runs.update(status=JobStatus.INTERRUPTED, finished_at=_now(), error=NOT_STARTED)
        who = f" by {acting_user.get_username()}" if acting_user is not None else ""
        for authority_id in authority_ids:
            mark_stale(authority_id=authority_id, since=None, reason=f"Recompute now{who}, postponed")


JOB_RUNS_KEPT_DAYS = 400


def job_runs_prune(*, kept_days: int = JOB_RUNS_KEPT_DAYS) -> int:
    """Forget finished job runs older than ``kept_days`` (the nightly job adds one per authority a
    night); returns how many went. Runs still marked running are left for the claim to settle."""
    cutoff = _now() - timedelta(days=kept_days)
    deleted, _ = JobRun.objects.filter(started_at__lt=cutoff).exclude(status=JobStatus.RUNNING).delete()
    return deleted


def measures_compute(
    *, authority_ids: list[int] | None = None, triggered_by=None, measures: list[str] | None = None
) -> int:
    """The full job: recompute every period of every registered measure (or of ``measures``, keys of
    the registry) for the given authorities (every authority when None); returns the number of
    ``MeasureValue`` rows written.

    Each authority's previous values are replaced inside one transaction, so a rerun never
    duplicates and readers never see a half-written set. An authority whose job is still running
    is left out.
    """
    unknown = sorted(set(measures or ()) - set(MEASURES))
    if unknown:
        raise ValueError(f"No such measures: {', '.join(unknown)}")
    if authority_ids is None:
        authority_ids = list(Authority.objects.order_by("pk").values_list("pk", flat=True))
        job_runs_prune()
    runs = job_runs_start(kind=JobKind.FULL, authority_ids=authority_ids, triggered_by=triggered_by)
    return job_runs_execute(batch=runs[0].batch, measures=measures) if runs else 0


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


@dataclass
class _Plan:
    """What one run recomputes: its authority's periods from ``since`` (all when None), for the
    measures ``keys``, consuming the marks ``mark_ids``."""

    run: JobRun
    since: date | None
    keys: list[str]
    mark_ids: list[int] = field(default_factory=list)


Marks = dict[int, list[tuple[int, date | None, str]]]


def _marks(runs: list[JobRun]) -> Marks:
    """The runs' authorities' marks (one query), read before anything the job counts: a change
    committed after this read is counted by the next run, whatever this one sees of it."""
    marks: Marks = defaultdict(list)
    for authority_id, pk, since, scope in PendingRecompute.objects.filter(
        authority_id__in=[run.authority_id for run in runs]
    ).values_list("authority_id", "pk", "since", "scope"):
        marks[authority_id].append((pk, since, scope))
    return marks


def _plans(
    runs: list[JobRun],
    ranges: dict[Group, tuple[date, date]],
    marks: Marks,
    measures: list[str] | None = None,
) -> tuple[list[_Plan], list[JobRun]]:
    """The plan of each run from its authority's ``marks`` (one query for the stored ranges); and
    the incremental runs that find no marks left (another run has counted them). A full run does
    every measure and consumes the authority's marks; with ``measures``, only those, and no mark."""
    stored = _stored_ranges([run.authority_id for run in runs if run.kind == JobKind.INCREMENTAL])
    plans, nothing = [], []
    for run in runs:
        found = marks.get(run.authority_id, [])
        if run.kind != JobKind.INCREMENTAL:
            if measures is None:
                plans.append(_Plan(run, None, list(MEASURES), [pk for pk, _since, _scope in found]))
            else:
                plans.append(_Plan(run, None, [key for key in MEASURES if key in measures]))
            continue
        if not found:
            nothing.append(run)
            continue
        dates = [day for _pk, day, _scope in found]
        marked = None if None in dates else min(day for day in dates if day is not None)
        own = {group: span for group, span in ranges.items() if group[0] == run.authority_id}
        known = stored.get(run.authority_id)
        since = _since_covering_ranges(marked, own, known)
        scopes = {scope for _pk, _day, scope in found}
        if StaleScope.ALL in scopes or _periods_moved(own, known):
            # An authority whose periods changed (its first or last period moved) needs every
            # measure for its new periods, whatever the change was.
            keys = list(MEASURES)
        else:
            keys = [key for key in MEASURES if any(key in measures_stale_by(scope) for scope in scopes)]
        plans.append(_Plan(run, since, keys, [pk for pk, _since, _scope in found]))
    return plans, nothing


def _execute(runs: list[JobRun], measures: list[str] | None = None) -> tuple[int, list[Exception]]:
    """Compute the values of the runs' authorities together, then write each authority's in one
    transaction; returns the rows written and the errors of the writes (each such run recorded as
    failed). An error while computing is raised (no run written, no mark consumed).

    Nothing is written before every value is computed: the reads come first (the run's progress
    saved along the way), then per authority one transaction that locks the authority's
    row, deletes the periods it recomputed, inserts their values and deletes exactly the marks it
    read. The reporting periods, derived from the records alone, are rewritten first."""
    ids = [run.authority_id for run in runs]
    marks = _marks(runs)
    ranges, calendar_range = _ranges(ids)
    plans, nothing = _plans(runs, ranges, marks, measures)
    for run in nothing:
        _succeed(run, rows=0, mark_ids=[])
    if not plans:
        return 0, []
    for plan in plans:
        if plan.since is not None:
            JobRun.objects.filter(pk=plan.run.pk).update(since=plan.since)
    if calendar_range is not None:
        calendar_ensure(first=calendar_range[0], last=calendar_range[1])
    with transaction.atomic():
        # Read by the measures counted at period ends.
        _reporting_periods_store([plan.run.authority_id for plan in plans], ranges)
    _analyze(ReportingPeriod)
    counts = _counts(plans)
    now = _now()
    written = 0
    errors: list[Exception] = []
    for plan in plans:
        try:
            rows = _rows(plan, ranges, counts, now, as_text=connection.vendor == "postgresql")
            with transaction.atomic():
                # Locks the authority: another run's write waits for this one, and never interleaves.
                authority_id = plan.run.authority_id
                list(Authority.objects.select_for_update().filter(pk=authority_id).values_list("pk"))
                own = {group: span for group, span in ranges.items() if group[0] == authority_id}
                MeasureValue.objects.filter(authority_id=authority_id).filter(
                    _replaced(own, plan.since, plan.keys)
                ).delete()
                _insert(rows)
                _succeed(plan.run, rows=len(rows), mark_ids=plan.mark_ids)
            written += len(rows)
        except Exception as error:
            errors.append(_failed(plan.run, error))
    return written, errors


def _counts(plans: list[_Plan]) -> dict[tuple[str, str], Counts]:
    """Per (measure, period type), the counts of every authority of the plans that recomputes the
    measure, and of their teams: one ``counts_every`` per measure for all of them, from the
    earliest of their ``since``. The runs' progress is saved three times along the measures."""
    from outcomes.audit_measures import tools_resolved_once
    from outcomes.coverage_measures import open_cases_once

    counts: dict[tuple[str, str], Counts] = {}
    measures = list(MEASURES.items())
    saves = {len(measures) * part // 3 for part in (1, 2, 3)}
    with tools_resolved_once(), open_cases_once(), _room_to_count():
        for done, (key, measure) in enumerate(measures, start=1):
            wanted = [plan for plan in plans if key in plan.keys]
            if wanted:
                sinces = [plan.since for plan in wanted]
                every = measure.counts_every(
                    authority_ids=[plan.run.authority_id for plan in wanted],
                    since=None if None in sinces else min(day for day in sinces if day is not None),
                )
                for period_type, found in every.items():
                    counts[(key, period_type)] = found
            if done in saves:
                JobRun.objects.filter(pk__in=[plan.run.pk for plan in plans]).update(
                    steps_done=done * len(PeriodType)
                )
    return counts


# Memory PostgreSQL may use per sort or hash of the job's queries (its default, 4 MB, sends the open
# cases' DISTINCT of a million rows to disk).
WORK_MEM = "128MB"


@contextmanager
def _room_to_count() -> Iterator[None]:
    """Within the block, the job's connection sorts and hashes in memory (PostgreSQL's ``work_mem``)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET work_mem = '{WORK_MEM}'")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET work_mem")
        except DatabaseError:
            # A failed statement left the transaction aborted: the error that did it is the one
            # to report, and the setting goes with the connection.
            logger.warning("Could not reset work_mem after the measure job", exc_info=True)


@lru_cache(maxsize=65536)
def _stored(numerator: int, denominator: int, is_rate: bool) -> tuple[int | None, Decimal | None]:
    """The denominator and value stored for a count or rate."""
    if is_rate:
        return denominator, rate_value(numerator, denominator)
    return None, Decimal(numerator)


def _rows(
    plan: _Plan,
    ranges: dict[Group, tuple[date, date]],
    counts: dict[tuple[str, str], Counts],
    now: datetime,
    *,
    as_text: bool = False,
) -> list:
    """The plan's values from the period containing ``since``, for each of its measures: every
    period of its authority (0 where nothing was counted), and the periods of its teams where
    something was counted (a missing team row reads as 0 of 0). Plain tuples in
    ``VALUE_FIELDS`` order; with ``as_text`` lines of COPY's text format instead, each put together
    from parts formatted once per period and once per distinct (numerator, denominator)."""
    authority_id = plan.run.authority_id
    groups = {group: span for group, span in ranges.items() if group[0] == authority_id}
    stamp = f"\t{now.isoformat()}\n"
    rows: list = []
    for period_type in PeriodType:
        cut = None if plan.since is None else period_start(period_type, plan.since)
        kind = period_type.value
        periods = [
            (
                team_id,
                period,
                f"{authority_id}\t{NULL if team_id is None else team_id}\t",
                f"\t{kind}\t{period.start}\t{period.end}\t",
            )
            for (_authority, team_id), (first, last) in groups.items()
            for period in periods_between(period_type, first, last)
            if cut is None or period.start >= cut
        ]
        for key in plan.keys:
            is_rate = MEASURES[key].is_rate
            found = counts.get((key, period_type), {})
            # The authority's periods all get a row (0 where nothing was counted); a team's only
            # where something was: most teams count nothing in most periods for most measures.
            wanted = [
                (team_id, period, head, middle, counted)
                for team_id, period, head, middle in periods
                if (counted := found.get((authority_id, team_id, period.start))) is not None
                or team_id is None
            ]
            if as_text:
                rows.extend(
                    head + key + middle + _stored_text(*(counted or ZERO), is_rate) + stamp
                    for _team_id, _period, head, middle, counted in wanted
                )
                continue
            for team_id, period, _head, _middle, counted in wanted:
                numerator, denominator = counted or ZERO
                stored_denominator, value = _stored(numerator, denominator, is_rate)
                rows.append(
                    (
                        authority_id,
                        team_id,
                        key,
                        kind,
                        period.start,
                        period.end,
                        numerator,
                        stored_denominator,
                        value,
                        now,
                    )
                )
    return rows


NULL = r"\N"  # COPY's text format for NULL
ZERO = (0, 0)


@lru_cache(maxsize=65536)
def _stored_text(numerator: int, denominator: int, is_rate: bool) -> str:
    """Numerator, denominator and value as stored, in COPY's text format."""
    stored_denominator, value = _stored(numerator, denominator, is_rate)
    shown_denominator = NULL if stored_denominator is None else stored_denominator
    return f"{numerator}\t{shown_denominator}\t{NULL if value is None else value}"


VALUE_FIELDS = (
    "authority",
    "team",
    "measure",
    "period_type",
    "period_start",
    "period_end",
    "numerator",
    "denominator",
    "value",
    "computed_at",
)


def _insert(rows: list) -> None:
    """Insert value rows set-based: on PostgreSQL lines of ``_rows(..., as_text=True)`` by ``COPY``,
    elsewhere tuples in ``VALUE_FIELDS`` order by ``executemany``. No model instances: half a
    million of them cost more than the queries (docs/benchmarks.md). Every value is an id, a
    registry key, a period type, a date, a count, a Decimal or the run's timestamp: none holds a
    tab, a newline or a backslash, so the COPY lines need no escaping."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(MeasureValue._meta.db_table)
    column = {field.name: field.column for field in MeasureValue._meta.concrete_fields}
    columns = ", ".join(quote(column[name]) for name in VALUE_FIELDS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for part in _chunks(rows, 20 * BATCH):
                    copy.write("".join(part))
            return
        computed_at = connection.ops.adapt_datetimefield_value(rows[0][-1])
        placeholders = ", ".join(["%s"] * len(VALUE_FIELDS))
        for part in _chunks(rows):
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",
                [(*row[:-1], computed_at) for row in part],
            )


def _failed(run: JobRun, error: Exception) -> Exception:
    """Record the run as failed (nothing of it written, no mark consumed); returns the error."""
    logger.error("Measure job %s for authority %s failed", run.pk, run.authority_id, exc_info=error)
    JobRun.objects.filter(pk=run.pk).update(
        status=JobStatus.FAILED, finished_at=_now(), error=f"{type(error).__name__}: {error}"
    )
    return error


def _succeed(run: JobRun, *, rows: int, mark_ids: list[int]) -> None:
    # Exactly the marks read: one written since (even with a lower id) waits for the next run.
    for part in _chunks(mark_ids):
        PendingRecompute.objects.filter(pk__in=part).delete()
    JobRun.objects.filter(pk=run.pk).update(
        status=JobStatus.SUCCEEDED, finished_at=_now(), steps_done=F("steps_total"), rows_written=rows
    )


def _ranges(authority_ids: list[int]) -> tuple[dict[Group, tuple[date, date]], tuple[date, date] | None]:
    """The authorities' groups (each authority, and each of its teams with records) with the dates
    their periods run between; and the range of every date the measures look up in the calendar.

    A team's periods run from its first dated record to its authority's last period: a child of
    the team still looked after (or with a case open) after the team's last dated record counts at
    the later period ends too."""
    authority_ranges, calendar_range = _date_ranges(authority_ids, by_team=False)
    team_ranges, _ = _date_ranges(authority_ids, by_team=True)
    ranges = _widened(authority_ranges, _audit_date_ranges(authority_ids, by_team=False))
    teams = _widened(team_ranges, _audit_date_ranges(authority_ids, by_team=True))
    for (authority_id, team_id), (first, last) in teams.items():
        whole = ranges.get((authority_id, None))
        ranges[(authority_id, team_id)] = (first, max(last, whole[1]) if whole else last)
    return ranges, calendar_range


def _next_month(month_start: date) -> date:
    return period_starting(PeriodType.MONTH, month_start).end + timedelta(days=1)


def _stored_ranges(authority_ids: list[int]) -> dict[int, tuple[date, date]]:
    """Per authority, the first and last month it has stored rows for. One query, on the stored
    month rows of the authority (not its teams) for one measure (an authority stores every measure
    for every one of its periods; a team only where something was counted)."""
    if not authority_ids:
        return {}
    return {
        row["authority_id"]: (row["first"], row["last"])
        for row in MeasureValue.objects.filter(
            authority_id__in=authority_ids,
            team__isnull=True,
            measure=next(iter(MEASURES)),
            period_type=PeriodType.MONTH,
        )
        .order_by()
        .values("authority_id")
        .annotate(first=Min("period_start"), last=Max("period_start"))
    }


def _since_covering_ranges(
    since: date | None, ranges: dict[Group, tuple[date, date]], stored: tuple[date, date] | None
) -> date | None:
    """``since``, moved back so that the recomputed periods also cover any change in which periods
    the authority has rows for: an authority with no rows yet gets all its periods; one whose first
    or last period moved gets every period from the earlier of the old and new boundary (else a gap
    after an old last period would stay without rows, or rows after a new last period would stay
    behind). Its teams store only what was counted, which the marks' dates already cover (a team's
    periods run to its authority's last, so they move with it)."""
    if since is None:
        return None
    own = [span for (_authority, team_id), span in ranges.items() if team_id is None]
    if not own:
        return since
    first, last = own[0]
    if stored is None:
        return min(since, first)
    first_month, last_month = period_start(PeriodType.MONTH, first), period_start(PeriodType.MONTH, last)
    if stored[0] != first_month:
        since = min(since, stored[0], first_month)
    if stored[1] != last_month:
        since = min(since, _next_month(min(stored[1], last_month)))
    return since


def _periods_moved(ranges: dict[Group, tuple[date, date]], stored: tuple[date, date] | None) -> bool:
    """Whether the authority's first or last month differs from its stored rows' (or it has none)."""
    own = [
        (period_start(PeriodType.MONTH, first), period_start(PeriodType.MONTH, last))
        for (_authority, team_id), (first, last) in ranges.items()
        if team_id is None
    ]
    return (own[0] if own else None) != stored


def _replaced(ranges: dict[Group, tuple[date, date]], since: date | None, keys: list[str]) -> Q:
    """The stored rows of the authority a run replaces: every row of its measures ``keys`` when
    ``since`` is None; else their periods from the one containing ``since``, and every row of a
    group that no longer has periods (a team whose children all moved away)."""
    only = Q() if set(keys) >= set(MEASURES) else Q(measure__in=keys)
    if since is None:
        return only
    conditions = [
        Q(period_type=period_type, period_start__gte=period_start(period_type, since))
        for period_type in PeriodType
    ]
    teams = sorted(team_id for (_authority, team_id) in ranges if team_id is not None)
    conditions.append(Q(team__isnull=False) & ~Q(team_id__in=teams))
    if not any(team_id is None for (_authority, team_id) in ranges):
        conditions.append(Q(team__isnull=True))
    return only & reduce(operator.or_, conditions)


def measures_stale_by(scope: str) -> list[str]:
    """The keys of the measures a change of ``scope`` (a ``StaleScope``) can make stale, in
    registry order: the audit measures for sign-offs, moderation, feedback and learning actions;
    the practice coverage measures for practice records; every measure otherwise (case records
    decide the periods, the open cases and the case measures)."""
    from outcomes import audit_measures, coverage_measures

    if scope == StaleScope.AUDITS:
        keys = set(audit_measures.MEASURE_KEYS)
    elif scope == StaleScope.PRACTICE:
        keys = set(coverage_measures.MEASURE_KEYS)
    else:
        return list(MEASURES)
    return [key for key in MEASURES if key in keys]
