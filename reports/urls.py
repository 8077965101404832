"""The report archive, a report with its progress, downloads, the HTML version and "Generate now"."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.report_list, name="list"),
    path("reports/generate/", views.report_generate, name="generate"),
    path("reports/<int:pk>/", views.report_detail, name="detail"),
    path("reports/<int:pk>/progress/", views.report_progress, name="progress"),
    path("reports/<int:pk>/download/", views.report_download, name="download"),
    path("reports/<int:pk>/html/", views.report_html, name="html"),
]
