"""Learning actions: 1–3 specific actions per audit, and team learning points, tracked to completion.

- ``action_add``: a case action belongs to an audit (at most ``MAX_CASE_ACTIONS``; a fourth is
  refused) and its team; a team learning point belongs to a team and no audit. Each has an owner
  (someone in the authority) and a due date (today or later).
- ``action_complete``: the owner, whoever added it, the team's manager or a QA lead marks it done.
- ``remind_due_actions``: each owner is emailed once about their open actions due within
  ``REMIND_DAYS`` days or overdue; an action is reminded at most once a day (``last_reminded_on``).
- ``my_actions``, ``overdue_by_team`` and ``team_overdue_for`` are the reads the home pages and
  team lists show.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts import access
from accounts.models import Membership, Role, Team, User
from audits import notifications
from audits.models import Audit, LearningAction

MAX_CASE_ACTIONS = 3
REMIND_DAYS = 3
EMAIL_REMINDER = "audits/followup/emails/learning_reminder.txt"
KINDS = ("case", "team")


def _today() -> date:
    return timezone.localdate()


# --- who may --------------------------------------------------------------------------------------


def _manages_team(user, team_id: int | None) -> bool:
    return team_id is not None and any(
        m.role == Role.TEAM_MANAGER and m.team_id == team_id for m in access.memberships(user)
    )


def _qa_lead_of(user, authority_id: int) -> bool:
    return Role.QA_LEAD in access.roles(user, authority_id)


def may_add_action(user, *, team: Team, audit: Audit | None = None) -> bool:
    """Case actions: the audit's practitioner and auditor, the team's manager and QA leads; team
    learning points: the team's manager and QA leads. (A candidate for ``accounts.access``.)"""
    if not getattr(user, "is_authenticated", False):
        return False
    if _qa_lead_of(user, team.authority_id) or _manages_team(user, team.pk):
        return True
    return audit is not None and user.pk in (audit.practitioner_id, audit.auditor_id)


def may_complete_action(user, action: LearningAction) -> bool:
    """The owner, whoever added it, the team's manager and QA leads."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.pk in (action.owner_id, action.created_by_id):
        return True
    return _qa_lead_of(user, action.team.authority_id) or _manages_team(user, action.team_id)


def owner_choices(*, team: Team) -> QuerySet[User]:
    """Who can own an action of the team: active people of the team's authority, the team's first."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__authority_id=team.authority_id,
            memberships__role__in=access.CASE_ROLES,
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


# --- writes ---------------------------------------------------------------------------------------


@transaction.atomic
def action_add(
    *,
    audit: Audit | None = None,
    team: Team,
    description: str,
    owner: User,
    due_on: date,
    kind: str = "case",
    acting_user,
) -> LearningAction:
    """Add a case action to an audit, or a team learning point (no audit). Refuses a fourth case
    action on one audit, a case action without an audit or on a signed-off audit, a team point tied
    to an audit, a team of another authority than the audit's, an owner from outside the authority,
    a due date in the past and an empty description."""
    if kind not in KINDS:
        raise ValidationError("An action is a case action or a team learning point.")
    if kind == "case" and audit is None:
        raise ValidationError("A case action belongs to an audit.")
    if kind == "team" and audit is not None:
        raise ValidationError("A team learning point belongs to the team, not to one audit.")
    if audit is not None and team.authority_id != audit.authority_id:
        raise ValidationError("The team must be in the audit's authority.")
    if not may_add_action(acting_user, team=team, audit=audit):
        raise PermissionDenied(
            "Only the people holding the audit, the team's manager and QA leads add actions."
        )
    if audit is not None:
        # Locks the audit row, so two people adding at once cannot both add a third action.
        audit = Audit.objects.select_for_update().get(pk=audit.pk)
        if audit.is_locked:
            raise ValidationError("This audit is signed off: its actions can no longer change.")
        if LearningAction.objects.filter(audit=audit, kind="case").count() >= MAX_CASE_ACTIONS:
            raise ValidationError(
                f"An audit has at most {MAX_CASE_ACTIONS} actions, to keep them specific: this one has "
                f"{MAX_CASE_ACTIONS} already. Mark one done or make it a team learning point."
            )
    errors: dict[str, str] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = "Say what will be done."
    if not Membership.objects.filter(user_id=owner.pk, authority_id=team.authority_id).exists():
        errors["owner"] = "The owner must work in the team's authority."
    if due_on < _today():
        errors["due_on"] = "The due date is in the past."
    if errors:
        raise ValidationError(errors)
    action = LearningAction(
        audit=audit,
        team=team,
        kind=kind,
        description=description,
        owner=owner,
        due_on=due_on,
        created_by=acting_user,
    )
    action.full_clean()
    action._history_user = acting_user  # type: ignore[attr-defined]
    action.save()
    return action


