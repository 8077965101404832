"""Writes for authorities, teams, users and memberships.

Each function takes the acting user (or ``None`` for the system, e.g. a data migration) and records
it in the history rows that django-simple-history writes.
"""

from django.db import transaction

from accounts.models import Authority, Membership, Team, User


def _attribute(instance, acting_user) -> None:
    instance._history_user = acting_user


@transaction.atomic
def authority_ensure(*, code: str, name: str, acting_user=None, **fields) -> tuple[Authority, bool]:
    """Create the authority with this DfE number, or update its name; returns (authority, created)."""
    authority = Authority.objects.filter(code=code).first() or Authority(code=code)
    created = authority.pk is None
    values = {"name": name, **fields}
    if not created and all(getattr(authority, key) == value for key, value in values.items()):
        return authority, False
    for key, value in values.items():
        setattr(authority, key, value)
    authority.full_clean()
    _attribute(authority, acting_user)
    authority.save()
    return authority, created


@transaction.atomic
def team_ensure(*, authority: Authority, name: str, service_area: str, acting_user=None) -> Team:
    team = Team.objects.filter(authority=authority, name=name).first() or Team(authority=authority, name=name)
    if team.pk and team.service_area == service_area:
        return team
    team.service_area = service_area
    team.full_clean()
    _attribute(team, acting_user)
    team.save()
    return team


@transaction.atomic
def user_ensure(*, username: str, password: str, acting_user=None, **fields) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, **fields)
        user.set_password(password)
        user.full_clean()
        _attribute(user, acting_user)
        user.save()
    return user


@transaction.atomic
def membership_ensure(
    *, user: User, role: str, authority: Authority | None = None, team: Team | None = None, acting_user=None
) -> Membership:
    """Give the user this role in the authority (or platform-wide when ``authority`` is None)."""
    if authority is None:
        membership = Membership.objects.filter(user=user, role=role, authority=None).first()
    else:
        membership = Membership.objects.filter(user=user, authority=authority).first()
    if membership is None:
        membership = Membership(user=user, authority=authority)
    if membership.pk and membership.role == role and membership.team_id == (team.pk if team else None):
        return membership
    membership.role = role
    membership.team = team
    membership.full_clean()
    _attribute(membership, acting_user)
    membership.save()
    return membership
