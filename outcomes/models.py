"""Stored measure values, and the two tables that keep their aggregation set-based.

- ``CalendarDay``: one row per day with its cumulative working-day number and its year shifts, so
  that working days and "one year before" are joins, not Python loops (see ``outcomes.workdays``).
- ``ReportingPeriod``: the periods each authority gets rows for; the looked-after-at-period-end
  measures join children to it.
- ``MeasureValue``: one value per authority (or team), measure and period.
"""

from django.db import models
from django.db.models import Q

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

    def __str__(self) -> str:
        return f"{self.period_type} {self.period_start.isoformat()}–{self.period_end.isoformat()}"


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

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="measure_values")
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="measure_values"
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
        indexes = [models.Index(fields=["measure", "period_type", "period_start"])]

    def __str__(self) -> str:
        return f"{self.measure} {self.period_type} {self.period_start.isoformat()}"
