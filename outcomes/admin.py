"""Stored measure values in the admin, read-only: platform admins see all, QA leads their
authority's (rows scoped here, each object checked by the rules in ``outcomes.rules``)."""

from django.contrib import admin
from rules.contrib.admin import ObjectPermissionsModelAdmin

from accounts import access
from accounts.admin import ReadOnlyAdminMixin
from accounts.models import Role
from outcomes.models import MeasureValue


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
