"""The one place that answers "may this user see or do this?".

Views, admin classes, exports and jobs ask here; nothing else reads roles. Object lookups go
through ``get_for_user_or_404`` so that "does not exist" and "belongs to another authority" give
the same 404, and reveal nothing.

Predicates are registered with the ``rules`` package, so ``user.has_perm("accounts.change_team",
team)`` (which the admin calls) gives the same answers as the functions below.
"""

from collections.abc import Iterable
from typing import Any

import rules
from django.db.models import Model, QuerySet
from django.http import Http404

from accounts.models import PLATFORM_ROLES, Authority, Membership, Role

# Roles that work within one authority.
AUTHORITY_ROLES = frozenset(Role) - frozenset(PLATFORM_ROLES)
# Roles that may read the identifiable case data of their authority.
CASE_ROLES = frozenset({Role.PRACTITIONER, Role.TEAM_MANAGER, Role.QA_LEAD, Role.LEADER})
# Roles that read the whole authority's figures, not only their team's.
AUTHORITY_WIDE_ROLES = frozenset({Role.QA_LEAD, Role.LEADER})


def memberships(user) -> list[Membership]:
    """The user's memberships, read once per user object (one request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_qa_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user_id=user.id).select_related("authority", "team"))
        user._qa_memberships = cached
    return cached


def forget(user) -> None:
    """Drop the cached memberships, after they changed."""
    user.__dict__.pop("_qa_memberships", None)


def roles(user, authority: Authority | int | None) -> set[str]:
    authority_id = authority.pk if isinstance(authority, Authority) else authority
    return {m.role for m in memberships(user) if m.authority_id == authority_id}


def authority_ids(user, role_in: Iterable[str] = AUTHORITY_ROLES) -> set[int]:
    wanted = set(role_in)
    return {m.authority_id for m in memberships(user) if m.authority_id and m.role in wanted}


def authority_memberships(user) -> list[Membership]:
    """Memberships the user can switch between, in the order shown in the switcher."""
    return sorted(
        (m for m in memberships(user) if m.authority_id),
        key=lambda m: m.authority.name if m.authority else "",
    )


@rules.predicate
def is_platform_admin(user) -> bool:
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return any(m.role == Role.PLATFORM_ADMIN for m in memberships(user))


@rules.predicate
def is_analyst(user) -> bool:
    return any(m.role == Role.ANALYST for m in memberships(user))


@rules.predicate
def is_qa_lead_somewhere(user) -> bool:
    return bool(authority_ids(user, [Role.QA_LEAD]))


def sees_all_authorities(user) -> bool:
    """Analysts and platform admins see the list of every authority (never their case data)."""
    return is_platform_admin(user) or is_analyst(user)


def _authority_id_of(obj: Any) -> int | None:
    if obj is None:
        return None
    if isinstance(obj, Authority):
        return obj.pk
    return getattr(obj, "authority_id", None)


@rules.predicate
def is_qa_lead_of(user, obj) -> bool:
    """QA lead of the object's authority; with no object, QA lead of any authority."""
    if obj is None:
        return is_qa_lead_somewhere(user)
    authority_id = _authority_id_of(obj)
    return authority_id is not None and authority_id in authority_ids(user, [Role.QA_LEAD])


@rules.predicate
def is_member_of(user, obj) -> bool:
    if obj is None:
        return bool(authority_ids(user))
    authority_id = _authority_id_of(obj)
    return authority_id is not None and authority_id in authority_ids(user)


@rules.predicate
def manages_member(user, member) -> bool:
    """QA lead of an authority the other user belongs to; with no user, QA lead anywhere."""
    if member is None:
        return is_qa_lead_somewhere(user)
    if member.is_superuser:
        return False
    led = authority_ids(user, [Role.QA_LEAD])
    return Membership.objects.filter(user_id=member.pk, authority_id__in=led).exists()


def may_use_admin(user) -> bool:
    return bool(is_platform_admin(user) or is_qa_lead_somewhere(user))


def may_view_cases(user, authority: Authority | int | None) -> bool:
    return bool(roles(user, authority) & CASE_ROLES)


def may_view_authority_overview(user, authority: Authority | int | None) -> bool:
    return bool(roles(user, authority) & AUTHORITY_WIDE_ROLES)


def may_import_returns(user, authority: Authority | int | None) -> bool:
    return Role.QA_LEAD in roles(user, authority)


def may_manage_authority(user, authority: Authority | int | None) -> bool:
    return Role.QA_LEAD in roles(user, authority) or bool(is_platform_admin(user))


def get_for_user_or_404(source: type[Model] | QuerySet, user, **lookup) -> Any:
    """Fetch one row through the model's ``for_user`` scope; 404 when missing or not the user's."""
    queryset: Any = source if isinstance(source, QuerySet) else source._default_manager.all()
    try:
        return queryset.for_user(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found.") from None


# --- permissions for the admin (rules) -------------------------------------------------------
# An app label as a permission decides whether the admin lists the app at all.
rules.add_perm("accounts", is_platform_admin | is_qa_lead_somewhere)
rules.add_perm("django_celery_beat", is_platform_admin)
rules.add_perm("cases", is_qa_lead_somewhere)
rules.add_perm("cases.view_importrun", is_qa_lead_of)
rules.add_perm("django_celery_results", is_platform_admin)
rules.add_perm("accounts.view_authority", is_platform_admin | is_qa_lead_of)
rules.add_perm("accounts.change_authority", is_platform_admin | is_qa_lead_of)
rules.add_perm("accounts.add_authority", is_platform_admin)
rules.add_perm("accounts.delete_authority", is_platform_admin)

for action in ("view", "add", "change", "delete"):
    rules.add_perm(f"accounts.{action}_team", is_platform_admin | is_qa_lead_of)
    rules.add_perm(f"accounts.{action}_membership", is_platform_admin | is_qa_lead_of)

rules.add_perm("accounts.view_user", is_platform_admin | manages_member)
rules.add_perm("accounts.change_user", is_platform_admin | manages_member)
rules.add_perm("accounts.add_user", is_platform_admin | is_qa_lead_somewhere)
rules.add_perm("accounts.delete_user", is_platform_admin)

# The schedules of the background jobs are the platform's, not an authority's.
for model in ("periodictask", "crontabschedule", "intervalschedule", "solarschedule", "clockedschedule"):
    for action in ("view", "add", "change", "delete"):
        rules.add_perm(f"django_celery_beat.{action}_{model}", is_platform_admin)
rules.add_perm("django_celery_results.view_taskresult", is_platform_admin)
rules.add_perm("django_celery_results.view_groupresult", is_platform_admin)
