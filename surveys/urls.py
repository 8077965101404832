"""The staff survey: waves to answer, results, the action research report (HTML, PDF) and its CSV."""

from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    path("surveys/", views.home, name="home"),
    path("surveys/<int:pk>/answer/", views.answer, name="answer"),
    path("surveys/<int:pk>/report/<str:code>/", views.report, name="report"),
    path("surveys/<int:pk>/report/<str:code>/pdf/", views.report_pdf, name="report_pdf"),
    path("surveys/<int:pk>/report/<str:code>/export.csv", views.export, name="export"),
]
