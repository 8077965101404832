"""Downloads of measure values and audit answers (CSV and XLSX)."""

from django.urls import path

from outcomes import export_views as views

app_name = "exports"

urlpatterns = [
    path("exports/", views.export_index, name="index"),
    path("exports/measures.<str:fmt>", views.export_measures, name="measures"),
    path("exports/answers.<str:fmt>", views.export_answers, name="answers"),
]
