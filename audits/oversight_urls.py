"""The QA lead's dashboard."""

from django.urls import path  # noqa: F401

app_name = "oversight"

urlpatterns: list = []
