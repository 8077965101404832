"""Aggregation job runs: the list, one run with its progress, and "Recompute now"."""

from django.urls import path  # noqa: F401

app_name = "jobs"

urlpatterns: list = []
