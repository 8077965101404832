"""Writes: give feedback, move it through the triage, add a note. Each checks who may do it."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts import access
from feedback.models import Feedback, FeedbackNote, FeedbackStatus, Topic

MAX_LENGTH = 5000


def _clean_text(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": f"Write your {what} first."})
    if len(text) > MAX_LENGTH:
        raise ValidationError(
            {"text": f"Keep your {what} under {MAX_LENGTH} characters (this is {len(text)})."}
        )
    return text


def feedback_give(
    *, author, text: str, topic: str = Topic.ANYTHING, page: str = "", authority=None
) -> Feedback:
    if not access.may_give_feedback(author):
        raise PermissionDenied("Sign in to give feedback.")
    if topic not in Topic.values:
        raise ValidationError({"topic": f"{topic!r} is not one of the topics."})
    if authority is not None and authority.pk not in access.authority_ids(author):
        authority = None  # never record an authority the author does not work in
    feedback = Feedback(
        author=author, authority=authority, topic=topic, page=page[:500], text=_clean_text(text, "feedback")
    )
    feedback._history_user = author  # type: ignore[attr-defined]
    feedback.save()
    return feedback


@transaction.atomic
def feedback_set_status(*, feedback: Feedback, status: str, acting_user) -> Feedback:
    if not access.may_triage_feedback(acting_user):
        raise PermissionDenied("Only the programme team triages feedback.")
    if status not in FeedbackStatus.values:
        raise ValidationError({"status": f"{status!r} is not one of the statuses."})
    if feedback.status != status:
        feedback.status = status
        feedback._history_user = acting_user  # type: ignore[attr-defined]
        feedback.save(update_fields=["status", "updated_at"])
    return feedback


def feedback_note_add(*, feedback: Feedback, text: str, acting_user) -> FeedbackNote:
    if not access.may_triage_feedback(acting_user):
        raise PermissionDenied("Only the programme team adds notes to feedback.")
    return FeedbackNote.objects.create(
        feedback=feedback, text=_clean_text(text, "note"), written_by=acting_user
    )
