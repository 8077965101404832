"""Moderation: a moderator re-rates a submitted audit blind, and may overturn its overall grade.

**Which audits** (``needs_moderation``, asked by ``audits.auditing.audit_move`` on submit), the
first reason that applies:

- ``not_evident``: the overall grade is 1 (Not evident);
- ``outlier``: the overall grade is 1.5 levels or more from the mean overall grade of the same
  team's audits signed off in the last 12 months (365 days), when there are at least 5 of them;
- ``sample``: a share of the rest equal to the plan's ``moderation_share`` (the plan of the
  audit's draw; ``DEFAULT_SHARE``, 10%, for audits created by hand). The choice is reproducible: an
  audit is in the share when a hash of its id and its draw's seed, read as a number in [0, 1),
  falls below the share.

The overall grade is the audit's ``overall_level`` (the rounded practice fidelity score, set on
submit), on both sides of the outlier comparison.

**Who moderates** (``moderation_open``): someone ``accounts.access.may_moderate`` allows (QA leads
of the authority, team managers of other teams; never the audit's own auditor or practitioner),
the one with the fewest open moderations, then by username. The moderator is emailed.

**Blind.** The moderator rates every rubric item of the audit's tool without seeing the agreed
levels (``moderation_rate``); the ratings are final once given. Only then does the page show both
side by side, and the moderator completes the moderation (``moderation_complete``), overturning
the overall grade if they judge it wrong, with a reason; completing signs the audit off.

**Agreement** (``agreement_by_item``, ``agreement_by_auditor``): over completed moderations, the
moderator's rating of each item against the agreed level (``audits.agreement``).
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from accounts import access
from accounts.models import Role, User
from audits import workflow
from audits.agreement import Agreement, agreement
from audits.models import Audit, AuditAnswer, AuditStatus, Item, ItemType, Moderation, ToolKind
from audits.resolution import ResolvedItem

NOT_EVIDENT = 1
OUTLIER_DISTANCE = 1.5
OUTLIER_MIN_AUDITS = 5
OUTLIER_WINDOW = timedelta(days=365)
DEFAULT_SHARE = Decimal("0.10")
# The case-practice rubric's levels: 1 Not evident, 2 Emerging, 3 Established, 4 Embedded.
LEVELS = 4

REASONS = dict(Moderation._meta.get_field("reason_selected").choices)  # type: ignore[arg-type]


def _now() -> datetime:
    # A seam for tests.
    return timezone.now()


# --- selection --------------------------------------------------------------------------------


def needs_moderation(audit: Audit) -> str | None:
    """Why the submitted audit is moderated ("not_evident", "outlier", "sample"), or ``None``."""
    if audit.overall_level == NOT_EVIDENT:
        return "not_evident"
    if is_outlier(audit):
        return "outlier"
    if in_sample(audit):
        return "sample"
    return None


def team_baseline(audit: Audit) -> tuple[int, float | None]:
    """How many of the team's audits were signed off in the 12 months before now (this one
    apart), and the mean of their overall grades."""
    if audit.team_id is None:
        return 0, None
    figures = (
        Audit.objects.filter(
            team_id=audit.team_id,
            status=AuditStatus.SIGNED_OFF,
            signed_off_at__gte=_now() - OUTLIER_WINDOW,
            overall_level__isnull=False,
        )
        .exclude(pk=audit.pk)
        .aggregate(n=Count("pk"), mean=Avg("overall_level"))
    )
    return figures["n"], figures["mean"]


def is_outlier(audit: Audit) -> bool:
    if audit.overall_level is None:
        return False
    n, mean = team_baseline(audit)
    return (
        n >= OUTLIER_MIN_AUDITS and mean is not None and abs(audit.overall_level - mean) >= OUTLIER_DISTANCE
    )


def moderation_share(audit: Audit) -> Decimal:
    if audit.draw_id is None:
        return DEFAULT_SHARE
    return Decimal(audit.draw.plan.moderation_share)  # type: ignore[union-attr]


def sample_position(audit: Audit) -> float:
    """Where the audit falls in [0, 1), from its id and its draw's seed (0 without a draw)."""
    seed = audit.draw.seed if audit.draw_id else 0  # type: ignore[union-attr]
    digest = hashlib.sha256(f"{audit.pk}:{seed}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def in_sample(audit: Audit) -> bool:
    return Decimal(sample_position(audit)) < moderation_share(audit)


# --- who may see moderations ------------------------------------------------------------------


def moderations_for(*, user) -> QuerySet[Moderation]:
    """The moderations the user may open: their own, and every one of the authorities they are QA
    lead of; always within the authorities they belong to."""
    led = access.authority_ids(user, [Role.QA_LEAD])
    return Moderation.objects.filter(
        Q(moderator_id=user.pk) | Q(audit__authority_id__in=led),
        audit__authority_id__in=access.authority_ids(user),
    ).select_related("audit__child", "audit__team", "audit__auditor", "audit__practitioner", "moderator")


def moderation_queue(*, user) -> QuerySet[Moderation]:
    """Open moderations the user may see, oldest first."""
    return moderations_for(user=user).filter(completed_at__isnull=True).order_by("created_at", "pk")


def rubric_items(audit: Audit) -> list[ResolvedItem]:
    """The rubric items of the tool the audit was answered against, in the tool's order."""
    from audits.selectors import resolved_tool

    tool = resolved_tool(version=audit.tool_version, adaptation=audit.adaptation)
    return [item for item in tool.items() if item.type == ItemType.RUBRIC]


def level_values(items: list[ResolvedItem]) -> set[int]:
    values = {value for item in items for value, _label, _descriptor in item.levels}
    return values or set(range(1, LEVELS + 1))


# --- services ---------------------------------------------------------------------------------


def _choose_moderator(audit: Audit) -> User | None:
    candidates = (
        User.objects.filter(
            is_active=True,
            memberships__authority_id=audit.authority_id,
            memberships__role__in=[Role.QA_LEAD, Role.TEAM_MANAGER],
        )
        .exclude(pk__in=[audit.auditor_id, audit.practitioner_id])
        .annotate(open_moderations=Count("moderations", filter=Q(moderations__completed_at__isnull=True)))
        .order_by("open_moderations", "username")
    )
    return next((user for user in candidates if access.may_moderate(user, audit)), None)


@transaction.atomic
def moderation_open(*, audit: Audit, reason: str) -> Moderation:
    """Open (or, for an audit sent back and submitted again, reopen) the audit's moderation with a
    moderator, and email them. Raises ``ValidationError`` when nobody may moderate it."""
    if reason not in REASONS:
        raise ValidationError(f"{reason!r} is not a reason for moderation ({', '.join(REASONS)}).")
    moderation = Moderation.objects.filter(audit=audit).select_related("moderator").first()
    if moderation is not None and access.may_moderate(moderation.moderator, audit):
        # Sent back and submitted again: the same moderator, whose blind ratings still stand.
        moderation.reason_selected = reason
        moderation.completed_at = None
        moderation.overturned_level = None
        moderation.overturn_reason = ""
        moderation.save()
    else:
        moderator = _choose_moderator(audit)
        if moderator is None:
            raise ValidationError(
                "Nobody can moderate this audit: the authority needs a QA lead, or a team manager of "
                "another team."
            )
        if moderation is None:
            moderation = Moderation.objects.create(audit=audit, moderator=moderator, reason_selected=reason)
        else:
            moderation.moderator = moderator
            moderation.reason_selected = reason
            moderation.completed_at = None
            moderation.ratings = {}
            moderation.save()
    _notify_moderator(moderation)
    return moderation


def _notify_moderator(moderation: Moderation) -> None:
    from audits.notifications import send

    audit = moderation.audit
    email: dict[str, Any] = {
        "to": [moderation.moderator],
        "subject": f"An audit to moderate: case {audit.child.la_child_id}",
        "template": "audits/moderation/email_assigned.txt",
        "context": {"moderation": moderation, "audit": audit, "reason": REASONS[moderation.reason_selected]},
    }
    # Only once the moderation is saved for good.
    transaction.on_commit(lambda: send(**email))


def _level(value: Any) -> int | None:
    """A level given as a whole number or its text; ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _check_moderator(moderation: Moderation, acting_user) -> None:
    if acting_user is None or acting_user.pk != moderation.moderator_id:
        raise PermissionDenied("Only the moderator of this audit re-rates it.")
    if moderation.completed_at is not None:
        raise ValidationError("This moderation is complete.")
    if moderation.audit.status not in (AuditStatus.SUBMITTED, AuditStatus.MODERATION):
        raise ValidationError("The audit is not waiting for moderation (it may have been sent back).")


def _start(moderation: Moderation, acting_user) -> None:
    """The audit is in moderation from the moderator's first step."""
    if moderation.audit.status == AuditStatus.SUBMITTED:
        workflow.set_status(moderation.audit, AuditStatus.MODERATION, acting_user=acting_user)


@transaction.atomic
def moderation_rate(*, moderation: Moderation, ratings: dict, acting_user) -> Moderation:
    """Record the moderator's blind rating of every rubric item (``{item key: level}``). Ratings
    are given once: they are final, since the agreed levels are shown right after."""
    _check_moderator(moderation, acting_user)
    if moderation.ratings:
        raise ValidationError("The ratings are already recorded; they were given blind and stay as they are.")
    items = rubric_items(moderation.audit)
    problems = []
    cleaned: dict[str, int] = {}
    for item in items:
        allowed = {value for value, _label, _descriptor in item.levels} or set(range(1, LEVELS + 1))
        level = _level(ratings.get(item.key))
        if level is None or level not in allowed:
            problems.append(f"Rate “{item.text}” with one of the levels {sorted(allowed)}.")
        else:
            cleaned[item.key] = level
    unknown = set(ratings) - {item.key for item in items}
    if unknown:
        problems.append(f"These are not rubric items of the audit's tool: {', '.join(sorted(unknown))}.")
    if problems:
        raise ValidationError(problems)
    _start(moderation, acting_user)
    moderation.ratings = cleaned
    moderation._history_user = acting_user  # type: ignore[attr-defined]
    moderation.save()
    return moderation


@transaction.atomic
def moderation_complete(
    *, moderation: Moderation, acting_user, overturned_level: int | None = None, overturn_reason: str = ""
) -> Moderation:
    """Complete the moderation and sign the audit off. ``overturned_level`` (a level other than the
    audit's overall grade) replaces the grade and needs a reason."""
    from audits.auditing import audit_move

    _check_moderator(moderation, acting_user)
    if not moderation.ratings:
        raise ValidationError(
            "Rate the items first: the moderation compares your ratings with the agreed ones."
        )
    audit = moderation.audit
    if overturned_level is not None and overturned_level == audit.overall_level:
        overturned_level = None
    reason = overturn_reason.strip()
    if overturned_level is not None:
        if overturned_level not in level_values(rubric_items(audit)):
            raise ValidationError({"overturned_level": f"{overturned_level} is not a level of the rubric."})
        if not reason:
            raise ValidationError(
                {"overturn_reason": "Say why the grade is overturned: the auditor and practitioner read it."}
            )
        audit.overall_level = overturned_level
        audit.revision += 1
        audit._history_user = acting_user  # type: ignore[attr-defined]
        audit.save(update_fields=["overall_level", "revision"])
    moderation.overturned_level = overturned_level
    moderation.overturn_reason = reason if overturned_level is not None else ""
    moderation.completed_at = _now()
    moderation._history_user = acting_user  # type: ignore[attr-defined]
    moderation.save()
    _start(moderation, acting_user)
    audit_move(audit=audit, to_status=AuditStatus.SIGNED_OFF, acting_user=acting_user)
    return moderation


# --- agreement --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementRow:
    """Agreement for one item, or one auditor: ``label`` names it, ``figures`` holds n and the rest."""

    key: str
    label: str
    figures: Agreement


def _pairs(*, authority_id: int, since: date | None):
    """(item key, auditor id, agreed level, moderator's level) for every item of every completed
    moderation of the authority that both rated."""
    moderations = Moderation.objects.filter(audit__authority_id=authority_id, completed_at__isnull=False)
    if since is not None:
        moderations = moderations.filter(
            completed_at__gte=timezone.make_aware(datetime.combine(since, time.min))
        )
    ratings = dict(moderations.values_list("audit_id", "ratings"))
    answers = AuditAnswer.objects.filter(audit_id__in=list(ratings), agreed_level__isnull=False).values_list(
        "audit_id", "item_key", "audit__auditor_id", "agreed_level"
    )
    for audit_id, item_key, auditor_id, agreed in answers:
        rated = (ratings.get(audit_id) or {}).get(item_key)
        if rated is not None:
            yield item_key, auditor_id, agreed, int(rated)


def agreement_by_item(*, authority_id: int, since: date | None = None) -> list[AgreementRow]:
    """Per rubric item (by key), agreement between the agreed levels and the moderators'."""
    per_item: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for item_key, _auditor, agreed, rated in _pairs(authority_id=authority_id, since=since):
        per_item[item_key].append((agreed, rated))
    names = _item_names(list(per_item))
    return [
        AgreementRow(key=key, label=names.get(key, key), figures=agreement(pairs, k=LEVELS))
        for key, pairs in sorted(per_item.items(), key=lambda entry: _item_order(entry[0]))
    ]


def _item_names(keys: list[str]) -> dict[str, str]:
    """A short name per rubric item key: its rubric element's name in the latest version of a case
    audit tool that has the key (an item's key is stable across versions), else its text."""
    rows = (
        Item.objects.filter(key__in=keys, type=ItemType.RUBRIC, version__tool__kind=ToolKind.CASE_AUDIT)
        .order_by("key", "-version_id")
        .values_list("key", "rubric_element__name", "text")
    )
    names: dict[str, str] = {}
    for key, element_name, text in rows:
        names.setdefault(key, element_name or text[:80])
    return names


def _item_order(key: str) -> tuple:
    # p2 before p10: the number in the key, then the key.
    digits = "".join(character for character in key if character.isdigit())
    return (int(digits) if digits else 0, key)


def agreement_by_auditor(*, authority_id: int, since: date | None = None) -> list[AgreementRow]:
    """Per auditor, agreement between the levels they agreed and the moderators' levels."""
    per_auditor: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for _key, auditor_id, agreed, rated in _pairs(authority_id=authority_id, since=since):
        per_auditor[auditor_id].append((agreed, rated))
    names = {user.pk: str(user) for user in User.objects.filter(pk__in=list(per_auditor))}
    rows = [
        AgreementRow(
            key=str(auditor_id), label=names.get(auditor_id, "?"), figures=agreement(pairs, k=LEVELS)
        )
        for auditor_id, pairs in per_auditor.items()
    ]
    return sorted(rows, key=lambda row: row.label)


def agreement_overall(*, authority_id: int, since: date | None = None) -> Agreement:
    pairs = [(agreed, rated) for _k, _a, agreed, rated in _pairs(authority_id=authority_id, since=since)]
    return agreement(pairs, k=LEVELS)
