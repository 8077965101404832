from django.urls import path

from feedback import views

app_name = "feedback"

urlpatterns = [
    path("platform-feedback/", views.give, name="new"),
    path("platform-feedback/mine/", views.mine, name="mine"),
    path("platform-feedback/inbox/", views.inbox, name="inbox"),
    path("platform-feedback/<int:pk>/", views.detail, name="detail"),
    path("platform-feedback/<int:pk>/status/", views.set_status, name="status"),
    path("platform-feedback/<int:pk>/notes/", views.add_note, name="note"),
]
