"""The QA lead's dashboard."""

from django.urls import path

from audits import oversight_views as views

app_name = "oversight"

urlpatterns = [
    path("qa/", views.overview, name="overview"),
    path("qa/jobs/", views.jobs, name="jobs"),
]
