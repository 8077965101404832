"""Reports in the admin: each authority's branding (logo, colours, introduction), edited by its QA
leads with its history; generated reports listed read-only. Rows are scoped here, each object
checked by the rules in ``reports.rules``."""

from django.contrib import admin

from accounts import access
from accounts.admin import ReadOnlyAdminMixin, ScopedAdmin, ScopedHistoryAdmin
from accounts.models import Role
from qa_system.uploads import UploadLimitAdminMixin
from reports.models import OutcomeReport, ReportBranding

# The logo is inlined in every report page and PDF; a logo is tens of kilobytes, so 2 MB is ample.
LOGO_MAX_BYTES = 2 * 1024 * 1024


@admin.register(ReportBranding)
class ReportBrandingAdmin(UploadLimitAdminMixin, ScopedHistoryAdmin):
    upload_max_bytes = LOGO_MAX_BYTES
    list_display = ["authority", "primary_colour", "accent_colour"]
    list_select_related = ["authority"]
    fields = ["authority", "logo", "primary_colour", "accent_colour", "introduction"]


@admin.register(OutcomeReport)
class OutcomeReportAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    list_display = ["authority", "quarter_start", "status", "created_at", "requested_by", "pages", "checksum"]
    list_filter = ["status"]
    list_select_related = ["authority", "requested_by"]

    def get_queryset(self, request):
        queryset = OutcomeReport.objects.select_related("authority", "requested_by")
        if access.is_platform_admin(request.user):
            return queryset
        return queryset.filter(authority_id__in=access.authority_ids(request.user, [Role.QA_LEAD]))
