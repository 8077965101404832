"""Downloads of measure values and audit answers (CSV and XLSX)."""

from django.urls import path  # noqa: F401

app_name = "exports"

urlpatterns: list = []
