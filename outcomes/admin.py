"""The outcomes app in the admin: stored values and job runs read-only (platform admins see all,
QA leads their authority's); targets edited by the authority's QA leads, with their history. Rows
are scoped here, each object checked by the rules in ``outcomes.rules``."""

from django import forms
from django.contrib import admin
from rules.contrib.admin import ObjectPermissionsModelAdmin

from accounts import access
from accounts.admin import ReadOnlyAdminMixin, ScopedAdmin, ScopedHistoryAdmin
from accounts.models import Role
from outcomes.models import JobRun, MeasureTarget, MeasureValue
from outcomes.registry import MEASURES


@admin.register(MeasureValue)
class MeasureValueAdmin(ReadOnlyAdminMixin, ObjectPermissionsModelAdmin):
    list_display = [
        "measure",
        "authority",
        "team",
        "period_type",
        "period_start",
        "period_end",
        "numerator",
        "denominator",
        "value",
    ]
    list_filter = ["measure", "period_type"]
    date_hierarchy = "period_start"
    list_select_related = ["authority", "team"]

    def get_queryset(self, request):
        queryset = MeasureValue.objects.select_related("authority", "team")
        if access.is_platform_admin(request.user):
            return queryset
        return queryset.filter(authority_id__in=access.authority_ids(request.user, [Role.QA_LEAD]))


class MeasureTargetForm(forms.ModelForm):
    measure = forms.ChoiceField(
        choices=lambda: [(m.key, f"{m.name} ({m.key})") for m in MEASURES.values()],
        help_text="Rates are shares from 0 to 1 (0.25 = 25%); fidelity means are on the 1–4 scale.",
    )

    class Meta:
        model = MeasureTarget
        fields = ["authority", "measure", "target", "tolerance", "note"]


@admin.register(MeasureTarget)
class MeasureTargetAdmin(ScopedHistoryAdmin):
    form = MeasureTargetForm
    list_display = ["measure", "authority", "target", "tolerance", "note"]
    list_filter = ["measure"]
    list_select_related = ["authority"]


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    list_display = ["started_at", "kind", "authority", "status", "since", "rows_written", "finished_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["authority"]

    def get_queryset(self, request):
        # The same rows as ``ScopedAdmin``, through the model itself: ``for_user`` gives leaders
        # their runs too, while the admin is for QA leads and platform admins.
        queryset = JobRun.objects.select_related("authority")
        if access.is_platform_admin(request.user):
            return queryset
        return queryset.filter(authority_id__in=access.authority_ids(request.user, [Role.QA_LEAD]))
