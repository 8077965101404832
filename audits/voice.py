"""The family's and the child's voice in an audit.

A ``FeedbackRequest`` asks a family or a child for feedback on the work with them, through the
authority's version of the "family-feedback" or "child-feedback" tool (adopting the standard tool
for the authority when it uses none yet):

- by phone or on a visit, a member of staff fills the tool with the family's own words
  (``feedback_record`` creates the request and answers it at once);
- through a private link (``channel="link"``): a random token the worker passes on, valid for
  ``LINK_DAYS`` days and answered once, with no sign-in.

Family feedback needs the family's consent, recorded on the audit first ("given"). The answers are
stored as a ``Response`` with one ``Answer`` per answered item, tied to the exact tool version (and
adaptation) they were given against, and validated against that resolved tool: no question has to
be answered unless the tool says so, but every answer must fit its question.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts import access
from accounts.models import Role
from audits import selectors
from audits.models import (
    Adaptation,
    Answer,
    Audit,
    FeedbackChannel,
    FeedbackRequest,
    ItemType,
    Response,
    Tool,
    ToolVersion,
)
from audits.resolution import ResolvedItem, ResolvedTool

TOOL_KEYS = {"family": "family-feedback", "child": "child-feedback"}
RESPONDENTS = tuple(TOOL_KEYS)
LINK_DAYS = 28
# Free text is the family's own words; this only stops a runaway paste.
TEXT_LIMIT = 5000


class LinkUnavailable(ValidationError):
    """The link was already answered, or has expired."""


def _now():
    return timezone.now()


# --- who may --------------------------------------------------------------------------------------


def may_record_feedback(user, audit: Audit) -> bool:
    """The people holding the audit (its practitioner and auditor), the manager of the audit's team
    and the authority's QA leads. (A candidate for ``accounts.access``.)"""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.pk in (audit.practitioner_id, audit.auditor_id):
        return True
    for membership in access.memberships(user):
        if membership.authority_id != audit.authority_id:
            continue
        if membership.role == Role.QA_LEAD:
            return True
        if membership.role == Role.TEAM_MANAGER and audit.team_id and membership.team_id == audit.team_id:
            return True
    return False


# --- the tool -------------------------------------------------------------------------------------


def feedback_tool_in_use(
    *, authority, respondent: str, acting_user=None
) -> tuple[ToolVersion, Adaptation | None]:
    """The version (and adaptation) of the respondent's feedback tool the authority uses; adopts the
    standard tool for the authority when it has no adoption yet."""
    if respondent not in TOOL_KEYS:
        raise ValidationError("Feedback comes from the family or the child.")
    tool = Tool.objects.get(key=TOOL_KEYS[respondent])
    try:
        return selectors.tool_in_use(authority=authority, tool=tool)
    except ToolVersion.DoesNotExist:
        from audits.services import tool_adopt

        tool_adopt(authority=authority, tool=tool, acting_user=acting_user)
        return selectors.tool_in_use(authority=authority, tool=tool)


def feedback_tool(*, authority, respondent: str, acting_user=None) -> ResolvedTool:
    """The respondent's feedback tool as the authority uses it."""
    version, adaptation = feedback_tool_in_use(
        authority=authority, respondent=respondent, acting_user=acting_user
    )
    return selectors.resolved_tool(version=version, adaptation=adaptation)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


def _clean_value(item: ResolvedItem, value: Any) -> Any:
    """One answer in its stored shape, or ValueError with a plain-English reason."""
    options = [option_value for option_value, _label in item.options]
    if item.type == ItemType.TEXT:
        if not isinstance(value, str):
            raise ValueError("Write the answer as text.")
        text = value.strip()
        if len(text) > TEXT_LIMIT:
            raise ValueError(f"Keep the answer under {TEXT_LIMIT} characters.")
        return text
    if item.type in (ItemType.YES_PARTLY_NO, ItemType.SINGLE_CHOICE):
        if str(value) not in options:
            raise ValueError("Choose one of the answers given.")
        return str(value)
    if item.type == ItemType.MULTIPLE_CHOICE:
        chosen = [value] if isinstance(value, str) else value
        if not isinstance(chosen, list | tuple) or any(str(choice) not in options for choice in chosen):
            raise ValueError("Choose among the answers given.")
        return [option for option in options if option in {str(choice) for choice in chosen}]
    if item.type in (ItemType.SCALE, ItemType.RUBRIC):
        allowed = range(0, 11) if item.type == ItemType.SCALE else [level for level, _l, _d in item.levels]
        try:
            number = int(str(value).strip())
        except ValueError:
            number = None
        if number is None or isinstance(value, bool) or number not in allowed:
            if item.type == ItemType.SCALE:
                raise ValueError("Choose a number from 0 to 10.")
            raise ValueError("Choose one of the levels.")
        return number
    if item.type == ItemType.NUMBER:
        try:
            number_value = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError("Write a number.") from None
        if isinstance(value, bool) or not number_value.is_finite():
            raise ValueError("Write a number.")
        return int(number_value) if number_value == number_value.to_integral_value() else float(number_value)
    if item.type == ItemType.DATE:
        try:
            return (value if isinstance(value, date) else date.fromisoformat(str(value).strip())).isoformat()
        except ValueError:
            raise ValueError("Write a date, for example 2025-03-31.") from None
    raise ValueError("This question cannot be answered here.")


