"""Safety escalation: an auditor who thinks a child may be unsafe alerts the team manager at once.

- ``escalation_raise``: the manager is the team manager of the audit's team (a membership with the
  team manager role in that team; when there are several, the longest-standing one), or, when the
  team has none, the authority's QA lead (all QA leads are emailed). The person raising the concern
  is never made its own manager. The manager must respond within one working day: by the same time
  on the next working day (England and Wales working days, ``outcomes.workdays``), so a concern
  raised on a Friday afternoon is due on Monday afternoon.
- ``escalation_respond``: the manager (or a QA lead) says what was done; the raiser is told.
- ``escalation_close``: the manager or a QA lead closes it with a note (kept as the reason of the
  closing history row, ``history_change_reason``).
- ``chase_overdue``: open escalations past their deadline are chased by email to the manager and
  the authority's QA leads, at most once a calendar day (London time) per escalation. Each chase is
  recorded as a history row with ``CHASED`` as its reason, which is also how a second run the same
  day knows to leave it alone.
"""

from datetime import datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts import access
from accounts.models import Membership, Role, User
from audits import notifications
from audits.models import Audit, EscalationStatus, SafetyEscalation
from outcomes.workdays import is_working_day

CHASED = "Chased: past the deadline"
EMAIL_RAISED = "audits/followup/emails/escalation_raised.txt"
EMAIL_RESPONDED = "audits/followup/emails/escalation_responded.txt"
EMAIL_CHASE = "audits/followup/emails/escalation_chase.txt"


def _now() -> datetime:
    return timezone.now()


def respond_by_after(moment: datetime) -> datetime:
    """The same local time on the next working day after ``moment``'s local date."""
    local = timezone.localtime(moment)
    day = local.date() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, local.time()), timezone.get_current_timezone())


def qa_leads(authority_id: int) -> list[User]:
    return list(
        User.objects.filter(
            memberships__authority_id=authority_id, memberships__role=Role.QA_LEAD, is_active=True
        ).order_by("pk")
    )


