"""Admin of sampling plans and their draws, for the QA leads of each authority.

- A QA lead sets their authority's plans: the monthly random sample per team and type of case, or
  a thematic sample (``audits.sampling.THEMES``), the exclusion window, the moderation share, the
  day of the month the scheduled job draws it and the days allowed to complete each audit.
- "Draw now" draws this month's sample of the selected plans at once (a month is drawn once: a
  plan already drawn this month keeps its draw).
- Draws are read-only: the seed, who drew it, and the cases eligible and drawn per team and type.

Rows are scoped to the authorities the user leads (``accounts.admin.managed_authorities``); each
object is checked by the rules of ``audits.sampling_rules``; plans keep their history.
Imported by ``audits.admin``, which the admin site autodiscovers.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.utils.html import format_html, format_html_join
from rules.contrib.admin import ObjectPermissionsModelAdminMixin

import audits.sampling_rules  # noqa: F401  (registers the permissions the admin checks)
from accounts import access
from accounts.admin import ReadOnlyAdminMixin, ScopedHistoryAdmin, managed_authorities
from audits import sampling
from audits.models import AuditSource, SampleDraw, SamplingPlan, Tool, ToolKind


class SamplingPlanForm(forms.ModelForm):
    theme = forms.ChoiceField(
        choices=[("", "—")] + sampling.THEME_CHOICES,
        required=False,
        help_text="Thematic samples: which cases. "
        + " ".join(f"{theme.label}: {theme.description}" for theme in sampling.THEMES.values()),
    )

    class Meta:
        model = SamplingPlan
        fields = [
            "authority",
            "name",
            "source",
            "tool",
            "cin_per_team",
            "cp_per_team",
            "cla_per_team",
            "theme",
            "theme_size",
            "exclude_audited_months",
            "moderation_share",
            "day_of_month",
            "due_days",
            "is_active",
        ]

    def clean(self):
        cleaned = super().clean() or {}
        source = cleaned.get("source")
        if source == AuditSource.MANUAL:
            self.add_error("source", "A plan draws samples: choose a random or a thematic sample.")
        if source == AuditSource.THEMATIC and not cleaned.get("theme"):
            self.add_error("theme", "Choose the theme of the sample.")
        if source == AuditSource.RANDOM:
            cleaned["theme"] = ""
        day = cleaned.get("day_of_month")
        if day is not None and not 1 <= day <= 31:
            self.add_error("day_of_month", "A day of the month, 1 to 31 (31 means the month's last day).")
        share = cleaned.get("moderation_share")
        if share is not None and not 0 <= share <= 1:
            self.add_error("moderation_share", "A share between 0 and 1 (0.10 is one audit in ten).")
        return cleaned


@admin.register(SamplingPlan)
class SamplingPlanAdmin(ScopedHistoryAdmin):
    form = SamplingPlanForm
    list_display = ["name", "authority", "source", "sizes", "day_of_month", "is_active", "last_draw"]
    list_filter = ["source", "is_active"]
    search_fields = ["name"]
    actions = ["draw_now"]

    def get_queryset(self, request):
        if access.is_platform_admin(request.user):
            queryset = SamplingPlan.objects.all()
        else:
            queryset = SamplingPlan.objects.for_user(request.user).filter(
                authority__in=managed_authorities(request)
            )
        return queryset.select_related("authority", "tool").annotate(draw_count=Count("draws"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "tool":
            # Case audits of the standard library, and the authority's own.
            kwargs["queryset"] = Tool.objects.filter(kind=ToolKind.CASE_AUDIT).filter(
                Q(authority__isnull=True) | Q(authority__in=managed_authorities(request))
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Cases per team (CIN / CP / CLA)")
    def sizes(self, obj: SamplingPlan) -> str:
        if obj.source == AuditSource.THEMATIC:
            theme = sampling.THEMES.get(obj.theme)
            return f"up to {obj.theme_size}: {theme.label if theme else obj.theme}"
        return f"{obj.cin_per_team} / {obj.cp_per_team} / {obj.cla_per_team}"

    @admin.display(description="Draws")
    def last_draw(self, obj: SamplingPlan) -> int:
        return getattr(obj, "draw_count", 0)

    def has_draw_permission(self, request) -> bool:
        return request.user.has_perm("audits.draw_samplingplan")

    @admin.action(description="Draw this month's sample now", permissions=["draw"])
    def draw_now(self, request, queryset):
        from audits.tasks import draw_sample

        today = sampling._today()
        month = sampling.first_of_month(today)
        for plan in queryset:
            if not request.user.has_perm("audits.draw_samplingplan", plan):
                messages.error(request, f"{plan.name}: only the authority's QA leads draw its samples.")
                continue
            existing = SampleDraw.objects.filter(plan=plan, month=month).first()
            if existing is not None:
                messages.warning(request, f"{plan.name}: {month:%B %Y} is already drawn; the draw stands.")
                continue
            try:
                result = draw_sample.delay(plan.pk, today.isoformat(), request.user.pk)
                if not result.ready():
                    messages.info(request, f"{plan.name}: drawing {month:%B %Y}; the audits appear shortly.")
                    continue
                the_draw = SampleDraw.objects.get(pk=result.get())
            except (ValidationError, PermissionDenied, ObjectDoesNotExist) as error:
                problems = getattr(error, "messages", None) or [str(error)]
                messages.error(request, f"{plan.name}: {' '.join(problems)}")
                continue
            messages.success(
                request,
                f"{plan.name}: {the_draw.summary.get('drawn', 0)} audits drawn from "
                f"{the_draw.summary.get('eligible', 0)} eligible cases (seed {the_draw.seed}).",
            )


@admin.register(SampleDraw)
class SampleDrawAdmin(ReadOnlyAdminMixin, ObjectPermissionsModelAdminMixin, admin.ModelAdmin):
    list_display = ["plan", "month", "drawn_at", "drawn_by", "drawn", "seed"]
    list_filter = ["month"]
    fields = ("plan", "month", "seed", "drawn_at", "drawn_by", "summary_table")
    readonly_fields = ("plan", "month", "seed", "drawn_at", "drawn_by", "summary_table")

    def get_queryset(self, request):
        queryset = SampleDraw.objects.select_related("plan__authority", "drawn_by")
        if not access.is_platform_admin(request.user):
            queryset = queryset.filter(plan__authority__in=managed_authorities(request))
        return queryset

    @admin.display(description="Audits drawn")
    def drawn(self, obj: SampleDraw) -> int:
        return obj.summary.get("drawn", 0)

    @admin.display(description="Cases eligible and drawn")
    def summary_table(self, obj: SampleDraw) -> str:
        summary = obj.summary or {}
        strata = summary.get("strata", [])
        labels = {**sampling.STRATUM_LABELS, sampling.THEME: "Theme"}
        header = format_html_join("", "<th>{}</th>", ((labels.get(s, s),) for s in strata))
        rows = format_html_join(
            "",
            "<tr><td>{}</td>{}</tr>",
            (
                (
                    team.get("team", ""),
                    format_html_join(
                        "",
                        "<td>{} of {}</td>",
                        (
                            (team.get(s, {}).get("drawn", 0), team.get(s, {}).get("eligible", 0))
                            for s in strata
                        ),
                    ),
                )
                for team in summary.get("teams", [])
            ),
        )
        unallocated = ", ".join(
            f"{entry['child']} ({entry['team']})" for entry in summary.get("unallocated", [])
        )
        return format_html(
            "<p>Drawn on {} · {} drawn of {} eligible · {} open cases left out as audited recently.</p>"
            "<table><thead><tr><th>Team</th>{}</tr></thead><tbody>{}</tbody></table>{}",
            summary.get("drawn_on", "?"),
            summary.get("drawn", 0),
            summary.get("eligible", 0),
            summary.get("excluded_recently_audited", 0),
            header,
            rows,
            format_html("<p>Nobody to allocate: {}</p>", unallocated) if unallocated else "",
        )
