"""Writes of the participatory audit: creating it, moving it through the workflow, saving its
answers and recording the family's consent.

Every function is keyword-only and atomic, takes the acting user, checks it with
``accounts.access`` and records it: moves in ``AuditMove`` (by ``audits.workflow.set_status``),
every change of an audit or an answer in a history row attributed to the acting user.

A signed-off audit is locked: every function here refuses to change it (``AuditLocked``), whoever
asks. Two people editing the same answer never overwrite each other silently: each save states the
revision it started from and a stale save is refused (``StaleEdit``) with the refused values kept.
Emails go out once the transaction commits, so a rolled-back change never announces itself.
"""

import math
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import dateformat, timezone

from accounts import access
from accounts.models import Role, User
from audits import notifications, workflow
from audits.models import (
    Audit,
    AuditAnswer,
    AuditMove,
    AuditSource,
    AuditStatus,
    ItemType,
    Moderation,
    Tool,
    ToolVersion,
)
from audits.resolution import ResolvedItem, ResolvedTool
from audits.selectors import resolved_tool, tool_in_use
from fidelity.scoring import RubricSpec, practice_fidelity_score

S = AuditStatus
STANDARD_CASE_AUDIT = "case-audit"
LEVEL_FIELDS = ("self_level", "auditor_level", "agreed_level")
TEXT_FIELDS = ("disagreement", "evidence")
ANSWER_FIELDS = (*LEVEL_FIELDS, *TEXT_FIELDS, "value")
CONSENT_CHOICES = ("given", "declined", "not_asked")


class AuditLocked(ValidationError):
    """The audit is signed off: nobody edits or moves it."""


class StaleEdit(ValidationError):
    """Someone saved the answer after the editor loaded it, so this save was refused.

    ``refused`` holds the values that were not saved (the page shows them again, so the person's
    text is kept) and ``stored`` the same fields as they are stored now (the other person's
    version); ``current`` is the answer as stored now (``None`` if there is none, or for the
    family's consent), saved by ``saved_by`` at ``saved_at``."""

    def __init__(
        self,
        message: str,
        *,
        item_key: str,
        refused: Mapping[str, Any],
        current: AuditAnswer | None,
        saved_by: User | None = None,
        saved_at=None,
        stored: Mapping[str, Any] | None = None,
    ):
        super().__init__(message, code="stale")
        self.item_key = item_key
        self.refused = dict(refused)
        self.current = current
        self.saved_by = saved_by
        self.saved_at = saved_at
        if stored is None:
            stored = {name: getattr(current, name, None) for name in self.refused}
        self.stored = dict(stored)


class AlreadyMoved(workflow.IllegalMove):
    """The audit is already where the move would take it: the same move was made a moment before
    (a button pressed twice, or by two people at once). Nothing was done again."""


class AlreadySignedOff(AlreadyMoved, AuditLocked):
    """A sign-off of an audit signed off a moment before: already moved, and locked."""


# --- small helpers -------------------------------------------------------------------------------


def _save(instance, acting_user: User | None) -> None:
    instance._history_user = acting_user
    instance.save()


def _locked_copy(audit: Audit) -> Audit:
    """The audit as stored, locked for the rest of the transaction (on PostgreSQL) so that a
    sign-off and an edit cannot pass each other."""
    # No joins: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join (the team).
    return Audit.objects.select_for_update().get(pk=audit.pk)


def _refresh(target: Audit, source: Audit) -> None:
    # The caller's object shows what is stored now.
    for field in Audit._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def _when(moment) -> str:
    return dateformat.format(timezone.localtime(moment), "H:i \\o\\n j F Y") if moment else "an earlier time"


def _check_unlocked(audit: Audit) -> None:
    if audit.is_locked:
        by = f" by {audit.signed_off_by}" if audit.signed_off_by_id else ""
        raise AuditLocked(
            f"This audit was signed off{by} at {_when(audit.signed_off_at)} and is locked: nothing in it "
            "can change.",
            code="locked",
        )


