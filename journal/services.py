"""Writes of the journal app: workshops and their questions, poll answers and their hiding,
quarterly reflections, and the journal's compilation, editing and publication.

Every function takes the acting user, checks the predicate of ``accounts.access`` that guards it,
and saves with the acting user as the history's author, so each change is attributable.
"""

import random
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import access
from accounts.models import Authority
from audits.models import Item, ToolVersion, VersionStatus
from journal import selectors
from journal.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Journal,
    JournalStatus,
    PollAnswer,
    QuarterlyReflection,
    Workshop,
    WorkshopQuestion,
    WorkshopStatus,
)
from reports import quarters
from reports.services import RenderedPdf, pdf_from_html

POLL_TOOL_KEY = "workshop-poll"
# The moves of a workshop: it opens once its questions are ready, closes, and can open again
# (a late authority); its questions change only before it first opens.
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    WorkshopStatus.DRAFT: frozenset({WorkshopStatus.OPEN}),
    WorkshopStatus.OPEN: frozenset({WorkshopStatus.CLOSED}),
    WorkshopStatus.CLOSED: frozenset({WorkshopStatus.OPEN}),
}
MAX_ANSWER_LENGTH = 4000


def _now() -> datetime:  # Used for mocking in tests
    return timezone.now()


def _attributed(row, acting_user, reason: str | None = None) -> None:
    row._history_user = acting_user
    if reason:
        row._change_reason = reason[:100]


def _facilitator(acting_user) -> None:
    if not access.may_facilitate_workshops(acting_user):
        raise PermissionDenied("Workshops are run by the programme team.")


# --- workshops and their questions ----------------------------------------------------------------


def latest_poll_version() -> ToolVersion | None:
    """The latest published version of the standard workshop poll."""
    return (
        ToolVersion.objects.filter(
            tool__key=POLL_TOOL_KEY, tool__authority__isnull=True, status=VersionStatus.PUBLISHED
        )
        .order_by("-number")
        .first()
    )


