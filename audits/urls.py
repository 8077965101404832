from django.urls import path

from audits import views

app_name = "audits"

urlpatterns = [
    path("audits/", views.home, name="home"),
    path("audits/start/", views.start, name="start"),
    path("audits/audit.js", views.script, name="script"),
    path("audits/<int:pk>/", views.detail, name="detail"),
    path("audits/<int:pk>/answers/<slug:item_key>/", views.answer, name="answer"),
    path("audits/<int:pk>/move/", views.move, name="move"),
    path("audits/<int:pk>/consent/", views.consent, name="consent"),
]
