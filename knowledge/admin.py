"""The knowledge library in the admin.

The programme team and platform admins edit the programme's library (resources without an
authority); a QA lead adds and edits local resources for the authorities they lead, and sees no
other authority's. django-simple-history keeps who changed what, tags included. Access records
are listed read-only (they are managed on the knowledge access page)."""

from django import forms
from django.contrib import admin
from django.db import models
from rules.contrib.admin import ObjectPermissionsModelAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from accounts import access
from accounts.admin import ReadOnlyAdminMixin, ScopedAdmin, managed_authorities
from accounts.models import Role
from knowledge.models import MAX_FILE_BYTES, KnowledgeAccess, Resource
from qa_system.uploads import UploadLimitAdminMixin


def _local_only(request) -> bool:
    """QA leads who do not run the programme: local resources of their own authorities only."""
    return not access.runs_programme(request.user)


@admin.register(Resource)
class ResourceAdmin(UploadLimitAdminMixin, ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    upload_max_bytes = MAX_FILE_BYTES
    list_display = ["title", "kind", "authority", "is_published", "updated_at"]
    list_filter = ["kind", "is_published", "rubric_elements", "nodes"]
    list_select_related = ["authority"]
    search_fields = ["title", "summary"]
    filter_horizontal = ["rubric_elements", "nodes"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = [
        "title",
        "summary",
        "kind",
        "url",
        "file",
        "rubric_elements",
        "nodes",
        "authority",
        "is_published",
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("authority")
        if access.is_platform_admin(request.user):
            return queryset
        led = access.authority_ids(request.user, [Role.QA_LEAD])
        if _local_only(request):
            return queryset.filter(authority_id__in=led)
        # The programme team: the programme's library, and the local resources of authorities they lead.
        return queryset.filter(authority__isnull=True) | queryset.filter(authority_id__in=led)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "authority":
            kwargs["queryset"] = managed_authorities(request)
            if _local_only(request):
                kwargs["required"] = True
                kwargs["empty_label"] = None
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        local_only = _local_only(request)

        class ResourceForm(form):  # type: ignore[valid-type,misc]
            def clean_authority(self):
                authority = self.cleaned_data.get("authority")
                if authority is None and local_only:
                    raise forms.ValidationError(
                        "Choose your authority: the programme's library is edited by the programme team."
                    )
                return authority

        return ResourceForm


@admin.register(KnowledgeAccess)
class KnowledgeAccessAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    list_display = ["user", "authority", "what", "granted_on", "expires_on", "ended_on", "reminded_on"]
    list_filter = ["what"]
    list_select_related = ["user", "authority"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
