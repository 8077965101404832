"""Workshops and their polls (the short link /w/CODE/), quarterly reflections and the journal."""

from django.urls import path

from journal import views

app_name = "journal"

urlpatterns = [
    path("workshops/", views.workshop_list, name="workshops"),
    path("workshops/<int:pk>/", views.workshop_detail, name="workshop"),
    path("workshops/<int:pk>/status/", views.workshop_status, name="workshop_status"),
    path("workshops/<int:pk>/questions/", views.question_add, name="question_add"),
    path("workshops/questions/<int:pk>/", views.question_edit, name="question_edit"),
    path("workshops/questions/<int:pk>/remove/", views.question_remove, name="question_remove"),
    path("workshops/<int:pk>/results/", views.results, name="results"),
    path("workshops/<int:pk>/results/live/", views.results_live, name="results_live"),
    path("workshops/answers/<int:pk>/hide/", views.answer_hide, name="hide_answer"),
    path("workshops/answers/<int:pk>/show/", views.answer_show, name="show_answer"),
    path("w/<str:code>/", views.answer, name="answer"),
    path("reflections/", views.reflections, name="reflections"),
    path("reflections/<int:pk>/", views.reflection_detail, name="reflection"),
    path("reflections/<str:quarter>/edit/", views.reflection_edit, name="reflection_edit"),
    path("journal/", views.journal_list, name="list"),
    path("journal/compile/", views.journal_compile, name="compile"),
    path("journal/<int:pk>/", views.journal_detail, name="detail"),
    path("journal/<int:pk>/edit/", views.journal_edit, name="edit"),
    path("journal/<int:pk>/publish/", views.journal_publish, name="publish"),
    path("journal/<int:pk>/pdf/", views.journal_pdf, name="pdf"),
]
