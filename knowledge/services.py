"""Writes of the knowledge app: access records (grant, extend, end) and the expiry reminders.

Resources are edited in the admin (the programme team, and QA leads for their authority's local
resources), where django-simple-history records who changed what. Every write here checks who may
make it and is kept in the record's history with the acting user.
"""

from collections.abc import Callable
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts import access
from accounts.models import Authority, Membership, User
from audits import notifications
from knowledge import selectors
from knowledge.models import DEFAULT_COLLECTION, REMINDER_DAYS, KnowledgeAccess

EMAIL_PERSON = "emails/knowledge_access_expiring.txt"
EMAIL_LEADS = "emails/knowledge_access_leads.txt"


def _today() -> date:
    """Used for mocking in tests."""
    return timezone.localdate()


def _check_manager(acting_user, authority_id: int) -> None:
    if not access.may_manage_knowledge_access(acting_user, authority_id):
        raise PermissionDenied("Access to the knowledge bank is managed by the authority's QA leads.")


def _save(record: KnowledgeAccess, acting_user) -> KnowledgeAccess:
    record.full_clean()
    record._history_user = acting_user  # type: ignore[attr-defined]
    record.save()
    return record


@transaction.atomic
def access_grant(
    *,
    authority: Authority,
    user: User,
    expires_on: date,
    acting_user,
    what: str = DEFAULT_COLLECTION,
    granted_on: date | None = None,
) -> KnowledgeAccess:
    """Give a member of the authority access to a collection until ``expires_on`` (inclusive)."""
    _check_manager(acting_user, authority.pk)
    granted_on = granted_on or _today()
    what = " ".join((what or "").split()) or DEFAULT_COLLECTION
    if not Membership.objects.filter(user_id=user.pk, authority_id=authority.pk).exists():
        raise ValidationError({"user": f"{user} does not work in {authority.name}."})
    if expires_on <= granted_on:
        raise ValidationError({"expires_on": "Choose an expiry date after the day access starts."})
    current = (
        KnowledgeAccess.objects.filter(authority=authority, user=user, what__iexact=what)
        .current(granted_on)
        .first()
    )
    if current is not None:
        raise ValidationError(
            {
                "user": f"{user} already has access to {current.what} until "
                f"{current.expires_on:%-d %B %Y}: extend that record instead."
            }
        )
    record = KnowledgeAccess(
        authority=authority,
        user=user,
        what=what,
        granted_on=granted_on,
        expires_on=expires_on,
        granted_by=acting_user,
    )
    return _save(record, acting_user)


@transaction.atomic
def access_extend(*, record: KnowledgeAccess, expires_on: date, acting_user) -> KnowledgeAccess:
    """Move the expiry date later; the reminders start again for the new date."""
    _check_manager(acting_user, record.authority_id)
    if record.ended_on is not None:
        raise ValidationError({"expires_on": "This access was ended: grant it again instead."})
    if expires_on <= max(record.expires_on, _today()):
        raise ValidationError(
            {"expires_on": f"Choose a date after {max(record.expires_on, _today()):%-d %B %Y}."}
        )
    record.expires_on = expires_on
    record.reminded_days = None
    record.reminded_on = None
    return _save(record, acting_user)


@transaction.atomic
def access_end(*, record: KnowledgeAccess, acting_user) -> KnowledgeAccess:
    """End access today (someone left, or no longer needs it). No reminder goes out after this."""
    _check_manager(acting_user, record.authority_id)
    if record.ended_on is not None:
        raise ValidationError("This access has already ended.")
    today = _today()
    record.ended_on = today
    if record.expires_on > today:
        record.expires_on = today
    return _save(record, acting_user)


# --- reminders ------------------------------------------------------------------------------------


def _reminder_due(today: date, days: int, later: int | None) -> Q:
    """Records whose reminder ``days`` before expiry is due today and not yet sent: expiring within
    ``days`` days (and beyond the next, smaller reminder), with no reminder sent for this many days
    or fewer."""
    window = Q(expires_on__gte=today, expires_on__lte=today + timedelta(days=days))
    if later is not None:
        window &= Q(expires_on__gt=today + timedelta(days=later))
    not_sent = Q(reminded_days__isnull=True) | Q(reminded_days__gt=days)
    return window & not_sent & Q(ended_on__isnull=True)


def send_access_reminders(*, today_fn: Callable[[], date] = _today) -> int:
    """Email the person, and their authority's QA leads, ``REMINDER_DAYS`` (30 and 7) days before a
    record expires. Each reminder is claimed by a conditional update before its email, so it goes
    out once even when two runs overlap; a record found late (e.g. 5 days left and never reminded)
    gets only the nearest reminder. Ended and expired records get none. Returns the number of
    reminders (records) sent."""
    today = today_fn()
    thresholds = sorted(REMINDER_DAYS)  # 7, 30: the nearest first, so a late record gets only that
    claimed: list[tuple[KnowledgeAccess, int]] = []
    for index, days in enumerate(thresholds):
        later = thresholds[index - 1] if index else None
        due = _reminder_due(today, days, later)
        for record in (
            KnowledgeAccess.objects.filter(due)
            .select_related("user", "authority")
            .order_by("authority_id", "expires_on", "pk")
        ):
            won = KnowledgeAccess.objects.filter(due, pk=record.pk).update(
                reminded_days=days, reminded_on=today
            )
            if won == 1:
                claimed.append((record, days))
    if not claimed:
        return 0
    url = reverse("knowledge:library")
    for record, _days in claimed:
        notifications.send(
            to=[record.user],
            subject=f"Your access to {record.what} ends on {record.expires_on:%-d %B %Y}",
            template=EMAIL_PERSON,
            context={
                "record": record,
                "days_left": record.days_left(today),
                "url": url,
            },
        )
    leads = selectors.qa_leads(authority_ids={record.authority_id for record, _days in claimed})
    access_url = reverse("knowledge:access")
    for authority_id, lead_users in leads.items():
        records = [
            (record, record.days_left(today))
            for record, _days in claimed
            if record.authority_id == authority_id
        ]
        notifications.send(
            to=lead_users,
            subject=f"Knowledge bank access ending soon: {len(records)} "
            f"{'person' if len(records) == 1 else 'people'} in {records[0][0].authority.name}",
            template=EMAIL_LEADS,
            context={"records": records, "authority": records[0][0].authority, "url": access_url},
        )
    return len(claimed)