def _after_commit(**email) -> None:
    transaction.on_commit(lambda: notifications.send(**email))


def _others(users: Iterable[User | None], acting_user: User | None) -> list[User]:
    """The users, without the acting user (nobody is emailed about their own action)."""
    acting_pk = getattr(acting_user, "pk", None)
    return [user for user in users if user is not None and user.pk != acting_pk]


# --- creation ------------------------------------------------------------------------------------


def _standard_case_audit() -> Tool:
    try:
        return Tool.objects.get(key=STANDARD_CASE_AUDIT, authority__isnull=True)
    except Tool.DoesNotExist:
        raise ValidationError(
            "The standard case audit tool is not in the library: load the standard library first."
        ) from None


def _tool_in_use(authority, tool: Tool, acting_user: User | None):
    try:
        return tool_in_use(authority=authority, tool=tool)
    except ToolVersion.DoesNotExist:
        if not tool.is_standard:
            raise ValidationError(
                f"{tool.name} has no published version yet, so it cannot be used."
            ) from None
    # An authority that never chose starts with the standard tool as it is.
    from audits.services import tool_adopt

    tool_adopt(authority=authority, tool=tool, acting_user=acting_user)
    try:
        return tool_in_use(authority=authority, tool=tool)
    except ToolVersion.DoesNotExist as error:
        raise ValidationError(str(error)) from None


@transaction.atomic
def audit_create(
    *,
    child,
    practitioner: User,
    auditor: User,
    acting_user: User | None,
    tool: Tool | None = None,
    source: str = AuditSource.MANUAL,
    draw=None,
    due_on: date | None = None,
) -> Audit:
    """Create a planned audit of ``child`` and email the practitioner and the auditor.

    The audit is answered against what the child's authority uses now of ``tool`` (the standard
    case audit when not given): its latest published version, with the authority's published
    adaptation if any (``audits.selectors.tool_in_use``). An authority that has not adopted the
    standard tool yet adopts it whole, recorded against the acting user. The team is the child's.

    ``acting_user`` must be a QA lead or team manager of the authority (``None``: the sampling job).
    The practitioner and the auditor are two different people working with the authority's cases.
    Records the creation as a move into "planned" by the acting user (when there is one).
    """
    authority = child.authority
    if acting_user is not None and not access.may_create_audit(acting_user, authority):
        raise PermissionDenied("Only QA leads and team managers of the authority create audits.")
    errors: dict[str, str] = {}
    for field, person in (("practitioner", practitioner), ("auditor", auditor)):
        if not access.may_view_cases(person, authority):
            errors[field] = f"{person} does not work with {authority.name}'s cases."
    if practitioner.pk == auditor.pk:
        errors["auditor"] = "The auditor holds the conversation with the practitioner: choose someone else."
    if draw is not None and draw.plan.authority_id != authority.pk:
        errors["draw"] = "The sample was drawn for another authority."
    if errors:
        raise ValidationError(errors)
    version, adaptation = _tool_in_use(authority, tool or _standard_case_audit(), acting_user)
    audit = Audit(
        authority=authority,
        child=child,
        team_id=child.team_id,
        tool_version=version,
        adaptation=adaptation,
        source=source,
        draw=draw,
        practitioner=practitioner,
        auditor=auditor,
        due_on=due_on,
    )
    audit.full_clean()
    _save(audit, acting_user)
    if acting_user is not None:
        AuditMove.objects.create(audit=audit, from_status="", to_status=S.PLANNED, moved_by=acting_user)
    for role, person in (("practitioner", practitioner), ("auditor", auditor)):
        _after_commit(
            to=_others([person], acting_user),
            subject=f"Case audit to do: {child.la_child_id}",
            template="emails/audit_assigned.txt",
            context={"audit": audit, "role": role},
        )
    return audit


# --- answers -------------------------------------------------------------------------------------


