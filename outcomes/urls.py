"""The leaders' outcome dashboard, a measure's trend and benchmark, its drill-down, and the analysts' comparison."""

from django.urls import path  # noqa: F401

app_name = "outcomes"

urlpatterns: list = []