def validate_answers(tool: ResolvedTool, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers in their stored shape, keyed by item key, without the unanswered items.

    Raises ``ValidationError`` (a dict item key → message) for an unknown item, a value that does not
    fit its item (text; one of the options; 0 to 10; a level; a number; a date), a required item left
    unanswered, or nothing answered at all."""
    items = {item.key: item for item in tool.items()}
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for key, value in answers.items():
        item = items.get(key)
        if item is None:
            errors[key] = "This question is not part of the feedback tool."
            continue
        if _is_empty(value):
            continue
        try:
            cleaned[key] = _clean_value(item, value)
        except ValueError as reason:
            errors[key] = str(reason)
    for key, item in items.items():
        if item.required and key not in cleaned and key not in errors:
            errors[key] = "Please answer this question."
    if errors:
        raise ValidationError(errors)
    if not cleaned:
        raise ValidationError("Answer at least one question.")
    return cleaned


# --- writes ---------------------------------------------------------------------------------------


@transaction.atomic
def feedback_request_create(*, audit: Audit, respondent: str, channel: str, acting_user) -> FeedbackRequest:
    """A request for the family's or the child's feedback on the audit.

    Refuses a family request until the family's consent is recorded as given, any request on a
    signed-off audit, and people who do not hold the audit. A link request gets a random token
    and expires after ``LINK_DAYS`` days; phone and visit requests are answered by the member of
    staff (``feedback_answer``)."""
    if not may_record_feedback(acting_user, audit):
        raise PermissionDenied(
            "Only the people holding this audit, its team manager and QA leads record feedback."
        )
    if respondent not in TOOL_KEYS:
        raise ValidationError("Feedback comes from the family or the child.")
    if channel not in FeedbackChannel.values:
        raise ValidationError("Feedback is given by phone, on a visit or through a link.")
    if audit.is_locked:
        raise ValidationError("This audit is signed off: no more feedback can be added to it.")
    if respondent == "family" and audit.family_consent != "given":
        raise ValidationError(
            "Record the family's consent on the audit first: family feedback is only asked for once "
            "the family has agreed to give it."
        )
    # Adopts the tool now, so the family never meets a link that cannot be answered.
    feedback_tool_in_use(authority=audit.authority, respondent=respondent, acting_user=acting_user)
    request = FeedbackRequest(audit=audit, respondent=respondent, channel=channel, created_by=acting_user)
    if channel == FeedbackChannel.LINK:
        request.token = secrets.token_urlsafe(32)
        request.expires_at = _now() + timedelta(days=LINK_DAYS)
    request.full_clean()
    request.save()
    return request


def link_status(request: FeedbackRequest) -> str:
    """ "open", "answered" or "expired" (a request without a link is "open" until answered)."""
    if request.answered_at is not None or request.response_id is not None:
        return "answered"
    if request.expires_at is not None and request.expires_at <= _now():
        return "expired"
    return "open"


@transaction.atomic
def feedback_answer(*, request: FeedbackRequest, answers: Mapping[str, Any], acting_user=None) -> Response:
    """Store the answers to the request's feedback tool (as the authority uses it now).

    A link is answered by the family with no sign-in (``acting_user`` None), once, and not after it
    expires (``LinkUnavailable``); phone and visit feedback is entered by a member of staff who may
    record feedback on the audit. The request is claimed with a conditional update, so two
    submissions at once store one response."""
    audit = request.audit
    if request.channel == FeedbackChannel.LINK:
        status = link_status(request)
        if status == "answered":
            raise LinkUnavailable("This feedback has already been given. Thank you.")
        if status == "expired":
            raise LinkUnavailable("This link has expired.")
    elif acting_user is None or not may_record_feedback(acting_user, audit):
        raise PermissionDenied(
            "Only the people holding this audit, its team manager and QA leads record feedback."
        )
    version, adaptation = feedback_tool_in_use(
        authority=audit.authority, respondent=request.respondent, acting_user=acting_user
    )
    cleaned = validate_answers(selectors.resolved_tool(version=version, adaptation=adaptation), answers)
    now = _now()
    claimed = FeedbackRequest.objects.filter(pk=request.pk, answered_at__isnull=True, response__isnull=True)
    if request.expires_at is not None:
        claimed = claimed.filter(expires_at__gt=now)
    if claimed.update(answered_at=now) != 1:
        raise LinkUnavailable("This feedback has already been given. Thank you.")
    response = Response.objects.create(authority=audit.authority, tool_version=version, adaptation=adaptation)
    bulk_create_with_history(
        [Answer(response=response, item_key=key, value=value) for key, value in cleaned.items()],
        Answer,
        default_user=acting_user,
    )
    FeedbackRequest.objects.filter(pk=request.pk).update(response=response)
    request.answered_at = now
    request.response = response
    if audit.signed_off_at is not None:
        # A link answered after sign-off changes family participation in the sign-off's period.
        from outcomes.services import mark_audit_stale

        mark_audit_stale(audit=audit, reason="Family or child feedback answered after sign-off")
    return response


@transaction.atomic
def feedback_record(
    *, audit: Audit, respondent: str, channel: str, answers: Mapping[str, Any], acting_user
) -> FeedbackRequest:
    """Feedback taken by phone or on a visit: the request and its answers in one step."""
    if channel == FeedbackChannel.LINK:
        raise ValidationError("A link is answered by the family: create the link and pass it on.")
    request = feedback_request_create(
        audit=audit, respondent=respondent, channel=channel, acting_user=acting_user
    )
    feedback_answer(request=request, answers=answers, acting_user=acting_user)
    return request


# --- reads ----------------------------------------------------------------------------------------


def request_for_token(token: str) -> FeedbackRequest | None:
    """The request a link's token opens, or None (an unknown token says nothing more)."""
    if not token or len(token) > 64:
        return None
    return FeedbackRequest.objects.select_related("audit__authority").filter(token=token).first()


@dataclass(frozen=True)
class AnswerLine:
    question: str
    answer: str


@dataclass(frozen=True)
class FeedbackSummary:
    request: FeedbackRequest
    status: str  # open, answered, expired
    lines: tuple[AnswerLine, ...]


def display_value(item: ResolvedItem | None, value: Any) -> str:
    """An answer in words: choices by their label, 0–10 scales as "7 out of 10", levels by name."""
    if item is None:
        return str(value)
    labels = dict(item.options)
    if item.type == ItemType.MULTIPLE_CHOICE and isinstance(value, list):
        return ", ".join(labels.get(str(choice), str(choice)) for choice in value)
    if item.type in (ItemType.YES_PARTLY_NO, ItemType.SINGLE_CHOICE):
        return labels.get(str(value), str(value))
    if item.type == ItemType.SCALE:
        return f"{value} out of 10"
    if item.type == ItemType.RUBRIC:
        return {level: label for level, label, _d in item.levels}.get(value, str(value))
    return str(value)


def feedback_for_audit(*, audit: Audit) -> list[FeedbackSummary]:
    """The audit's feedback requests, oldest first, each answer with its question in the words of the
    version it was given against. Queries: 2, plus the tool reads once per version used."""
    requests = list(
        FeedbackRequest.objects.filter(audit=audit)
        .select_related("response", "created_by")
        .prefetch_related("response__answers")
        .order_by("created_at", "pk")
    )
    tools: dict[tuple[int, int | None], dict[str, ResolvedItem]] = {}
    summaries = []
    for request in requests:
        lines: list[AnswerLine] = []
        response = request.response
        if response is not None:
            key = (response.tool_version_id, response.adaptation_id)
            if key not in tools:
                resolved = selectors.resolved_tool(
                    version=response.tool_version, adaptation=response.adaptation
                )
                tools[key] = {item.key: item for item in resolved.items()}
            items = tools[key]
            order = {item_key: position for position, item_key in enumerate(items)}
            answers = sorted(
                response.answers.all(), key=lambda answer: order.get(answer.item_key, len(order))
            )
            lines = [
                AnswerLine(
                    question=items[answer.item_key].text if answer.item_key in items else answer.item_key,
                    answer=display_value(items.get(answer.item_key), answer.value),
                )
                for answer in answers
            ]
        summaries.append(FeedbackSummary(request=request, status=link_status(request), lines=tuple(lines)))
    return summaries
