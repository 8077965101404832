"""Puts the authority the user is working in on the request."""

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