def _item(audit: Audit, item_key: str) -> tuple[ResolvedTool, ResolvedItem]:
    tool = resolved_tool(version=audit.tool_version, adaptation=audit.adaptation)
    for item in tool.items():
        if item.key == item_key:
            return tool, item
    raise ValidationError(
        f'This audit\'s tool ({tool.tool_name} v{tool.version_number}) has no item "{item_key}".',
        code="unknown_item",
    )


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any, item: ResolvedItem) -> float | int:
    if isinstance(value, bool):
        raise ValidationError(f"{item.key}: {value!r} is not a number.")
    if isinstance(value, int | float):
        return value
    try:
        text = str(value).strip()
        return int(text) if text.lstrip("-").isdigit() else float(text)
    except ValueError:
        raise ValidationError(f"{item.key}: {value!r} is not a number.") from None


def clean_level(item: ResolvedItem, value: Any) -> int | None:
    """A rubric level for ``item`` (a whole number, or one written as text), or ``None`` to clear it.
    Refuses a level the item's rubric does not have, naming the levels it has."""
    if _empty(value):
        return None
    if item.type != ItemType.RUBRIC:
        raise ValidationError(f"{item.key} is not a rubric item: it takes an answer, not a level.")
    allowed = [level for level, _label, _descriptor in item.levels]
    try:
        level = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        level = None
    if level is None or level not in allowed:
        raise ValidationError(
            f"{item.key}: {value!r} is not one of its levels ({', '.join(map(str, allowed))}).",
            code="bad_level",
        )
    return level


def clean_value(item: ResolvedItem, value: Any) -> Any:
    """The answer to a non-rubric ``item`` as stored (JSON), checked against its type, or ``None``
    to clear it: 0–10 scales a whole number within the anchors, choices one of the options (a list
    of them for multiple choice), numbers a number, dates an ISO date, text a string."""
    if _empty(value) or value == []:
        return None
    if item.type == ItemType.RUBRIC:
        raise ValidationError(f"{item.key} is a rubric item: rate it with a level.")
    if item.type == ItemType.SCALE:
        ends = [int(key) for key, _text in item.anchors if str(key).isdigit()] or [0, 10]
        low, high = min(ends + [0]), max(ends + [10])
        number = _number(value, item)
        if number != int(number) or not low <= number <= high:
            raise ValidationError(f"{item.key}: give a whole number from {low} to {high}.")
        return int(number)
    if item.type in (ItemType.SINGLE_CHOICE, ItemType.YES_PARTLY_NO, ItemType.MULTIPLE_CHOICE):
        allowed = [option for option, _label in item.options]
        chosen = value if item.type == ItemType.MULTIPLE_CHOICE else [value]
        if not isinstance(chosen, list | tuple) or any(str(option) not in allowed for option in chosen):
            raise ValidationError(f"{item.key}: choose among {', '.join(allowed)}.")
        chosen = [str(option) for option in chosen]
        return chosen if item.type == ItemType.MULTIPLE_CHOICE else chosen[0]
    if item.type == ItemType.NUMBER:
        return _number(value, item)
    if item.type == ItemType.DATE:
        try:
            return date.fromisoformat(value if isinstance(value, str) else value.isoformat()).isoformat()
        except (TypeError, ValueError, AttributeError):
            raise ValidationError(f"{item.key}: {value!r} is not a date (YYYY-MM-DD).") from None
    if not isinstance(value, str):
        raise ValidationError(f"{item.key}: the answer is text.")
    return value


def _clean(item: ResolvedItem, name: str, value: Any) -> Any:
    if name in LEVEL_FIELDS:
        return clean_level(item, value)
    if name == "value":
        return clean_value(item, value)
    text = "" if value is None else str(value)
    if name == "disagreement" and text.strip() and item.type != ItemType.RUBRIC:
        raise ValidationError(f"{item.key} is not rated, so there is no disagreement to record.")
    return text


