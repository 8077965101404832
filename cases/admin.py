"""Import runs in the admin, read-only, for the QA leads of the authority. Case rows themselves are
read on the case pages, not here."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdminMixin, ScopedAdmin
from cases.models import ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    list_display = [
        "filename",
        "authority",
        "file_format",
        "status",
        "stored",
        "updated",
        "rejected",
        "created_at",
    ]
    list_filter = ["status", "file_format"]
    search_fields = ["filename", "sha256"]
    exclude = ["upload"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in ImportRun._meta.fields if field.name != "upload"]
