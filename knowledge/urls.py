"""The knowledge library, a resource and its download, and the access records page."""

from django.urls import path

from knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("knowledge/", views.library, name="library"),
    path("knowledge/<int:pk>/", views.detail, name="detail"),
    path("knowledge/<int:pk>/download/", views.download, name="download"),
    path("knowledge/access/", views.access_list, name="access"),
    path("knowledge/access/grant/", views.access_grant, name="access_grant"),
    path("knowledge/access/<int:pk>/extend/", views.access_extend, name="access_extend"),
    path("knowledge/access/<int:pk>/end/", views.access_end, name="access_end"),
]
