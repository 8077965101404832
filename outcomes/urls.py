"""The leaders' outcome dashboard, a measure's trend and benchmark, its drill-down, and the analysts' comparison."""

from django.urls import path

from outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("outcomes/", views.dashboard, name="dashboard"),
    path("outcomes/compare/", views.compare, name="compare"),
    path("outcomes/<slug:key>/", views.measure, name="measure"),
    path("outcomes/<slug:key>/audits/", views.measure_audits, name="measure_audits"),
]