def new_code(rng: random.Random | None = None) -> str:
    """A short code not used by another workshop (``rng``: a seeded generator, for the demo)."""
    chooser = rng or random.SystemRandom()
    for _ in range(50):
        code = "".join(chooser.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not Workshop.objects.filter(code=code).exists():
            return code
    raise RuntimeError("No free workshop code after 50 tries.")


def normalise_code(code: str) -> str:
    """What people type: lower case, spaces, a dash in the middle."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


@transaction.atomic
def workshop_create(
    *, title: str, held_on: date, quarter: date, acting_user, rng: random.Random | None = None
) -> Workshop:
    """A workshop being prepared, with the questions of the latest published workshop poll."""
    _facilitator(acting_user)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "Give the workshop a title."})
    if not quarters.is_quarter_start(quarter):
        raise ValidationError({"quarter": "Choose a financial quarter."})
    workshop = Workshop(
        title=title, held_on=held_on, quarter=quarter, code=new_code(rng), created_by=acting_user
    )
    workshop.full_clean()
    _attributed(workshop, acting_user)
    workshop.save()
    version = latest_poll_version()
    if version is not None:
        items = Item.objects.filter(version=version).order_by("section__order", "order", "pk")
        for item in items:
            question = WorkshopQuestion(
                workshop=workshop,
                order=item.order,
                text=item.text,
                item_key=item.key,
                tool_version=version,
                required=item.required,
            )
            _attributed(question, acting_user)
            question.save()
    return workshop


@transaction.atomic
def workshop_set_status(*, workshop: Workshop, to_status: str, acting_user) -> Workshop:
    """Open, close or reopen the workshop; refuses any other move."""
    _facilitator(acting_user)
    workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
    if to_status not in ALLOWED_MOVES.get(workshop.status, frozenset()):
        raise ValidationError(
            f"A workshop that is {workshop.get_status_display().lower()} cannot move to "
            f"{WorkshopStatus(to_status).label.lower() if to_status in WorkshopStatus.values else to_status}."
        )
    if to_status == WorkshopStatus.OPEN and not workshop.questions.exists():
        raise ValidationError("Add at least one question before opening the poll.")
    workshop.status = to_status
    _attributed(workshop, acting_user)
    workshop.save()
    return workshop


def _draft_only(workshop: Workshop) -> None:
    if workshop.status != WorkshopStatus.DRAFT:
        raise ValidationError("The questions cannot change once the poll has opened.")


def _clean_text(text: str, field: str = "text") -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: "Write the question."})
    return text


@transaction.atomic
def question_add(*, workshop: Workshop, text: str, required: bool = False, acting_user) -> WorkshopQuestion:
    """A question of the facilitator's own, after the others."""
    _facilitator(acting_user)
    _draft_only(workshop)
    last = workshop.questions.aggregate(last=Max("order"))["last"] or 0
    question = WorkshopQuestion(workshop=workshop, order=last + 10, text=_clean_text(text), required=required)
    _attributed(question, acting_user)
    question.save()
    return question


@transaction.atomic
def question_reword(*, question: WorkshopQuestion, text: str, acting_user) -> WorkshopQuestion:
    """New wording for a question; it keeps its ``item_key`` (the journal still finds it)."""
    _facilitator(acting_user)
    _draft_only(question.workshop)
    question.text = _clean_text(text)
    _attributed(question, acting_user)
    question.save()
    return question


@transaction.atomic
def question_remove(*, question: WorkshopQuestion, acting_user) -> None:
    _facilitator(acting_user)
    _draft_only(question.workshop)
    _attributed(question, acting_user)
    question.delete()


# --- answers ---------------------------------------------------------------------------------------


@transaction.atomic
def answers_save(
    *, workshop: Workshop, authority: Authority, texts: Mapping[int, str], acting_user
) -> list[PollAnswer]:
    """Save the person's answers for ``authority`` (question id → text, verbatim but for the
    surrounding white space). An empty text withdraws an earlier answer; a required question
    needs one; a hidden answer is left as it is. Refused unless the poll is open and the person
    works in the authority."""
    if not access.may_answer_poll(acting_user) or authority.pk not in access.authority_ids(acting_user):
        raise PermissionDenied("Polls are answered for an authority you work in.")
    workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
    if workshop.status != WorkshopStatus.OPEN:
        raise ValidationError("This poll is closed: answers can no longer be given or changed.")
    questions = list(workshop.questions.all())
    existing = {
        answer.question_id: answer
        for answer in PollAnswer.objects.filter(
            question__workshop=workshop, authority=authority, answered_by=acting_user
        )
    }
    # A hidden answer stays as it was when it was hidden: its author can no longer change or
    # withdraw it (the facilitators can show it again).
    frozen = {question_id for question_id, answer in existing.items() if answer.hidden}
    errors: dict[str, str] = {}
    cleaned: dict[int, str] = {}
    for question in questions:
        if question.pk in frozen:
            continue
        text = (texts.get(question.pk) or "").strip()
        if question.required and not text:
            errors[f"q{question.pk}"] = "Please answer this question."
        elif len(text) > MAX_ANSWER_LENGTH:
            errors[f"q{question.pk}"] = f"Keep the answer under {MAX_ANSWER_LENGTH:,} characters."
        cleaned[question.pk] = text
    if errors:
        raise ValidationError(errors)
    saved = []
    now = _now()
    for question in questions:
        if question.pk in frozen:
            continue
        text = cleaned[question.pk]
        answer = existing.get(question.pk)
        if not text:
            if answer is not None:
                _attributed(answer, acting_user, "Withdrawn by the person who wrote it")
                answer.delete()
            continue
        if answer is None:
            answer = PollAnswer(question=question, authority=authority, answered_by=acting_user)
        elif answer.text == text:
            saved.append(answer)
            continue
        answer.text = text
        answer.answered_at = now
        _attributed(answer, acting_user)
        try:
            with transaction.atomic():
                answer.save()
        except IntegrityError:
            raise ValidationError("Your answers were saved from another window: reload the page.") from None
        saved.append(answer)
    return saved


@transaction.atomic
def answer_hide(*, answer: PollAnswer, reason: str, acting_user) -> PollAnswer:
    """Hide the answer from the results and the journal; it is kept, and the hiding (who, when,
    why) is on the answer and in its history."""
    _facilitator(acting_user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the answer is hidden (the person may ask)."})
    answer = PollAnswer.objects.select_for_update().get(pk=answer.pk)
    if answer.hidden:
        raise ValidationError("This answer is already hidden.")
    answer.hidden = True
    answer.hidden_by = acting_user
    answer.hidden_at = _now()
    answer.hidden_reason = reason
    _attributed(answer, acting_user, f"Hidden: {reason}")
    answer.save()
    return answer


@transaction.atomic
def answer_show(*, answer: PollAnswer, acting_user) -> PollAnswer:
    """Show a hidden answer again (the earlier hiding stays in its history)."""
    _facilitator(acting_user)
    answer = PollAnswer.objects.select_for_update().get(pk=answer.pk)
    if not answer.hidden:
        raise ValidationError("This answer is not hidden.")
    answer.hidden = False
    answer.hidden_by = None
    answer.hidden_at = None
    answer.hidden_reason = ""
    _attributed(answer, acting_user, "Shown again")
    answer.save()
    return answer


# --- reflections ------------------------------------------------------------------------------------


@transaction.atomic
def reflection_save(
    *, authority: Authority, quarter: date, achievement: str, challenge: str, acting_user
) -> QuarterlyReflection:
    """Write or rewrite the authority's reflection on a quarter that has begun."""
    if not access.may_write_reflection(acting_user, authority):
        raise PermissionDenied("The reflection is written by the authority's leaders and QA leads.")
    if not quarters.is_quarter_start(quarter):
        raise ValidationError("Choose a financial quarter.")
    if quarter > quarters.quarter_containing(timezone.localdate(_now())):
        raise ValidationError("A reflection is written once the quarter has begun.")
    achievement, challenge = (achievement or "").strip(), (challenge or "").strip()
    errors = {}
    if not achievement:
        errors["achievement"] = "Write the biggest achievement of the quarter."
    if not challenge:
        errors["challenge"] = "Write the biggest challenge of the quarter."
    if errors:
        raise ValidationError(errors)
    reflection = (
        QuarterlyReflection.objects.select_for_update().filter(authority=authority, quarter=quarter).first()
    )
    if reflection is None:
        reflection = QuarterlyReflection(authority=authority, quarter=quarter)
    elif (reflection.achievement, reflection.challenge) == (achievement, challenge):
        return reflection
    reflection.achievement = achievement
    reflection.challenge = challenge
    reflection.written_by = acting_user
    reflection.updated_at = _now()
    _attributed(reflection, acting_user)
    reflection.save()
    return reflection


# --- the journal ------------------------------------------------------------------------------------


def _editor(acting_user) -> None:
    if not access.may_edit_journal(acting_user):
        raise PermissionDenied("The journal is edited by the programme team.")


def default_title(quarter: date) -> str:
    return f"Quarterly journal {quarters.quarter_label(quarter)}"


@transaction.atomic
def journal_compile(*, quarter: date, acting_user) -> Journal:
    """A draft journal for the quarter, with the quarter's latest workshop (closed ones first)."""
    _editor(acting_user)
    if not quarters.is_quarter_start(quarter):
        raise ValidationError({"quarter": "Choose a financial quarter."})
    if Journal.objects.filter(quarter=quarter).exists():
        raise ValidationError(
            {"quarter": f"There is already a journal for {quarters.quarter_label(quarter)}."}
        )
    workshops = Workshop.objects.filter(quarter=quarter).exclude(status=WorkshopStatus.DRAFT)
    workshop = (
        workshops.filter(status=WorkshopStatus.CLOSED).order_by("-held_on", "-pk").first()
        or workshops.order_by("-held_on", "-pk").first()
    )
    journal = Journal(
        quarter=quarter, title=default_title(quarter), workshop=workshop, created_by=acting_user
    )
    journal.full_clean()
    _attributed(journal, acting_user)
    journal.save()
    return journal


@transaction.atomic
def journal_update(
    *,
    journal: Journal,
    title: str,
    introduction: str,
    workshop: Workshop | None,
    left_out: Iterable[WorkshopQuestion] = (),
    acting_user,
) -> Journal:
    """The editor's changes: title, introduction, the workshop and the questions left out (only
    questions of that workshop)."""
    _editor(acting_user)
    if journal.is_published:
        raise ValidationError(
            "This journal is published: it keeps what it showed on the day it was published."
        )
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "Give the journal a title."})
    if workshop is not None and workshop.status == WorkshopStatus.DRAFT:
        raise ValidationError({"workshop": "Choose a workshop whose poll has opened."})
    journal.title = title
    journal.introduction = (introduction or "").strip()
    journal.workshop = workshop
    journal.full_clean()
    _attributed(journal, acting_user)
    journal.save()
    journal.left_out.set([q for q in left_out if workshop is not None and q.workshop_id == workshop.pk])
    return journal


