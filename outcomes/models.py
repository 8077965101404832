"""Stored measure values, and the two tables that keep their aggregation set-based.

- ``CalendarDay``: one row per day with its cumulative working-day number and its year shifts, so
  that working days and "one year before" are joins, not Python loops (see ``outcomes.workdays``).
- ``ReportingPeriod``: the periods each authority gets rows for; the looked-after-at-period-end
  measures join children to it.
- ``MeasureValue``: one value per authority (or team), measure and period.
- ``MeasureTarget``: an authority's target for a measure (red/amber/green on the dashboard).
- ``PendingRecompute`` and ``JobRun``: what the incremental job has to redo, and what each job did.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from accounts.models import Authority, Team
from outcomes.periods import PeriodType


class CalendarDay(models.Model):
    day = models.DateField(primary_key=True)
    working_day_number = models.IntegerField(
        help_text="Working days after 1 January 2000 up to and including this day (negative before it)."
    )
    is_working_day = models.BooleanField()
    one_year_before = models.DateField(
        help_text="Same day and month a year earlier; 29 February → 28 February."
    )
    two_years_after = models.DateField(
        help_text="Same day and month two years later; 29 February → 28 February."
    )

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return self.day.isoformat()


class ReportingPeriod(models.Model):
    """A period an authority has measure values for (rewritten with them)."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="reporting_periods")
    period_type = models.CharField(max_length=10, choices=PeriodType.choices)
    period_start = models.DateField()
    period_end = models.DateField()

    class Meta:
        ordering = ["authority", "period_type", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "period_type", "period_start"], name="reporting_period_unique"
            )
        ]
        # The interval join of open cases: the period ends within a record's dates.
        indexes = [
            models.Index(fields=["authority", "period_type", "period_end"], name="reporting_period_ends")
        ]

    def __str__(self) -> str:
        return f"{self.period_type} {self.period_start.isoformat()}–{self.period_end.isoformat()}"


