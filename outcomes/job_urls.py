"""Aggregation job runs: the list, one run with its progress, and "Recompute now"."""

from django.urls import path

from outcomes import job_views as views

app_name = "jobs"

urlpatterns = [
    path("jobs/", views.job_list, name="list"),
    path("jobs/run/", views.job_run, name="run"),
    path("jobs/<int:pk>/", views.job_detail, name="detail"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="progress"),
]
