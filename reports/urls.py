"""The report archive, a report with its progress, downloads and "Generate now"."""

from django.urls import path  # noqa: F401

app_name = "reports"

urlpatterns: list = []