class OpenCase(models.Model):
    """A child with a referral, a child protection plan or a looked-after episode open at the end of
    one of its authority's reporting periods: what the coverage measures count.

    Not a table (``managed = False``): the coverage query reads the open cases from a subquery the
    ORM puts together (``outcomes.coverage_measures._open_cases_sql``), worked out by an interval
    join inside the one query that counts them. The model gives the ORM the columns to compile
    that query against. (It was a work table rewritten by each job until migration 0005: writing
    five million rows cost more than the counting.)"""

    authority = models.ForeignKey(
        Authority, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    child = models.ForeignKey(
        "cases.Child", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    period_type = models.CharField(max_length=10, choices=PeriodType.choices)
    period_start = models.DateField()
    period_end = models.DateField()

    class Meta:
        managed = False

    def __str__(self) -> str:
        return f"child {self.child_id} open at {self.period_end.isoformat()}"


class MeasureValueQuerySet(models.QuerySet["MeasureValue"]):
    def for_user(self, user) -> "MeasureValueQuerySet":
        """Values of the authorities whose case data the user may read (analysts get none here)."""
        from accounts import access

        return self.filter(authority_id__in=access.authority_ids(user, access.CASE_ROLES))


class MeasureValue(models.Model):
    """A measure for one authority (``team`` empty) or one of its teams, in one period.

    Counts store the count as ``numerator`` and ``value`` with no ``denominator``; rates store
    ``value = numerator / denominator`` rounded half-up to 4 decimal places, or no value when the
    denominator is 0.
    """

    # Derived rows, rewritten only by the aggregation job from ids it has just read: no database
    # foreign-key constraints, whose per-row checks at commit cost more than writing the rows
    # (docs/benchmarks.md). Deleting an authority or team still deletes its values (Django's
    # CASCADE, which runs in Python, not in the database). No index of its own for the team:
    # every read by team also names the authority (the unique constraint's index serves it).
    authority = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="measure_values", db_constraint=False
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="measure_values",
        db_constraint=False,
        db_index=False,
    )
    measure = models.CharField(max_length=40, help_text="Key in outcomes.registry.MEASURES.")
    period_type = models.CharField(max_length=10, choices=PeriodType.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    numerator = models.PositiveIntegerField()
    denominator = models.PositiveIntegerField(null=True, blank=True)
    value = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    computed_at = models.DateTimeField()

    objects = MeasureValueQuerySet.as_manager()

    class Meta:
        ordering = ["authority", "team", "measure", "period_type", "period_start"]
        constraints = [
            # Two partial constraints: NULL teams never collide in a plain unique constraint.
            models.UniqueConstraint(
                fields=["authority", "measure", "period_type", "period_start"],
                condition=Q(team__isnull=True),
                name="measure_value_unique_for_authority",
            ),
            models.UniqueConstraint(
                fields=["authority", "team", "measure", "period_type", "period_start"],
                condition=Q(team__isnull=False),
                name="measure_value_unique_for_team",
            ),
        ]
        indexes = [
            # The reads across authorities (benchmarks, comparison, programme figures, reports) are
            # all of authority rows: team rows stay out of this index, a quarter of the writes.
            models.Index(
                fields=["measure", "period_type", "period_start"],
                condition=Q(team__isnull=True),
                name="measure_value_authority_rows",
            )
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.period_type} {self.period_start.isoformat()}"


class MeasureTargetQuerySet(models.QuerySet["MeasureTarget"]):
    def for_user(self, user) -> "MeasureTargetQuerySet":
        """Targets of the authorities the user works in; every target for platform admins."""
        from accounts import access

        if access.is_platform_admin(user):
            return self
        return self.filter(authority_id__in=access.authority_ids(user))


class MeasureTarget(models.Model):
    """An authority's target for one measure, and the band that makes it amber.

    Green when the value meets the target in the measure's direction of improvement; amber when it
    misses by no more than ``tolerance``; red otherwise (``outcomes.rag``). Values are in the
    measure's own units: a share from 0 to 1 for a rate, a mean on the 1–4 scale for fidelity, a
    number for a count.
    """

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="measure_targets")
    measure = models.CharField(max_length=40, help_text="Key in outcomes.registry.MEASURES.")
    target = models.DecimalField(max_digits=12, decimal_places=4)
    tolerance = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        default=0,
        help_text="How far from the target still counts as amber (same units as the target).",
    )
    note = models.CharField(max_length=200, blank=True, help_text="Where the target comes from.")
    history = HistoricalRecords()

    objects = MeasureTargetQuerySet.as_manager()

    class Meta:
        ordering = ["authority", "measure"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "measure"], name="measure_target_unique"),
            models.CheckConstraint(condition=Q(tolerance__gte=0), name="measure_target_tolerance_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.measure} target {self.target}"

    def clean(self) -> None:
        from outcomes.registry import MEASURES

        if self.measure not in MEASURES:
            raise ValidationError({"measure": f"No measure has the key {self.measure!r}."})


class StaleScope(models.TextChoices):
    """Which measures a change can make stale (``outcomes.services.measures_stale_by``)."""

    ALL = "all", "Every measure"
    AUDITS = "audits", "Audit measures"  # sign-offs, moderation, feedback, learning actions
    PRACTICE = "practice", "Practice coverage measures"  # practice records of children


class PendingRecompute(models.Model):
    """A change that makes an authority's stored values stale from ``since`` on (all of them when
    ``since`` is empty), for the measures of its ``scope``. Written by imports, sign-offs,
    moderation, learning actions and surveys; consumed by the incremental job in the same
    transaction as the values it rewrites."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="pending_recomputes")
    since = models.DateField(null=True, blank=True)
    scope = models.CharField(
        max_length=10,
        choices=StaleScope.choices,
        default=StaleScope.ALL,
        help_text="The measures the change can make stale; the incremental job recomputes only those.",
    )
    reason = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        since = self.since.isoformat() if self.since else "the start"
        return f"{self.reason} from {since}"


class JobKind(models.TextChoices):
    INCREMENTAL = "incremental", "Incremental recompute"
    FULL = "full", "Full recompute"


class JobStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    # Its process ended before it finished (a worker stopped, a server restarted): nothing of it stored.
    INTERRUPTED = "interrupted", "Interrupted"


class JobRunQuerySet(models.QuerySet["JobRun"]):
    def for_user(self, user) -> "JobRunQuerySet":
        """Runs over the authorities whose job runs the user may watch (QA leads and leaders)."""
        from accounts import access

        return self.filter(authority_id__in=access.authority_ids(user, access.AUTHORITY_WIDE_ROLES))


class JobRun(models.Model):
    """One aggregation job over one authority: when, how far it has got, what it wrote, what failed.

    A job over several authorities writes one run per authority, sharing ``batch``, so that what a
    QA lead sees of a run never mentions another authority.
    """

    batch = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=20, choices=JobKind.choices)
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="job_runs")
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.RUNNING)
    since = models.DateField(null=True, blank=True, help_text="Periods recomputed from this date on.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    steps_total = models.PositiveIntegerField(default=0)
    steps_done = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The lease of a run under way (qa_system/leases.py): the process doing it, renewed while it works.
    owner = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = JobRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["authority", "-started_at"]),
            # The latest finish of a succeeded run: the version of the stored values (outcomes.selectors).
            models.Index(fields=["status", "finished_at"], name="job_run_finished"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if self.status != JobStatus.RUNNING:
            return 100
        if not self.steps_total:
            return 0
        return min(100, round(100 * self.steps_done / self.steps_total))