@transaction.atomic
def action_complete(*, action: LearningAction, acting_user, on: date | None = None) -> LearningAction:
    """Mark the action done (today unless ``on`` says otherwise, never in the future)."""
    if not may_complete_action(acting_user, action):
        raise PermissionDenied(
            "Only the action's owner, whoever added it, the team's manager and QA leads mark it done."
        )
    action = LearningAction.objects.select_for_update().get(pk=action.pk)
    if action.completed_on is not None:
        raise ValidationError(f"This action was already marked done on {action.completed_on:%d %B %Y}.")
    completed_on = on or _today()
    if completed_on > _today():
        raise ValidationError("An action cannot be done in the future.")
    action.completed_on = completed_on
    action._history_user = acting_user  # type: ignore[attr-defined]
    action.save()
    from outcomes.models import StaleScope
    from outcomes.services import mark_stale

    # "Learning actions completed on time" counts the action in the period of its due date.
    mark_stale(
        authority_id=action.team.authority_id,
        since=action.due_on,
        reason="Learning action done",
        scope=StaleScope.AUDITS,
    )
    return action


def remind_due_actions() -> int:
    """Email each owner once about their open actions due within ``REMIND_DAYS`` days or overdue,
    skipping actions already reminded today. Each action is claimed by a conditional update before
    the email, so two runs at once remind it once. Returns the number of actions reminded."""
    today = _today()
    not_today = Q(last_reminded_on__isnull=True) | Q(last_reminded_on__lt=today)
    due = (
        LearningAction.objects.filter(
            not_today, completed_on__isnull=True, due_on__lte=today + timedelta(days=REMIND_DAYS)
        )
        .filter(owner__is_active=True)
        .select_related("owner", "team", "audit__child")
        .order_by("owner_id", "due_on", "pk")
    )
    reminded = 0
    for _owner_id, owned in groupby(due, key=lambda action: action.owner_id):
        actions = list(owned)
        claimed = [
            action
            for action in actions
            if LearningAction.objects.filter(not_today, pk=action.pk).update(last_reminded_on=today) == 1
        ]
        if not claimed:
            continue
        notifications.send(
            to=[claimed[0].owner],
            subject=f"Your learning actions: {len(claimed)} due soon or overdue",
            template=EMAIL_REMINDER,
            context={
                "owner": claimed[0].owner,
                "actions": claimed,
                "today": today,
                "url": reverse("followup:actions"),
            },
        )
        reminded += len(claimed)
    return reminded


# --- reads ----------------------------------------------------------------------------------------


def my_actions(*, user) -> QuerySet[LearningAction]:
    """The user's open actions, soonest due first."""
    return (
        LearningAction.objects.for_user(user)
        .filter(owner_id=user.pk, completed_on__isnull=True)
        .select_related("team", "audit__child")
        .order_by("due_on", "pk")
    )


@dataclass(frozen=True)
class TeamOverdue:
    team: Team
    actions: tuple[LearningAction, ...]


def overdue_actions(*, authority_id: int, team_id: int | None = None) -> QuerySet[LearningAction]:
    """Open actions past their due date in the authority (or one team), by team then due date."""
    actions = LearningAction.objects.filter(
        team__authority_id=authority_id, completed_on__isnull=True, due_on__lt=_today()
    )
    if team_id is not None:
        actions = actions.filter(team_id=team_id)
    return actions.select_related("team", "owner", "audit__child").order_by(
        "team__name", "team_id", "due_on", "pk"
    )


def team_overdue_for(*, user, team: Team) -> QuerySet[LearningAction]:
    """The team's overdue actions the user may see: the case actions of audits the user may open
    (``Audit.objects.for_user``, as the audit lists) and the team's learning points, which belong to
    no audit. Whether the user may see the team at all is ``access.may_view_team_learning``."""
    visible = Q(audit__isnull=True) | Q(audit__in=Audit.objects.for_user(user).values("pk"))
    return overdue_actions(authority_id=team.authority_id, team_id=team.pk).filter(visible)


def overdue_by_team(*, authority_id: int) -> list[TeamOverdue]:
    """Per team of the authority with overdue actions (by team name), its overdue actions, oldest first."""
    return [
        TeamOverdue(team=actions[0].team, actions=tuple(actions))
        for actions in (
            list(group)
            for _team_id, group in groupby(
                overdue_actions(authority_id=authority_id), key=lambda a: a.team_id
            )
        )
    ]
