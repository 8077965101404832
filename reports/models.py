"""Quarterly outcome reports: each authority's branding, and the archive of generated reports.

``ReportBranding`` is the configurable part of the report template (logo, colours, introduction).
``OutcomeReport`` is one generated report (HTML rendered to PDF by WeasyPrint), stored with its
SHA-256 checksum; regenerating a quarter adds a new report and keeps the earlier ones.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

from accounts.models import Authority

COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour as #RRGGBB, e.g. #1f4e79.")


class ReportBrandingQuerySet(models.QuerySet["ReportBranding"]):
    def for_user(self, user) -> "ReportBrandingQuerySet":
        from accounts import access

        if access.is_platform_admin(user):
            return self
        return self.filter(authority_id__in=access.authority_ids(user))


class ReportBranding(models.Model):
    authority = models.OneToOneField(Authority, on_delete=models.CASCADE, related_name="report_branding")
    logo = models.ImageField(
        upload_to="branding/", blank=True, help_text="PNG or JPEG, shown at the top of every report."
    )
    primary_colour = models.CharField(
        max_length=7, default="#1f4e79", validators=[COLOUR], help_text="Headings and the cover band."
    )
    accent_colour = models.CharField(
        max_length=7, default="#c55a11", validators=[COLOUR], help_text="Chart lines and highlights."
    )
    introduction = models.TextField(
        blank=True,
        help_text="A foreword printed on the first page (plain text; blank lines start paragraphs).",
    )
    history = HistoricalRecords()

    objects = ReportBrandingQuerySet.as_manager()

    class Meta:
        verbose_name = "report branding"
        verbose_name_plural = "report branding"

    def __str__(self) -> str:
        return f"Report branding of {self.authority}"


class ReportStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    RUNNING = "running", "Generating"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class OutcomeReportQuerySet(models.QuerySet["OutcomeReport"]):
    def for_user(self, user) -> "OutcomeReportQuerySet":
        """Reports of the authorities the user works in (any role), and every report for analysts."""
        from accounts import access

        if access.is_analyst(user):
            return self
        return self.filter(authority_id__in=access.authority_ids(user))


class OutcomeReport(models.Model):
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="outcome_reports")
    quarter_start = models.DateField(help_text="First day of the financial quarter reported on.")
    status = models.CharField(max_length=20, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    steps_total = models.PositiveIntegerField(default=0)
    steps_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="reports/", blank=True)
    checksum = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the PDF.")
    size = models.PositiveIntegerField(null=True, blank=True, help_text="Bytes.")
    pages = models.PositiveSmallIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for the scheduled job.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # The lease of a generation under way (qa_system/leases.py).
    owner = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = OutcomeReportQuerySet.as_manager()

    class Meta:
        ordering = ["-quarter_start", "-created_at", "-pk"]
        indexes = [models.Index(fields=["authority", "-quarter_start"])]

    def __str__(self) -> str:
        return f"Outcome report {self.quarter_label} ({self.authority})"

    @property
    def quarter_label(self) -> str:
        """ "2024-25 Q1": the notation authorities write."""
        from outcomes.periods import PeriodType, period_starting

        label = period_starting(PeriodType.QUARTER, self.quarter_start).label  # "Q1 2024-25"
        quarter, year = label.split(" ")
        return f"{year} {quarter}"

    @property
    def percent(self) -> int:
        if self.status in (ReportStatus.DONE, ReportStatus.FAILED):
            return 100
        if not self.steps_total:
            return 0
        return min(100, round(100 * self.steps_done / self.steps_total))