@transaction.atomic
def journal_publish(*, journal: Journal, acting_user) -> Journal:
    """Publish the journal to everyone in the programme's authorities, with a snapshot of what it
    shows now: its page and PDF are served from the snapshot ever after, so an answer or reflection
    edited or hidden later, or a measure computed again, never changes a published journal."""
    _editor(acting_user)
    journal = Journal.objects.select_for_update().get(pk=journal.pk)
    if journal.status == JournalStatus.PUBLISHED:
        raise ValidationError("This journal is already published.")
    journal.snapshot = selectors.snapshot_of(selectors.compile_content(journal))
    journal.status = JournalStatus.PUBLISHED
    journal.published_at = _now()
    journal.published_by = acting_user
    _attributed(journal, acting_user)
    journal.save()
    return journal


# --- the journal as a web page and as a PDF ------------------------------------------------------


def journal_html(content, *, back_url: str = "") -> str:
    """The journal's printable HTML: for WeasyPrint, or on screen with a link back (``back_url``)."""
    return render_to_string(
        "journal/print/journal.html",
        {"content": content, "journal": content.journal, "for_screen": bool(back_url), "back_url": back_url},
    )


def journal_pdf(content) -> RenderedPdf:
    """The journal as a PDF, rendered on request from its content (a published journal's snapshot,
    so the PDF never changes either; a draft's rows as they are now)."""
    return pdf_from_html(journal_html(content))


def pdf_file_name(journal: Journal) -> str:
    return f"quarterly-journal-{quarters.quarter_code(journal.quarter)}.pdf"
