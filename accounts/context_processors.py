from accounts import access
from accounts.navigation import items_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    return {
        "nav_items": items_for(user, membership),
        "active_membership": membership,
        "switchable_memberships": access.authority_memberships(user),
        "platform_roles": [m for m in access.memberships(user) if m.authority_id is None],
    }
