"""Puts the authority the user is working in on the request, and slides the session's idle expiry."""

import time

from accounts import access

SESSION_KEY = "active_authority_id"


def active_membership(request):
    """The membership for the authority chosen in the switcher, else the user's first one."""
    choices = access.authority_memberships(request.user)
    chosen = request.session.get(SESSION_KEY)
    for membership in choices:
        if membership.authority_id == chosen:
            return membership
    return choices[0] if choices else None


class ActiveAuthorityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = active_membership(request)
        return self.get_response(request)


class SlidingSessionMiddleware:
    """Sessions end after ``SESSION_COOKIE_AGE`` without activity. Instead of writing the session on
    every request (``SESSION_SAVE_EVERY_REQUEST``, a database write per page), the expiry is moved on
    at most once a ``REFRESH_SECONDS``: a session ends between the idle time and a minute less.

    Placed after ``SessionMiddleware``, so that the session it marks as changed is saved on the
    way out."""

    REFRESH_SECONDS = 60
    KEY = "_refreshed_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            if now - int(request.session.get(self.KEY, 0)) >= self.REFRESH_SECONDS:
                request.session[self.KEY] = now
        return response


def session_started(sender, request, user, **kwargs) -> None:
    """Signing in writes the session anyway: count that as its first refresh (connected to
    ``user_logged_in`` in ``accounts.apps``)."""
    if hasattr(request, "session"):
        request.session[SlidingSessionMiddleware.KEY] = int(time.time())