def _untouched_since(current: AuditAnswer | None, expected_revision: int, names: Iterable[str]) -> bool:
    """Whether none of the fields ``names`` of the stored answer changed since it was at
    ``expected_revision`` (as its history keeps it; 0: before the first save): a save of those
    fields from that revision then overwrites nobody's work, even though other fields of the item
    were saved meanwhile (the practitioner and the auditor rating one item at the same time)."""
    names = list(names)
    if current is None or expected_revision > current.revision:
        return False
    if expected_revision == 0:
        # The fields of an answer not saved yet: no level, no value, no text.
        base = {name: "" if name in TEXT_FIELDS else None for name in names}
    else:
        found = (
            current.history.filter(revision=expected_revision).order_by("-history_id").values(*names).first()
        )
        if found is None:
            return False
        base = dict(found)
    return all(base[name] == getattr(current, name) for name in names)


def _stale(audit: Audit, item_key: str, refused: Mapping[str, Any]) -> StaleEdit:
    current = AuditAnswer.objects.filter(audit=audit, item_key=item_key).select_related("updated_by").first()
    if current is None:
        message = (
            f"Your change to {item_key} was not saved: the page is out of date. Reload it; your text is "
            "kept below so you can add it again."
        )
        return StaleEdit(message, item_key=item_key, refused=refused, current=None)
    who = str(current.updated_by) if current.updated_by_id else "Someone"
    message = (
        f"{who} saved {item_key} at {_when(current.updated_at)}, after you opened it, so your change was not "
        "saved. Their version is shown; yours is kept below so nothing is lost."
    )
    return StaleEdit(
        message,
        item_key=item_key,
        refused=refused,
        current=current,
        saved_by=current.updated_by,
        saved_at=current.updated_at,
    )


