"""Survey waves in the admin, for the programme team, with their history. Responses and
participations are deliberately not registered (see ``surveys.models``); the wave page shows only
how many responses each authority has, small numbers suppressed."""

from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html_join
from rules.contrib.admin import ObjectPermissionsModelAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from surveys.models import SurveyWave
from surveys.selectors import count_text


@admin.register(SurveyWave)
class SurveyWaveAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "kind", "tool_version", "opens_on", "closes_on", "status_text"]
    list_filter = ["kind"]
    list_select_related = ["tool_version__tool"]
    fields = ["name", "kind", "tool_version", "baseline", "opens_on", "closes_on", "responses", "created_by"]
    readonly_fields = ["responses", "created_by"]

    @admin.display(description="Status")
    def status_text(self, obj: SurveyWave) -> str:
        return obj.status_text

    @admin.display(description="Responses per authority")
    def responses(self, obj: SurveyWave) -> str:
        if obj.pk is None:
            return "–"
        rows = obj.responses.values("authority__name").annotate(n=Count("id")).order_by("authority__name")
        return (
            format_html_join(
                "", "<div>{}: {}</div>", ((row["authority__name"], count_text(row["n"])) for row in rows)
            )
            or "None yet"
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
