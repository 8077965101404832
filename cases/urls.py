from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("cases/", views.case_list, name="list"),
    path("cases/<int:pk>/", views.case_detail, name="detail"),
    path("imports/", views.import_list, name="imports"),
    path("imports/progress/", views.import_progress, name="import_progress"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
]