@transaction.atomic
def answer_save(
    *, audit: Audit, item_key: str, acting_user: User, expected_revision: int, **fields: Any
) -> AuditAnswer:
    """Save some fields of one item's answer (among ``ANSWER_FIELDS``), if the answer is still at
    ``expected_revision`` (0: not saved yet). Returns the answer, its revision one more.

    Checked in this order: the audit is not signed off (``AuditLocked``, for everyone); the acting
    user may write each field (``accounts.access.may_write_answer_field``: ``PermissionDenied``);
    the item is in the audit's resolved tool and each value fits it (a level of its rubric; a
    value of its type: ``ValidationError``); the revision (``StaleEdit``, carrying the refused
    values and the answer as stored, saved by whom and when). The claim is one conditional UPDATE,
    so of two saves of a field from the same revision exactly one wins; the history row is
    attributed to the acting user. A save whose fields nobody changed since ``expected_revision``
    (someone saved other fields of the item meanwhile) is not stale: it is saved on top.
    """
    if not fields:
        raise ValidationError("Nothing to save.")
    unknown = sorted(set(fields) - set(ANSWER_FIELDS))
    if unknown:
        raise ValidationError(f"An audit answer has no field {', '.join(unknown)}.")
    current_audit = _locked_copy(audit)
    _check_unlocked(current_audit)
    not_allowed = [
        name for name in fields if not access.may_write_answer_field(acting_user, current_audit, name)
    ]
    if not_allowed:
        raise PermissionDenied(
            f"You cannot change {', '.join(not_allowed)} of this audit while it is "
            f"{current_audit.get_status_display().lower()}."
        )
    _tool, item = _item(current_audit, item_key)
    cleaned = {name: _clean(item, name, value) for name, value in fields.items()}
    answers = AuditAnswer.objects.filter(audit_id=current_audit.pk, item_key=item_key)

    def claim(revision: int) -> AuditAnswer | None:
        claimed = answers.filter(revision=revision).update(
            **cleaned, revision=F("revision") + 1, updated_by=acting_user, updated_at=timezone.now()
        )
        if claimed != 1:
            return None
        answer = answers.get()
        # The UPDATE above bypasses django-simple-history: saving the claimed row through the model
        # writes its history row, attributed to the acting user (same values, same transaction).
        _save(answer, acting_user)
        return answer

    answer = claim(expected_revision)
    if answer is not None:
        return answer
    if expected_revision == 0 and not answers.exists():
        answer = AuditAnswer(
            audit=current_audit, item_key=item_key, revision=1, updated_by=acting_user, **cleaned
        )
        answer.full_clean(validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                _save(answer, acting_user)
            return answer
        except IntegrityError:
            pass  # someone saved the first answer between the check and the insert: stale
    stored = answers.first()
    if stored is not None and _untouched_since(stored, expected_revision, cleaned):
        # Every save of an answer locks the audit first (_locked_copy), so the answer stays at
        # this revision until this transaction ends.
        answer = claim(stored.revision)
        if answer is not None:
            return answer
    raise _stale(current_audit, item_key, fields)


# --- moves ---------------------------------------------------------------------------------------


def overall_level(*, tool: ResolvedTool, agreed: Mapping[str, Any]) -> int | None:
    """The audit's overall grade: the practice fidelity score of the agreed levels of the tool's
    core rubric items (every rubric item when none is core), rounded half up; ``None`` when none
    was agreed. Pure."""
    items = [item for item in tool.items() if item.type == ItemType.RUBRIC and item.levels]
    if not items:
        return None
    any_core = any(item.is_core for item in items)
    rubric = RubricSpec.of(
        levels=sorted({level for item in items for level, _label, _descriptor in item.levels}),
        elements=[(item.key, item.is_core or not any_core) for item in items],
    )
    score = practice_fidelity_score(rubric=rubric, answers=agreed)
    return None if score is None else math.floor(score + 0.5)


def unexplained_disagreements(*, answers: Iterable[AuditAnswer]) -> list[str]:
    """Item keys where the practitioner and the auditor rated differently and no reason is kept."""
    return sorted(
        answer.item_key
        for answer in answers
        if answer.self_level is not None
        and answer.auditor_level is not None
        and answer.self_level != answer.auditor_level
        and not answer.disagreement.strip()
    )


def _check_ready_to_submit(audit: Audit) -> None:
    missing = unexplained_disagreements(answers=audit.answers.all())
    if missing:
        raise ValidationError(
            "Keep both views: say why the practitioner and the auditor rated these differently before "
            f"submitting: {', '.join(missing)}.",
            code="disagreement",
        )


def _grade(audit: Audit) -> int | None:
    tool = resolved_tool(version=audit.tool_version, adaptation=audit.adaptation)
    agreed = dict(audit.answers.values_list("item_key", "agreed_level"))
    return overall_level(tool=tool, agreed=agreed)


def _moderation_module():
    # Sampling and moderation are written apart (audits.moderation); until they exist, nothing is moderated.
    try:
        from audits import moderation
    except ModuleNotFoundError as error:
        if error.name != "audits.moderation":
            raise
        return None
    return moderation


def _signers(audit: Audit) -> list[User]:
    """QA leads of the authority and the managers of the audit's team."""
    who = Q(memberships__authority_id=audit.authority_id, memberships__role=Role.QA_LEAD)
    if audit.team_id:
        who |= Q(
            memberships__authority_id=audit.authority_id,
            memberships__role=Role.TEAM_MANAGER,
            memberships__team_id=audit.team_id,
        )
    return list(User.objects.filter(who, is_active=True).distinct().order_by("username"))


def _notify_move(audit: Audit, move: AuditMove, acting_user: User) -> None:
    context = {
        "audit": audit,
        "moved_by": acting_user,
        "comment": move.comment,
        "status_label": audit.get_status_display(),
    }
    case = audit.child.la_child_id
    holder: dict[str, User] = {S.SELF_ASSESSMENT: audit.practitioner, S.CONVERSATION: audit.auditor}
    if move.is_send_back:
        to = [holder[move.to_status]]
        subject, template = f"Audit sent back to you: {case}", "emails/audit_sent_back.txt"
    elif move.to_status in holder:
        to = [holder[move.to_status]]
        subject, template = f"Audit with you now: {case}", "emails/audit_your_turn.txt"
    elif move.to_status == S.SUBMITTED:
        to = _signers(audit)
        subject, template = f"Audit submitted: {case}", "emails/audit_submitted.txt"
    elif move.to_status == S.SIGNED_OFF:
        to = [audit.practitioner, audit.auditor]
        subject, template = f"Audit signed off: {case}", "emails/audit_signed_off.txt"
    else:
        return
    _after_commit(to=_others(to, acting_user), subject=subject, template=template, context=context)


def _open_moderation_if_needed(audit: Audit, acting_user: User) -> None:
    """Ask ``audits.moderation`` whether the submitted audit is moderated; if so, mark it and open
    the moderation. An audit once selected stays selected when it is sent back and submitted
    again (its moderation is reopened, with the reason it was first selected for)."""
    moderation = _moderation_module()
    if moderation is None:
        return
    reason = moderation.needs_moderation(audit)
    if not reason and audit.for_moderation:
        earlier = (
            Moderation.objects.filter(audit_id=audit.pk).values_list("reason_selected", flat=True).first()
        )
        reason = earlier or "sample"
    if not reason:
        return
    audit.for_moderation = True
    _save(audit, acting_user)
    moderation.moderation_open(audit=audit, reason=reason)


@transaction.atomic
def audit_move(*, audit: Audit, to_status: str, acting_user: User, comment: str = "") -> AuditMove:
    """Move the audit to ``to_status`` and return the recorded move; the caller's ``audit`` shows
    the result.

    Refuses, in this order: a move to where the audit is already (``AlreadyMoved``, naming who
    made it and when: the same button pressed twice, or by two people at once; the audit row is
    locked first, so the second of two moves at once waits and finds it made, and nothing is
    recorded, marked or emailed twice; for a sign-off, ``AlreadySignedOff``, an ``AuditLocked``
    too); a signed-off audit (``AuditLocked``, whoever asks); a legal move the
    acting user may not make (``PermissionDenied``, see ``accounts.access.may_move_audit``); an
    illegal move, a send back without a comment, a move someone made a moment before
    (``audits.workflow.IllegalMove``); a submission with rubric ratings that differ without a
    reason (``ValidationError``).

    On submit, the overall grade is set from the agreed levels (``overall_level``) and
    ``audits.moderation.needs_moderation`` decides whether the audit is moderated; if so, it is
    marked ``for_moderation`` and ``audits.moderation.moderation_open`` opens the moderation (and
    emails the moderator); the audit stays "submitted" until the moderator starts. Every change is
    in the audit's history, attributed to the acting user. A sign-off recomputes the authority's
    measures after commit. Emails, after commit: the next holder
    (the practitioner, the auditor, or the people who sign off an audit not moderated); a send
    back tells the previous holder, with the comment; a sign-off tells both parties.
    """
    current = _locked_copy(audit)
    if current.status == to_status:
        _refresh(audit, current)
        raise _already_moved(current)
    _check_unlocked(current)
    legal = to_status in workflow.allowed_moves(current.status)
    if legal and not access.may_move_audit(acting_user, current, to_status):
        raise PermissionDenied(
            f"You cannot move this audit from {current.get_status_display().lower()} to "
            f"{dict(S.choices)[to_status].lower()}."
        )
    if legal and to_status == S.SUBMITTED:
        _check_ready_to_submit(current)
    move = workflow.set_status(current, to_status, acting_user=acting_user, comment=comment)
    if to_status == S.SUBMITTED:
        current.overall_level = _grade(current)
    _save(current, acting_user)
    if to_status == S.SUBMITTED:
        _open_moderation_if_needed(current, acting_user)
    _refresh(audit, current)
    # A moderated audit goes to its moderator (emailed by audits.moderation), not to the signers.
    if not (to_status == S.SUBMITTED and current.for_moderation):
        _notify_move(current, move, acting_user)
    if to_status == S.SIGNED_OFF:
        _recompute_measures(current)
    return move


def _already_moved(audit: Audit) -> AlreadyMoved:
    last = (
        AuditMove.objects.filter(audit_id=audit.pk, to_status=audit.status)
        .select_related("moved_by")
        .order_by("-moved_at", "-pk")
        .first()
    )
    when = f" by {last.moved_by} at {_when(last.moved_at)}" if last is not None else ""
    if audit.status == S.SIGNED_OFF:
        message = f"This audit was already signed off{when}: nothing more was done."
    else:
        moved = "sent back" if last is not None and last.is_send_back else "moved"
        message = (
            f"This audit is already at “{audit.get_status_display()}” ({moved} there{when}): "
            "nothing more was done."
        )
    if audit.status == S.SIGNED_OFF:
        return AlreadySignedOff(message, code="already_moved")
    return AlreadyMoved(message, code="already_moved")


def _recompute_measures(audit: Audit) -> None:
    """A signed-off audit changes the authority's audit measures from the period of its sign-off
    on: mark them stale (the incremental job recomputes them after commit)."""
    from outcomes.services import mark_audit_stale

    mark_audit_stale(audit=audit, reason="Audit signed off")


# --- the family's consent ----------------------------------------------------------------------------


CONSENT_FIELDS = ("family_consent", "family_consent_note")


def _consent_key(consent: str, note: str) -> tuple[str, str]:
    # A browser posts a textarea's line ends as CRLF and a hidden input's as LF: compare the words.
    return consent, (note or "").replace("\r\n", "\n").strip()


def _consent_stale(audit: Audit, refused: Mapping[str, Any]) -> StaleEdit:
    """The refusal of a consent saved from an out-of-date page: who recorded the consent as it is
    now, and when (the newest history row where it changed)."""
    stored = {name: getattr(audit, name) for name in CONSENT_FIELDS}
    saved_by, saved_at = None, None
    for row in audit.history.order_by("-history_date", "-history_id").values(
        *CONSENT_FIELDS, "history_user_id", "history_date"
    ):
        if {name: row[name] for name in CONSENT_FIELDS} != stored:
            break
        saved_by, saved_at = row["history_user_id"], row["history_date"]
    user = User.objects.filter(pk=saved_by).first() if saved_by else None
    who = str(user) if user is not None else "Someone"
    message = (
        f"{who} recorded the family's consent at {_when(saved_at)}, after you opened the page, so your "
        "change was not saved. Their version is shown; yours is kept so nothing is lost."
    )
    return StaleEdit(
        message,
        item_key="consent",
        refused=refused,
        current=None,
        saved_by=user,
        saved_at=saved_at,
        stored=stored,
    )


@transaction.atomic
def consent_record(
    *,
    audit: Audit,
    consent: str,
    note: str,
    acting_user: User,
    expected: tuple[str, str] | None = None,
) -> Audit:
    """Record whether the family agreed to give feedback ("given", "declined", "not_asked") and a
    note; "not_asked" needs the reason. Only the audit's practitioner or auditor, and never on a
    signed-off audit (``AuditLocked``). Returns the audit as saved (the caller's object too).

    ``expected`` is the consent and note as the page showed them: when someone recorded another
    since, the save is refused (``StaleEdit`` with both versions), so two people recording the
    consent at once never overwrite each other silently. The audit's other changes (a move) do not
    make it stale."""
    current = _locked_copy(audit)
    _check_unlocked(current)
    if not access.may_record_consent(acting_user, current):
        raise PermissionDenied("Only the audit's practitioner or auditor records the family's consent.")
    if expected is not None and _consent_key(current.family_consent, current.family_consent_note) != (
        _consent_key(*expected)
    ):
        raise _consent_stale(current, {"family_consent": consent, "family_consent_note": note})
    if consent not in CONSENT_CHOICES:
        raise ValidationError({"family_consent": f"{consent!r} is not one of {', '.join(CONSENT_CHOICES)}."})
    note = (note or "").strip()
    if consent == "not_asked" and not note:
        raise ValidationError({"family_consent_note": "Say why the family was not asked."})
    current.family_consent = consent
    current.family_consent_note = note
    current.revision = current.revision + 1
    current.full_clean()
    _save(current, acting_user)
    _refresh(audit, current)
    return current
