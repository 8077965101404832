from django.urls import path

from cases import practice_views

app_name = "practice"

urlpatterns = [
    path("cases/<int:child_pk>/practice/", practice_views.practice_record, name="record"),
    path("cases/<int:child_pk>/practice/add/<slug:kind>/", practice_views.practice_add, name="add"),
    path(
        "cases/<int:child_pk>/practice/<slug:kind>/<int:pk>/", practice_views.practice_change, name="change"
    ),
]
