"""Reads for authorities, teams and members."""

from django.db.models import Count, Prefetch, QuerySet

from accounts.models import Authority, Membership, Team


def team_list(*, authority_id: int) -> QuerySet[Team]:
    return Team.objects.filter(authority_id=authority_id).annotate(member_count=Count("memberships"))


def team_members(*, team: Team) -> QuerySet[Membership]:
    return team.memberships.select_related("user").order_by("role", "user__last_name", "user__username")


def authority_members(*, authority_id: int) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(authority_id=authority_id)
        .select_related("user", "team")
        .order_by("role", "user__last_name", "user__username")
    )


def authority_directory() -> QuerySet[Authority]:
    """Every authority with its team count: what analysts and platform admins list."""
    return Authority.objects.annotate(team_count=Count("teams", distinct=True)).prefetch_related(
        Prefetch("teams", queryset=Team.objects.order_by("name"))
    )
