from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", account_views.healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("accounts.urls")),
    path("", include("cases.urls")),
    path("", include("cases.practice_urls")),
    path("", include("audits.urls")),
    path("", include("audits.followup_urls")),
    path("", include("audits.moderation_urls")),
    path("", include("audits.oversight_urls")),
    path("", include("outcomes.urls")),
    path("", include("outcomes.job_urls")),
    path("", include("outcomes.export_urls")),
    path("", include("reports.urls")),
    path("", include("surveys.urls")),
    path("", include("journal.urls")),
    path("", include("knowledge.urls")),
    path("", include("feedback.urls")),
    path("admin/", admin.site.urls),
]