def _team_managers(audit: Audit) -> list[User]:
    if audit.team_id is None:
        return []
    return [
        membership.user
        for membership in Membership.objects.filter(
            authority_id=audit.authority_id,
            team_id=audit.team_id,
            role=Role.TEAM_MANAGER,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("created_at", "pk")
    ]


def _escalation_url(escalation: SafetyEscalation) -> str:
    return reverse("followup:escalation", args=[escalation.pk])


@transaction.atomic
def escalation_raise(*, audit: Audit, concern: str, acting_user) -> SafetyEscalation:
    """Record the concern and email the manager at once with the deadline (QA leads as well when
    the team has no manager). Raised by the audit's auditor or a QA lead (``access.may_raise_escalation``)."""
    if not access.may_raise_escalation(acting_user, audit):
        raise PermissionDenied("Only the audit's auditor or a QA lead raises a safety escalation.")
    concern = (concern or "").strip()
    if not concern:
        raise ValidationError({"concern": "Say what makes you think the child may be unsafe."})
    managers = [user for user in _team_managers(audit) if user.pk != acting_user.pk]
    alerted = managers[:1]
    if not managers:
        alerted = [user for user in qa_leads(audit.authority_id) if user.pk != acting_user.pk]
    if not alerted:
        raise ValidationError(
            "There is no team manager or QA lead to alert: ask your QA lead to set up the team's manager."
        )
    now = _now()
    escalation = SafetyEscalation(
        audit=audit,
        raised_by=acting_user,
        concern=concern,
        manager=alerted[0],
        respond_by=respond_by_after(now),
    )
    escalation.full_clean()
    escalation._history_user = acting_user  # type: ignore[attr-defined]
    escalation.save()
    deadline = timezone.localtime(escalation.respond_by)
    transaction.on_commit(
        lambda: notifications.send(
            to=alerted,
            subject=f"Safety concern about a child: respond by {deadline:%A} {deadline.day} {deadline:%B, %H:%M}",
            template=EMAIL_RAISED,
            context={"escalation": escalation, "audit": audit, "url": _escalation_url(escalation)},
        )
    )
    return escalation


@transaction.atomic
def escalation_respond(*, escalation: SafetyEscalation, response: str, acting_user) -> SafetyEscalation:
    """The manager's response: what was done about the concern. Tells the person who raised it."""
    if not access.may_respond_escalation(acting_user, escalation):
        raise PermissionDenied("Only the escalation's manager or a QA lead responds to it.")
    escalation = SafetyEscalation.objects.select_for_update().get(pk=escalation.pk)
    if escalation.status == EscalationStatus.CLOSED:
        raise ValidationError("This escalation is closed.")
    response = (response or "").strip()
    if not response:
        raise ValidationError({"response": "Say what was done to keep the child safe."})
    escalation.response = response
    escalation.responded_at = _now()
    escalation.status = EscalationStatus.RESPONDED
    escalation._history_user = acting_user  # type: ignore[attr-defined]
    escalation.save()
    responded = escalation
    transaction.on_commit(
        lambda: notifications.send(
            to=[responded.raised_by],
            subject="The manager has responded to your safety concern",
            template=EMAIL_RESPONDED,
            context={"escalation": responded, "audit": responded.audit, "url": _escalation_url(responded)},
        )
    )
    return escalation


@transaction.atomic
def escalation_close(*, escalation: SafetyEscalation, note: str, acting_user) -> SafetyEscalation:
    """Close the escalation with a note (the manager or a QA lead)."""
    if not access.may_respond_escalation(acting_user, escalation):
        raise PermissionDenied("Only the escalation's manager or a QA lead closes it.")
    escalation = SafetyEscalation.objects.select_for_update().get(pk=escalation.pk)
    if escalation.status == EscalationStatus.CLOSED:
        raise ValidationError("This escalation is already closed.")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say why the escalation can be closed."})
    escalation.status = EscalationStatus.CLOSED
    escalation.closed_at = _now()
    escalation.closed_by = acting_user
    escalation._history_user = acting_user  # type: ignore[attr-defined]
    escalation._change_reason = note  # type: ignore[attr-defined]
    escalation.save()
    return escalation


def close_note(escalation: SafetyEscalation) -> str:
    """The note given when the escalation was closed ("" while open)."""
    if escalation.status != EscalationStatus.CLOSED:
        return ""
    row = (
        escalation.history.filter(status=EscalationStatus.CLOSED)  # type: ignore[attr-defined]
        .exclude(history_change_reason__isnull=True)
        .order_by("history_date")
        .first()
    )
    return row.history_change_reason if row is not None else ""


def _start_of_today(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return timezone.make_aware(datetime.combine(local.date(), time.min), timezone.get_current_timezone())


def overdue(*, now: datetime | None = None) -> QuerySet[SafetyEscalation]:
    """Open escalations past their deadline."""
    return SafetyEscalation.objects.filter(status=EscalationStatus.OPEN, respond_by__lt=now or _now())


def chase_overdue() -> int:
    """Email the manager and the QA leads of each open escalation past its deadline, once a day per
    escalation. Returns the number of escalations chased."""
    now = _now()
    chased_today = SafetyEscalation.history.filter(  # type: ignore[attr-defined]
        history_change_reason=CHASED, history_date__gte=_start_of_today(now)
    ).values("id")
    due = (
        overdue(now=now)
        .exclude(pk__in=chased_today)
        .select_related("audit", "manager", "raised_by")
        .order_by("respond_by", "pk")
    )
    chased = 0
    for escalation in due:
        with transaction.atomic():
            # The history row is the claim: written before the email, in the same transaction.
            escalation._change_reason = CHASED  # type: ignore[attr-defined]
            escalation._history_date = now  # type: ignore[attr-defined]
            escalation.save(update_fields=["status"])
            leads = qa_leads(escalation.audit.authority_id)
            recipients = [escalation.manager] + [lead for lead in leads if lead.pk != escalation.manager_id]
            notifications.send(
                to=recipients,
                subject="Overdue: a safety concern is waiting for the manager's response",
                template=EMAIL_CHASE,
                context={
                    "escalation": escalation,
                    "audit": escalation.audit,
                    "url": _escalation_url(escalation),
                },
            )
        chased += 1
    return chased


# --- reads ----------------------------------------------------------------------------------------


def open_escalations_for(*, user) -> QuerySet[SafetyEscalation]:
    """Escalations not yet closed that the user answers for: the ones they manage or raised, and,
    for QA leads and leaders, every one of their authorities."""
    from django.db.models import Q

    wide = access.authority_ids(user, access.AUTHORITY_WIDE_ROLES)
    return (
        SafetyEscalation.objects.for_user(user)
        .filter(Q(manager_id=user.pk) | Q(raised_by_id=user.pk) | Q(audit__authority_id__in=wide))
        .exclude(status=EscalationStatus.CLOSED)
        .select_related("audit__child", "audit__team", "manager", "raised_by")
        .order_by("respond_by", "pk")
        .distinct()
    )
