from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class Region(models.TextChoices):
    NORTH_EAST = "north_east", "North East"
    NORTH_WEST = "north_west", "North West"
    YORKSHIRE = "yorkshire", "Yorkshire and the Humber"
    EAST_MIDLANDS = "east_midlands", "East Midlands"
    WEST_MIDLANDS = "west_midlands", "West Midlands"
    EAST = "east", "East of England"
    LONDON = "london", "London"
    SOUTH_EAST = "south_east", "South East"
    SOUTH_WEST = "south_west", "South West"


class ServiceArea(models.TextChoices):
    FRONT_DOOR = "front_door", "Front door"
    ASSESSMENT = "assessment", "Assessment"
    CHILD_PROTECTION = "child_protection", "Child protection"
    CHILDREN_IN_CARE = "children_in_care", "Children in care"
    EARLY_HELP = "early_help", "Early help"


class Role(models.TextChoices):
    PRACTITIONER = "practitioner", "Practitioner"
    TEAM_MANAGER = "team_manager", "Team manager"
    QA_LEAD = "qa_lead", "QA lead"
    LEADER = "leader", "Leader"
    ANALYST = "analyst", "Cross-authority analyst"
    PLATFORM_ADMIN = "platform_admin", "Platform admin"
    PROGRAMME = "programme", "Programme team"


class CaseScope(models.TextChoices):
    """Which cases an authority's practitioners and team managers see (``Authority.practitioner_case_scope``)."""

    TEAM = "team", "The cases of their own team"
    AUTHORITY = "authority", "Every case of the authority"


# Roles held across the whole platform rather than within one authority.
# The programme team runs the programme around the platform (workshops, the journal, the staff
# survey waves, the knowledge library, feedback): like analysts, it never sees case data.
PLATFORM_ROLES = (Role.ANALYST, Role.PLATFORM_ADMIN, Role.PROGRAMME)


class AuthorityQuerySet(models.QuerySet["Authority"]):
    def for_user(self, user) -> "AuthorityQuerySet":
        from accounts import access

        if access.sees_all_authorities(user):
            return self.all()
        return self.filter(id__in=access.authority_ids(user))


class Authority(models.Model):
    code = models.CharField(
        "DfE LA number",
        max_length=3,
        unique=True,
        validators=[RegexValidator(r"^\d{3}$", "The DfE LA number has exactly three digits, e.g. 872.")],
        help_text="The three-digit local authority number the DfE uses in statutory returns.",
    )
    name = models.CharField(max_length=120)
    region = models.CharField(max_length=20, choices=Region.choices, blank=True)
    sofs_started_on = models.DateField("Signs of Safety implementation began", null=True, blank=True)
    practitioner_case_scope = models.CharField(
        "cases practitioners and team managers see",
        max_length=10,
        choices=CaseScope.choices,
        default=CaseScope.TEAM,
        help_text="Their own team's cases (and the case of any audit they take part in), or every case "
        "of the authority. QA leads and leaders always see every case.",
    )
    history = HistoricalRecords()

    objects = AuthorityQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "authorities"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class TeamQuerySet(models.QuerySet["Team"]):
    def for_user(self, user) -> "TeamQuerySet":
        from accounts import access

        if access.is_platform_admin(user):
            return self.all()
        return self.filter(authority_id__in=access.authority_ids(user))


class Team(models.Model):
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=120)
    service_area = models.CharField(max_length=20, choices=ServiceArea.choices)
    history = HistoricalRecords()

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["authority__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "name"], name="team_name_unique_in_authority")
        ]

    def __str__(self) -> str:
        return self.name


class QAUserManager(UserManager["User"]):
    def for_user(self, user) -> models.QuerySet["User"]:
        from accounts import access

        if access.is_platform_admin(user):
            return self.all()
        return self.filter(
            Q(id=user.id) | Q(memberships__authority_id__in=access.authority_ids(user))
        ).distinct()


class User(AbstractUser):
    """A person who signs in. What they may do comes from their memberships, not from this row."""

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    objects: ClassVar[QAUserManager] = QAUserManager()

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class MembershipQuerySet(models.QuerySet["Membership"]):
    def for_user(self, user) -> "MembershipQuerySet":
        from accounts import access

        if access.is_platform_admin(user):
            return self.all()
        return self.filter(Q(user_id=user.id) | Q(authority_id__in=access.authority_ids(user)))


class Membership(models.Model):
    """A user's role in one authority (optionally within a team), or a platform-wide role."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    authority = models.ForeignKey(
        Authority,
        on_delete=models.CASCADE,
        related_name="memberships",
        null=True,
        blank=True,
        help_text="Empty only for the platform-wide roles (cross-authority analyst, platform admin).",
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, related_name="memberships", null=True, blank=True
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["authority__name", "user__username"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(role__in=PLATFORM_ROLES) & Q(authority__isnull=True, team__isnull=True))
                | (~Q(role__in=PLATFORM_ROLES) & Q(authority__isnull=False)),
                name="membership_platform_roles_have_no_authority",
                violation_error_message=(
                    "Analysts and platform admins work across all authorities and have no authority; "
                    "every other role belongs to an authority."
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "authority"],
                condition=Q(authority__isnull=False),
                name="one_membership_per_user_and_authority",
                violation_error_message="This person already has a role in this authority.",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(authority__isnull=True),
                name="one_platform_role_each",
            ),
        ]

    def __str__(self) -> str:
        where = self.authority.name if self.authority is not None else "all authorities"
        return f"{self.user} · {self.get_role_display()} · {where}"

    def clean(self) -> None:
        if self.team is not None and self.team.authority_id != self.authority_id:
            raise ValidationError({"team": "The team must belong to the membership's authority."})
