from django.urls import path

from audits import moderation_views as views

app_name = "moderation"

urlpatterns = [
    path("moderation/", views.queue, name="queue"),
    path("moderation/agreement/", views.agreement_page, name="agreement"),
    path("moderation/<int:pk>/", views.detail, name="detail"),
    path("moderation/<int:pk>/rate/", views.rate, name="rate"),
    path("moderation/<int:pk>/complete/", views.complete, name="complete"),
]
