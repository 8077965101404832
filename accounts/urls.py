from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("teams/", views.teams, name="teams"),
    path("teams/<int:pk>/", views.team_detail, name="team"),
    path("authority/", views.authority, name="authority"),
    path("authorities/", views.authorities, name="authorities"),
    path("switch-authority/", views.switch_authority, name="switch_authority"),
]
