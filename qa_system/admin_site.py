"""The admin site: open to QA leads and platform admins, whatever their ``is_staff`` flag says.

Who may use the admin follows from memberships (``accounts.access.may_use_admin``), and each
ModelAdmin scopes its rows through ``accounts.access``. Signing in happens on the platform's own
login page, so lockout and session rules are the same everywhere.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.urls import reverse


class QAAdminSite(admin.AdminSite):
    site_header = "Signs of Safety QA · administration"
    site_title = "QA administration"
    index_title = "Configuration"

    def has_permission(self, request) -> bool:
        from accounts import access

        return request.user.is_active and access.may_use_admin(request.user)

    def login(self, request, extra_context=None):
        if request.user.is_authenticated:
            # Signed in, but not someone who uses the admin.
            return HttpResponseRedirect(reverse("home"))
        return redirect_to_login(request.GET.get("next", reverse("admin:index")), settings.LOGIN_URL)
